import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createTestClickHouse, emptyEventRow, type TestClickHouse } from '../../test/support/clickhouse.ts';
import type { EventRow } from '../event/events-table.ts';
import type { ApiKeyResolver } from '../platform/auth.ts';
import { chSql } from '../platform/clickhouse.ts';
import { migrateClickHouse } from '../platform/clickhouse-migrate.ts';
import { createAnalyticsApp } from './index.ts';
import { type RewardFactMessage, rewardFactRow } from './reward-facts.ts';
import { runRollup } from './rollup.ts';
import { assertScoped, createScope } from './scope.ts';

/**
 * The acceptance data set: one campaign, two referrer cohorts (weeks of 2 and 9 November 2026), two
 * currencies. Every expected figure below is worked out by hand from the list of events in the comments,
 * and checked through the HTTP API on the real ClickHouse, before and after every block is sent again.
 */

const SERVICES = fileURLToPath(new URL('../', import.meta.url));
const ACME = 'acme';
const OTHER = 'other';
const QUOTED = "x' OR '1'='1";

let seq = 0;
function ev(event: string, at: string, extra: Partial<EventRow> & { props?: Record<string, unknown> } = {}) {
  const { props, ...rest } = extra;
  return emptyEventRow({
    event_id: `ev-${++seq}`,
    event,
    client_id: ACME,
    campaign_id: 'c1',
    occurred_at: at,
    received_at: at,
    properties: JSON.stringify(props ?? {}),
    ...rest,
  });
}
const signup = (
  who: string,
  at: string,
  plan: string,
  country: string,
  ref?: { by: string; channel: string },
) =>
  ev(ref ? 'referred_signed_up' : 'user_signed_up', at, {
    participant_id: who,
    country,
    props: { plan, ...(ref ? { channel: ref.channel } : {}) },
    ...(ref ? { referrer_id: ref.by, referral_code: ref.by.toUpperCase() } : {}),
  });
const share = (who: string, at: string, channel: string, named = false) =>
  ev(named ? `referral_shared_${channel}` : 'referral_shared', at, {
    participant_id: who,
    props: named ? {} : { channel },
  });
const click = (visitor: string, by: string, at: string, channel: string) =>
  ev('referral_clicked', at, {
    anonymous_id: visitor,
    referrer_id: by,
    referral_code: by.toUpperCase(),
    props: { channel },
  });
const buy = (who: string, at: string, value: number, currency: string, by?: string) =>
  ev(by ? 'referred_made_purchase' : 'purchase_completed', at, {
    participant_id: who,
    value,
    currency,
    ...(by ? { referrer_id: by, referral_id: `ref-${who}` } : {}),
  });

// Cohort 1 (week of 2 Nov): ann joins, shares 3 times (2 email, 1 whatsapp); visitors v1, v2 click her
// email links (v1 twice), v3 her whatsapp link; v1 signs up as cat, v3 as dan. Cohort 2 (week of 9 Nov):
// ben joins, shares once on x; v4 clicks and signs up as eve; fay signs up without a referral.
const EVENTS = [
  signup('ann', '2026-11-02T10:00:00Z', 'pro', 'DE'),
  share('ann', '2026-11-02T11:00:00Z', 'email'),
  share('ann', '2026-11-02T12:00:00Z', 'email'),
  share('ann', '2026-11-02T13:00:00Z', 'whatsapp', true),
  click('v1', 'ann', '2026-11-02T14:00:00Z', 'email'),
  click('v1', 'ann', '2026-11-02T15:00:00Z', 'email'),
  click('v2', 'ann', '2026-11-02T16:00:00Z', 'email'),
  click('v3', 'ann', '2026-11-02T17:00:00Z', 'whatsapp'),
  signup('cat', '2026-11-03T10:00:00Z', 'pro', 'DE', { by: 'ann', channel: 'email' }),
  signup('dan', '2026-11-04T10:00:00Z', 'free', 'FR', { by: 'ann', channel: 'whatsapp' }),
  buy('cat', '2026-11-05T10:00:00Z', 100, 'EUR', 'ann'),
  buy('ann', '2026-11-06T10:00:00Z', 30, 'EUR'),
  ev('page_viewed', '2026-11-06T11:00:00Z', { participant_id: 'dan' }),
  signup('ben', '2026-11-09T09:00:00Z', 'free', 'FR'),
  share('ben', '2026-11-09T10:00:00Z', 'x'),
  click('v4', 'ben', '2026-11-09T11:00:00Z', 'x'),
  signup('eve', '2026-11-10T09:00:00Z', 'pro', 'FR', { by: 'ben', channel: 'x' }),
  signup('fay', '2026-11-10T12:00:00Z', 'free', 'DE'),
  buy('eve', '2026-11-11T10:00:00Z', 50, 'USD', 'ben'),
  buy('fay', '2026-11-12T10:00:00Z', 80, 'EUR'),
  buy('cat', '2026-11-12T11:00:00Z', 20, 'EUR', 'ann'),
];

// Another client, same campaign id and people's names, and a quote-laden referrer.
const FOREIGN = [
  ev('referral_shared', '2026-11-03T10:00:00Z', {
    client_id: OTHER,
    participant_id: 'ann',
    props: { channel: 'email' },
  }),
  ev('referral_clicked', '2026-11-03T11:00:00Z', {
    client_id: OTHER,
    anonymous_id: 'v9',
    referrer_id: QUOTED,
  }),
  ev('referred_signed_up', '2026-11-03T12:00:00Z', {
    client_id: OTHER,
    participant_id: 'zed',
    referrer_id: QUOTED,
  }),
  ev('referred_made_purchase', '2026-11-04T12:00:00Z', {
    client_id: OTHER,
    participant_id: 'zed',
    referrer_id: QUOTED,
    value: 999,
    currency: 'EUR',
  }),
];

let fseq = 0;
function fact(reward: string, kind: string, state: string, at: string, r: Partial<RewardFactMessage>) {
  return rewardFactRow({
    fact_id: `${reward}:${kind}`,
    kind,
    state,
    client_id: ACME,
    campaign_id: 'c1',
    reward_id: reward,
    participant_id: '',
    referral_id: '',
    side: 'referrer',
    rule: 'r',
    category: 'cash',
    reward_type: 'cash',
    amount: 0,
    cost: 0,
    currency: 'EUR',
    budget: 100,
    occurred_at: at,
    seq: ++fseq,
    ...r,
  });
}
// r1: ann, 10 EUR, delivered. r2: cat, 5 EUR, delivered then clawed back. r3: ben, 8 USD coupon, redeemed.
// r4: ann, 10 EUR, rejected. r5: eve, 4 USD coupon, allocated only.
const cash = (p: string, cost: number) => ({ participant_id: p, cost, amount: cost });
const coupon = (p: string, cost: number) => ({
  ...cash(p, cost),
  currency: 'USD',
  category: 'coupon',
  reward_type: 'coupon',
});
const FACTS = [
  fact('r1', 'allocated', 'EARNED', '2026-11-05T10:00:00Z', cash('ann', 10)),
  fact('r1', 'fulfilled', 'FULFILLED', '2026-11-05T10:01:00Z', cash('ann', 10)),
  fact('r2', 'allocated', 'EARNED', '2026-11-05T10:00:00Z', { ...cash('cat', 5), side: 'referred' }),
  fact('r2', 'fulfilled', 'FULFILLED', '2026-11-05T10:01:00Z', { ...cash('cat', 5), side: 'referred' }),
  fact('r2', 'reversed', 'REVERSED', '2026-11-07T10:00:00Z', { ...cash('cat', 5), side: 'referred' }),
  fact('r3', 'allocated', 'EARNED', '2026-11-11T10:00:00Z', coupon('ben', 8)),
  fact('r3', 'fulfilled', 'FULFILLED', '2026-11-11T10:01:00Z', coupon('ben', 8)),
  fact('r3', 'redeemed', 'REDEEMED', '2026-11-11T10:02:00Z', coupon('ben', 8)),
  fact('r4', 'allocated', 'EARNED', '2026-11-12T10:00:00Z', cash('ann', 10)),
  fact('r4', 'rejected', 'REJECTED', '2026-11-12T10:00:00Z', cash('ann', 10)),
  fact('r5', 'allocated', 'EARNED', '2026-11-11T10:00:00Z', coupon('eve', 4)),
  fact('r9', 'fulfilled', 'FULFILLED', '2026-11-05T10:00:00Z', {
    client_id: OTHER,
    participant_id: QUOTED,
    cost: 777,
  }),
];

const resolver: ApiKeyResolver = {
  async resolve(key) {
    const [clientId, role] = key.split(':');
    return {
      clientId: clientId ?? '',
      clientStatus: 'active',
      keyKind: 'secret',
      keyId: 'k',
      role: (role ?? 'analyst') as 'analyst',
    };
  },
};

type Json = Record<string, unknown> & { data: Record<string, unknown> };

describe('analytics metrics on a hand-computed data set (real ClickHouse, over HTTP)', () => {
  let t: TestClickHouse;
  let app: ReturnType<typeof createAnalyticsApp>;
  const W = 'campaign_id=c1&from=2026-11-01&to=2026-11-30';
  const get = async (path: string, key = `${ACME}:analyst`): Promise<Json> => {
    const res = await app.request(path, { headers: { authorization: `Bearer ${key}` } });
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text}`);
    return JSON.parse(text) as Json;
  };
  const post = (body: unknown, key = `${ACME}:analyst`, query = '') =>
    app.request(`/v1/analytics/reports${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const everything = async () => {
    const out: Record<string, unknown> = {};
    for (const r of ['funnel', 'k-factor', 'cost', 'ltv', 'cohorts', 'rewards', 'segments', 'referrers'])
      out[r] = (await get(`/v1/analytics/reports/${r}?${W}`)).data;
    out.country = (await get(`/v1/analytics/reports/segments?${W}&by=country`)).data;
    out.cohort2 = (
      await get(`/v1/analytics/reports/k-factor?${W}&cohort_from=2026-11-09&cohort_to=2026-11-15`)
    ).data;
    return out;
  };

  before(async () => {
    t = await createTestClickHouse((ch) => migrateClickHouse(ch, SERVICES).then(() => undefined));
    await t.ch.insert('events', [...EVENTS, ...FOREIGN]);
    await t.ch.insert('reward_facts', FACTS);
    app = createAnalyticsApp({ ch: t.ch, resolver, cacheMaxAge: 0 });
  });
  after(() => t.drop());

  let first: Record<string, unknown>;

  it('funnel overall and per channel, in people', async () => {
    const r = await get(`/v1/analytics/reports/funnel?${W}`);
    assert.equal(r.definition, '/docs/metrics#funnel');
    assert.equal(r.cached, false);
    const d = r.data as { total: Record<string, unknown>; channels: Record<string, unknown>[] };
    assert.deepEqual(d.total, {
      channel: null,
      participants: 6,
      sharers: 2,
      shares: 4,
      clickers: 4,
      signups: 3,
      conversions: 2,
      share_rate: 2 / 6,
      click_through_rate: 1,
      signup_rate: 3 / 4,
      conversion_rate: 2 / 3,
    });
    const row = (channel: string) => d.channels.find((c) => c.channel === channel);
    assert.deepEqual(
      d.channels.map((c) => c.channel),
      ['', 'email', 'whatsapp', 'x'],
    );
    assert.deepEqual(row('email'), {
      channel: 'email',
      participants: 2,
      sharers: 1,
      shares: 2,
      clickers: 2,
      signups: 1,
      conversions: 0,
      share_rate: 1 / 2,
      click_through_rate: 1,
      signup_rate: 1 / 2,
      conversion_rate: 0,
    });
    assert.deepEqual(row('whatsapp'), {
      channel: 'whatsapp',
      participants: 2,
      sharers: 1,
      shares: 1,
      clickers: 1,
      signups: 1,
      conversions: 0,
      share_rate: 1 / 2,
      click_through_rate: 1,
      signup_rate: 1,
      conversion_rate: 0,
    });
    assert.equal(row('x')?.signups, 1);
    assert.equal(row('')?.conversions, 2, 'purchases carry no channel');
    assert.equal(row('')?.click_through_rate, null, 'no shares: undefined, not 0');
  });

  it('K-factor, cohort K-factor and viral cycle time', async () => {
    const d = (await get(`/v1/analytics/reports/k-factor?${W}&cohort_from=2026-11-02&cohort_to=2026-11-08`))
      .data;
    assert.deepEqual(d, {
      participants: 6,
      invites: 4,
      referred_signups: 3,
      invites_per_participant: 4 / 6,
      invite_conversion: 3 / 4,
      k_factor: 0.5,
      cohort: { from: '2026-11-02', to: '2026-11-08', size: 3, referred_signups: 2, k_factor: 2 / 3 },
      // ann 2 Nov 10:00 → cat +1 day, dan +2 days; ben 9 Nov 09:00 → eve +1 day.
      cycle_time: { cycles: 3, mean_seconds: 115_200, median_seconds: 86_400 },
    });
    const c2 = (await get(`/v1/analytics/reports/k-factor?${W}&cohort_from=2026-11-09&cohort_to=2026-11-15`))
      .data;
    assert.deepEqual(c2.cohort, {
      from: '2026-11-09',
      to: '2026-11-15',
      size: 3,
      referred_signups: 1,
      k_factor: 1 / 3,
    });
  });

  it('CPA and reward ROI per currency (reversed and rejected rewards cost nothing)', async () => {
    const r = await get(`/v1/analytics/reports/cost?${W}`);
    assert.equal(r.definition, '/docs/metrics#cost');
    assert.deepEqual(r.data, {
      referred_conversions: 2,
      currencies: [
        { currency: 'EUR', reward_cost: 10, referred_revenue: 120, rewards_delivered: 1, cpa: 5, roi: 11 },
        { currency: 'USD', reward_cost: 8, referred_revenue: 50, rewards_delivered: 1, cpa: 4, roi: 5.25 },
      ],
    });
  });

  it('LTV of referred vs non-referred participants', async () => {
    assert.deepEqual((await get(`/v1/analytics/reports/ltv?${W}`)).data, {
      referred: {
        participants: 3,
        currencies: [
          { currency: 'EUR', revenue: 120, buyers: 1, ltv: 40 },
          { currency: 'USD', revenue: 50, buyers: 1, ltv: 50 / 3 },
        ],
      },
      non_referred: {
        participants: 3,
        currencies: [{ currency: 'EUR', revenue: 110, buyers: 2, ltv: 110 / 3 }],
      },
    });
  });

  it('weekly join cohorts: conversion and activity by week', async () => {
    assert.deepEqual((await get(`/v1/analytics/reports/cohorts?${W}`)).data, {
      cohorts: [
        {
          week_start: '2026-11-02',
          size: 3,
          converted: 2,
          conversion_rate: 2 / 3,
          weeks: [
            { week: 0, active: 3, active_rate: 1, converted: 2 },
            { week: 1, active: 1, active_rate: 1 / 3, converted: 1 },
          ],
        },
        {
          week_start: '2026-11-09',
          size: 3,
          converted: 2,
          conversion_rate: 2 / 3,
          weeks: [{ week: 0, active: 3, active_rate: 1, converted: 2 }],
        },
      ],
    });
  });

  it('reward distribution by type, category, state and currency; spend vs budget', async () => {
    assert.deepEqual((await get(`/v1/analytics/reports/rewards?${W}`)).data, {
      groups: [
        { reward_type: 'cash', category: 'cash', state: 'FULFILLED', currency: 'EUR', rewards: 1, cost: 10 },
        { reward_type: 'cash', category: 'cash', state: 'REJECTED', currency: 'EUR', rewards: 1, cost: 10 },
        { reward_type: 'cash', category: 'cash', state: 'REVERSED', currency: 'EUR', rewards: 1, cost: 5 },
        { reward_type: 'coupon', category: 'coupon', state: 'EARNED', currency: 'USD', rewards: 1, cost: 4 },
        {
          reward_type: 'coupon',
          category: 'coupon',
          state: 'REDEEMED',
          currency: 'USD',
          rewards: 1,
          cost: 8,
        },
      ],
      budgets: [
        { campaign_id: 'c1', currency: 'EUR', budget: 100, committed: 10, spent: 10, spent_share: 0.1 },
        { campaign_id: 'c1', currency: 'USD', budget: 100, committed: 12, spent: 8, spent_share: 0.08 },
      ],
    });
  });

  it('segment insights by plan and by country', async () => {
    assert.deepEqual((await get(`/v1/analytics/reports/segments?${W}`)).data, {
      by: 'plan',
      segments: [
        { value: 'free', signups: 3, conversions: 1, conversion_rate: 1 / 3 },
        { value: 'pro', signups: 3, conversions: 3, conversion_rate: 1 },
      ],
    });
    assert.deepEqual((await get(`/v1/analytics/reports/segments?${W}&by=country`)).data, {
      by: 'country',
      segments: [
        { value: 'DE', signups: 3, conversions: 3, conversion_rate: 1 },
        { value: 'FR', signups: 3, conversions: 1, conversion_rate: 1 / 3 },
      ],
    });
  });

  it('per-referrer KPIs', async () => {
    assert.deepEqual((await get(`/v1/analytics/reports/referrers?${W}`)).data, {
      referrers: [
        {
          referrer_id: 'ann',
          shares: 3,
          clickers: 3,
          signups: 2,
          conversions: 1,
          signup_rate: 2 / 3,
          conversion_rate: 1 / 2,
          revenue: [{ currency: 'EUR', amount: 120 }],
          reward_cost: [{ currency: 'EUR', amount: 10 }],
        },
        {
          referrer_id: 'ben',
          shares: 1,
          clickers: 1,
          signups: 1,
          conversions: 1,
          signup_rate: 1,
          conversion_rate: 1,
          revenue: [{ currency: 'USD', amount: 50 }],
          reward_cost: [{ currency: 'USD', amount: 8 }],
        },
      ],
    });
  });

  it('per-referrer KPIs: the first n by the signup and conversion rows alone, or the whole window', async () => {
    // limit 1 and 2: at least n referrers have a signup or conversion, so only those two kinds rank them;
    // limit 3: fewer have one, so the whole window is counted. Each is the head of the full list.
    const full = ((await get(`/v1/analytics/reports/referrers?${W}`)).data as { referrers: unknown[] })
      .referrers;
    assert.equal(full.length, 2);
    for (const limit of [1, 2, 3])
      assert.deepEqual(
        ((await get(`/v1/analytics/reports/referrers?${W}&limit=${limit}`)).data as { referrers: unknown[] })
          .referrers,
        full.slice(0, limit),
        `limit ${limit}`,
      );
  });

  it('custom report: metrics × dimension × week grain, empty buckets filled', async () => {
    const res = await post({
      metrics: ['clickers', 'referred_signups', 'signup_rate'],
      dimensions: ['channel'],
      filters: { campaign_id: ['c1'], channel: ['email', 'x'] },
      grain: 'week',
      from: '2026-11-02',
      to: '2026-11-15',
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Json;
    assert.equal(body.definition, '/docs/metrics#custom-reports');
    assert.deepEqual(body.data.rows, [
      { bucket: '2026-11-02 00:00:00', channel: 'email', clickers: 2, referred_signups: 1, signup_rate: 0.5 },
      { bucket: '2026-11-02 00:00:00', channel: 'x', clickers: 0, referred_signups: 0, signup_rate: null },
      {
        bucket: '2026-11-09 00:00:00',
        channel: 'email',
        clickers: 0,
        referred_signups: 0,
        signup_rate: null,
      },
      { bucket: '2026-11-09 00:00:00', channel: 'x', clickers: 1, referred_signups: 1, signup_rate: 1 },
    ]);
    const money = (await (
      await post({
        metrics: ['referred_revenue'],
        grain: 'none',
        from: '2026-11-01',
        to: '2026-11-30',
        filters: { kind: ['conversion'] },
      })
    ).json()) as Json;
    assert.deepEqual(money.data.dimensions, ['currency'], 'money is split by currency');
    assert.deepEqual(money.data.rows, [
      { currency: 'EUR', referred_revenue: 120 },
      { currency: 'USD', referred_revenue: 50 },
    ]);
    const daily = (
      await get(
        '/v1/analytics/campaigns/c1/timeseries?from=2026-11-01&to=2026-11-30&metrics=events,referred_signups',
      )
    ).data as { rows: Record<string, unknown>[] };
    assert.equal(daily.rows.length, 30, 'one row per day of November');
    assert.deepEqual(daily.rows[2], { bucket: '2026-11-03 00:00:00', events: 1, referred_signups: 1 });
    assert.deepEqual(daily.rows[0], { bucket: '2026-11-01 00:00:00', events: 0, referred_signups: 0 });
  });

  it('bad reports are 400 with the field path', async () => {
    const cases: [unknown, string][] = [
      [{ metrics: ['nope'], from: '2026-11-01', to: '2026-11-30' }, 'metrics.0'],
      [{ metrics: ['events'], dimensions: ['a', 'b'], from: '2026-11-01', to: '2026-11-30' }, 'dimensions.0'],
      [
        {
          metrics: ['events'],
          dimensions: ['channel', 'country', 'plan', 'segment'],
          from: '2026-11-01',
          to: '2026-11-30',
        },
        'dimensions',
      ],
      [{ metrics: ['events'], grain: 'hour', from: '2026-01-01', to: '2026-11-30' }, 'to'],
      [{ metrics: ['events'], from: '2020-01-01', to: '2026-11-30' }, 'to'],
      [{ metrics: ['events'], from: '2026-11-30', to: '2026-11-01' }, 'to'],
      [
        { metrics: ['events'], filters: { password: ['x'] }, from: '2026-11-01', to: '2026-11-30' },
        'filters',
      ],
      [
        {
          metrics: ['events'],
          grain: 'hour',
          dimensions: ['event'],
          from: '2026-11-01',
          to: '2026-11-30',
          limit: 10,
        },
        'dimensions',
      ],
      [{ metrics: ['events'] }, 'from'],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      const text = await res.text();
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${text}`);
      const err = JSON.parse(text).error as { code: string; details: { path: string }[] };
      assert.equal(err.code, 'VALIDATION_FAILED');
      assert.ok(
        err.details.some((d) => d.path === path || d.path.startsWith(path)),
        `${JSON.stringify(body)} names ${path}: ${text}`,
      );
    }
    const viewer = await app.request(`/v1/analytics/reports/funnel?${W}`, {
      headers: { authorization: `Bearer ${ACME}:viewer` },
    });
    assert.equal(viewer.status, 403);
    const unknown = await app.request(`/v1/analytics/reports/nope?${W}`, {
      headers: { authorization: `Bearer ${ACME}:analyst` },
    });
    assert.equal(unknown.status, 404);
    const bad = await app.request('/v1/analytics/reports/funnel?from=2026-13-01', {
      headers: { authorization: `Bearer ${ACME}:analyst` },
    });
    assert.equal(bad.status, 400);
  });

  it('stays exact when every block is sent again (lost acknowledgements), before and after merges', async () => {
    first = await everything();
    // The same through the daily rollups (rollup.ts): every November day rolled up, then read from it.
    const rollUp = async () => {
      await sleep(1100); // markers and bases have second resolution
      return runRollup(t.ch, { marginSeconds: 0, now: new Date('2026-12-01T12:00:00Z') });
    };
    assert.ok((await rollUp()) > 0, 'the rollup job recomputed the data set’s days');
    assert.deepEqual(await everything(), first, 'every report unchanged when read through the rollups');
    await t.ch.insert(
      'events',
      [...EVENTS, ...FOREIGN].map((r) => ({ ...r, received_at: '2026-11-30T00:00:00Z' })),
    );
    await t.ch.insert('events', EVENTS.slice(5, 12));
    await t.ch.insert('reward_facts', FACTS);
    await t.ch.insert('reward_facts', FACTS.slice(0, 4));
    const raw = await t.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM analytics_events WHERE client_id = ${ACME}`,
    );
    assert.ok(Number(raw[0]?.n) > EVENTS.length, 'the duplicates are stored (not yet merged)');
    assert.deepEqual(await everything(), first, 'every report unchanged by the re-sent blocks');
    await rollUp();
    assert.deepEqual(await everything(), first, 'and by the rollups recomputed from them');
    await t.ch.command(chSql`OPTIMIZE TABLE analytics_events FINAL`);
    await t.ch.command(chSql`OPTIMIZE TABLE reward_facts FINAL`);
    await t.ch.command(chSql`OPTIMIZE TABLE analytics_daily FINAL`);
    assert.deepEqual(await everything(), first, 'and unchanged after the merge');
  });

  it('tenant isolation: another client’s ids and quote-laden values return nothing of theirs', async () => {
    const mine = (await (
      await post({
        metrics: ['events', 'referred_signups', 'referred_revenue'],
        dimensions: ['referrer_id'],
        filters: {
          referrer_id: [QUOTED, 'ann', "\\'", "') OR 1=1 --"],
          campaign_id: ['c1', "c1' OR client_id != '"],
        },
        grain: 'none',
        from: '2026-11-01',
        to: '2026-11-30',
      })
    ).json()) as Json;
    assert.deepEqual(mine.data.rows, [
      { referrer_id: 'ann', currency: '', events: 6, referred_signups: 2, referred_revenue: 0 },
      { referrer_id: 'ann', currency: 'EUR', events: 2, referred_revenue: 120, referred_signups: 0 },
    ]);
    const theirs = (await (
      await post(
        {
          metrics: ['referred_revenue'],
          filters: { referrer_id: [QUOTED] },
          grain: 'none',
          from: '2026-11-01',
          to: '2026-11-30',
        },
        `${OTHER}:analyst`,
      )
    ).json()) as Json;
    assert.deepEqual(
      theirs.data.rows,
      [
        { currency: '', referred_revenue: 0 },
        { currency: 'EUR', referred_revenue: 999 },
      ],
      'the other client sees only its own',
    );
    const ref = (await get(`/v1/analytics/reports/referrers?${W}`, `${OTHER}:analyst`)).data as {
      referrers: { referrer_id: string }[];
    };
    assert.deepEqual(
      ref.referrers.map((r) => r.referrer_id),
      [QUOTED, 'ann'],
    );
    const cost = (await get(`/v1/analytics/reports/cost?${W}`, `${OTHER}:analyst`)).data;
    assert.deepEqual(cost.currencies, [
      {
        currency: 'EUR',
        reward_cost: 777,
        referred_revenue: 999,
        rewards_delivered: 1,
        cpa: 777,
        roi: (999 - 777) / 777,
      },
    ]);
  });

  it('the scope refuses SQL that names a table outside it', async () => {
    const scope = createScope(t.ch, ACME);
    await assert.rejects(
      scope.query(chSql`SELECT count() FROM analytics_events`),
      /outside the client scope/,
    );
    await assert.rejects(scope.query(chSql`SELECT 1`), /reads no scoped table/);
    const otherFrom = createScope(t.ch, OTHER).from('events');
    await assert.rejects(scope.query(chSql`SELECT count() FROM ${otherFrom}`), /outside the client scope/);
    await assert.rejects(
      scope.query(
        chSql`SELECT count() FROM ${scope.from('analytics_events')} UNION ALL SELECT count() FROM reward_facts`,
      ),
      /outside the client scope/,
    );
    assert.throws(() => assertScoped(`SELECT * FROM  events`, ACME));
    // A value that spells a table name is data, not a name.
    const ok = await scope.query<{ n: string }>(
      chSql`SELECT count() AS n FROM ${scope.from('analytics_events')} AND event = ${'events'}`,
    );
    assert.equal(Number(ok[0]?.n), 0);
  });

  it('CSV export streams any report, for analysts with analytics.export', async () => {
    const res = await app.request(`/v1/analytics/reports/referrers?${W}&format=csv`, {
      headers: { authorization: `Bearer ${ACME}:analyst` },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = (await res.text()).trim().split('\n');
    assert.equal(
      lines[0],
      'referrer_id,shares,clickers,signups,conversions,signup_rate,conversion_rate,revenue,reward_cost',
    );
    assert.equal(lines[1], 'ann,3,3,2,1,0.6666666666666666,0.5,EUR:120,EUR:10');
    const custom = await post(
      { metrics: ['events'], dimensions: ['kind'], grain: 'none', from: '2026-11-01', to: '2026-11-30' },
      `${ACME}:analyst`,
      '?format=csv',
    );
    assert.equal(await custom.text(), 'kind,events\nclick,5\nconversion,5\nother,1\nshare,4\nsignup,6\n');
    const viewer = await app.request(`/v1/analytics/reports/referrers?${W}&format=csv`, {
      headers: { authorization: `Bearer ${ACME}:viewer` },
    });
    assert.equal(viewer.status, 403);
  });

  it('PDF report with vector charts', async () => {
    const res = await app.request('/v1/analytics/campaigns/c1/report.pdf?from=2026-11-01&to=2026-11-30', {
      headers: { authorization: `Bearer ${ACME}:analyst` },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    assert.ok(pdf.length > 2000, `a real document (${pdf.length} bytes)`);
    assert.doesNotMatch(pdf.toString('latin1'), /\/Subtype\s*\/Image/, 'charts are paths, not images');
  });

  it('the definitions page every report links to', async () => {
    const res = await app.request('/docs/metrics');
    assert.equal(res.status, 200);
    const html = await res.text();
    for (const id of [
      'funnel',
      'k-factor',
      'viral-cycle-time',
      'cost',
      'ltv',
      'cohorts',
      'reward-distribution',
      'segments',
      'referrers',
      'custom-reports',
      'live',
    ])
      assert.match(html, new RegExp(`<h2 id="${id}">`), id);
  });

  it('caches reports in Redis and says how fresh they are', async () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/8', {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    try {
      await redis.connect();
      const cachedApp = createAnalyticsApp({ ch: t.ch, resolver, redis, cacheMaxAge: 30 });
      const path = `/v1/analytics/reports/funnel?${W}&probe=${Date.now()}`;
      const h = { authorization: `Bearer ${ACME}:analyst` };
      const a = (await (await cachedApp.request(path, { headers: h })).json()) as Json;
      const b = (await (await cachedApp.request(path, { headers: h })).json()) as Json;
      assert.equal(a.cached, false);
      assert.equal(b.cached, true);
      assert.equal(b.as_of, a.as_of);
      assert.equal(b.max_age, 30);
      assert.deepEqual(b.data, a.data);
      const other = (await (
        await cachedApp.request(path, { headers: { authorization: `Bearer ${OTHER}:analyst` } })
      ).json()) as Json;
      assert.equal(other.cached, false, 'the cache key names the client');
    } finally {
      redis.disconnect();
    }
  });
});
