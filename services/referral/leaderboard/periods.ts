/**
 * Leaderboard periods in the board's time zone. A key names the period an instant falls in, from the
 * local calendar date there: '2026-W49' (ISO week, Monday to Sunday), '2026-12' (calendar month), or
 * 'campaign' (one period for the campaign's life). Keys of one kind sort in time order as strings.
 */
import { Cron } from 'croner';

export type PeriodKind = 'weekly' | 'monthly' | 'campaign';

/** The local calendar date of `at` in `timeZone` (year, month 1..12, day 1..31). */
function localDate(at: Date, timeZone: string): { y: number; m: number; d: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: get('year'), m: get('month'), d: get('day') };
}

function isoWeekOf(y: number, m: number, d: number): string {
  const t = new Date(Date.UTC(y, m - 1, d));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day); // the week's Thursday decides its ISO year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function periodKey(kind: PeriodKind, at: Date, timeZone = 'UTC'): string {
  if (kind === 'campaign') return 'campaign';
  const { y, m, d } = localDate(at, timeZone);
  return kind === 'weekly' ? isoWeekOf(y, m, d) : `${y}-${String(m).padStart(2, '0')}`;
}

/** The key of the period before the one `at` falls in (by local calendar, so DST changes nothing). */
export function previousPeriodKey(kind: PeriodKind, at: Date, timeZone = 'UTC'): string {
  if (kind === 'campaign') return 'campaign';
  const { y, m, d } = localDate(at, timeZone);
  if (kind === 'weekly') {
    const t = new Date(Date.UTC(y, m - 1, d - 7));
    return isoWeekOf(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
  }
  const t = new Date(Date.UTC(y, m - 2, 1));
  return `${t.getUTCFullYear()}-${String(t.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The cron (in the board's time zone) of each period's start: what the payout schedule fires on. */
export const PERIOD_CRON: Record<Exclude<PeriodKind, 'campaign'>, string> = {
  weekly: '0 0 * * 1',
  monthly: '0 0 1 * *',
};

/** When the period `at` falls in ends (the next period's start), or null for `campaign`. */
export function periodEnd(kind: PeriodKind, at: Date, timeZone = 'UTC'): Date | null {
  if (kind === 'campaign') return null;
  return new Cron(PERIOD_CRON[kind], { timezone: timeZone, paused: true, mode: '5-part' }).nextRun(at);
}

/** Whether `period` has ended at `at`: a weekly/monthly key before the current one. */
export function periodEnded(kind: PeriodKind, period: string, at: Date, timeZone = 'UTC'): boolean {
  if (kind === 'campaign') return false;
  return period < periodKey(kind, at, timeZone);
}
