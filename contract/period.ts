/**
 * Calendar periods for journey keys: `period.year` "2027", `period.month` "2027-03", `period.week`
 * "2027-W09" (ISO 8601 week-numbering year), `period.day` "2027-03-01". A trigger's `journey` key that
 * includes a period gets one journey per participant per period: each year's journey runs once and only
 * once, and next year's is a new workflow id rather than a duplicate of the finished one.
 *
 * Pure (Intl only), so the router and the workflow sandbox compute the same text for the same instant.
 */

export interface Period {
  year: string;
  month: string;
  week: string;
  day: string;
}

export const PERIOD_FIELDS: readonly (keyof Period)[] = ['year', 'month', 'week', 'day'];

const formats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (year, month 1-12, day) of an instant in a time zone (UTC when none). */
export function calendarDate(epochMs: number, timeZone = 'UTC'): { y: number; m: number; d: number } {
  if (timeZone === 'UTC') {
    const at = new Date(epochMs);
    return { y: at.getUTCFullYear(), m: at.getUTCMonth() + 1, d: at.getUTCDate() };
  }
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day) };
}

/** The periods an instant falls in, in a time zone (UTC when none). */
export function periodOf(epochMs: number, timeZone = 'UTC'): Period {
  const { y, m, d } = calendarDate(epochMs, timeZone);
  const week = isoWeek(y, m, d);
  return {
    year: String(y),
    month: `${y}-${pad(m)}`,
    week: `${week.year}-W${pad(week.week)}`,
    day: `${y}-${pad(m)}-${pad(d)}`,
  };
}

/** ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(y: number, m: number, d: number): { year: number; week: number } {
  const date = Date.UTC(y, m - 1, d);
  const weekday = (new Date(date).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = date + (3 - weekday) * 86_400_000;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return { year, week };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
