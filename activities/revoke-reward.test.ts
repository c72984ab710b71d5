import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ActivityContext } from '../contract/activity-context.ts';
import { listTransitions } from '../services/reward/lifecycle/repo.ts';
import { findCampaign } from '../services/reward/programs/repo.ts';
import { call, createRewardFixture, INTERNAL_TOKEN, type RewardFixture } from '../test/support/reward.ts';
import { createAllocateReward } from './allocate-reward.ts';
import { createFulfillReward } from './fulfill-reward.ts';
import { createRevokeReward } from './revoke-reward.ts';
import { createServiceClient, type ServiceClient } from './service-client.ts';

// RevokeReward against the real reward service (Postgres, the internal route, the state machine).
let f: RewardFixture;
let reward: ServiceClient;

const ctx = (step: string): ActivityContext => ({
  campaign: { clientId: 'acme', campaignId: 'saga', version: 1, pulse: 'signup' },
  workflowId: 'pulse:acme:saga:p',
  journeyKey: 'p',
  stepId: step,
  idempotencyKey: `pulse:acme:saga:p/${step}`,
  planHash: 'h',
});

before(async () => {
  f = await createRewardFixture();
  await f.register('acme', 'saga', {
    credit: { type: 'single', give: { category: 'store_credit', amount: 10, currency: 'USD' } },
    reviewed: {
      type: 'single',
      fulfilment: 'approval',
      give: { category: 'store_credit', amount: 20, currency: 'USD' },
    },
    coupon: { type: 'single', give: { category: 'coupon', percent: 10, expires_in: '30d' } },
    constraints: { budget: { amount: 1000, currency: 'USD' } },
  });
  reward = createServiceClient({
    baseUrl: 'http://in-process',
    signingKey: INTERNAL_TOKEN,
    audience: 'reward',
    fetch: (r) => f.app.fetch(r),
  });
});
after(async () => {
  await f.close();
});

const allocated = async () => (await findCampaign(f.test.db, 'acme', 'saga'))?.allocated;

describe('RevokeReward (real reward service)', () => {
  it('an allocated (APPROVED) reward ends REVOKED, its budget released and its fulfilment stopped', async () => {
    const before = await allocated();
    const a = await createAllocateReward({ reward })(
      { participant_id: 'p1', reward: 'credit' },
      ctx('allocate-1'),
    );
    assert.deepEqual([a.allocated, a.state], [true, 'APPROVED']);
    assert.equal(await allocated(), Number(before) + 10);
    const revoke = createRevokeReward({ reward });
    const r = await revoke({ reward_id: a.reward_id as string }, ctx('allocate-1'));
    assert.deepEqual(r, {
      reward_id: a.reward_id,
      state: 'REVOKED',
      previous_state: 'APPROVED',
      revoked: true,
    });
    assert.equal(await allocated(), before);
    const log = await listTransitions(f.test.db, 'acme', a.reward_id as string);
    const last = log.at(-1);
    assert.deepEqual([last?.from_state, last?.to_state], ['APPROVED', 'REVOKED']);
    assert.equal(last?.actor, 'journey:pulse:acme:saga:p');
    assert.equal(last?.reason, 'revoked: compensation of step allocate-1');
    // The queued fulfilment job no longer delivers it.
    const fulfilled = await createFulfillReward({ reward })({ reward_id: a.reward_id as string }, ctx('f'));
    assert.equal(fulfilled.state, 'REVOKED');
    // A retried compensation is harmless: same state, nothing released twice.
    const again = await revoke({ reward_id: a.reward_id as string }, ctx('allocate-1'));
    assert.deepEqual([again.state, again.revoked, again.previous_state], ['REVOKED', false, 'REVOKED']);
    assert.equal(await allocated(), before);
  });

  it('a PENDING reward (awaiting approval) is revoked with the given reason', async () => {
    const a = await createAllocateReward({ reward })(
      { participant_id: 'p2', reward: 'reviewed' },
      ctx('allocate-2'),
    );
    assert.equal(a.state, 'PENDING');
    const r = await createRevokeReward({ reward })(
      { reward_id: a.reward_id as string, reason: 'order refunded' },
      ctx('undo-2'),
    );
    assert.deepEqual([r.previous_state, r.state], ['PENDING', 'REVOKED']);
    const log = await listTransitions(f.test.db, 'acme', a.reward_id as string);
    assert.equal(log.at(-1)?.reason, 'revoked: order refunded');
  });

  it('a delivered but unused coupon (FULFILLED) is voided through FULFILLED → EXPIRED', async () => {
    const a = await createAllocateReward({ reward })({ participant_id: 'p3', reward: 'coupon' }, ctx('c'));
    const fulfilled = await createFulfillReward({ reward })({ reward_id: a.reward_id as string }, ctx('cf'));
    assert.equal(fulfilled.state, 'FULFILLED');
    const r = await createRevokeReward({ reward })({ reward_id: a.reward_id as string }, ctx('cu'));
    assert.deepEqual([r.previous_state, r.state, r.revoked], ['FULFILLED', 'EXPIRED', true]);
  });

  it('a REDEEMED reward cannot be taken back: ILLEGAL_TRANSITION, not retried', async () => {
    const a = await createAllocateReward({ reward })({ participant_id: 'p4', reward: 'credit' }, ctx('d'));
    const fulfilled = await createFulfillReward({ reward })({ reward_id: a.reward_id as string }, ctx('df'));
    assert.equal(fulfilled.state, 'REDEEMED');
    await assert.rejects(createRevokeReward({ reward })({ reward_id: a.reward_id as string }, ctx('du')), {
      type: 'ILLEGAL_TRANSITION',
      nonRetryable: true,
    });
  });

  it('another client cannot revoke the reward (NOT_FOUND), nor an unknown one', async () => {
    const a = await createAllocateReward({ reward })({ participant_id: 'p5', reward: 'credit' }, ctx('e'));
    const other: ActivityContext = { ...ctx('x'), campaign: { ...ctx('x').campaign, clientId: 'globex' } };
    await assert.rejects(createRevokeReward({ reward })({ reward_id: a.reward_id as string }, other), {
      type: 'NOT_FOUND',
    });
    await assert.rejects(createRevokeReward({ reward })({ reward_id: 'rwd_nope' }, ctx('y')), {
      type: 'NOT_FOUND',
    });
  });

  it('the revoke route refuses a bad body with 400 and the field path, never a 5xx', async () => {
    const missing = await call(f.app, 'POST', '/internal/v1/rewards/rwd_x/revoke', { body: {} });
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(missing.body), /client_id/);
    const long = await call(f.app, 'POST', '/internal/v1/rewards/rwd_x/revoke', {
      body: { client_id: 'acme', reason: 'x'.repeat(501) },
    });
    assert.equal(long.status, 400);
    assert.match(JSON.stringify(long.body), /reason/);
  });
});
