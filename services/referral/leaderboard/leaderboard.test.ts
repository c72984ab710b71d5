import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { CompiledQuery } from 'kysely';
import { serviceMigrations } from '../../../app/migrations.ts';
import type { Bus } from '../../../contract/bus.ts';
import { createTemporalClient } from '../../../engine/client.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { createPlatform, type Platform } from '../../app.ts';
import { createSmtpMailer } from '../../notification/index.ts';
import { createPostgresBus } from '../../platform/bus/postgres-bus.ts';
import { createClickHouse } from '../../platform/clickhouse.ts';
import { loadConfig } from '../../platform/config.ts';
import { createRedis } from '../../platform/redis.ts';
import { generateAssets } from '../service.ts';
import type { BoardEvent } from './leaderboards.ts';
import { periodKey, previousPeriodKey } from './periods.ts';
import { settleScheduleId, startSettlementWorker } from './schedules.ts';
import { startLeaderboardTracking } from './subscriber.ts';

/**
 * Leaderboards on the real stack: Postgres (scores, dedup, payouts), Redis DB 4 (the sorted sets),
 * the Postgres bus, Temporal (the settlement schedule and workflow) and the reward service (prizes).
 */

// biome-ignore lint/suspicious/noExplicitAny: answers are read as JSON.
type Body = Record<string, any>;
const REDIS_URL = 'redis://127.0.0.1:6379/4';

const CAMPAIGN = `
pulse: conversion
id: board-test
version: 1
title: Referral contest
trigger: { event: referred_made_purchase }
rewards:
  monthly_prizes:
    type: leaderboard
    period: monthly
    rank_by: conversions
    top: 3
    prizes:
      - { ranks: [1, 1], give: { category: store_credit, amount: 50, currency: USD } }
      - { ranks: [2, 3], give: { category: store_credit, amount: 10, currency: USD } }
leaderboards:
  - id: monthly
    title: Top referrers
    metric: referrals_converted
    period: monthly
    timezone: Europe/Paris
    reward: monthly_prizes
    public: { enabled: true, min_size: 3, anonymise: true }
    notify: { top: 2, min_interval_minutes: 60 }
  - id: sharers
    metric: { event: newsletter_subscribed }
    period: campaign
    notify: { enabled: false }
steps:
  - { id: done, end: completed }
`;

describe('leaderboards', () => {
  let t: TestDatabase;
  let temporal: Client;
  let platform: Platform;
  let bus: Bus;
  let redis: ReturnType<typeof createRedis>['redis'];
  let sk: string;
  let pk: string;
  let clientId: string;
  let campaignId: string;
  const mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'x@pulse.test' });

  const call = async (
    method: string,
    path: string,
    key?: string,
  ): Promise<{ status: number; body: Body }> => {
    const res = await platform.app.request(path, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'Idempotency-Key': randomUUID() },
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const q = async (text: string, params: unknown[]) =>
    // biome-ignore lint/suspicious/noExplicitAny: rows are read as JSON.
    (await t.db.executeQuery(CompiledQuery.raw(text, params))) as { rows: any[] };
  const board = () => ({ clientId, campaignId, boardId: 'monthly' });
  const now = new Date();
  const month = periodKey('monthly', now, 'Europe/Paris');
  // Mid last month: inside the previous period in any time zone.
  const LAST_MONTH = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15, 12)).toISOString();
  let seq = 0;
  const purchase = (referee: string, extra: Partial<BoardEvent> = {}): BoardEvent => ({
    event: 'referred_made_purchase',
    event_id: `evt_${++seq}_${randomUUID()}`,
    client_id: clientId,
    occurred_at: new Date().toISOString(),
    participant_id: referee,
    ...extra,
  });
  /** A referee `name` of `referrer` (their code) purchases: one converted referral for the referrer. */
  const codes = new Map<string, string>();
  const convert = (referrer: string, referee: string, extra: Partial<BoardEvent> = {}) =>
    platform.leaderboards.handleEvent(
      purchase(referee, { properties: { referral_code: codes.get(referrer) as string }, ...extra }),
    );

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    const config = loadConfig({ ...process.env, DATABASE_URL: t.url });
    temporal = await createTemporalClient(config.temporalAddress);
    redis = createRedis(REDIS_URL, { commandTimeoutMs: 5_000 }).redis;
    bus = createPostgresBus({ db: t.db });
    platform = createPlatform({
      config,
      db: t.db,
      ch: createClickHouse(config.clickhouseUrl, config.clickhouseDatabase),
      bus,
      mailer,
      temporal,
      redis,
    });
    const admin = (await platform.clientManagement.issueKey(null, 'admin')).key;
    const created = await platform.app.request('/v1/admin/clients', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${admin}`,
        'content-type': 'application/json',
        'Idempotency-Key': randomUUID(),
      },
      body: JSON.stringify({ name: 'Board Co' }),
    });
    const c = (await created.json()) as Body;
    clientId = c.client.id;
    sk = c.keys.secret.key;
    pk = c.keys.publishable.key;
    const deploy = await platform.app.request('/v1/campaigns/deploy', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sk}`,
        'content-type': 'application/json',
        'Idempotency-Key': randomUUID(),
      },
      body: JSON.stringify({ source: CAMPAIGN }),
    });
    const d = (await deploy.json()) as Body;
    assert.equal(deploy.status, 201, JSON.stringify(d));
    campaignId = d.campaign_id;
    const status = await platform.app.request(`/v1/campaigns/${campaignId}/status`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sk}`,
        'content-type': 'application/json',
        'Idempotency-Key': randomUUID(),
      },
      body: JSON.stringify({ status: 'active' }),
    });
    assert.equal(status.status, 200);
    // Referrers join in this order (their codes are their join): ann, bob, cat, dan, eve.
    for (const p of ['ann', 'bob', 'cat', 'dan', 'eve']) {
      codes.set(
        p,
        (await generateAssets(t.db, { clientId, campaignId }, { participantId: p }, 'http://x')).code,
      );
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  after(async () => {
    const keys = await redis.keys(`pulse:lb:{${clientId}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await temporal.schedule
      .getHandle(settleScheduleId(board()))
      .delete()
      .catch(() => undefined);
    redis.disconnect();
    mailer.close();
    await bus.close();
    await temporal.connection.close();
    await t.drop();
  });

  it('ranks by the metric, equal scores by earlier join, and counts each referee once', async () => {
    // bob: 2 conversions, cat: 2, ann: 1, eve: 1. Ties: bob joined before cat, ann before eve.
    await convert('bob', 'r1');
    await convert('cat', 'r2');
    await convert('cat', 'r3');
    await convert('eve', 'r4');
    await convert('bob', 'r5');
    await convert('ann', 'r6');
    // A second purchase of r1 and a re-delivery of one event change nothing.
    assert.equal(await convert('bob', 'r1'), 0);
    const again = purchase('r7', { properties: { referral_code: codes.get('dan') as string } });
    assert.equal(await platform.leaderboards.handleEvent(again), 1);
    assert.equal(await platform.leaderboards.handleEvent(again), 0, 'a re-delivered event counts once');
    // Self-referral and an unknown code count nothing.
    assert.equal(await convert('ann', 'ann'), 0);
    assert.equal(
      await platform.leaderboards.handleEvent(purchase('r8', { properties: { referral_code: 'NOPE2345' } })),
      0,
    );

    const top = await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly?limit=10`, sk);
    assert.equal(top.status, 200, JSON.stringify(top.body));
    assert.equal(top.body.period, month);
    assert.equal(top.body.total, 5);
    assert.deepEqual(
      top.body.standings.map((s: Body) => [s.rank, s.participant_id, s.score]),
      [
        [1, 'bob', 2],
        [2, 'cat', 2],
        [3, 'ann', 1],
        [4, 'dan', 1],
        [5, 'eve', 1],
      ],
    );
    assert.ok(Date.parse(top.body.period_ends_at) > Date.now());

    const me = await call(
      'GET',
      `/v1/campaigns/${campaignId}/leaderboards/monthly/participants/dan?around=1`,
      sk,
    );
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.participant, { rank: 4, participant_id: 'dan', score: 1 });
    assert.deepEqual(
      me.body.around.map((s: Body) => s.participant_id),
      ['ann', 'dan', 'eve'],
    );
    const nobody = await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly/participants/zed`, sk);
    assert.equal(nobody.body.participant, null);
  });

  it('answers from Postgres when Redis lost the set, and rebuilds it to the same standings', async () => {
    const before = await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly`, sk);
    assert.ok(await platform.leaderboards.index?.ready(board(), month));
    const keys = await redis.keys(`pulse:lb:{${clientId}:${campaignId}:monthly}*`);
    assert.ok(keys.length >= 2);
    await redis.del(...keys);
    assert.equal(await platform.leaderboards.index?.ready(board(), month), false);
    const fromDb = await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly`, sk);
    assert.deepEqual(fromDb.body.standings, before.body.standings);
    const meDb = await call(
      'GET',
      `/v1/campaigns/${campaignId}/leaderboards/monthly/participants/eve?around=2`,
      sk,
    );
    assert.deepEqual(meDb.body.participant, { rank: 5, participant_id: 'eve', score: 1 });
    const rebuilt = await call('POST', `/v1/campaigns/${campaignId}/leaderboards/monthly/rebuild`, sk);
    assert.equal(rebuilt.status, 200);
    // The read above already started a rebuild; either it or this one completes the set.
    for (let i = 0; i < 50 && !(await platform.leaderboards.index?.ready(board(), month)); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(await platform.leaderboards.index?.ready(board(), month));
    assert.equal(await redis.zcard(`pulse:lb:{${clientId}:${campaignId}:monthly}:${month}`), 5);
    const fromRedis = await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly`, sk);
    assert.deepEqual(fromRedis.body.standings, before.body.standings);
    const meRedis = await call(
      'GET',
      `/v1/campaigns/${campaignId}/leaderboards/monthly/participants/eve?around=2`,
      sk,
    );
    assert.deepEqual(meRedis.body, meDb.body);
  });

  it('refuses bad input and the wrong keys, and hides unknown boards', async () => {
    const bad = await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly?period=last`, sk);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].path, 'period');
    const limit = await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly?limit=0`, sk);
    assert.equal(limit.status, 400);
    assert.equal((await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly`, pk)).status, 403);
    assert.equal((await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly`)).status, 401);
    assert.equal((await call('GET', `/v1/campaigns/${campaignId}/leaderboards/nope`, sk)).status, 404);
    assert.equal(
      (await call('POST', `/v1/campaigns/${campaignId}/leaderboards/monthly/rebuild`, pk)).status,
      403,
    );
    // Another client's key sees nothing of this board.
    const admin = (await platform.clientManagement.issueKey(null, 'admin')).key;
    const other = await platform.app.request('/v1/admin/clients', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${admin}`,
        'content-type': 'application/json',
        'Idempotency-Key': randomUUID(),
      },
      body: JSON.stringify({ name: 'Other Co' }),
    });
    const otherSk = ((await other.json()) as Body).keys.secret.key;
    assert.equal(
      (await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly`, otherSk)).status,
      404,
    );
  });

  it('publishes an anonymised public board, empty below its minimum size', async () => {
    const pub = await call('GET', `/v1/public/leaderboards/${clientId}/${campaignId}/monthly`);
    assert.equal(pub.status, 200);
    assert.equal(pub.body.below_min_size, false);
    assert.equal(pub.body.title, 'Top referrers');
    assert.deepEqual(
      pub.body.standings.map((s: Body) => s.name),
      ['Participant #1', 'Participant #2', 'Participant #3', 'Participant #4', 'Participant #5'],
    );
    assert.ok(!JSON.stringify(pub.body).includes('bob'), 'no participant ids on the public board');
    // The custom-event board is not public.
    assert.equal(
      (await call('GET', `/v1/public/leaderboards/${clientId}/${campaignId}/sharers`)).status,
      404,
    );
    // A board below min_size: a past period with two participants.
    const past = previousPeriodKey('monthly', now, 'Europe/Paris');
    await convert('ann', 'p1', { occurred_at: LAST_MONTH });
    await convert('bob', 'p2', { occurred_at: LAST_MONTH });
    const small = await call(
      'GET',
      `/v1/public/leaderboards/${clientId}/${campaignId}/monthly?period=${past}`,
    );
    assert.equal(small.status, 200);
    assert.equal(small.body.below_min_size, true);
    assert.deepEqual(small.body.standings, []);
    assert.equal(small.body.total, 0);
  });

  it('counts a custom event per participant on a campaign-long board, once per event id', async () => {
    const e = (p: string): BoardEvent => ({
      event: 'newsletter_subscribed',
      event_id: `evt_n_${randomUUID()}`,
      client_id: clientId,
      occurred_at: new Date().toISOString(),
      participant_id: p,
      traits: { name: 'Zoe' },
    });
    const z = e('zoe');
    await platform.leaderboards.handleEvent(z);
    await platform.leaderboards.handleEvent(z);
    await platform.leaderboards.handleEvent(e('zoe'));
    await platform.leaderboards.handleEvent(e('yan'));
    const top = await call('GET', `/v1/campaigns/${campaignId}/leaderboards/sharers`, sk);
    assert.equal(top.body.period, 'campaign');
    assert.equal(top.body.period_ends_at, null);
    assert.deepEqual(
      top.body.standings.map((s: Body) => [s.participant_id, s.score]),
      [
        ['zoe', 2],
        ['yan', 1],
      ],
    );
  });

  it('events from the bus count exactly once, a re-published event id included', async () => {
    const sub = await startLeaderboardTracking(bus, platform.leaderboards);
    try {
      const e = purchase('b1', { properties: { referral_code: codes.get('eve') as string } });
      await bus.publish(`event.referred_made_purchase.${clientId}.${campaignId}`, e, { id: e.event_id });
      await bus.publish(`event.referred_made_purchase.${clientId}.${campaignId}`, e, {
        id: `${e.event_id}-again`,
      });
      let eve: Body | undefined;
      for (let i = 0; i < 100; i++) {
        eve = (await call('GET', `/v1/campaigns/${campaignId}/leaderboards/monthly/participants/eve`, sk))
          .body;
        if (eve.participant?.score === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(eve?.participant?.score, 2);
      await new Promise((r) => setTimeout(r, 500));
      const later = await call(
        'GET',
        `/v1/campaigns/${campaignId}/leaderboards/monthly/participants/eve`,
        sk,
      );
      assert.equal(later.body.participant.score, 2, 'the second delivery added nothing');
    } finally {
      await sub.stop();
    }
  });

  it('notifies entering the top N and being overtaken, on the bus and by notification, rate-limited', async () => {
    const seen: Body[] = [];
    const sub = await bus.subscribe(
      `lb-test-${randomUUID()}`,
      `leaderboard.rank_changed.${clientId}.#`,
      async (m) => {
        seen.push(m.payload as Body);
      },
    );
    try {
      // Standings now: bob 2, cat 2, eve 2, ann 1, dan 1 (top 2 watched). dan gets two conversions: 3.
      await convert('dan', 'n1');
      await convert('dan', 'n2');
      for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
      const kinds = seen.map((s) => `${s.participant_id}:${s.kind}:${s.rank}`).sort();
      assert.ok(kinds.includes('dan:entered_top:1'), kinds.join(','));
      assert.ok(kinds.includes('bob:overtaken:2'), kinds.join(','));
      assert.ok(kinds.includes('cat:dropped_out:3'), kinds.join(','));
      const { rows } = await q(
        `select participant_id, template from notifications where client_id = $1 order by participant_id`,
        [clientId],
      );
      assert.deepEqual(
        rows.map((r: Body) => r.participant_id),
        ['bob', 'cat', 'dan'],
      );
      assert.ok(rows.every((r: Body) => r.template === 'leaderboard-rank-changed'));
      // cat climbs back (3 → 4 conversions): bus messages again, but no second notice within the hour for dan.
      await convert('cat', 'n3');
      await convert('cat', 'n4');
      for (let i = 0; i < 50 && !seen.some((s) => s.participant_id === 'dan' && s.kind === 'overtaken'); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.ok(seen.some((s) => s.participant_id === 'dan' && s.kind === 'overtaken'));
      const after = await q(
        `select count(*)::int as n from notifications where client_id = $1 and participant_id = 'dan'`,
        [clientId],
      );
      assert.equal(after.rows[0].n, 1, 'rate-limited: one notice per participant and hour');
    } finally {
      await sub.stop();
    }
  });

  it('settles an ended period once through the reward service, by schedule on Temporal', async () => {
    const past = previousPeriodKey('monthly', now, 'Europe/Paris');
    // Last month: ann 1 (joined first), bob 1 — and a third on the board so every prize band is used.
    await convert('cat', 'p3', { occurred_at: LAST_MONTH });
    const info = await temporal.schedule.getHandle(settleScheduleId(board())).describe();
    assert.equal(info.state.paused, false);
    const worker = await startSettlementWorker({
      address: loadConfig(process.env).temporalAddress,
      namespace: 'default',
      taskQueue: loadConfig(process.env).taskQueue,
      boards: platform.leaderboards,
    });
    try {
      await temporal.schedule.getHandle(settleScheduleId(board())).trigger();
      let paid: Body | undefined;
      for (let i = 0; i < 150 && !paid; i++) {
        const { rows } = await q(
          `select standings, reward_ids from referral_leaderboard_payouts where client_id = $1 and period = $2`,
          [clientId, past],
        );
        if (rows[0] && (rows[0].reward_ids as string[]).length > 0) paid = rows[0];
        else await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(paid, 'the schedule settled last month');
      assert.deepEqual(
        (paid.standings as Body[]).map((s) => [s.rank, s.participant_id]),
        [
          [1, 'ann'],
          [2, 'bob'],
          [3, 'cat'],
        ],
      );
      const rewards = await q(
        `select participant_id, amount::float8 as amount from rewards where client_id = $1 and rule = 'monthly_prizes' order by amount desc, participant_id`,
        [clientId],
      );
      assert.deepEqual(
        rewards.rows.map((r: Body) => [r.participant_id, r.amount]),
        [
          ['ann', 50],
          ['bob', 10],
          ['cat', 10],
        ],
      );
      // Settling again (a retry, a second firing) pays nothing more; the current month is not due.
      assert.deepEqual(await platform.leaderboards.settle(board()), []);
      const count = await q(`select count(*)::int as n from rewards where client_id = $1`, [clientId]);
      assert.equal(count.rows[0].n, 3);
      // A late event for the settled month changes nothing.
      assert.equal(await convert('eve', 'p9', { occurred_at: LAST_MONTH }), 0);
      const pastTop = await call(
        'GET',
        `/v1/campaigns/${campaignId}/leaderboards/monthly?period=${past}`,
        sk,
      );
      assert.equal(pastTop.body.final, true);
      assert.equal(pastTop.body.total, 3);
    } finally {
      await worker.stop();
    }
  });
  it('a campaign that ends settles its boards at once (the current period too), while its reward program still pays', async () => {
    const worker = await startSettlementWorker({
      address: loadConfig(process.env).temporalAddress,
      namespace: 'default',
      taskQueue: loadConfig(process.env).taskQueue,
      boards: platform.leaderboards,
    });
    try {
      const ended = await platform.app.request(`/v1/campaigns/${campaignId}/status`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sk}`,
          'content-type': 'application/json',
          'Idempotency-Key': randomUUID(),
        },
        body: JSON.stringify({ status: 'ended' }),
      });
      assert.equal(ended.status, 200);
      let rows: Body[] = [];
      for (let i = 0; i < 150 && rows.length < 2; i++) {
        rows = (
          await q(
            `select board_id, period, reward_ids from referral_leaderboard_payouts where client_id = $1 and period <> $2 order by board_id`,
            [clientId, previousPeriodKey('monthly', now, 'Europe/Paris')],
          )
        ).rows;
        if (rows.length < 2) await new Promise((r) => setTimeout(r, 200));
      }
      assert.deepEqual(
        rows.map((r) => [r.board_id, r.period]),
        [
          ['monthly', month],
          ['sharers', 'campaign'],
        ],
      );
      const monthly = rows.find((r) => r.board_id === 'monthly') as Body;
      assert.equal(
        (monthly.reward_ids as string[]).length,
        3,
        'the top three of this month got their prizes',
      );
      await assert.rejects(temporal.schedule.getHandle(settleScheduleId(board())).describe());
      // An ended campaign's boards count nothing more.
      assert.equal(await convert('ann', 'late1'), 0);
    } finally {
      await worker.stop();
    }
  });
});
