import { AppError } from '../../contract/errors.ts';
import { chSql, Raw } from '../platform/clickhouse.ts';
import { type Ids, withPersonIds } from './ids.ts';
import { ratio } from './metrics.ts';
import { dailySource, ROLLUP_DIMENSIONS } from './rollup.ts';
import { cond, type Scope } from './scope.ts';

/**
 * Custom reports (POST /v1/analytics/reports): metrics × dimensions × filters × grain over
 * analytics_events. The request is validated by `analyticsReportRequest` (schemas/api.schema.json)
 * before it gets here; this module adds what a schema cannot say (range and result-size limits) and
 * maps every metric and dimension name to fixed SQL: nothing the caller sends becomes SQL except escaped
 * literals in filters and the window.
 */

export const REPORT_METRICS = {
  events: 'uniqExact(event_id)',
  people: 'uniqExact(person)',
  shares: "uniqExactIf(event_id, kind = 'share')",
  sharers: "uniqExactIf(person, kind = 'share')",
  clickers: "uniqExactIf(person, kind = 'click')",
  signups: "uniqExactIf(person, kind = 'signup')",
  referred_signups: "uniqExactIf(person, kind = 'signup' AND referred = 1)",
  conversions: "uniqExactIf(person, kind = 'conversion')",
  referred_conversions: "uniqExactIf(person, kind = 'conversion' AND referred = 1)",
  revenue: "sumIf(value, kind = 'conversion')",
  referred_revenue: "sumIf(value, kind = 'conversion' AND referred = 1)",
} as const;
export type ReportMetric = keyof typeof REPORT_METRICS;
/** A metric's SQL with people counted by the given id columns (ids.ts). */
const metricSql = (m: ReportMetric, ids: Ids) => REPORT_METRICS[m].replace(/\bperson\b/g, ids.person.text);
/** The money metrics over dailySource (rollup.ts): per-day sums added up. */
const ROLLUP_MONEY: Partial<Record<ReportMetric, string>> = {
  revenue: "sumIf(value, kind = 'conversion')",
  referred_revenue: "sumIf(value, kind = 'conversion' AND referred = 1)",
};
/** Money metrics: a report with one of them is always split by currency. */
const MONEY: ReadonlySet<ReportMetric> = new Set(['revenue', 'referred_revenue']);
/** Derived rates: computed from two counted metrics of the same row. */
export const REPORT_RATES = {
  click_through_rate: ['clickers', 'shares'],
  signup_rate: ['referred_signups', 'clickers'],
  conversion_rate: ['referred_conversions', 'referred_signups'],
} as const satisfies Record<string, readonly [ReportMetric, ReportMetric]>;
export type ReportRate = keyof typeof REPORT_RATES;

export const REPORT_DIMENSIONS = [
  'campaign_id',
  'event',
  'kind',
  'channel',
  'country',
  'device_type',
  'plan',
  'segment',
  'currency',
  'referrer_id',
  'referred',
] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export type Grain = 'hour' | 'day' | 'week' | 'month';

export interface ReportRequest {
  metrics: (ReportMetric | ReportRate)[];
  dimensions?: ReportDimension[];
  filters?: Partial<Record<ReportDimension, string[]>>;
  grain?: Grain | 'none';
  from: string;
  to: string;
  limit?: number;
}

export const REPORT_LIMITS = { maxDaysHourly: 31, maxDays: 731, maxRows: 10_000 } as const;

const DAY_MS = 86_400_000;

function invalid(path: string, message: string): never {
  throw new AppError('VALIDATION_FAILED', message, [{ path, message }]);
}

const BUCKET: Record<Grain, string> = {
  hour: 'toStartOfHour(occurred_at)',
  day: 'toStartOfDay(toDateTime(day))',
  week: 'toStartOfDay(toDateTime(toMonday(day)))',
  month: 'toStartOfDay(toDateTime(toStartOfMonth(day)))',
};

/** Every bucket start of the grain between from and to (UTC), as 'YYYY-MM-DD HH:MM:SS'. */
export function bucketsOf(grain: Grain, from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T23:59:59Z`);
  const d = new Date(`${from}T00:00:00Z`);
  if (grain === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (grain === 'month') d.setUTCDate(1);
  while (d.getTime() <= end) {
    out.push(d.toISOString().slice(0, 19).replace('T', ' '));
    if (grain === 'hour') d.setUTCHours(d.getUTCHours() + 1);
    else if (grain === 'day') d.setUTCDate(d.getUTCDate() + 1);
    else if (grain === 'week') d.setUTCDate(d.getUTCDate() + 7);
    else d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out;
}

export interface ReportRow {
  bucket?: string;
  [key: string]: string | number | null | undefined;
}

export async function runCustomReport(scope: Scope, req: ReportRequest) {
  const from = Date.parse(`${req.from}T00:00:00Z`);
  const to = Date.parse(`${req.to}T00:00:00Z`);
  if (Number.isNaN(from)) invalid('from', 'from is not a calendar day');
  if (Number.isNaN(to)) invalid('to', 'to is not a calendar day');
  if (to < from) invalid('to', 'to is before from');
  const days = (to - from) / DAY_MS + 1;
  const grain = req.grain ?? 'day';
  const maxDays = grain === 'hour' ? REPORT_LIMITS.maxDaysHourly : REPORT_LIMITS.maxDays;
  if (days > maxDays) invalid('to', `a ${grain} report covers at most ${maxDays} days`);

  const dims: ReportDimension[] = [...new Set(req.dimensions ?? [])];
  const counted = new Set<ReportMetric>();
  for (const m of req.metrics) {
    if (m in REPORT_RATES) for (const part of REPORT_RATES[m as ReportRate]) counted.add(part);
    else counted.add(m as ReportMetric);
  }
  // Sums need FINAL (a second copy of a row would add twice); distinct counts do not.
  const money = [...counted].some((m) => MONEY.has(m));
  if (money && !dims.includes('currency')) dims.push('currency');

  const filters: Raw[] = [];
  for (const [dim, values] of Object.entries(req.filters ?? {})) {
    if (!values || values.length === 0) continue;
    const column = new Raw(dim as ReportDimension); // the schema's enum of dimensions
    filters.push(
      dim === 'referred'
        ? cond`${column} IN (${new Raw(values.map((v) => (v === '1' || v === 'true' ? '1' : '0')).join(', '))})`
        : cond`${column} IN (${new Raw(values.map((v) => chSql`${v}`).join(', '))})`,
    );
  }
  const buckets = grain === 'none' ? null : bucketsOf(grain, req.from, req.to);
  const groupCols = [...(buckets ? [`toString(${BUCKET[grain as Grain]}) AS bucket`] : []), ...dims];
  const groupBy = [...(buckets ? ['bucket'] : []), ...dims];
  const where = [cond`day >= toDate(${req.from}) AND day <= toDate(${req.to})`, ...filters];
  const limit = Math.min(req.limit ?? REPORT_LIMITS.maxRows, REPORT_LIMITS.maxRows);
  const grouped = new Raw(
    groupBy.length ? `GROUP BY ${groupBy.join(', ')} ORDER BY ${groupBy.join(', ')}` : '',
  );
  const run = (metrics: ReportMetric[], sql: (m: ReportMetric) => string, source: Raw) =>
    scope.query<Record<string, string | number>>(chSql`
      SELECT ${new Raw([...groupCols, ...metrics.map((m) => `${sql(m)} AS m_${m}`)].join(', '))}
      FROM ${source} ${grouped} LIMIT ${limit + 1}`);
  // Two queries at once, joined by group: the people metrics from the base rows without FINAL, the money
  // (sums: a second copy of a row would add twice) with FINAL. Money is only ever conversions: beside a
  // people query (which gives every group) it reads that slice of the base table's sort key; across
  // campaigns, at day grains over the rollup's dimensions, the daily rollup instead (fresh days ∪ the rest
  // from the base, rollup.ts), which is cheaper there.
  const moneyMetrics = [...counted].filter((m) => MONEY.has(m));
  const people = [...counted].filter((m) => !MONEY.has(m));
  const rolled =
    !req.filters?.campaign_id?.length &&
    grain !== 'hour' &&
    [...dims, ...Object.keys(req.filters ?? {})].every((d) =>
      (ROLLUP_DIMENSIONS as readonly string[]).includes(d),
    );
  const peopleQ = !people.length
    ? Promise.resolve([])
    : people.some((m) => REPORT_METRICS[m].includes('person'))
      ? withPersonIds(scope, (ids) =>
          run(people, (m) => metricSql(m, ids), scope.fromAnyCopy('analytics_events', ...where)),
        )
      : run(people, (m) => REPORT_METRICS[m], scope.fromAnyCopy('analytics_events', ...where));
  const moneyQ = !moneyMetrics.length
    ? Promise.resolve([])
    : (rolled
        ? dailySource(scope, req.from, req.to, ...filters)
        : // Alone, the money query also gives the groups: every row's, as the people query would.
          Promise.resolve(
            scope.from(
              'analytics_events',
              ...where,
              people.length ? cond`kind = 'conversion'` : new Raw('1'),
            ),
          )
      ).then((source) =>
        run(moneyMetrics, (m) => (rolled ? (ROLLUP_MONEY[m] ?? '0') : REPORT_METRICS[m]), source),
      );
  const [counts, sums] = await Promise.all([peopleQ, moneyQ]);
  const parts = (r: Record<string, string | number>) => groupBy.map((g) => String(r[g]));
  const merged = new Map<string, Record<string, string | number>>();
  for (const r of [...sums, ...counts]) {
    const k = JSON.stringify(parts(r));
    merged.set(k, { ...merged.get(k), ...r });
  }
  // In the order of the GROUP BY columns, as one query's ORDER BY would give (bytes, as ClickHouse does).
  const order = (a: string[], b: string[]) => {
    for (let i = 0; i < a.length; i++)
      if (a[i] !== b[i]) return Buffer.compare(Buffer.from(a[i] ?? ''), Buffer.from(b[i] ?? ''));
    return 0;
  };
  const rows = [...merged.values()].sort((a, b) => order(parts(a), parts(b)));
  if (rows.length > limit)
    invalid(
      'dimensions',
      `the report has more than ${limit} rows: fewer dimensions, filters or a coarser grain`,
    );

  const shape = (r: Record<string, string | number> | undefined, key: Record<string, string>) => {
    const row: ReportRow = { ...key };
    const v = (m: ReportMetric) => Number(r?.[`m_${m}`] ?? 0);
    for (const m of req.metrics) {
      if (m in REPORT_RATES) {
        const [a, b] = REPORT_RATES[m as ReportRate];
        row[m] = ratio(v(a), v(b));
      } else row[m] = v(m as ReportMetric);
    }
    return row;
  };
  const keyOf = (r: Record<string, string | number>) =>
    Object.fromEntries(dims.map((d) => [d, String(r[d])]));
  if (!buckets) return { grain, dimensions: dims, rows: rows.map((r) => shape(r, keyOf(r))) };

  // Empty buckets filled: every bucket for every combination of dimension values seen in the window.
  const combos = new Map<string, Record<string, string>>();
  const byKey = new Map<string, Record<string, string | number>>();
  for (const r of rows) {
    const k = keyOf(r);
    const id = JSON.stringify(k);
    combos.set(id, k);
    byKey.set(`${r.bucket}|${id}`, r);
  }
  if (combos.size === 0 && dims.length === 0) combos.set('{}', {});
  if (combos.size * buckets.length > REPORT_LIMITS.maxRows)
    invalid(
      'grain',
      `the report would have ${combos.size * buckets.length} rows (limit ${REPORT_LIMITS.maxRows})`,
    );
  const out: ReportRow[] = [];
  for (const bucket of buckets)
    for (const [id, k] of combos) out.push(shape(byKey.get(`${bucket}|${id}`), { bucket, ...k }));
  return { grain, dimensions: dims, rows: out };
}
