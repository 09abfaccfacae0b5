// todayUtc computes the UTC date from the day count; it must agree with Date's own calendar everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { todayUtc } from '../../server/src/core/lint.ts';

test('todayUtc agrees with toISOString from 1900 to 2200, leap days and day boundaries included', () => {
  const day = 86_400_000;
  const samples = [Date.UTC(2000, 1, 29), Date.UTC(1900, 1, 28), Date.UTC(2100, 2, 1), Date.UTC(2024, 11, 31) + day - 1, Date.UTC(1969, 11, 31, 23, 59), 0, -1];
  for (let t = Date.UTC(1900, 0, 1); t < Date.UTC(2200, 0, 1); t += day * 0.73 + 4_321) samples.push(Math.floor(t));
  for (const t of samples) assert.equal(todayUtc(t), new Date(t).toISOString().slice(0, 10), String(t));
  assert.match(todayUtc(), /^\d{4}-\d{2}-\d{2}$/);
});
