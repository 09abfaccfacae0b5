import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daysUntilExpiry, expiresWithin, isExpired } from '../../server/src/policy/waivers.ts';

const w = { expires: '2027-01-31' };

test('a waiver is in force through its expiry day and expired from the next', () => {
  assert.equal(isExpired(w, '2027-01-30'), false);
  assert.equal(isExpired(w, '2027-01-31'), false);
  assert.equal(isExpired(w, '2027-02-01'), true);
  assert.equal(isExpired(w, '2028-01-01'), true);
  assert.equal(isExpired({}, '2099-12-31'), false);
});

test('days until expiry cross months, years and leap days', () => {
  assert.equal(daysUntilExpiry(w, '2027-01-31'), 0);
  assert.equal(daysUntilExpiry(w, '2026-12-31'), 31);
  assert.equal(daysUntilExpiry({ expires: '2028-03-01' }, '2028-02-28'), 2);
  assert.equal(daysUntilExpiry(w, '2027-02-02'), -2);
  assert.equal(daysUntilExpiry({}, '2027-01-01'), undefined);
});

test('expiresWithin: still in force and due within the window', () => {
  assert.equal(expiresWithin(w, '2027-01-01', 30), true);
  assert.equal(expiresWithin(w, '2027-01-01', 29), false);
  assert.equal(expiresWithin(w, '2027-01-31', 0), true);
  assert.equal(expiresWithin(w, '2027-02-01', 30), false); // already expired
  assert.equal(expiresWithin({}, '2027-01-01', 365), false);
});

test('an unreadable expiry counts as expired; a bad today is a programming error', () => {
  assert.equal(isExpired({ expires: '2027-02-30' }, '2020-01-01'), true);
  assert.equal(isExpired({ expires: 'soon' }, '2020-01-01'), true);
  assert.throws(() => isExpired(w, '31/01/2027'), RangeError);
});
