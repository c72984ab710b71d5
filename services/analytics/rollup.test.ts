import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createTestClickHouse, emptyEventRow, type TestClickHouse } from '../../test/support/clickhouse.ts';
import type { EventRow } from '../event/events-table.ts';
import type { ApiKeyResolver } from '../platform/auth.ts';
import { chSql } from '../platform/clickhouse.ts';
import { migrateClickHouse } from '../platform/clickhouse-migrate.ts';
import { createAnalyticsApp } from './index.ts';
import { dirtyDays, freshDays, recomputeDays, runRollup } from './rollup.ts';
import { createScope } from './scope.ts';

/**
 * The daily rollups against the real ClickHouse: reports read through them give the same answers as
 * the base table (hand-computed below), stay exact when blocks are sent again, when late rows reach a
 * rolled-up day and when a day is recomputed, and one client's rollup rows never reach another.
 */

const SERVICES = fileURLToPath(new URL('../', import.meta.url));
const ACME = 'acme';
const OTHER = 'other';
const NOW = new Date('2026-12-01T12:00:00Z');
const OPTS = { marginSeconds: 0, now: NOW };

let seq = 0;
const ev = (event: string, at: string, extra: Partial<EventRow> & { channel?: string } = {}) => {
  const { channel, ...rest } = extra;
  return emptyEventRow({
    event_id: `rv-${++seq}`,
    event,
    client_id: ACME,
    campaign_id: 'c1',
    occurred_at: at,
    received_at: at,
    properties: JSON.stringify(channel ? { channel } : {}),
    ...rest,
  });
};
const share = (who: string, at: string, channel: string) =>
  ev('referral_shared', at, { participant_id: who, channel });
const click = (visitor: string, at: string, channel: string) =>
  ev('referral_clicked', at, { anonymous_id: visitor, referrer_id: 'ann', channel });
const signup = (who: string, at: string, channel: string) =>
  ev('referred_signed_up', at, { participant_id: who, referrer_id: 'ann', channel });
const buy = (who: string, at: string, value: number, currency: string) =>
  ev('referred_made_purchase', at, {
    participant_id: who,
    referrer_id: 'ann',
    referral_id: `ref-${who}`,
    value,
    currency,
  });

// 2 Nov: ann shares twice by email; v1 clicks twice (email), v2 once (sms); cat signs up (email).
// 3 Nov: v1 clicks again (a visitor seen on two days is one clicker); dan signs up (sms); cat buys 100 EUR.
// 4 Nov: cat buys again, 20 EUR (one converter across days, two amounts); dan buys 50 USD; ann views a page.
const EVENTS = [
  share('ann', '2026-11-02T10:00:00Z', 'email'),
  share('ann', '2026-11-02T11:00:00Z', 'email'),
  click('v1', '2026-11-02T12:00:00Z', 'email'),
  click('v1', '2026-11-02T13:00:00Z', 'email'),
  click('v2', '2026-11-02T14:00:00Z', 'sms'),
  signup('cat', '2026-11-02T15:00:00Z', 'email'),
  click('v1', '2026-11-03T10:00:00Z', 'email'),
  signup('dan', '2026-11-03T11:00:00Z', 'sms'),
  buy('cat', '2026-11-03T12:00:00Z', 100, 'EUR'),
  buy('cat', '2026-11-04T10:00:00Z', 20, 'EUR'),
  buy('dan', '2026-11-04T11:00:00Z', 50, 'USD'),
  ev('page_viewed', '2026-11-04T12:00:00Z', { participant_id: 'ann' }),
];
// Another client: the same campaign id and names, on the same days.
const FOREIGN = [
  { ...share('ann', '2026-11-02T10:00:00Z', 'email'), client_id: OTHER },
  { ...buy('zed', '2026-11-03T10:00:00Z', 999, 'EUR'), client_id: OTHER },
];

const resolver: ApiKeyResolver = {
  async resolve(key) {
    return { clientId: key, clientStatus: 'active', keyKind: 'secret', keyId: 'k', role: 'analyst' };
  },
};

describe('analytics daily rollups: exact and tenant-scoped (real ClickHouse)', () => {
  let t: TestClickHouse;
  let app: ReturnType<typeof createAnalyticsApp>;
  const W = 'campaign_id=c1&from=2026-11-01&to=2026-11-30';
  const ALL = 'from=2026-11-01&to=2026-11-30';
  const get = async (path: string, client = ACME) => {
    const res = await app.request(path, { headers: { authorization: `Bearer ${client}` } });
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text}`);
    return (JSON.parse(text) as { data: Record<string, unknown> }).data;
  };
  const custom = async (body: unknown, client = ACME) => {
    const res = await app.request('/v1/analytics/reports', {
      method: 'POST',
      headers: { authorization: `Bearer ${client}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { data: { rows: unknown[] } }).data.rows;
  };
  /** Every report the rollup serves, as one comparable value. */
  const snapshot = async (client = ACME) => ({
    funnel: await get(`/v1/analytics/reports/funnel?${W}`, client),
    k: ((await get(`/v1/analytics/reports/k-factor?${W}`, client)) as Record<string, unknown>).invites,
    cost: await get(`/v1/analytics/reports/cost?${W}`, client),
    // One campaign's money reads its slice of the base table; across campaigns, the rollup (metrics.ts).
    costAll: await get(`/v1/analytics/reports/cost?${ALL}`, client),
    weeklyAll: await custom(
      {
        metrics: ['referred_conversions', 'referred_revenue'],
        dimensions: ['channel'],
        grain: 'week',
        from: '2026-11-02',
        to: '2026-11-08',
      },
      client,
    ),
    weekly: await custom(
      {
        metrics: ['clickers', 'referred_signups', 'referred_conversions', 'referred_revenue'],
        dimensions: ['channel'],
        filters: { campaign_id: ['c1'] },
        grain: 'week',
        from: '2026-11-02',
        to: '2026-11-08',
      },
      client,
    ),
    daily: await get(
      '/v1/analytics/campaigns/c1/timeseries?from=2026-11-01&to=2026-11-05&metrics=events,people,clickers',
      client,
    ),
  });
  const acmeFresh = () => freshDays(createScope(t.ch, ACME), '2026-11-01', '2026-11-30');
  /** Markers and bases have second resolution: a write and a recompute in one second stay dirty. */
  const tick = () => sleep(1100);

  before(async () => {
    t = await createTestClickHouse((ch) => migrateClickHouse(ch, SERVICES).then(() => undefined));
    await t.ch.insert('events', [...EVENTS, ...FOREIGN]);
    app = createAnalyticsApp({ ch: t.ch, resolver, cacheMaxAge: 0 });
  });
  after(() => t.drop());

  let base: Awaited<ReturnType<typeof snapshot>>;

  it('before any rollup, reports read the base table; the figures are the hand-computed ones', async () => {
    assert.equal((await acmeFresh()).size, 0);
    base = await snapshot();
    const funnel = base.funnel as { total: Record<string, unknown>; channels: Record<string, unknown>[] };
    assert.deepEqual(
      [funnel.total.participants, funnel.total.sharers, funnel.total.shares, funnel.total.clickers],
      [3, 1, 2, 2],
    );
    assert.deepEqual([funnel.total.signups, funnel.total.conversions], [2, 2]);
    assert.deepEqual(
      funnel.channels.map((c) => [c.channel, c.clickers, c.signups, c.conversions]),
      [
        ['', 0, 0, 2],
        ['email', 1, 1, 0],
        ['sms', 1, 1, 0],
      ],
    );
    assert.equal(base.k, 2);
    assert.deepEqual(
      (base.cost as { currencies: { currency: string; referred_revenue: number }[] }).currencies.map((c) => [
        c.currency,
        c.referred_revenue,
      ]),
      [
        ['EUR', 120],
        ['USD', 50],
      ],
    );
    assert.deepEqual((base.daily as { rows: unknown[] }).rows.slice(1, 5), [
      { bucket: '2026-11-02 00:00:00', events: 6, people: 4, clickers: 2 },
      { bucket: '2026-11-03 00:00:00', events: 3, people: 3, clickers: 1 },
      { bucket: '2026-11-04 00:00:00', events: 3, people: 3, clickers: 0 },
      { bucket: '2026-11-05 00:00:00', events: 0, people: 0, clickers: 0 },
    ]);
  });

  it('the job rolls up every closed dirty day once; reports through the rollup are unchanged', async () => {
    await tick();
    assert.deepEqual(
      await dirtyDays(t.ch, '2026-12-01'),
      new Map([
        [ACME, ['2026-11-02', '2026-11-03', '2026-11-04']],
        [OTHER, ['2026-11-02', '2026-11-03']],
      ]),
    );
    assert.equal(await runRollup(t.ch, OPTS), 5);
    assert.equal((await dirtyDays(t.ch, '2026-12-01')).size, 0, 'nothing left to do');
    assert.equal(await runRollup(t.ch, OPTS), 0, 'a second pass recomputes nothing');
    assert.deepEqual([...(await acmeFresh())].sort(), ['2026-11-02', '2026-11-03', '2026-11-04']);
    assert.deepEqual(await snapshot(), base);
    // The open day is never rolled up: today's rows always come from the base table.
    await t.ch.insert('events', [click('v7', '2026-12-01T09:00:00Z', 'email')]);
    await tick();
    assert.equal(await runRollup(t.ch, OPTS), 0);
  });

  it('reports really read the rollup, and a recompute replaces what is there', async () => {
    // A forged row for a fresh day (cat's 100 EUR of 3 Nov as 1000), versioned above the job's: the
    // cost report sees it…
    const [v] = await t.ch.query<{ v: string }>(
      chSql`SELECT toString(max(version)) AS v FROM analytics_daily WHERE client_id = ${ACME}`,
    );
    await t.ch.command(chSql`
      INSERT INTO analytics_daily SELECT ${ACME}, 'c1', toDate('2026-11-03'), 'referred_made_purchase',
        'conversion', '', 1, 'EUR', 1, 1000, toUInt64(${v?.v ?? '0'}) + 1`);
    type Cost = { currencies: { currency: string; referred_revenue: number }[] };
    const eur = (r: unknown) => (r as Cost).currencies.find((c) => c.currency === 'EUR')?.referred_revenue;
    const forged = await get(`/v1/analytics/reports/cost?${ALL}`);
    assert.equal(eur(forged), (eur(base.costAll) ?? 0) + 900, 'the report read the rollup row');
    // …until the day is recomputed: the new version replaces the day's rows, the forged one included.
    await recomputeDays(t.ch, ACME, ['2026-11-03'], OPTS);
    assert.deepEqual(await snapshot(), base);
  });

  it('stays exact when blocks are sent again, before the recompute, after it and after merges', async () => {
    await t.ch.insert(
      'events',
      [...EVENTS, ...FOREIGN].map((r) => ({ ...r, received_at: '2026-11-30T00:00:00Z' })),
    );
    await t.ch.insert('events', EVENTS.slice(3, 10));
    assert.equal((await acmeFresh()).size, 0, 'the re-sent days are dirty');
    assert.deepEqual(await snapshot(), base, 'read from the base table (FINAL) meanwhile');
    await tick();
    assert.equal(await runRollup(t.ch, OPTS), 5);
    assert.equal((await acmeFresh()).size, 3);
    assert.deepEqual(await snapshot(), base, 'the recomputed rollup counts each event once');
    await t.ch.command(chSql`OPTIMIZE TABLE analytics_events FINAL`);
    await t.ch.command(chSql`OPTIMIZE TABLE analytics_daily FINAL`);
    assert.deepEqual(await snapshot(), base, 'and after the merges');
  });

  it('recomputing is idempotent: again and again, the same answers and the same rows', async () => {
    const rows = async () =>
      (
        await t.ch.query<{ n: string }>(
          chSql`SELECT count() AS n FROM analytics_daily FINAL WHERE client_id = ${ACME}`,
        )
      )[0]?.n;
    const before = await rows();
    for (let i = 0; i < 3; i++)
      await recomputeDays(t.ch, ACME, ['2026-11-02', '2026-11-03', '2026-11-04'], OPTS);
    assert.equal(await rows(), before);
    assert.deepEqual(await snapshot(), base);
  });

  it('a late row for a rolled-up day makes that day dirty: counted at once, then recomputed', async () => {
    // A late signup (eve, referred by email) and a late 30 EUR purchase by a new buyer on 3 Nov.
    await t.ch.insert('events', [
      signup('eve', '2026-11-03T18:00:00Z', 'email'),
      buy('eve', '2026-11-03T19:00:00Z', 30, 'EUR'),
    ]);
    assert.deepEqual([...(await acmeFresh())].sort(), ['2026-11-02', '2026-11-04'], 'only 3 Nov is dirty');
    const check = async () => {
      const s = await snapshot();
      const f = s.funnel as { total: Record<string, number> };
      assert.deepEqual([f.total.participants, f.total.signups, f.total.conversions], [4, 3, 3]);
      const eur = (s.cost as { currencies: { currency: string; referred_revenue: number }[] }).currencies[0];
      assert.deepEqual(eur, { ...eur, currency: 'EUR', referred_revenue: 150 });
      assert.equal(s.k, 2, 'no new invites');
      return s;
    };
    const late = await check();
    await tick();
    assert.deepEqual(await dirtyDays(t.ch, '2026-12-01'), new Map([[ACME, ['2026-11-03']]]));
    assert.equal(await runRollup(t.ch, OPTS), 1, 'only the touched day is recomputed');
    assert.equal((await acmeFresh()).size, 3);
    assert.deepEqual(await check(), late, 'the same answers from the recomputed rollup');
    base = late;
  });

  it('tenant isolation: one client’s rollup rows never reach another’s reports', async () => {
    const theirs = await snapshot(OTHER);
    const f = theirs.funnel as { total: Record<string, number> };
    assert.deepEqual([f.total.participants, f.total.shares, f.total.conversions], [2, 1, 1]);
    assert.deepEqual(
      (theirs.cost as { currencies: { currency: string; referred_revenue: number }[] }).currencies.map(
        (c) => [c.currency, c.referred_revenue],
      ),
      [['EUR', 999]],
    );
    assert.deepEqual(await snapshot(), base, 'and ours holds nothing of theirs');
    const scope = createScope(t.ch, ACME);
    await assert.rejects(
      scope.query(chSql`SELECT count() AS n FROM analytics_daily`),
      /outside the client scope/,
    );
    await assert.rejects(
      scope.insertSelect('analytics_daily', chSql`SELECT * FROM analytics_events`),
      /outside the client scope/,
    );
  });
});
