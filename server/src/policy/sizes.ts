// Size strings: `300MB`, `1.5GiB`, `500kB`, `1024`. Decimal units are powers of 1000 (MB = 1e6),
// binary ones powers of 1024 (MiB = 2^20), as Docker and registries report them.

/** The pattern schema/plimsoll.schema.json uses too; a test keeps the two in step. */
export const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*(?:([kKmMgGtT])([iI])?)?[bB]?\s*$/;

const POWER: Record<string, number> = { k: 1, m: 2, g: 3, t: 4 };

/** Bytes, or undefined when the text is not a size. Units are case-insensitive; `B` is optional. */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  const factor = unit === undefined ? 1 : (m[3] ? 1024 : 1000) ** POWER[unit]!;
  const bytes = Math.round(n * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `314572800` -> `300MiB`, `300000000` -> `300MB`: the shortest exact form, for messages. */
export function formatSize(bytes: number): string {
  const units: [string, number][] = [
    ['TiB', 1024 ** 4], ['TB', 1e12], ['GiB', 1024 ** 3], ['GB', 1e9],
    ['MiB', 1024 ** 2], ['MB', 1e6], ['KiB', 1024], ['kB', 1e3],
  ];
  for (const [name, f] of units) if (bytes >= f && bytes % f === 0) return `${bytes / f}${name}`;
  for (const [name, f] of [['GB', 1e9], ['MB', 1e6], ['kB', 1e3]] as const) {
    if (bytes >= f) return `${(bytes / f).toFixed(1)}${name}`;
  }
  return `${bytes}B`;
}
