// Byte counts for people: decimal units (kB = 1000 bytes), as `docker images` and registries show them.
// Every message that shows a size goes through formatBytes so that the same number reads the same everywhere.

const UNITS = ['kB', 'MB', 'GB', 'TB', 'PB'];

/** `512` -> `512 B`, `2000` -> `2 kB`, `48_210_000` -> `48.2 MB`: one decimal, a trailing `.0` dropped. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  const sign = bytes < 0 ? '-' : '';
  let n = Math.abs(bytes);
  if (n < 1000) return `${sign}${Math.round(n)} B`;
  let unit = -1;
  // Compare what would be printed, so 999_960 reads `1 MB` rather than `1000 kB`.
  while (unit < UNITS.length - 1 && Math.round(n * 10) >= 10_000) {
    n /= 1000;
    unit++;
  }
  const text = (Math.round(n * 10) / 10).toFixed(1).replace(/\.0$/, '');
  return `${sign}${text} ${UNITS[unit]!}`;
}

/**
 * `1234567` -> `1,234,567`: what `toLocaleString('en')` prints for an integer, without it (the first
 * locale-aware call loads ICU data, about 20 ms of a CLI run's start-up).
 */
export function formatCount(n: number): string {
  const digits = String(Math.abs(Math.trunc(n)));
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) out = digits.slice(Math.max(0, end - 3), end) + (out ? `,${out}` : '');
  return (n < 0 ? '-' : '') + out;
}
