/**
 * The one duration grammar of the DSL, shared by the compiler, the validator, the workflow interpreter and
 * the reward service. Sandbox-safe: no imports, no clock, no randomness, so the Temporal workflow bundle
 * can include it.
 *
 * Accepted forms (every duration in a campaign or reward program: `sleep`, `wait.timeout`, retry
 * intervals, activity timeouts, reward `expiry` / `expires_in`, `date_add`, settings of type duration):
 *   - compact units, optionally compound: "500ms", "10s", "90m", "12h", "30d", "2w", "3mo", "1y",
 *     "1y6mo", "1h30m", "1.5h". `m` is minutes, `mo` is months. Months and years are whole numbers.
 *   - ISO 8601: "P30D", "PT12H", "P1W", "P1DT2H30M", "PT0.5S", "P1Y", "P3M", "P1Y2M10DT2H" (`M` before `T`
 *     is months, after it minutes).
 *
 * Months and years are calendar units: they are added to a date (UTC) and clamp to the month's last day,
 * so Jan 31 + 1mo = Feb 28 (Feb 29 in a leap year) and Feb 29 + 1y = Feb 28. A duration is therefore two
 * parts, `months` and fixed `ms`; months are applied first, then the fixed part (as ISO 8601 and Temporal's
 * `Duration` do). Where only a fixed length makes sense (retry intervals, activity timeouts) the validator
 * rejects calendar units with a position.
 */

export interface Duration {
  /** Calendar months (years × 12 + months); 0 for a fixed-length duration. */
  months: number;
  /** The fixed-length part in milliseconds. */
  ms: number;
}

const MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const NUM = String.raw`\d+(?:\.\d+)?`;
const COMPACT = new RegExp(String.raw`^(?:\d+(?:mo|y)|${NUM}(?:ms|s|m|h|d|w))+$`);
const COMPACT_PART = new RegExp(`(${NUM})(mo|ms|s|m|h|d|w|y)`, 'g');
const ISO = new RegExp(
  String.raw`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(${NUM})W)?(?:(${NUM})D)?(?:T(?:(${NUM})H)?(?:(${NUM})M)?(?:(${NUM})S)?)?$`,
);

/** Parses a duration text into its calendar and fixed parts; null when the text is not a duration. */
export function parseDurationParts(text: string): Duration | null {
  const t = text.trim();
  if (t === '') return null;
  if (COMPACT.test(t)) {
    let months = 0;
    let ms = 0;
    for (const m of t.matchAll(COMPACT_PART)) {
      const n = Number(m[1]);
      const unit = m[2] ?? '';
      if (unit === 'mo') months += n;
      else if (unit === 'y') months += n * 12;
      else ms += n * (MS[unit] ?? 0);
    }
    return { months, ms: Math.round(ms) };
  }
  const iso = ISO.exec(t);
  if (iso && t !== 'P' && !t.endsWith('T')) {
    const [, y, mo, w, d, h, m, s] = iso;
    const ms = num(w) * MS.w! + num(d) * MS.d! + num(h) * MS.h! + num(m) * MS.m! + num(s) * MS.s!;
    return { months: num(y) * 12 + num(mo), ms: Math.round(ms) };
  }
  return null;
}

/** Same as parseDurationParts but also accepts a leading "-" ("-30d" = 30 days earlier). */
export function parseSignedDurationParts(text: string): Duration | null {
  const t = text.trim();
  if (!t.startsWith('-')) return parseDurationParts(t);
  const d = parseDurationParts(t.slice(1));
  return d === null ? null : { months: -d.months, ms: -d.ms };
}

/** Whether a duration has calendar units (months or years), so its length depends on the start date. */
export function isCalendar(d: Duration): boolean {
  return d.months !== 0;
}

/**
 * Fixed-length milliseconds of a duration text; null when it is not a duration or has calendar units
 * (use parseDurationParts + addDuration for those).
 */
export function parseDuration(text: string): number | null {
  const d = parseDurationParts(text);
  return d === null || isCalendar(d) ? null : d.ms;
}

/** Same as parseDuration but also accepts a leading "-" (date arithmetic: "-30d" = 30 days earlier). */
export function parseSignedDuration(text: string): number | null {
  const d = parseSignedDurationParts(text);
  return d === null || isCalendar(d) ? null : d.ms;
}

/** A duration given as milliseconds (finite number) or as text (signed, calendar units allowed). */
export function toDuration(value: unknown): Duration | null {
  if (typeof value === 'number') return Number.isFinite(value) ? { months: 0, ms: value } : null;
  if (typeof value === 'string') return parseSignedDurationParts(value);
  return null;
}

/** A fixed-length duration given as milliseconds or as text; null when neither or when calendar. */
export function toDurationMs(value: unknown): number | null {
  const d = toDuration(value);
  return d === null || isCalendar(d) ? null : d.ms;
}

/**
 * `epochMs` plus a duration: calendar months first (UTC, clamped to the target month's last day), then
 * the fixed part. Pure, so a workflow computes the same instant on replay from its own clock.
 */
export function addDuration(epochMs: number, d: Duration): number {
  return addMonths(epochMs, d.months) + d.ms;
}

/** Calendar months added in UTC, the day clamped: Jan 31 + 1 = Feb 28/29, Feb 29 + 12 = Feb 28. */
export function addMonths(epochMs: number, months: number): number {
  if (months === 0) return epochMs;
  const at = new Date(epochMs);
  const day = at.getUTCDate();
  const firstOfTarget = Date.UTC(
    at.getUTCFullYear(),
    at.getUTCMonth() + months,
    1,
    at.getUTCHours(),
    at.getUTCMinutes(),
    at.getUTCSeconds(),
    at.getUTCMilliseconds(),
  );
  const target = new Date(firstOfTarget);
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return target.getTime();
}

/** Milliseconds from `epochMs` to `epochMs + d` (for timers: the span a calendar duration covers then). */
export function durationFrom(epochMs: number, d: Duration): number {
  return addDuration(epochMs, d) - epochMs;
}

/** Human-readable form of milliseconds ("30d", "1h30m"), used by diagrams and messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return sign + parts.join('');
}

/** Human-readable form of a duration with calendar parts ("1y", "3mo", "1y2mo3d"). */
export function formatDurationParts(d: Duration): string {
  if (d.months === 0) return formatDuration(d.ms);
  const sign = d.months < 0 ? '-' : '';
  const months = Math.abs(d.months);
  const years = Math.floor(months / 12);
  const rest = months % 12;
  const cal = `${years > 0 ? `${years}y` : ''}${rest > 0 ? `${rest}mo` : ''}`;
  return sign + cal + (d.ms !== 0 ? formatDuration(Math.abs(d.ms)) : '');
}

function num(v: string | undefined): number {
  return v === undefined ? 0 : Number(v);
}
