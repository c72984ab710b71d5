import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, createRewardFixture, keys, type RewardFixture } from '../../../test/support/reward.ts';
import { balances } from '../fulfilment/repo.ts';
import { findReward, listTransitions } from '../lifecycle/repo.ts';
import { findCampaign } from '../programs/repo.ts';
import { clawback } from './clawback.ts';

const credit = (amount: number) => ({ category: 'store_credit', amount, currency: 'USD' });
let clock = new Date();
let f: RewardFixture;
let n = 0;
const CLIENT = 'acme';
const manager = keys.secret(CLIENT, 'manager');
const admin = keys.secret(CLIENT, 'admin');
const viewer = keys.secret(CLIENT, 'viewer');

const verdict = (decision: 'review' | 'reject', referrer: string, suspendAfter = 3) => ({
  score: decision === 'review' ? 40 : 100,
  decision,
  reasons: [
    decision === 'review'
      ? { rule: 'same_ip', signal: 'ip', weight: 40, severity: 'medium', detail: 'the referrer’s IP address' }
      : {
          rule: 'self_referral_email',
          signal: 'email',
          weight: 100,
          severity: 'critical',
          detail: 'same email',
        },
  ],
  assessment_id: `fra_${n}`,
  referrer_id: referrer,
  suspend_after: suspendAfter,
});

before(async () => {
  f = await createRewardFixture({ now: () => clock });
  await f.register(CLIENT, 'camp', {
    bonus: {
      type: 'double',
      referrer: { give: credit(20) },
      referee: { give: { category: 'coupon', amount: 5, currency: 'USD' } },
    },
    constraints: { budget: { amount: 1000, currency: 'USD' }, clawback_window: '14d' },
  });
});
after(() => f.close());

async function allocate(o: {
  participant: string;
  side?: 'referrer' | 'referee';
  referral?: string;
  fraud?: unknown;
  order?: string;
}) {
  const r = await call(f.app, 'POST', '/internal/v1/rewards/allocate', {
    body: {
      client_id: CLIENT,
      campaign_id: 'camp',
      version: 1,
      reward: 'bonus',
      side: o.side ?? 'referrer',
      participant_id: o.participant,
      referral_id: o.referral ?? `ref-${++n}`,
      idempotency_key: `k-${++n}`,
      ...(o.fraud ? { fraud: o.fraud } : {}),
      ...(o.order ? { order_id: o.order } : {}),
    },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as {
    reward_id: string;
    state: string;
    allocated: boolean;
    reason: string | null;
    fulfilment: string;
  };
}
const budget = async () => (await findCampaign(f.test.db, CLIENT, 'camp'))?.allocated;

describe('fraud review queue', () => {
  it('a "review" verdict holds the reward in the approval queue with its reasons; a manager approves it', async () => {
    const r = await allocate({ participant: 'ann', fraud: verdict('review', 'ann') });
    assert.deepEqual([r.state, r.allocated, r.fulfilment], ['PENDING', true, 'approval']);
    const got = await call(f.app, 'GET', `/v1/rewards/${r.reward_id}`, { key: viewer });
    const review = (got.body.reward as { review: { decision: string; reasons: { rule: string }[] } }).review;
    assert.deepEqual([review.decision, review.reasons.map((x) => x.rule)], ['review', ['same_ip']]);
    assert.equal((await call(f.app, 'GET', '/v1/fraud-reviews', { key: viewer })).status, 403);
    const queue = await call(f.app, 'GET', '/v1/fraud-reviews', { key: manager });
    assert.ok((queue.body.data as { id: string }[]).some((x) => x.id === r.reward_id));
    const ok = await call(f.app, 'POST', `/v1/fraud-reviews/${r.reward_id}/approve`, {
      key: manager,
      body: { reason: 'known customer' },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((ok.body.reward as { state: string }).state, 'APPROVED');
    // Deciding twice is refused; the first decision stands.
    assert.equal(
      (await call(f.app, 'POST', `/v1/fraud-reviews/${r.reward_id}/approve`, { key: manager, body: {} }))
        .status,
      409,
    );
    const d = await call(f.app, 'GET', `/v1/fraud-decisions?reward_id=${r.reward_id}`, { key: manager });
    const [rec] = d.body.data as {
      decision: string;
      actor: string;
      reason: string;
      confirmed_fraud: boolean;
      score: number;
    }[];
    assert.deepEqual(
      [rec?.decision, rec?.actor, rec?.reason, rec?.confirmed_fraud, rec?.score],
      ['approve', `key:${manager}`, 'known customer', false, 40],
    );
  });

  it('a rejection needs a reason, releases the budget and is recorded; a reward not held is refused', async () => {
    const before = await budget();
    const r = await allocate({ participant: 'bea', fraud: verdict('review', 'bea') });
    assert.equal(await budget(), (before ?? 0) + 20);
    const bad = await call(f.app, 'POST', `/v1/fraud-reviews/${r.reward_id}/reject`, {
      key: manager,
      body: {},
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /reason/);
    const no = await call(f.app, 'POST', `/v1/fraud-reviews/${r.reward_id}/reject`, {
      key: manager,
      body: { reason: 'a colleague, not fraud', confirmed_fraud: false },
    });
    assert.equal((no.body.reward as { state: string }).state, 'REJECTED');
    assert.equal(await budget(), before);
    const plain = await allocate({ participant: 'cal' });
    assert.equal(plain.state, 'APPROVED', 'no verdict: paid as before');
    assert.equal(
      (await call(f.app, 'POST', `/v1/fraud-reviews/${plain.reward_id}/approve`, { key: manager, body: {} }))
        .status,
      409,
    );
  });

  it('a "reject" verdict refuses the reward (FRAUD_DETECTED) and records the engine’s decision', async () => {
    const r = await allocate({ participant: 'dan', fraud: verdict('reject', 'dan') });
    assert.deepEqual([r.state, r.reason, r.allocated], ['REJECTED', 'FRAUD_DETECTED', false]);
    const d = await call(f.app, 'GET', `/v1/fraud-decisions?participant_id=dan`, { key: manager });
    const [rec] = d.body.data as { decision: string; actor: string; confirmed_fraud: boolean }[];
    assert.deepEqual([rec?.decision, rec?.actor, rec?.confirmed_fraud], ['reject', 'fraud-engine', true]);
  });

  it('suspends a referrer at the campaign’s number of confirmed frauds, then refuses their rewards until lifted', async () => {
    const held = [];
    for (let i = 0; i < 3; i++)
      held.push(await allocate({ participant: 'eve', fraud: verdict('review', 'eve') }));
    const reject = (id: string) =>
      call(f.app, 'POST', `/v1/reward-approvals/${id}/reject`, {
        key: manager,
        body: { reason: 'fake friends' },
      });
    await reject(held[0]!.reward_id);
    await reject(held[1]!.reward_id);
    let s = await call(f.app, 'GET', '/v1/fraud-suspensions', { key: manager });
    assert.ok(
      !(s.body.data as { participant_id: string }[]).some((x) => x.participant_id === 'eve'),
      'two is not three',
    );
    await reject(held[2]!.reward_id);
    s = await call(f.app, 'GET', '/v1/fraud-suspensions', { key: manager });
    const eve = (s.body.data as { participant_id: string; confirmed_frauds: number; reason: string }[]).find(
      (x) => x.participant_id === 'eve',
    );
    assert.equal(eve?.confirmed_frauds, 3);
    assert.match(String(eve?.reason), /3 confirmed fraudulent referrals/);
    const refused = await allocate({ participant: 'eve' });
    assert.deepEqual([refused.state, refused.reason], ['REJECTED', 'PARTICIPANT_SUSPENDED']);
    // Lifting overrides a protection: admins only, with a reason.
    assert.equal(
      (await call(f.app, 'POST', '/v1/fraud-suspensions/eve/lift', { key: manager, body: { reason: 'x' } }))
        .status,
      403,
    );
    assert.equal(
      (await call(f.app, 'POST', '/v1/fraud-suspensions/eve/lift', { key: admin, body: {} })).status,
      400,
    );
    const lifted = await call(f.app, 'POST', '/v1/fraud-suspensions/eve/lift', {
      key: admin,
      body: { reason: 'verified by support' },
    });
    assert.equal(lifted.status, 200, JSON.stringify(lifted.body));
    assert.equal((lifted.body.suspension as { lift_reason: string }).lift_reason, 'verified by support');
    assert.equal((await allocate({ participant: 'eve' })).state, 'APPROVED');
    assert.equal(
      (await call(f.app, 'POST', '/v1/fraud-suspensions/eve/lift', { key: admin, body: { reason: 'again' } }))
        .status,
      404,
    );
  });
});

describe('clawback', () => {
  it('a refund within the window reverses both sides of the order: REVERSED, negative ledger entry, budget back; once', async () => {
    const order = 'order-1';
    const start = await findCampaign(f.test.db, CLIENT, 'camp');
    const ref = await allocate({ participant: 'fay', referral: 'rf-1', order });
    const friend = await allocate({ participant: 'gus', side: 'referee', referral: 'rf-1', order });
    await f.service.fulfilNow(CLIENT, ref.reward_id);
    await f.service.fulfilNow(CLIENT, friend.reward_id);
    assert.equal((await findReward(f.test.db, CLIENT, ref.reward_id))?.state, 'REDEEMED');
    assert.equal((await findReward(f.test.db, CLIENT, friend.reward_id))?.state, 'FULFILLED');
    assert.deepEqual(
      (await balances(f.test.db, CLIENT, 'fay')).map((b) => Number(b.balance)),
      [20],
    );

    clock = new Date(clock.getTime() + 5 * 86_400_000);
    const e = {
      clientId: CLIENT,
      eventId: 'refund-evt-1',
      event: 'purchase_refunded',
      orderId: order,
      at: clock,
    };
    const r = await clawback(f.service.deps, e);
    assert.deepEqual([r.replayed, r.reversed.sort()], [false, [ref.reward_id, friend.reward_id].sort()]);
    for (const id of [ref.reward_id, friend.reward_id])
      assert.equal((await findReward(f.test.db, CLIENT, id))?.state, 'REVERSED');
    assert.deepEqual(
      (await balances(f.test.db, CLIENT, 'fay')).map((b) => Number(b.balance)),
      [0],
    );
    const entries = await f.test.db
      .selectFrom('ledger_entries')
      .select(['amount', 'kind'])
      .where('reward_id', '=', ref.reward_id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      entries.map((x) => [Number(x.amount), x.kind]),
      [
        [20, 'credit'],
        [-20, 'reversal'],
      ],
    );
    const end = await findCampaign(f.test.db, CLIENT, 'camp');
    assert.equal(Number(end?.allocated), Number(start?.allocated), 'budget given back');
    assert.equal(Number(end?.fulfilled), Number(start?.fulfilled), 'delivered total corrected');
    const t = await listTransitions(f.test.db, CLIENT, ref.reward_id);
    assert.deepEqual(
      [t.at(-1)?.to_state, t.at(-1)?.actor],
      ['REVERSED', 'clawback:purchase_refunded:refund-evt-1'],
    );

    // The same event again changes nothing.
    const again = await clawback(f.service.deps, e);
    assert.equal(again.replayed, true);
    assert.deepEqual(
      (await balances(f.test.db, CLIENT, 'fay')).map((b) => Number(b.balance)),
      [0],
    );
    assert.equal((await listTransitions(f.test.db, CLIENT, ref.reward_id)).length, t.length);
  });

  it('outside the window nothing happens', async () => {
    const ref = await allocate({ participant: 'hal', referral: 'rf-2', order: 'order-2' });
    await f.service.fulfilNow(CLIENT, ref.reward_id);
    clock = new Date(clock.getTime() + 15 * 86_400_000);
    const r = await clawback(f.service.deps, {
      clientId: CLIENT,
      eventId: 'refund-evt-2',
      event: 'purchase_refunded',
      orderId: 'order-2',
      at: clock,
    });
    assert.deepEqual([r.reversed, r.outside_window], [[], [ref.reward_id]]);
    assert.equal((await findReward(f.test.db, CLIENT, ref.reward_id))?.state, 'REDEEMED');
    assert.deepEqual(
      (await balances(f.test.db, CLIENT, 'hal')).map((b) => Number(b.balance)),
      [20],
    );
  });

  it('another client’s refund of the same order id reverses nothing here', async () => {
    const ref = await allocate({ participant: 'ivy', referral: 'rf-3', order: 'order-3' });
    const r = await clawback(f.service.deps, {
      clientId: 'other',
      eventId: 'refund-evt-3',
      event: 'purchase_refunded',
      orderId: 'order-3',
      at: clock,
    });
    assert.deepEqual(r.reversed, []);
    assert.equal((await findReward(f.test.db, CLIENT, ref.reward_id))?.state, 'APPROVED');
  });
});
