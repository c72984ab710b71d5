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

/**
 * A per-participant recurring date as a trigger (`trigger.anniversary`): every year, month or week on the
 * anniversary of a trait, an event property or the enrolling event itself, at a local time of day in a
 * time zone. The origin's calendar date is what recurs (its date in `timezone` when it is an instant);
 * `leapDay` places a date that does not exist that year or month.
 */
export interface AnniversarySpec {
  /** Exactly one of: a trait, a property of the enrolling event, or an event's time. */
  of: { trait?: string; property?: string; event?: string };
  every: Every;
  /** Local time of day, "HH:MM" (24 h). */
  at: string;
  timezone: string;
  leapDay: LeapDay;
}

export interface CalendarDay {
  y: number;
  m: number;
  d: number;
}

/** One occurrence: its ordinal (1 = the first anniversary), the local date, and the instant it falls on. */
export interface Occurrence {
  n: number;
  date: CalendarDay;
  atMs: number;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Whether `at` is a local time of day "HH:MM". */
export function isTimeOfDay(at: unknown): at is string {
  return typeof at === 'string' && TIME_OF_DAY.test(at);
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Offset of a time zone from UTC at an instant, in ms (Europe/Berlin in summer: +7_200_000). */
function zoneOffsetMs(epochMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  let f = zoneFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zoneFormats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(epochMs)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return wall - (epochMs - (epochMs % 1000));
}

/**
 * The instant of a local wall time in a time zone. A time skipped by a daylight-saving change (02:30 on
 * the spring-forward night) lands an hour later, on the same wall clock the day shows.
 */
export function zonedInstant(day: CalendarDay, hour: number, minute: number, timeZone: string): number {
  const guess = Date.UTC(day.y, day.m - 1, day.d, hour, minute);
  const first = guess - zoneOffsetMs(guess, timeZone);
  const second = guess - zoneOffsetMs(first, timeZone);
  return second;
}

/** The calendar date an origin recurs on: a date-only text is itself; an instant's date in `timeZone`. */
export function originDay(origin: unknown, timeZone: string): CalendarDay | null {
  if (typeof origin !== 'string' && typeof origin !== 'number') return null;
  if (typeof origin === 'string') {
    const m = DATE_ONLY.exec(origin);
    if (m) {
      const day = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
      const check = new Date(Date.UTC(day.y, day.m - 1, day.d));
      return check.getUTCMonth() === day.m - 1 && check.getUTCDate() === day.d ? day : null;
    }
  }
  const ms = typeof origin === 'number' ? origin : Date.parse(origin);
  if (!Number.isFinite(ms)) return null;
  const local = new Date(ms + zoneOffsetMs(ms, timeZone));
  return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate() };
}

/** The calendar date of the n-th recurrence of `origin` (leap-day rule for dates a period lacks). */
export function nthDay(origin: CalendarDay, n: number, every: Every, leapDay: LeapDay): CalendarDay {
  if (every === 'week') {
    const at = new Date(Date.UTC(origin.y, origin.m - 1, origin.d + 7 * n));
    return { y: at.getUTCFullYear(), m: at.getUTCMonth() + 1, d: at.getUTCDate() };
  }
  const months = origin.m - 1 + (every === 'year' ? 12 * n : n);
  const y = origin.y + Math.floor(months / 12);
  const m0 = ((months % 12) + 12) % 12;
  const last = new Date(Date.UTC(y, m0 + 1, 0)).getUTCDate();
  if (origin.d <= last) return { y, m: m0 + 1, d: origin.d };
  if (leapDay === 'feb28') return { y, m: m0 + 1, d: last };
  const next = new Date(Date.UTC(y, m0 + 1, 1));
  return { y: next.getUTCFullYear(), m: next.getUTCMonth() + 1, d: 1 };
}

/** The n-th occurrence of a spec for an origin day, at its local time. */
export function occurrence(origin: CalendarDay, n: number, spec: AnniversarySpec): Occurrence {
  const date = nthDay(origin, n, spec.every, spec.leapDay);
  const [hh, mm] = spec.at.split(':').map(Number) as [number, number];
  return { n, date, atMs: zonedInstant(date, hh, mm, spec.timezone) };
}

/** The first occurrence (n >= 1) strictly after `afterMs`; null when none within the bound. */
export function nextOccurrence(
  origin: CalendarDay,
  afterMs: number,
  spec: AnniversarySpec,
): Occurrence | null {
  const originMs = Date.UTC(origin.y, origin.m - 1, origin.d);
  const period =
    spec.every === 'week' ? 7 * DAY_MS : spec.every === 'month' ? 30.436875 * DAY_MS : 365.2425 * DAY_MS;
  let n = Math.max(1, Math.floor((afterMs - originMs) / period) - 1);
  if (n > MAX_PERIODS) return null;
  while (occurrence(origin, n, spec).atMs <= afterMs) {
    n += 1;
    if (n > MAX_PERIODS) return null;
  }
  while (n > 1 && occurrence(origin, n - 1, spec).atMs > afterMs) n -= 1;
  return occurrence(origin, n, spec);
}

/** Every anniversary keeper's workflow id starts so (journeys' ids start with `pulse:`). */
export const ANNIVERSARY_ID_PREFIX = 'pulse-anniversary:';

/** The workflow that keeps one participant's recurring dates (it starts each period's journey). */
export function anniversaryWorkflowId(
  campaign: { clientId: string; campaignId: string },
  participantKey: string,
): string {
  return `${ANNIVERSARY_ID_PREFIX}${campaign.clientId}:${campaign.campaignId}:${participantKey}`;
}

/** The trigger event each period's journey starts with (its `event.event`). */
export const ANNIVERSARY_EVENT = 'pulse_anniversary';
