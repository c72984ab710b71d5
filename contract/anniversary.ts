/**
 * Recurring dates of an origin (a signup date, a first purchase): the n-th yearly, monthly or weekly
 * anniversary, and the first one after a given instant. Pure and sandbox-safe (no clock): a journey
 * computes the same dates on replay.
 *
 * Leap days: the yearly anniversary of Feb 29 falls on Feb 28 (`feb28`, the default) or Mar 1 (`mar1`) in
 * years without one; the monthly anniversary of the 29th-31st falls on the month's last day (`feb28`) or
 * the first of the next month (`mar1`) in shorter months. The time of day (UTC) is the origin's.
 */

export type Every = 'year' | 'month' | 'week';
export type LeapDay = 'feb28' | 'mar1';
export const EVERY: readonly Every[] = ['year', 'month', 'week'];
export const LEAP_DAY: readonly LeapDay[] = ['feb28', 'mar1'];

const DAY_MS = 86_400_000;
/** No journey waits more than this many periods: keeps `next_anniversary` bounded. */
const MAX_PERIODS = 10_000;

/** Epoch ms of the n-th anniversary (n = 0 is the origin itself; negative n goes back). */
export function nthAnniversary(
  originMs: number,
  n: number,
  every: Every,
  leapDay: LeapDay = 'feb28',
): number {
  if (every === 'week') return originMs + n * 7 * DAY_MS;
  const o = new Date(originMs);
  const months = every === 'year' ? n * 12 : n;
  const y = o.getUTCFullYear() + Math.floor((o.getUTCMonth() + months) / 12);
  const m = (((o.getUTCMonth() + months) % 12) + 12) % 12;
  const day = o.getUTCDate();
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const timeOfDay = originMs - Date.UTC(o.getUTCFullYear(), o.getUTCMonth(), o.getUTCDate());
  // The day does not exist in the target month: its last day, or the first of the next month.
  const target =
    day <= last ? Date.UTC(y, m, day) : leapDay === 'mar1' ? Date.UTC(y, m + 1, 1) : Date.UTC(y, m, last);
  return target + timeOfDay;
}

/** Epoch ms of the first anniversary strictly after `afterMs` (the origin itself when that is later). */
export function nextAnniversary(
  originMs: number,
  afterMs: number,
  every: Every,
  leapDay: LeapDay = 'feb28',
): number | null {
  if (originMs > afterMs) return originMs;
  // Start from an estimate and step: at most a few iterations, bounded either way.
  const period = every === 'week' ? 7 * DAY_MS : every === 'month' ? 30.436875 * DAY_MS : 365.2425 * DAY_MS;
  let n = Math.max(1, Math.floor((afterMs - originMs) / period) - 1);
  if (n > MAX_PERIODS) return null;
  while (nthAnniversary(originMs, n, every, leapDay) <= afterMs) n += 1;
  while (n > 1 && nthAnniversary(originMs, n - 1, every, leapDay) > afterMs) n -= 1;
  return nthAnniversary(originMs, n, every, leapDay);
}

export function isEvery(v: unknown): v is Every {
  return typeof v === 'string' && (EVERY as readonly string[]).includes(v);
}

export function isLeapDay(v: unknown): v is LeapDay {
  return typeof v === 'string' && (LEAP_DAY as readonly string[]).includes(v);
}
