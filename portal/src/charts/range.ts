/**
 * The dashboard's date range, kept in the URL (`?range=30`, or `?range=custom&from=…&to=…`) so a view can
 * be shared. The analytics API takes UTC days, both ends included, at most 731 days (docs/metrics.md).
 */
export const PRESETS = [
  ['7', 'Last 7 days'],
  ['30', 'Last 30 days'],
  ['90', 'Last 90 days'],
] as const;
export const MAX_DAYS = 731;
const DAY = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface DayRange {
  from: string;
  to: string;
  days: number;
}

export const utcDay = (d: Date) => d.toISOString().slice(0, 10);

const parseDay = (s: string): number | null => {
  if (!ISO_DAY.test(s)) return null;
  const t = Date.parse(`${s}T00:00:00Z`);
  // Date.parse rolls 2026-02-31 over to March: a real day prints back the same.
  return Number.isNaN(t) || utcDay(new Date(t)) !== s ? null : t;
};

/** The last `days` UTC days up to today. */
export function presetRange(days: number, today = new Date()): DayRange {
  const to = utcDay(today);
  return { from: utcDay(new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * DAY)), to, days };
}

/** A custom from/to checked as the API checks it; the problem names the field. */
export function checkRange(from: string, to: string): DayRange | { field: 'from' | 'to'; message: string } {
  const f = parseDay(from);
  if (f === null) return { field: 'from', message: 'Enter a day as YYYY-MM-DD.' };
  const t = parseDay(to);
  if (t === null) return { field: 'to', message: 'Enter a day as YYYY-MM-DD.' };
  const days = (t - f) / DAY + 1;
  if (days < 1) return { field: 'to', message: 'The end is before the start.' };
  if (days > MAX_DAYS) return { field: 'from', message: `A range covers at most ${MAX_DAYS} days.` };
  return { from, to, days };
}

/** The range the URL names; a broken custom range falls back to 30 days and says why. */
export function rangeOf(query: URLSearchParams): { range: DayRange; preset: string; problem?: string } {
  const preset = query.get('range') ?? '30';
  if (preset === 'custom') {
    const r = checkRange(query.get('from') ?? '', query.get('to') ?? '');
    if ('from' in r) return { range: r, preset };
    return { range: presetRange(30), preset: '30', problem: `The shared range is not valid: ${r.message}` };
  }
  const days = PRESETS.some(([v]) => v === preset) ? Number(preset) : 30;
  return { range: presetRange(days), preset: String(days) };
}
