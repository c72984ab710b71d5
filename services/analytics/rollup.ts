import { InternalError } from '../../contract/internal-error.ts';
import { type ClickHouse, chSql, Raw } from '../platform/clickhouse.ts';
import { logger } from '../platform/log.ts';
import { startPeriodicJob } from './job.ts';
import { cond, createScope, type Scope } from './scope.ts';

/**
 * Daily rollups (clickhouse/0901_analytics_rollups.sql). The job recomputes whole (client, day)s from
 * `analytics_events FINAL` into `analytics_daily` (event counts and sums of value per day × event ×
 * kind × channel × referred × currency) and records the day in `analytics_rollup_days` with its basis. Reports
 * read the rollup for the days that are fresh (rolled up, and no row reached them since the basis) and
 * the base table for every other day (today, days never rolled up, days a late or re-sent row made
 * dirty), in one query: the answer is the same as reading the base table alone, only faster.
 */

/** Columns of analytics_daily a report may group or filter by. */
export const ROLLUP_DIMENSIONS = ['campaign_id', 'event', 'kind', 'channel', 'referred', 'currency'] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

/**
 * A marker is stamped while its block is being stored; a recompute that starts in that moment may miss
 * the block's rows. The basis is therefore the recompute's start minus this margin: such a day stays dirty
 * (read from the base table) and the next run recomputes it.
 */
export const BASIS_MARGIN_SECONDS = 60;

const KEY = 'campaign_id, day, event, kind, channel, referred, currency';

/** The days in [from, to] (YYYY-MM-DD) whose rollup is fresh, for the scope's client. */
export async function freshDays(scope: Scope, from: string, to: string): Promise<Set<string>> {
  const inRange = cond`day >= toDate(${from}) AND day <= toDate(${to})`;
  const rows = await scope.query<{ d: string }>(chSql`
    SELECT toString(day) AS d FROM (
      SELECT day, argMax(basis, version) AS basis FROM ${scope.fromAnyCopy('analytics_rollup_days', inRange)}
      GROUP BY day
    ) ANY LEFT JOIN (
      SELECT day, max(touched_at) AS touched FROM ${scope.fromAnyCopy('analytics_touched_days', inRange)}
      GROUP BY day
    ) USING day
    WHERE touched < basis`);
  return new Set(rows.map((r) => r.d));
}

/** Every day from..to (inclusive, UTC). */
function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000)
    out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

const dayList = (days: string[]) => new Raw(days.map((d) => chSql`toDate(${d})`).join(', '));

/**
 * A FROM-able subquery with analytics_daily's columns (ROLLUP_DIMENSIONS, day, `n_events`, `value`) for the
 * window and conditions (on those dimensions only): fresh days from the rollup, every other day
 * aggregated from the base table (FINAL) on the fly. Aggregate with sum[If].
 */
export async function dailySource(
  scope: Scope,
  from: string,
  to: string,
  ...conditions: Raw[]
): Promise<Raw> {
  const fresh = await freshDays(scope, from, to);
  const all = daysOf(from, to);
  const open = all.filter((d) => !fresh.has(d));
  const parts: string[] = [];
  if (fresh.size > 0)
    parts.push(chSql`
      SELECT ${new Raw(KEY)}, n_events, value
      FROM ${scope.from('analytics_daily', cond`day IN (${dayList([...fresh])})`, ...conditions)}`);
  if (open.length > 0 || parts.length === 0)
    parts.push(chSql`
      SELECT ${new Raw(KEY)}, count() AS n_events, sum(value) AS value
      FROM ${scope.from('analytics_events', open.length === all.length ? cond`day >= toDate(${from}) AND day <= toDate(${to})` : cond`day IN (${dayList(open)})`, ...conditions)}
      GROUP BY ${new Raw(KEY)}`);
  return new Raw(`(${parts.join(' UNION ALL ')})`);
}

export interface RollupOptions {
  /** BASIS_MARGIN_SECONDS unless told (tests use 0 and wait a second after their writes). */
  marginSeconds?: number;
  /** The clock that decides which days are closed (default now). */
  now?: Date;
}

/** Recomputes the given days of one client (idempotent: the new version replaces the day's rows). */
export async function recomputeDays(
  ch: ClickHouse,
  clientId: string,
  days: string[],
  opts: RollupOptions = {},
): Promise<number> {
  if (days.length === 0) return 0;
  const scope = createScope(ch, clientId);
  const [clock] = await ch.query<{ now: string }>(chSql`SELECT toUInt32(now()) AS now`);
  const start = Number(clock?.now);
  if (!Number.isFinite(start) || start <= 0) throw new InternalError('UNSAFE_SQL', 'no server clock');
  // Unique per recompute and increasing: a retry never shares a version with a half-written attempt.
  const version = Date.now() * 1000 + Math.floor(Math.random() * 1000);
  await scope.insertSelect(
    'analytics_daily',
    chSql`
    SELECT client_id, ${new Raw(KEY)}, count() AS n_events, sum(value) AS value, ${version} AS version
    FROM ${scope.from('analytics_events', cond`day IN (${dayList(days)})`)}
    GROUP BY client_id, ${new Raw(KEY)}`,
  );
  // Server times as unix seconds (DateTime text would be read in the server's time zone).
  const basis = start - (opts.marginSeconds ?? BASIS_MARGIN_SECONDS);
  await ch.command(chSql`
    INSERT INTO analytics_rollup_days (client_id, day, version, basis, computed_at)
    SELECT ${clientId}, toDate(d), toUInt64(${version}), toDateTime(${basis}), toDateTime(${start})
    FROM (SELECT arrayJoin(${days}) AS d)`);
  return days.length;
}

/**
 * The (client, day)s before `today` (UTC) that need a recompute: written to since their rollup's basis,
 * or never rolled up. The one cross-client read in analytics: it lists ids and days, never data; each
 * client's recompute then reads through its own scope.
 */
export async function dirtyDays(ch: ClickHouse, today: string): Promise<Map<string, string[]>> {
  const rows = await ch.query<{ client_id: string; d: string }>(chSql`
    SELECT client_id, toString(day) AS d FROM (
      SELECT client_id, day, max(touched_at) AS touched FROM analytics_touched_days
      WHERE day < toDate(${today}) GROUP BY client_id, day
    ) ANY LEFT JOIN (
      SELECT client_id, day, argMax(basis, version) AS basis FROM analytics_rollup_days
      WHERE day < toDate(${today}) GROUP BY client_id, day
    ) USING client_id, day
    WHERE touched >= basis
    ORDER BY client_id, day`);
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.client_id, [...(out.get(r.client_id) ?? []), r.d]);
  return out;
}

/** Days per recompute: one INSERT … SELECT per client and batch, bounded in memory. */
const BATCH_DAYS = 31;

/** One pass: every dirty closed day of every client recomputed. Returns the number of days. */
export async function runRollup(ch: ClickHouse, opts: RollupOptions = {}): Promise<number> {
  const today = (opts.now ?? new Date()).toISOString().slice(0, 10);
  let n = 0;
  for (const [clientId, days] of await dirtyDays(ch, today))
    for (let i = 0; i < days.length; i += BATCH_DAYS)
      n += await recomputeDays(ch, clientId, days.slice(i, i + BATCH_DAYS), opts);
  return n;
}

/**
 * The rollup job on an interval (default every 5 minutes, first run at start): passes never overlap, a
 * failed pass is logged and retried on the next tick. Backfills need nothing more: their rows stamp
 * their days dirty like any other write.
 */
export function startRollupJob(ch: ClickHouse, opts: { intervalMs?: number } = {}) {
  return startPeriodicJob('analytics-rollup', opts.intervalMs ?? 300_000, async () => {
    const days = await runRollup(ch);
    if (days > 0) logger.info({ days, component: 'analytics-rollup' }, 'rollup recomputed days');
  });
}
