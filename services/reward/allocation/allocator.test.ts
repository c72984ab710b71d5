import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createRewardFixture, type RewardFixture } from '../../../test/support/reward.ts';
import { findCampaign } from '../programs/repo.ts';
import { createAllocator } from './allocator.ts';
import type { AllocateParams } from './repo.ts';

let f: RewardFixture;
before(async () => {
  f = await createRewardFixture();
});
after(() => f.close());

const item = (i: number, over: Partial<AllocateParams> = {}): AllocateParams => ({
  id: `rwd_iso_${i}`,
  clientId: 'acme',
  campaignId: 'iso',
  version: 1,
  rule: 'referrer',
  side: 'referrer',
  participantId: `p${i}`,
  referralId: null,
  claimKey: `iso${i}`,
  idempotencyKey: `iso/${i}`,
  category: 'store_credit',
  amount: 5,
  currency: 'USD',
  cost: 5,
  value: { category: 'store_credit', amount: 5, currency: 'USD' },
  segment: null,
  basisValue: null,
  mode: 'auto',
  redeem: 'on_fulfil',
  countsLimit: true,
  path: ['PENDING', 'ELIGIBLE', 'APPROVED'],
  expiresAt: null,
  preReject: null,
  maxAttempts: 5,
  ...over,
});

it('a batch statement that fails is retried member by member: only the bad allocation fails', async () => {
  await f.register('acme', 'iso', {
    referrer: { type: 'single', give: { category: 'store_credit', amount: 5, currency: 'USD' } },
    constraints: { budget: { amount: 1_000, currency: 'USD' } },
  });
  const allocator = createAllocator(f.test.db, { maxInFlight: 1 });
  // The first goes alone; the next five queue behind it and leave as one batch.
  const first = allocator.allocate(item(0));
  const rest = [1, 2, 3, 4, 5].map((i) =>
    // A NUL in a text field: the batch statement (one JSON document) cannot be read by Postgres.
    allocator.allocate(item(i, i === 3 ? { participantId: 'p\u0000' } : {})),
  );
  const results = await Promise.allSettled([first, ...rest]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  );
  for (const r of results) if (r.status === 'fulfilled') assert.equal(r.value.state, 'APPROVED');
  const camp = await findCampaign(f.test.db, 'acme', 'iso');
  assert.equal(camp?.allocated, 25, 'five allocations of 5, the bad one spent nothing');
});
