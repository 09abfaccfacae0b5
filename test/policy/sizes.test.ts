import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, parseSize } from '../../server/src/policy/sizes.ts';

test('sizes: decimal and binary units, case-insensitive, B optional', () => {
  const cases: [string, number][] = [
    ['0', 0], ['1024', 1024], ['12B', 12], ['500kB', 500_000], ['500KB', 500_000], ['500k', 500_000],
    ['300MB', 300_000_000], ['300mb', 300_000_000], ['300 MB', 300_000_000], [' 2GB ', 2e9], ['1TB', 1e12],
    ['1KiB', 1024], ['1.5GiB', 1.5 * 2 ** 30], ['100MiB', 100 * 2 ** 20], ['2Mi', 2 * 2 ** 20], ['0.5kB', 500], ['1.0005kB', 1001],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
});

test('sizes: what is not a size', () => {
  for (const text of ['', 'MB', '-1MB', '1,5MB', '1e6', '1 2MB', '10 MBB', '3PB', '1.MB', '.5MB', 'lots', '99999999999999TB']) {
    assert.equal(parseSize(text), undefined, text);
  }
});

test('formatSize picks the shortest exact unit', () => {
  assert.equal(formatSize(300_000_000), '300MB');
  assert.equal(formatSize(300 * 2 ** 20), '300MiB');
  assert.equal(formatSize(1500), '1.5kB');
  assert.equal(formatSize(12), '12B');
});
