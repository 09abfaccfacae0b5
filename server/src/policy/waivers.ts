// Waiver expiry, by calendar day. Days are `YYYY-MM-DD` strings; the caller decides which day is
// today (and in which time zone), so these stay pure.
import type { Waiver } from '../core/policy.ts';

const DAY_MS = 86_400_000;

/** Days since 1970-01-01, or undefined when `day` is not a real `YYYY-MM-DD` date. */
function dayNumber(day: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const t = Date.UTC(y, mo, d);
  const date = new Date(t);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo || date.getUTCDate() !== d) return undefined;
  return t / DAY_MS;
}

function todayNumber(today: string): number {
  const n = dayNumber(today);
  if (n === undefined) throw new RangeError(`today must be a YYYY-MM-DD date, got "${today}"`);
  return n;
}

/**
 * Whole days from `today` to the expiry day: 0 on the day itself, negative once expired,
 * undefined without `expires`. An unreadable `expires` counts as long expired.
 */
export function daysUntilExpiry(waiver: Pick<Waiver, 'expires'>, today: string): number | undefined {
  if (waiver.expires === undefined) return undefined;
  const t = todayNumber(today);
  const e = dayNumber(waiver.expires);
  return e === undefined ? Number.NEGATIVE_INFINITY : e - t;
}

/** A waiver is in force through its `expires` day and expired from the day after. */
export function isExpired(waiver: Pick<Waiver, 'expires'>, today: string): boolean {
  const left = daysUntilExpiry(waiver, today);
  return left !== undefined && left < 0;
}

/** Still in force, but expiring within `days` days from `today` (today itself included). */
export function expiresWithin(waiver: Pick<Waiver, 'expires'>, today: string, days: number): boolean {
  const left = daysUntilExpiry(waiver, today);
  return left !== undefined && left >= 0 && left <= days;
}
