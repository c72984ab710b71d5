import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import type { ActivityContext } from '../contract/activity-context.ts';
import { createRewardFixture, INTERNAL_TOKEN, type RewardFixture } from '../test/support/reward.ts';
import { createAllocateReward } from './allocate-reward.ts';
import { createCalculateLeaderboard } from './calculate-leaderboard.ts';
import { createCheckEligibility } from './check-eligibility.ts';
import { createCheckMilestone } from './check-milestone.ts';
import { createFulfillReward } from './fulfill-reward.ts';
import { createServiceClient, type ServiceClient } from './service-client.ts';

// The five reward activities against the real reward service: in-process (app.fetch) and over HTTP.
let f: RewardFixture;
let server: ReturnType<typeof serve>;
let inProcess: ServiceClient;
let overHttp: ServiceClient;

const ctx = (step: string): ActivityContext => ({
  campaign: { clientId: 'acme', campaignId: 'camp', version: 1, pulse: 'conversion' },
  workflowId: 'acme:camp:ref-1',
  journeyKey: 'ref-1',
  stepId: step,
  idempotencyKey: `acme:camp:ref-1/${step}`,
  planHash: 'h',
});

before(async () => {
  f = await createRewardFixture();
  await f.register('acme', 'camp', {
    referrer: {
      type: 'tiered',
      by: 'order_value',
      mode: 'exclusive',
      tiers: [
        { from: 50, give: { category: 'store_credit', amount: 10, currency: 'USD' } },
        { from: 100, give: { category: 'store_credit', amount: 25, currency: 'USD' } },
      ],
    },
    referee: {
      type: 'single',
      side: 'referee',
      give: { category: 'coupon', percent: 10, expires_in: '30d' },
    },
    milestones: {
      type: 'milestone',
      counter: 'conversions',
      thresholds: [{ at: 2, give: { category: 'badge', badge: 'two' } }],
    },
    board: {
      type: 'leaderboard',
      period: 'campaign',
      rank_by: 'value',
      top: 5,
      prizes: [{ ranks: [1, 1], give: { category: 'store_credit', amount: 50, currency: 'USD' } }],
    },
    constraints: { budget: { amount: 5000, currency: 'USD' }, per_referrer_limit: { count: 20 } },
  });
  server = serve({ fetch: f.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => server.once('listening', () => r()));
  inProcess = createServiceClient({
    baseUrl: 'http://in-process',
    signingKey: INTERNAL_TOKEN,
    audience: 'reward',
    fetch: (r) => f.app.fetch(r),
  });
  overHttp = createServiceClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    signingKey: INTERNAL_TOKEN,
    audience: 'reward',
  });
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await f.close();
});

for (const [name, transport] of [
  ['in-process', () => inProcess],
  ['over HTTP', () => overHttp],
] as const) {
  describe(`reward activities (${name})`, () => {
    const p = name === 'in-process' ? 'a' : 'b';
    it('CheckEligibility → AllocateReward (replay-safe) → FulfillReward', async () => {
      const reward = transport();
      const check = await createCheckEligibility({ reward })(
        { participant_id: `${p}-referrer`, reward: 'referrer', basis_value: 120, referral_id: `${p}-r1` },
        ctx(`${p}-check`),
      );
      assert.deepEqual([check.eligible, check.reason], [true, null]);
      const allocate = createAllocateReward({ reward });
      const input = {
        participant_id: `${p}-referrer`,
        reward: 'referrer',
        basis_value: 120,
        referral_id: `${p}-r1`,
      };
      const a = await allocate(input, ctx(`${p}-alloc`));
      const again = await allocate(input, ctx(`${p}-alloc`));
      assert.deepEqual([a.allocated, a.amount, a.state], [true, 25, 'APPROVED']);
      assert.equal(again.reward_id, a.reward_id);
      const fulfilled = await createFulfillReward({ reward })(
        { reward_id: a.reward_id as string },
        ctx(`${p}-fulfil`),
      );
      assert.equal(fulfilled.state, 'REDEEMED');
      const low = await allocate(
        { participant_id: `${p}-referrer`, reward: 'referrer', basis_value: 10, referral_id: `${p}-r2` },
        ctx(`${p}-alloc-2`),
      );
      assert.deepEqual([low.allocated, low.reason], [false, 'BELOW_MINIMUM']);
    });

    it('CheckMilestone and CalculateLeaderboard', async () => {
      const reward = transport();
      const milestone = createCheckMilestone({ reward });
      await milestone({ participant_id: `${p}-m`, milestone: 'milestones' }, ctx(`${p}-m1`));
      const second = await milestone({ participant_id: `${p}-m`, milestone: 'milestones' }, ctx(`${p}-m2`));
      assert.deepEqual([second.count, second.reached, second.reward_ids?.length], [2, [2], 1]);
      const board = createCalculateLeaderboard({ reward });
      const b = await board(
        { leaderboard: 'board', participant_id: `${p}-lb`, value: p === 'a' ? 1000 : 2000 },
        ctx(`${p}-lb1`),
      );
      assert.equal(b.rank, 1);
    });

    it('errors keep their code as the ApplicationFailure type', async () => {
      await assert.rejects(
        createAllocateReward({ reward: transport() })(
          { participant_id: 'x', reward: 'nope' },
          ctx(`${p}-bad`),
        ),
        {
          type: 'NOT_FOUND',
          nonRetryable: true,
        },
      );
    });
  });
}
