import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRewardFixture, type RewardFixture } from '../../../test/support/reward.ts';
import { findReward } from '../lifecycle/repo.ts';

const credit = (amount: number) => ({ category: 'store_credit', amount, currency: 'USD' });
let clock = new Date('2025-03-10T12:00:00Z');
let f: RewardFixture;
let n = 0;

before(async () => {
  f = await createRewardFixture({ now: () => clock });
  await f.register('acme', 'camp', {
    milestones: {
      type: 'milestone',
      counter: 'conversions',
      mode: 'progressive',
      reset: 'lifetime',
      thresholds: [
        { at: 5, give: credit(50) },
        { at: 10, give: credit(150) },
        { at: 25, give: credit(500) },
      ],
    },
    monthly_badge: {
      type: 'milestone',
      counter: 'referrals',
      mode: 'fixed',
      reset: 'monthly',
      give: { category: 'badge', badge: 'star' },
      thresholds: [{ at: 2 }, { at: 4 }],
    },
    board: {
      type: 'leaderboard',
      period: 'monthly',
      rank_by: 'conversions',
      top: 3,
      tie_breaker: 'earliest',
      fulfilment: 'approval',
      prizes: [
        { ranks: [1, 1], give: credit(100) },
        { ranks: [2, 3], give: credit(25) },
      ],
    },
    value_board: {
      type: 'leaderboard',
      period: 'campaign',
      rank_by: 'value',
      top: 2,
      tie_breaker: 'quality_score',
      prizes: [{ ranks: [1, 2], give: credit(1) }],
    },
    constraints: { budget: { amount: 10_000, currency: 'USD' } },
  });
});
after(() => f.close());

const step = (rule: string, participantId: string, increment?: number) =>
  f.service.checkMilestone({
    clientId: 'acme',
    campaignId: 'camp',
    version: 1,
    rule,
    participantId,
    idempotencyKey: `m-${++n}`,
    ...(increment !== undefined ? { increment } : {}),
  });
const conv = (board: string, participantId: string, extra: Record<string, unknown> = {}) =>
  f.service.calculateLeaderboard({
    clientId: 'acme',
    campaignId: 'camp',
    version: 1,
    board,
    participantId,
    idempotencyKey: `l-${++n}`,
    ...extra,
  });

describe('milestones', () => {
  it('progressive thresholds pay their own reward once each, on top of base rewards', async () => {
    for (let i = 1; i <= 4; i++) assert.deepEqual((await step('milestones', 'ada')).reached, []);
    const fifth = await step('milestones', 'ada');
    assert.deepEqual([fifth.count, fifth.reached, fifth.reward_ids.length], [5, [5], 1]);
    const reward = await findReward(f.test.db, 'acme', fifth.reward_ids[0] as string);
    assert.equal(reward?.amount, 50);
    const jump = await step('milestones', 'ada', 20);
    assert.deepEqual([jump.count, jump.reached, jump.reward_ids.length], [25, [10, 25], 2]);
  });

  it('an increment is applied once per idempotency key', async () => {
    const input = {
      clientId: 'acme',
      campaignId: 'camp',
      version: 1,
      rule: 'milestones',
      participantId: 'bob',
      idempotencyKey: 'same-step',
      increment: 5,
    };
    const a = await f.service.checkMilestone(input);
    const b = await f.service.checkMilestone(input);
    assert.deepEqual(b, a);
    assert.equal(b.count, 5);
  });

  it('fixed mode pays the same reward at every threshold, and a monthly reset starts again', async () => {
    assert.deepEqual((await step('monthly_badge', 'cy', 2)).reached, [2]);
    assert.deepEqual((await step('monthly_badge', 'cy', 2)).reached, [4]);
    clock = new Date('2025-04-01T00:00:00Z');
    const april = await step('monthly_badge', 'cy', 2);
    assert.deepEqual([april.count, april.reached, april.period], [2, [2], '2025-04']);
    clock = new Date('2025-03-10T12:00:00Z');
  });

  it('a non-milestone rule is refused', async () => {
    await assert.rejects(step('board', 'ada'), { code: 'VALIDATION_FAILED' });
  });
});

describe('leaderboards', () => {
  it('continuous standings with ranks, change detection and the earliest tie-breaker', async () => {
    const first = await conv('board', 'ann');
    assert.deepEqual([first.rank, first.changed, first.period], [1, true, '2025-03']);
    await conv('board', 'ben');
    await conv('board', 'ben');
    const ann = await conv('board', 'ann');
    // Ann and Ben both have 2; Ben reached 2 first.
    assert.deepEqual(
      ann.standings.map((s) => [s.participant_id, s.score]),
      [
        ['ben', 2],
        ['ann', 2],
      ],
    );
    assert.deepEqual([ann.rank, ann.changed], [2, true]);
    await conv('board', 'cat');
    await conv('board', 'dan');
    const ann2 = await conv('board', 'ann');
    assert.deepEqual([ann2.rank, ann2.changed], [1, true]);
    assert.equal(ann2.standings.length, 3, 'top 3 only');
    const replay = await f.service.calculateLeaderboard({
      clientId: 'acme',
      campaignId: 'camp',
      version: 1,
      board: 'board',
      participantId: 'ann',
      idempotencyKey: `l-${n}`,
    });
    assert.equal(replay.standings[0]?.score, 3, 'a replayed step does not score twice');
  });

  it('final distribution at period end: prize bands allocated once, standings frozen', async () => {
    clock = new Date('2025-04-02T00:00:00Z');
    const final = await f.service.calculateLeaderboard({
      clientId: 'acme',
      campaignId: 'camp',
      version: 1,
      board: 'board',
      finalize: true,
      idempotencyKey: 'fin-1',
    });
    assert.equal(final.period, '2025-03');
    assert.deepEqual(
      final.standings.map((s) => s.participant_id),
      ['ann', 'ben', 'cat'],
    );
    assert.equal(final.reward_ids.length, 3);
    const amounts = await Promise.all(final.reward_ids.map((id) => findReward(f.test.db, 'acme', id)));
    assert.deepEqual(
      amounts.map((r) => [r?.participant_id, r?.amount, r?.state]),
      [
        ['ann', 100, 'PENDING'],
        ['ben', 25, 'PENDING'],
        ['cat', 25, 'PENDING'],
      ],
    );
    const again = await f.service.calculateLeaderboard({
      clientId: 'acme',
      campaignId: 'camp',
      version: 1,
      board: 'board',
      finalize: true,
      period: '2025-03',
      idempotencyKey: 'fin-2',
    });
    assert.deepEqual(again.reward_ids, final.reward_ids);
    const late = await f.service.calculateLeaderboard({
      clientId: 'acme',
      campaignId: 'camp',
      version: 1,
      board: 'board',
      participantId: 'dan',
      period: '2025-03',
      idempotencyKey: 'late',
    });
    assert.equal(late.final, true);
    assert.equal(
      late.standings.find((s) => s.participant_id === 'dan'),
      undefined,
    );
    clock = new Date('2025-03-10T12:00:00Z');
  });

  it('ranking by value with the quality tie-breaker', async () => {
    await conv('value_board', 'x', { value: 100, qualityScore: 1 });
    await conv('value_board', 'y', { value: 60, qualityScore: 9 });
    const y = await conv('value_board', 'y', { value: 40, qualityScore: 0 });
    assert.deepEqual(
      y.standings.map((s) => s.participant_id),
      ['y', 'x'],
    );
  });
});
