/**
 * Period keys (UTC) for milestone resets and leaderboard periods: '2025-W07' (ISO week), '2025-02',
 * '2025', or one key for the whole campaign / lifetime.
 */
export type PeriodKind = 'lifetime' | 'campaign' | 'weekly' | 'monthly' | 'yearly';

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day); // Thursday decides the ISO year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function periodKey(kind: PeriodKind, at: Date): string {
  switch (kind) {
    case 'weekly':
      return isoWeek(at);
    case 'monthly':
      return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
    case 'yearly':
      return String(at.getUTCFullYear());
    default:
      return kind;
  }
}

/** The period before the one `at` falls in (what a finalisation at period end settles). */
export function previousPeriodKey(kind: PeriodKind, at: Date): string {
  switch (kind) {
    case 'weekly':
      return isoWeek(new Date(at.getTime() - 7 * 86_400_000));
    case 'monthly':
      return periodKey('monthly', new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1)));
    case 'yearly':
      return String(at.getUTCFullYear() - 1);
    default:
      return kind;
  }
}
