import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type ReportRequest, runCustomReport } from '../services/analytics/custom-report.ts';
import { runIdCheck } from '../services/analytics/ids.ts';
import * as m from '../services/analytics/metrics.ts';
import { runRollup } from '../services/analytics/rollup.ts';
import { liveCounts } from '../services/analytics/routes.ts';
import { type AnalyticsTable, createScope, type Scope } from '../services/analytics/scope.ts';
import {
  type ClickHouse,
  chSql,
  createClickHouse,
  ident,
  literal,
  Raw,
  type SqlText,
} from '../services/platform/clickhouse.ts';
import { migrateClickHouse } from '../services/platform/clickhouse-migrate.ts';
import { createTestClickHouse } from '../test/support/clickhouse.ts';

/**
 * Analytics benchmark, 127.0.0.1 only, bounded: a fresh ClickHouse database gets N events (default
 * 10,000,000) inserted into the real `events` table with INSERT … SELECT FROM numbers() (so the
 * materialized view feeds analytics_events as the drainer's inserts do) and matching reward facts, then
 * every dashboard query and a typical custom report run for random campaigns of one client, printing
 * p50/p95, and the same queries computed from the raw events table (events FINAL, the columns derived
 * on the fly) with the ratio; then 1% more events, all on the window's last day, and the same queries
 * again (that day read from the base table and its new rows' ids checked at query time), once before the
 * background id check has seen them and once after it, with a trickle of newer rows, as on a live server.
 * The database is dropped at the end.
 *
 *   npm run bench:analytics [-- --events 10000000 --runs 25 --raw-runs 5 --keep | --reuse <db> [--rollup]]
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 10_000_000);
const RUNS = arg('runs', 25);
const RAW_RUNS = arg('raw-runs', 5);
/** Leaves the seeded database in place (its name is printed) to look into single queries. */
const KEEP = process.argv.includes('--keep');
const CLIENTS = 5;
const CAMPAIGNS = 20; // per client
const DAYS = 90;
const SERVICES = fileURLToPath(new URL('../services/', import.meta.url));

// One row per number: the client and campaign from the number, a fixed mix of kinds (10% shares, 30%
// clicks, 10% signups, 5% purchases, the rest page views), people, referrers, channels and amounts.
const SEED = (offset: number, count: number, start = '2026-09-01 00:00:00', days = DAYS) =>
  `INSERT INTO events
  SELECT
    concat('e', toString(number)) AS event_id,
    multiIf(k < 10, 'referral_shared', k < 40, 'referral_clicked', k < 45, 'referred_signed_up', k < 50,
      'user_signed_up', k < 53, 'referred_made_purchase', k < 55, 'purchase_completed', 'page_viewed') AS event,
    concat('client', toString(number % ${CLIENTS})) AS client_id,
    concat('camp', toString(intHash32(number + 7) % ${CAMPAIGNS})) AS campaign_id,
    if(k >= 10 AND k < 40, '', concat('p', toString(intHash32(number) % 400000))) AS participant_id,
    if(k >= 10 AND k < 40, concat('v', toString(intHash32(number + 1) % 600000)), '') AS anonymous_id,
    '' AS session_id,
    if((k >= 40 AND k < 45) OR (k >= 50 AND k < 53), concat('ref', toString(number)), '') AS referral_id,
    '' AS referral_code,
    if((k >= 10 AND k < 45) OR (k >= 50 AND k < 53), concat('p', toString(intHash32(number + 2) % 40000)), '') AS referrer_id,
    toDateTime('${start}') + (intHash32(number + 3) % ${days * 86400}) AS occurred_at,
    occurred_at AS received_at,
    if(k >= 50 AND k < 55, toFloat64(1 + number % 200), 0) AS value,
    if(k >= 50 AND k < 55, if(intHash32(number + 29) % 2 = 0, 'EUR', 'USD'), '') AS currency,
    ['DE', 'FR', 'US', 'GB'][1 + intHash32(number + 17) % 4] AS country,
    '' AS ip_hash,
    ['desktop', 'mobile', 'tablet'][1 + intHash32(number + 19) % 3] AS device_type,
    '' AS browser, '' AS os, 'bench' AS source, '' AS utm_source, '' AS utm_medium, '' AS utm_campaign,
    concat('{"channel":"', ['email', 'sms', 'x', 'whatsapp', 'copy_link'][1 + intHash32(number + 13) % 5], '","plan":"',
      ['free', 'pro'][1 + intHash32(number + 23) % 2], '"}') AS properties,
    '{}' AS context
  FROM (SELECT number, intHash32(number + 11) % 100 AS k FROM system.numbers LIMIT ${count} OFFSET ${offset})`;

// One reward per referred purchase (3% of events): allocated, then fulfilled for most, some reversed.
const SEED_FACTS = (count: number) =>
  `INSERT INTO reward_facts
  SELECT concat(reward_id, ':', kind) AS fact_id, client_id, campaign_id, toDate(occurred_at) AS day, occurred_at,
         reward_id, kind, state, participant_id, '' AS referral_id, 'referrer' AS side, 'r' AS rule,
         category, category AS reward_type, cost AS amount, cost, currency, 100000 AS budget, seq,
         occurred_at AS recorded_at
  FROM (
    SELECT concat('rw', toString(n)) AS reward_id, concat('client', toString(n % ${CLIENTS})) AS client_id,
           concat('camp', toString(intHash32(n + 7) % ${CAMPAIGNS})) AS campaign_id,
           toDateTime('2026-09-01 00:00:00') + (intHash32(n) % ${DAYS * 86400}) + step * 60 AS occurred_at,
           ['allocated', 'fulfilled', 'reversed'][step + 1] AS kind,
           ['EARNED', 'FULFILLED', 'REVERSED'][step + 1] AS state,
           concat('p', toString(intHash32(n + 2) % 40000)) AS participant_id,
           ['cash', 'coupon'][1 + n % 2] AS category, toFloat64(5 + n % 10) AS cost,
           if(n % 2 = 0, 'EUR', 'USD') AS currency, n * 3 + step AS seq
    FROM (SELECT number AS n FROM system.numbers LIMIT ${count})
    ARRAY JOIN if(n % 10 = 0, [0, 1, 2], if(n % 10 < 8, [0, 1], [0])) AS step)`;

/**
 * The raw-table baseline: the same queries, with analytics_events replaced by the columns derived from
 * `events FINAL` on the fly (the view's own SELECT), scoped to the same client.
 */
async function rawScope(ch: ClickHouse, clientId: string): Promise<Scope> {
  const ddl = await readFile(
    new URL('../services/analytics/clickhouse/0911_analytics_events_by_kind.sql', import.meta.url),
    'utf8',
  );
  const select =
    (ddl.split('TO analytics_events AS')[1] ?? '').split(';')[0]?.replace(/^\s*--.*$/gm, '') ?? '';
  const derived = (final: boolean) =>
    select.replace(
      /FROM events\s*$/,
      `FROM events${final ? ' FINAL' : ''} WHERE client_id = ${literal(clientId)}`,
    );
  const real = createScope(ch, clientId);
  const source = (final: boolean, table: AnalyticsTable, conditions: Raw[]) => {
    if (table !== 'analytics_events')
      return final ? real.from(table, ...conditions) : real.fromAnyCopy(table, ...conditions);
    // The id check's rows (parts past the check's mark): none, as a derived table has no parts; the
    // baseline counts by the strings anyway (a collision on record, below).
    if (conditions.some((c) => c.text.includes('_part')))
      return new Raw(`(SELECT * FROM (${derived(false)}) LIMIT 0) WHERE client_id = ${literal(clientId)}`);
    const extra = conditions.map((c) => ` AND (${c.text})`).join('');
    return new Raw(`(${derived(final)}) WHERE client_id = ${literal(clientId)}${extra}`);
  };
  // No day counts as rolled up: every report reads the base (here: raw) rows. And people are counted by
  // the id strings, as before the stored hashes (ids.ts): the baseline sees one collision on record.
  const rawSource = (final: boolean, table: AnalyticsTable, conditions: Raw[]) =>
    table === 'analytics_rollup_days'
      ? real.fromAnyCopy(table, new Raw('0'), ...conditions)
      : table === 'analytics_hash_collisions'
        ? new Raw(`(SELECT ${literal(clientId)} AS client_id) WHERE client_id = ${literal(clientId)}`)
        : source(final, table, conditions);
  return {
    clientId,
    from: (table, ...conditions) => rawSource(true, table, conditions),
    fromAnyCopy: (table, ...conditions) => rawSource(false, table, conditions),
    // The raw rows deduplicated as before: FINAL over the derived table.
    latestEvents: (_columns, ...conditions) => rawSource(true, 'analytics_events', conditions),
    query: <T>(q: SqlText) => ch.query<T>(q),
    insertSelect: () => Promise.reject(new Error('the raw baseline writes nothing')),
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** `--rollup` (with `--reuse`): run the rollup job first, as after the seeding. */
const ROLLUP = process.argv.includes('--rollup');

/** `--reuse <database>`: measure again on a database a `--keep` run left (no seeding, no rollup). */
const REUSE = process.argv.includes('--reuse')
  ? process.argv[process.argv.indexOf('--reuse') + 1]
  : undefined;

async function main() {
  const t = REUSE
    ? { url: process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123', database: ident(REUSE).name, ch: null }
    : await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
  // Seeding a million rows through the view takes longer than a request's default 10 s.
  const ch = createClickHouse(t.url, t.database, { requestTimeoutMs: 600_000 });
  try {
    if (!REUSE) await seed(ch);
    else if (ROLLUP) await rollup(ch);
    await measure(ch, true);
    // As a live server is: the day a report ends on keeps receiving rows after its rollup. 1% more events,
    // all on the window's last day, make that day dirty: reports read it from the base table and check
    // its ids for hash collisions at query time (ids.ts), beside the report.
    const late = Math.round(EVENTS / 100);
    await ch.command(SEED(EVENTS, late, '2026-11-29 00:00:00', 1) as SqlText);
    console.log(
      `\n${late.toLocaleString('en')} late events on 2026-11-29, not yet seen by the background id check (a burst):`,
    );
    await measure(ch, false);
    // The steady state: the server's id check (ids.ts, every 10 s) has run, and new rows keep arriving.
    const c0 = performance.now();
    await runIdCheck(ch);
    const trickle = Math.round(EVENTS / 10_000);
    await ch.command(SEED(EVENTS + late, trickle, '2026-11-29 00:00:00', 1) as SqlText);
    console.log(
      `\nthen the id check (${((performance.now() - c0) / 1000).toFixed(1)} s, every client) and ${trickle.toLocaleString('en')} more events since (10 s of traffic at 100 events/s):`,
    );
    await measure(ch, false);
  } finally {
    // Dropping ten million rows can outlast the default request timeout: drop with the patient client.
    if (KEEP || REUSE) console.log(`kept database ${t.database}`);
    else await ch.command(chSql`DROP DATABASE IF EXISTS ${ident(t.database)}`);
    await ch.close();
    await t.ch?.close();
  }
}

/**
 * The rollup job after a backfill: every seeded day is closed and dirty. With the job's default margin
 * (60 s) the days written in the last minute of the seeding would stay dirty, and be measured as days
 * the job has not reached yet; the bench writes nothing more, so it waits a second and uses none.
 */
async function rollup(ch: ClickHouse) {
  await sleep(1_100);
  const r0 = performance.now();
  const rolled = await runRollup(ch, { marginSeconds: 0 });
  console.log(
    `rollup job: ${rolled} client-days recomputed in ${((performance.now() - r0) / 1000).toFixed(1)} s`,
  );
  const [dirty] = await ch.query<{ n: string }>(chSql`
    SELECT count() AS n FROM (SELECT client_id, day, max(touched_at) AS t FROM analytics_touched_days GROUP BY client_id, day)
    ANY LEFT JOIN (SELECT client_id, day, argMax(basis, version) AS b FROM analytics_rollup_days GROUP BY client_id, day)
    USING client_id, day WHERE t >= b`);
  console.log(`client-days not rolled up after the job: ${dirty?.n}`);
}

async function seed(ch: ClickHouse) {
  {
    const t0 = performance.now();
    const chunk = 1_000_000;
    for (let off = 0; off < EVENTS; off += chunk)
      await ch.command(SEED(off, Math.min(chunk, EVENTS - off)) as SqlText);
    await ch.command(SEED_FACTS(Math.round(EVENTS * 0.03)) as SqlText);
    const seeded = (performance.now() - t0) / 1000;
    const [counts] = await ch.query<Record<string, string>>(chSql`
      SELECT (SELECT count() FROM events) AS events, (SELECT count() FROM analytics_events) AS facts,
             (SELECT count() FROM reward_facts) AS reward_facts`);
    console.log(
      `seeded ${counts?.events} events (${counts?.facts} analytics rows) and ${counts?.reward_facts} reward facts in ${seeded.toFixed(1)} s; ` +
        `${CLIENTS} clients × ${CAMPAIGNS} campaigns over ${DAYS} days`,
    );
    await rollup(ch);
    // And the background id check, as a server runs it after a backfill (its first pass reads every row).
    const i0 = performance.now();
    await runIdCheck(ch);
    console.log(`id check after the backfill: ${((performance.now() - i0) / 1000).toFixed(1)} s`);
    // Let the background merges of the fresh parts settle, as on a server that has been running.
    await ch.command(chSql`OPTIMIZE TABLE analytics_events FINAL`).catch(() => undefined);
    await ch.command(chSql`OPTIMIZE TABLE reward_facts FINAL`).catch(() => undefined);
    await ch.command(chSql`OPTIMIZE TABLE analytics_daily FINAL`).catch(() => undefined);
    await ch.command(chSql`OPTIMIZE TABLE analytics_person_keys FINAL`).catch(() => undefined);
  }
}

async function measure(ch: ClickHouse, withRaw: boolean) {
  {
    const clientId = 'client1';
    const scope = createScope(ch, clientId);
    const raw = await rawScope(ch, clientId);
    const w = (i: number): m.Window => ({
      campaignId: `camp${i % CAMPAIGNS}`,
      from: '2026-09-01',
      to: '2026-11-29',
    });
    const custom = (i: number): ReportRequest => ({
      metrics: ['clickers', 'referred_signups', 'referred_revenue', 'conversion_rate'],
      dimensions: ['channel'],
      filters: { campaign_id: [`camp${i % CAMPAIGNS}`] },
      grain: 'week',
      from: '2026-09-01',
      to: '2026-11-29',
    });
    const queries: [string, (s: Scope, i: number) => Promise<unknown>][] = [
      ['funnel per channel', (s, i) => m.funnelReport(s, w(i))],
      ['k-factor + cycle time', (s, i) => m.kFactorReport(s, w(i))],
      ['cpa / roi', (s, i) => m.costReport(s, w(i))],
      ['ltv', (s, i) => m.ltvReport(s, w(i))],
      ['cohorts', (s, i) => m.cohortReport(s, w(i))],
      ['reward distribution', (s, i) => m.rewardDistribution(s, w(i))],
      ['segments (plan)', (s, i) => m.segmentReport(s, w(i), 'plan')],
      ['top referrers', (s, i) => m.referrerReport(s, w(i), 20)],
      [
        'time series (day)',
        (s, i) =>
          runCustomReport(s, {
            metrics: ['events', 'signups', 'conversions'],
            grain: 'day',
            from: '2026-09-01',
            to: '2026-11-29',
            filters: { campaign_id: [`camp${i % CAMPAIGNS}`] },
          }),
      ],
      ['live counters', (s, i) => liveCounts(s, `camp${i % CAMPAIGNS}`, 15)],
      ['custom report (week × channel)', (s, i) => runCustomReport(s, custom(i))],
    ];
    // Warmed as a running server is: every campaign read once first (the first read of a part's columns
    // loads their index marks), so a pass measures queries, not the first touch of each campaign.
    const time = async (s: Scope, run: (s: Scope, i: number) => Promise<unknown>, n: number, warm = 1) => {
      for (let i = 0; i < warm; i++) await run(s, i);
      const out: number[] = [];
      for (let i = 1; i <= n; i++) {
        const a = performance.now();
        await run(s, i);
        out.push(performance.now() - a);
      }
      return out;
    };
    console.log(
      `\nper query, one campaign of ${clientId} (~${Math.round(EVENTS / CLIENTS / CAMPAIGNS).toLocaleString('en')} events), ${RUNS} runs (raw: ${RAW_RUNS})`,
    );
    console.log(
      `query                            p50 ms   p95 ms${withRaw ? '   raw p50 ms  raw p95 ms  ratio p50' : ''}`,
    );
    // Every query's runs first, then the raw baselines: a raw run (seconds of full scans) just before a
    // query's runs would leave it the machine's aftermath rather than its own time.
    const fastRuns: number[][] = [];
    for (const [, run] of queries) fastRuns.push(await time(scope, run, RUNS, CAMPAIGNS));
    for (const [q, [name, run]] of queries.entries()) {
      const fast = fastRuns[q] ?? [];
      if (!withRaw) {
        console.log(
          [name.padEnd(32), pct(fast, 50).toFixed(1).padStart(7), pct(fast, 95).toFixed(1).padStart(8)].join(
            ' ',
          ),
        );
        continue;
      }
      const slow = await time(raw, run, RAW_RUNS);
      const row = [
        name.padEnd(32),
        pct(fast, 50).toFixed(1).padStart(7),
        pct(fast, 95).toFixed(1).padStart(8),
        pct(slow, 50).toFixed(1).padStart(12),
        pct(slow, 95).toFixed(1).padStart(11),
        `${(pct(slow, 50) / pct(fast, 50)).toFixed(1)}×`.padStart(10),
      ];
      console.log(row.join(' '));
    }
  }
}

await main();
