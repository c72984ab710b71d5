import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  call,
  createRewardFixture,
  identityToken,
  keys,
  type RewardFixture,
} from '../../../test/support/reward.ts';
import { findReward } from '../lifecycle/repo.ts';
import { findCampaign } from '../programs/repo.ts';

const credit = (amount: number) => ({ category: 'store_credit', amount, currency: 'USD' });
let clock = new Date();
let f: RewardFixture;
let n = 0;

before(async () => {
  f = await createRewardFixture({ now: () => clock });
  const status = await call(f.app, 'PUT', '/v1/reward-programs/camp', {
    body: {
      client_id: 'acme',
      version: 1,
      status: 'active',
      rewards: {
        reviewed: { type: 'single', give: credit(100), fulfilment: 'approval' },
        claimed: {
          type: 'single',
          give: { category: 'coupon', amount: 5, currency: 'USD', expires_in: '7d' },
          fulfilment: 'claim',
        },
        constraints: {
          budget: { amount: 1000, currency: 'USD' },
          expiry: { unapproved: '3d', unclaimed: '10d', unredeemed: '30d' },
        },
      },
    },
  });
  assert.equal(status.status, 200, JSON.stringify(status.body));
});
after(() => f.close());

const internal = (path: string, body: Record<string, unknown>) =>
  call(f.app, 'POST', `/internal/v1/rewards${path}`, { body });
const allocate = async (rule: string, participant = 'p1', client = 'acme') => {
  const r = await internal('/allocate', {
    client_id: client,
    campaign_id: 'camp',
    version: 1,
    reward: rule,
    participant_id: participant,
    idempotency_key: `r-${++n}`,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { reward_id: string; state: string; allocated: boolean };
};

describe('approval queue', () => {
  it('lists pending rewards for managers; viewers get 403; approve moves PENDING → ELIGIBLE → APPROVED', async () => {
    const r = await allocate('reviewed');
    assert.equal(r.state, 'PENDING');
    const viewer = await call(f.app, 'GET', '/v1/reward-approvals', { key: keys.secret('acme', 'viewer') });
    assert.equal(viewer.status, 403);
    const denied = await call(f.app, 'POST', `/v1/reward-approvals/${r.reward_id}/approve`, {
      key: keys.secret('acme', 'viewer'),
    });
    assert.equal(denied.status, 403);
    const pk = await call(f.app, 'GET', '/v1/reward-approvals', { key: keys.publishable('acme') });
    assert.equal(pk.status, 403);
    const list = await call(f.app, 'GET', '/v1/reward-approvals', { key: keys.secret('acme', 'manager') });
    assert.deepEqual(
      (list.body.data as { id: string }[]).map((x) => x.id),
      [r.reward_id],
    );
    const ok = await call(f.app, 'POST', `/v1/reward-approvals/${r.reward_id}/approve`, {
      key: keys.secret('acme', 'manager'),
    });
    assert.equal((ok.body.reward as { state: string }).state, 'APPROVED');
    const twice = await call(f.app, 'POST', `/v1/reward-approvals/${r.reward_id}/approve`, {
      key: keys.secret('acme', 'admin'),
    });
    assert.deepEqual(
      [twice.status, (twice.body.error as { code: string }).code],
      [409, 'ILLEGAL_TRANSITION'],
    );
    const detail = await call(f.app, 'GET', `/v1/rewards/${r.reward_id}`, {
      key: keys.secret('acme', 'viewer'),
    });
    const trail = (detail.body.transitions as { to: string; actor: string }[]).map(
      (t) => `${t.to}:${t.actor}`,
    );
    assert.deepEqual(trail.slice(-2), [
      `ELIGIBLE:key:${keys.secret('acme', 'manager')}`,
      `APPROVED:key:${keys.secret('acme', 'manager')}`,
    ]);
  });

  it('reject with a reason releases the budget', async () => {
    const r = await allocate('reviewed', 'p2');
    assert.equal(r.state, 'PENDING');
    const before = (await findCampaign(f.test.db, 'acme', 'camp'))?.allocated ?? 0;
    const missing = await call(f.app, 'POST', `/v1/reward-approvals/${r.reward_id}/reject`, {
      key: keys.secret('acme', 'manager'),
      body: {},
    });
    assert.equal(missing.status, 400);
    const res = await call(f.app, 'POST', `/v1/reward-approvals/${r.reward_id}/reject`, {
      key: keys.secret('acme', 'manager'),
      body: { reason: 'self-referral' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const reward = res.body.reward as { state: string; reason: string };
    assert.deepEqual([reward.state, reward.reason], ['REJECTED', 'REJECTED_BY_REVIEWER: self-referral']);
    assert.equal((await findCampaign(f.test.db, 'acme', 'camp'))?.allocated, before - 100);
  });
});

describe('claims from the SDK', () => {
  it('the participant lists and claims their reward with a publishable key and an identity token', async () => {
    const r = await allocate('claimed', 'sdk-user');
    const identity = identityToken('acme', 'sdk-user');
    const mine = await call(f.app, 'GET', '/v1/reward-participants/sdk-user/rewards', {
      key: keys.publishable('acme'),
      identity,
    });
    assert.deepEqual(
      (mine.body.data as { id: string; state: string }[]).map((x) => [x.id, x.state]),
      [[r.reward_id, 'ELIGIBLE']],
    );
    const anonymous = await call(f.app, 'GET', '/v1/reward-participants/sdk-user/rewards', {
      key: keys.publishable('acme'),
    });
    assert.deepEqual(anonymous.body, {
      data: [],
      has_more: false,
      next_cursor: null,
      redacted: true,
      reason: 'no identity token',
      counts: { total: 1, by_state: { ELIGIBLE: 1 } },
    });
    const unclaimed = await call(f.app, 'POST', `/v1/rewards/${r.reward_id}/claim`, {
      key: keys.publishable('acme'),
      body: { participant_id: 'sdk-user' },
    });
    assert.deepEqual(
      [unclaimed.status, (unclaimed.body.error as { code: string }).code],
      [401, 'IDENTITY_REQUIRED'],
    );
    const wrong = await call(f.app, 'POST', `/v1/rewards/${r.reward_id}/claim`, {
      key: keys.publishable('acme'),
      identity: identityToken('acme', 'someone-else'),
      body: { participant_id: 'someone-else' },
    });
    assert.equal(wrong.status, 404);
    const claim = await call(f.app, 'POST', `/v1/rewards/${r.reward_id}/claim`, {
      key: keys.publishable('acme'),
      identity,
      body: { participant_id: 'sdk-user', details: { email: 'a@b.co' } },
    });
    assert.equal((claim.body.reward as { state: string }).state, 'APPROVED');
    const fulfil = await internal(`/${r.reward_id}/fulfil`, { client_id: 'acme' });
    assert.equal(fulfil.body.state, 'FULFILLED');
  });

  it('an unclaimed reward cannot be claimed after its deadline', async () => {
    const r = await allocate('claimed', 'late-user');
    clock = new Date(Date.now() + 11 * 86_400_000);
    const late = await call(f.app, 'POST', `/v1/rewards/${r.reward_id}/claim`, {
      key: keys.publishable('acme'),
      identity: identityToken('acme', 'late-user', clock),
      body: { participant_id: 'late-user' },
    });
    clock = new Date();
    assert.equal(late.status, 409);
    assert.equal((await findReward(f.test.db, 'acme', r.reward_id))?.state, 'EXPIRED');
  });
});

describe('expiry sweep', () => {
  it('unapproved → REJECTED, unclaimed → EXPIRED, unredeemed → EXPIRED; budget released for the undelivered', async () => {
    const unapproved = await allocate('reviewed', 'e1');
    const unclaimed = await allocate('claimed', 'e2');
    const unredeemed = await allocate('claimed', 'e3');
    await f.service.claim('acme', unredeemed.reward_id, 'e3');
    await f.service.fulfilNow('acme', unredeemed.reward_id);
    const allocatedBefore = (await findCampaign(f.test.db, 'acme', 'camp'))?.allocated ?? 0;

    clock = new Date(Date.now() + 4 * 86_400_000);
    let res = await internal('/expire', {});
    assert.equal((await findReward(f.test.db, 'acme', unapproved.reward_id))?.state, 'REJECTED');
    assert.equal((await findReward(f.test.db, 'acme', unclaimed.reward_id))?.state, 'ELIGIBLE');
    clock = new Date(Date.now() + 40 * 86_400_000);
    res = await internal('/expire', { limit: 100 });
    assert.equal(res.status, 200);
    const after = await Promise.all(
      [unapproved, unclaimed, unredeemed].map((r) => findReward(f.test.db, 'acme', r.reward_id)),
    );
    assert.deepEqual(
      after.map((r) => [r?.state, r?.reason]),
      [
        ['REJECTED', 'NOT_APPROVED_IN_TIME'],
        ['EXPIRED', 'NOT_CLAIMED_IN_TIME'],
        ['EXPIRED', 'NOT_REDEEMED_IN_TIME'],
      ],
    );
    assert.equal((await findCampaign(f.test.db, 'acme', 'camp'))?.allocated, allocatedBefore - 100 - 5);
    clock = new Date();
  });
});

describe('redemption', () => {
  it('a manager redeems a delivered coupon by code once; after its validity it has expired', async () => {
    const r = await allocate('claimed', 'coupon-user');
    await f.service.claim('acme', r.reward_id, 'coupon-user');
    const code = String((await f.service.fulfilNow('acme', r.reward_id)).fulfilment.reference);
    const check = await call(f.app, 'GET', `/v1/reward-coupons/${code}`, {
      key: keys.secret('acme', 'viewer'),
    });
    assert.equal((check.body.coupon as { valid: boolean }).valid, true);
    const used = await call(f.app, 'POST', `/v1/reward-coupons/${code}/redeem`, {
      key: keys.secret('acme', 'manager'),
    });
    assert.equal((used.body.reward as { state: string }).state, 'REDEEMED');
    const again = await call(f.app, 'POST', `/v1/reward-coupons/${code}/redeem`, {
      key: keys.secret('acme', 'manager'),
    });
    assert.equal(again.status, 409);

    const late = await allocate('claimed', 'late-coupon');
    await f.service.claim('acme', late.reward_id, 'late-coupon');
    await f.service.fulfilNow('acme', late.reward_id);
    clock = new Date(Date.now() + 8 * 86_400_000);
    const expired = await call(f.app, 'POST', `/v1/rewards/${late.reward_id}/redeem`, {
      key: keys.secret('acme', 'manager'),
    });
    clock = new Date();
    assert.equal(expired.status, 409);
    assert.equal((await findReward(f.test.db, 'acme', late.reward_id))?.state, 'EXPIRED');
  });
});

describe('tenancy and auth', () => {
  it('client B can neither read nor approve nor claim client A’s rewards', async () => {
    const r = await allocate('reviewed', 'tenant-a');
    const read = await call(f.app, 'GET', `/v1/rewards/${r.reward_id}`, {
      key: keys.secret('globex', 'owner'),
    });
    assert.equal(read.status, 404);
    const approve = await call(f.app, 'POST', `/v1/reward-approvals/${r.reward_id}/approve`, {
      key: keys.secret('globex', 'owner'),
    });
    assert.equal(approve.status, 404);
    const list = await call(f.app, 'GET', '/v1/reward-approvals', { key: keys.secret('globex', 'manager') });
    assert.deepEqual(list.body.data, []);
    const sdk = await call(f.app, 'GET', '/v1/reward-participants/tenant-a/rewards', {
      key: keys.publishable('globex'),
      identity: identityToken('globex', 'tenant-a'),
    });
    assert.deepEqual(sdk.body.data, []);
    const budget = await call(f.app, 'GET', '/v1/reward-budgets/camp', {
      key: keys.secret('globex', 'viewer'),
    });
    assert.equal(budget.status, 404);
    const fulfil = await internal(`/${r.reward_id}/fulfil`, { client_id: 'globex' });
    assert.equal(fulfil.status, 404);
    assert.equal((await findReward(f.test.db, 'acme', r.reward_id))?.state, 'PENDING');
  });

  it('internal routes need the service token; public ones a key', async () => {
    assert.equal(
      (await call(f.app, 'POST', '/internal/v1/rewards/allocate', { key: 'wrong', body: {} })).status,
      401,
    );
    assert.equal(
      (await call(f.app, 'PUT', '/v1/reward-programs/x', { key: keys.secret('acme', 'owner'), body: {} }))
        .status,
      401,
    );
    assert.equal((await call(f.app, 'GET', '/v1/rewards', { key: 'nope' })).status, 401);
    const bad = await internal('/allocate', { client_id: 'acme' });
    assert.equal(bad.status, 400);
  });

  it('a fulfilment endpoint secret must be a Standard Webhooks secret: 400 at path secret', async () => {
    for (const secret of ['not-base64-but-long-enough', 'whsec_tooshort', 'whsec_test_secret_123']) {
      const res = await call(f.app, 'PUT', '/v1/reward-fulfilment-endpoint', {
        key: keys.secret('acme', 'admin'),
        body: { url: 'https://payouts.example.com/hook', secret },
      });
      assert.equal(res.status, 400, secret);
      const error = res.body.error as { code: string; details: { path: string }[] };
      assert.deepEqual([error.code, error.details[0]?.path], ['VALIDATION_FAILED', 'secret']);
    }
  });

  it('budget view for viewers', async () => {
    const b = await call(f.app, 'GET', '/v1/reward-budgets/camp', { key: keys.secret('acme', 'viewer') });
    const budget = b.body.budget as { budget: number; allocated: number; remaining: number };
    assert.equal(budget.budget, 1000);
    assert.equal(budget.remaining, 1000 - budget.allocated);
  });
});
