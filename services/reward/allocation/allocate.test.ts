import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createRewardFixture, type RewardFixture } from '../../../test/support/reward.ts';
import { revokeReward } from '../lifecycle/lifecycle.ts';
import { listTransitions } from '../lifecycle/repo.ts';
import { registerProgram, setProgramStatus } from '../programs/programs.ts';
import { findCampaign } from '../programs/repo.ts';
import { createRewardService } from '../service.ts';
import { type AllocateParams, allocateBatch } from './repo.ts';

const credit = (amount: number) => ({ category: 'store_credit', amount, currency: 'USD' });
let f: RewardFixture;
let n = 0;
const key = () => `key-${++n}`;

before(async () => {
  f = await createRewardFixture({ poolSize: 20 });
});
after(() => f.close());

const alloc = (campaignId: string, extra: Record<string, unknown> = {}) =>
  f.service.allocate({
    clientId: 'acme',
    campaignId,
    version: 1,
    rule: 'referrer',
    participantId: 'p1',
    referralId: `ref-${++n}`,
    idempotencyKey: key(),
    ...extra,
  });

describe('budget cap under concurrency', () => {
  it('60 concurrent allocations for a budget of 17 rewards: exactly 17 succeed, the rest are BUDGET_EXHAUSTED', async () => {
    await f.register('acme', 'race', {
      referrer: { type: 'single', give: credit(3) },
      constraints: { budget: { amount: 51, currency: 'USD' } },
    });
    // Several service instances (as several processes would be), each batching its own requests.
    const services = Array.from({ length: 4 }, () =>
      createRewardService({ db: f.test.db, secretBox: f.service.deps.secretBox }),
    );
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (services[i % 4] as (typeof services)[number]).allocate({
          clientId: 'acme',
          campaignId: 'race',
          version: 1,
          rule: 'referrer',
          participantId: `p${i}`,
          referralId: `race-${i}`,
          idempotencyKey: `race/${i}`,
        }),
      ),
    );
    assert.equal(results.filter((r) => r.allocated).length, 17);
    assert.ok(
      results
        .filter((r) => !r.allocated)
        .every((r) => r.reason === 'BUDGET_EXHAUSTED' && r.state === 'REJECTED'),
    );
    const camp = await findCampaign(f.test.db, 'acme', 'race');
    assert.equal(camp?.allocated, 51);
    assert.equal(camp?.winners, 17);
  });

  it('60 concurrent single-reward transactions (no batching) cannot overspend either', async () => {
    await f.register('acme', 'race2', {
      referrer: { type: 'single', give: credit(7) },
      constraints: { budget: { amount: 100, currency: 'USD' } },
    });
    const item = (i: number): AllocateParams => ({
      id: `rwd_race2_${i}`,
      clientId: 'acme',
      campaignId: 'race2',
      version: 1,
      rule: 'referrer',
      side: 'referrer',
      participantId: `p${i}`,
      referralId: null,
      claimKey: `c${i}`,
      idempotencyKey: `race2/${i}`,
      category: 'store_credit',
      amount: 7,
      currency: 'USD',
      cost: 7,
      value: credit(7),
      segment: null,
      basisValue: null,
      mode: 'auto',
      redeem: 'on_fulfil',
      countsLimit: true,
      path: ['PENDING', 'ELIGIBLE', 'APPROVED'],
      expiresAt: null,
      preReject: null,
      maxAttempts: 5,
    });
    const results = (
      await Promise.all(Array.from({ length: 60 }, (_, i) => allocateBatch(f.test.db, [item(i)])))
    ).flat();
    assert.equal(results.filter((r) => r.state === 'APPROVED').length, 14);
    assert.equal((await findCampaign(f.test.db, 'acme', 'race2'))?.allocated, 98);
  });
});

describe('idempotency', () => {
  it('a replay with the same key returns the same reward, also when replays race', async () => {
    await f.register('acme', 'idem', {
      referrer: { type: 'single', give: credit(5) },
      constraints: { budget: { amount: 100, currency: 'USD' } },
    });
    const input = {
      clientId: 'acme',
      campaignId: 'idem',
      version: 1,
      rule: 'referrer',
      participantId: 'p1',
      referralId: 'r1',
      idempotencyKey: 'wf-1/step',
    };
    const first = await f.service.allocate(input);
    const again = await Promise.all(
      Array.from({ length: 10 }, () =>
        createRewardService({ db: f.test.db, secretBox: f.service.deps.secretBox }).allocate(input),
      ),
    );
    assert.ok(again.every((r) => r.reward_id === first.reward_id && r.replayed && r.allocated));
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from rewards where idempotency_key = 'wf-1/step'`.execute(f.test.db);
    assert.equal(rows[0]?.n, 1);
    assert.equal((await findCampaign(f.test.db, 'acme', 'idem'))?.allocated, 5);
  });

  it('a rejected allocation replays as the same rejection', async () => {
    await f.register('acme', 'idem-rej', {
      referrer: { type: 'single', give: credit(5) },
      constraints: { max_fraud_score: 10 },
    });
    const input = {
      clientId: 'acme',
      campaignId: 'idem-rej',
      version: 1,
      rule: 'referrer',
      participantId: 'p1',
      fraudScore: 90,
      idempotencyKey: 'wf-2/step',
    };
    const a = await f.service.allocate(input);
    const b = await f.service.allocate({ ...input, fraudScore: 0 });
    assert.equal(a.reason, 'FRAUD_DETECTED');
    assert.deepEqual([b.reward_id, b.reason, b.replayed], [a.reward_id, 'FRAUD_DETECTED', true]);
  });
});

describe('constraints', () => {
  it('max winners counts distinct participants; a winner may earn again', async () => {
    await f.register('acme', 'winners', {
      referrer: { type: 'single', give: credit(1) },
      constraints: { max_winners: 2 },
    });
    assert.ok((await alloc('winners', { participantId: 'w1' })).allocated);
    assert.ok((await alloc('winners', { participantId: 'w2' })).allocated);
    assert.equal((await alloc('winners', { participantId: 'w3' })).reason, 'WINNER_CAP_REACHED');
    assert.ok((await alloc('winners', { participantId: 'w1' })).allocated, 'w1 already won');
  });

  it('per-referrer limits by count and amount; referee rewards do not count', async () => {
    await f.register('acme', 'limits', {
      referrer: { type: 'single', give: credit(10) },
      referee: { type: 'single', side: 'referee', give: credit(10) },
      constraints: { per_referrer_limit: { count: 2 } },
    });
    assert.ok((await alloc('limits')).allocated);
    assert.ok((await alloc('limits')).allocated);
    assert.equal((await alloc('limits')).reason, 'EARNING_LIMIT');
    assert.ok((await alloc('limits', { rule: 'referee' })).allocated);
    assert.ok((await alloc('limits', { rule: 'referee' })).allocated);
    assert.ok((await alloc('limits', { rule: 'referee' })).allocated);

    await f.register('acme', 'limits-amount', {
      referrer: { type: 'single', give: credit(30) },
      constraints: { per_referrer_limit: { amount: 70 } },
    });
    assert.ok((await alloc('limits-amount')).allocated);
    assert.ok((await alloc('limits-amount')).allocated);
    assert.equal((await alloc('limits-amount')).reason, 'EARNING_LIMIT');
  });

  it('lifetime limits count across the client’s campaigns', async () => {
    const rewards = {
      referrer: { type: 'single', give: credit(1) },
      constraints: { per_referrer_limit: { lifetime: { count: 3 } } },
    };
    await f.register('acme', 'life-a', rewards);
    await f.register('acme', 'life-b', rewards);
    assert.ok((await alloc('life-a', { participantId: 'lp' })).allocated);
    assert.ok((await alloc('life-b', { participantId: 'lp' })).allocated);
    assert.ok((await alloc('life-a', { participantId: 'lp' })).allocated);
    assert.equal((await alloc('life-b', { participantId: 'lp' })).reason, 'EARNING_LIMIT');
    assert.ok((await alloc('life-b', { participantId: 'other' })).allocated);
  });

  it('a REVOKED reward releases its claim; the same idempotency key still answers the same reward', async () => {
    await f.register('acme', 'again', { referrer: { type: 'single', give: credit(2) } });
    const first = await alloc('again', { referralId: 'rv', idempotencyKey: 'again/1' });
    assert.ok(first.allocated && first.reward_id);
    assert.equal((await alloc('again', { referralId: 'rv' })).reason, 'DUPLICATE_CLAIM');
    await revokeReward(f.service.deps, 'acme', first.reward_id, 'test', 'compensation');
    const claim = {
      campaignId: 'again',
      version: 1,
      rule: 'referrer',
      participantId: 'p1',
      referralId: 'rv',
    };
    assert.equal((await f.service.checkEligibility({ clientId: 'acme', ...claim })).eligible, true);
    const second = await alloc('again', { referralId: 'rv', idempotencyKey: 'again/2' });
    assert.ok(second.allocated, JSON.stringify(second));
    assert.notEqual(second.reward_id, first.reward_id);
    // Replays: each key keeps its own answer; a third claim while the second is live is a duplicate.
    assert.equal(
      (await alloc('again', { referralId: 'rv', idempotencyKey: 'again/1' })).reward_id,
      first.reward_id,
    );
    assert.equal(
      (await alloc('again', { referralId: 'rv', idempotencyKey: 'again/2' })).reward_id,
      second.reward_id,
    );
    assert.equal((await alloc('again', { referralId: 'rv' })).reason, 'DUPLICATE_CLAIM');
  });

  it('minimum value, duplicate claims, inactive and out-of-period campaigns', async () => {
    await f.register('acme', 'misc', {
      referrer: { type: 'single', give: credit(1) },
      constraints: { min_value: 50 },
    });
    assert.equal((await alloc('misc', { basisValue: 49 })).reason, 'BELOW_MINIMUM');
    assert.ok((await alloc('misc', { basisValue: 50, referralId: 'dup' })).allocated);
    assert.equal((await alloc('misc', { basisValue: 80, referralId: 'dup' })).reason, 'DUPLICATE_CLAIM');

    await setProgramStatus(f.test.db, { clientId: 'acme', campaignId: 'misc', status: 'paused' });
    assert.equal((await alloc('misc', { basisValue: 80 })).reason, 'CAMPAIGN_INACTIVE');
    await setProgramStatus(f.test.db, {
      clientId: 'acme',
      campaignId: 'misc',
      status: 'active',
      startsAt: '2999-01-01T00:00:00Z',
    });
    assert.equal((await alloc('misc', { basisValue: 80 })).reason, 'OUTSIDE_CAMPAIGN_PERIOD');
    await setProgramStatus(f.test.db, {
      clientId: 'acme',
      campaignId: 'misc',
      status: 'active',
      startsAt: null,
      endsAt: '2000-01-01T00:00:00Z',
    });
    assert.equal((await alloc('misc', { basisValue: 80 })).reason, 'OUTSIDE_CAMPAIGN_PERIOD');
  });

  it('campaign constraints are reported before segmentation and fraud', async () => {
    await f.register('acme', 'order', {
      referrer: { type: 'single', give: credit(10) },
      constraints: { budget: { amount: 10, currency: 'USD' }, max_fraud_score: 50 },
    });
    assert.ok((await alloc('order')).allocated);
    assert.equal((await alloc('order', { fraudScore: 99 })).reason, 'BUDGET_EXHAUSTED');
  });
});

describe('double-sided rules', () => {
  it('each side is allocated and checked on its own, with its own value and category', async () => {
    await f.register('acme', 'double', {
      signup_bonus: {
        type: 'double',
        referrer: { give: { category: 'cash', amount: 20, currency: 'USD' } },
        referee: {
          give: { category: 'coupon', percent: 10 },
          when: { '==': [{ var: 'traits.new_customer' }, true] },
        },
      },
      constraints: { per_referrer_limit: { count: 1 } },
    });
    const input = {
      clientId: 'acme',
      campaignId: 'double',
      version: 1,
      rule: 'signup_bonus',
      referralId: 'd1',
    };
    const referrer = await f.service.allocate({
      ...input,
      side: 'referrer',
      participantId: 'ref',
      idempotencyKey: key(),
    });
    const referee = await f.service.allocate({
      ...input,
      side: 'referee',
      participantId: 'new',
      traits: { new_customer: true },
      idempotencyKey: key(),
    });
    const notNew = await f.service.allocate({
      ...input,
      side: 'referee',
      participantId: 'old',
      referralId: 'd2',
      traits: { new_customer: false },
      idempotencyKey: key(),
    });
    assert.deepEqual([referrer.category, referrer.amount, referrer.allocated], ['cash', 20, true]);
    assert.deepEqual([referee.category, referee.amount, referee.allocated], ['coupon', null, true]);
    assert.deepEqual([notNew.allocated, notNew.reason], [false, 'RULE_CONDITION_FAILED']);
    const second = await f.service.allocate({
      ...input,
      side: 'referrer',
      participantId: 'ref',
      referralId: 'd3',
      idempotencyKey: key(),
    });
    const secondReferee = await f.service.allocate({
      ...input,
      side: 'referee',
      participantId: 'new2',
      referralId: 'd3',
      traits: { new_customer: true },
      idempotencyKey: key(),
    });
    assert.equal(second.reason, 'EARNING_LIMIT', 'the referrer side hit its limit');
    assert.ok(secondReferee.allocated, 'the referee side is unaffected');
  });
});

describe('records', () => {
  it('every step of the allocation path is in the transitions table', async () => {
    await f.register('acme', 'trail', {
      auto: { type: 'single', give: credit(1) },
      claimed: { type: 'single', give: credit(1), fulfilment: 'claim' },
      reviewed: { type: 'single', give: credit(1), fulfilment: 'approval' },
      constraints: { max_fraud_score: 50 },
    });
    const steps = async (rule: string, extra: Record<string, unknown> = {}) => {
      const r = await alloc('trail', { rule, ...extra });
      return (await listTransitions(f.test.db, 'acme', r.reward_id))
        .map((t) => `${t.from_state ?? '∅'}>${t.to_state}`)
        .join(' ');
    };
    assert.equal(await steps('auto'), '∅>EARNED EARNED>PENDING PENDING>ELIGIBLE ELIGIBLE>APPROVED');
    assert.equal(await steps('claimed'), '∅>EARNED EARNED>PENDING PENDING>ELIGIBLE');
    assert.equal(await steps('reviewed'), '∅>EARNED EARNED>PENDING');
    assert.equal(await steps('auto', { fraudScore: 80 }), '∅>EARNED EARNED>PENDING PENDING>REJECTED');
  });

  it('one client cannot allocate under another client’s campaign', async () => {
    await f.register('acme', 'private', { referrer: { type: 'single', give: credit(1) } });
    await assert.rejects(
      f.service.allocate({
        clientId: 'globex',
        campaignId: 'private',
        version: 1,
        rule: 'referrer',
        participantId: 'x',
        idempotencyKey: key(),
      }),
      { code: 'NOT_FOUND' },
    );
  });
});

describe('program registration', () => {
  it('validates against the schema and the semantic checks, with paths', async () => {
    await assert.rejects(
      registerProgram(f.test.db, {
        clientId: 'acme',
        campaignId: 'bad',
        version: 1,
        status: 'active',
        rewards: {
          r: { type: 'single', give: { category: 'cash', amount: 5 } },
          board: {
            type: 'leaderboard',
            period: 'weekly',
            rank_by: 'conversions',
            top: 5,
            prizes: [
              { ranks: [1, 3], give: credit(1) },
              { ranks: [3, 6], give: credit(1) },
            ],
          },
        },
      }),
      (err: { code?: string; details?: { path?: string }[] }) =>
        err.code === 'VALIDATION_FAILED' && !!err.details?.some((d) => d.path?.startsWith('rewards.r.give')),
    );
    await assert.rejects(
      registerProgram(f.test.db, {
        clientId: 'acme',
        campaignId: 'bad',
        version: 1,
        status: 'active',
        rewards: {
          board: {
            type: 'leaderboard',
            period: 'weekly',
            rank_by: 'conversions',
            top: 5,
            prizes: [
              { ranks: [1, 3], give: credit(1) },
              { ranks: [3, 6], give: credit(1) },
            ],
          },
        },
        segments: { s: { when: { nope: [1] } } },
      }),
      (err: { details?: { message: string }[] }) =>
        [
          'rank 3 is in two prize bands',
          'rank 6 is beyond top 5',
          'unknown JSON-Logic operator "nope"',
        ].every((m) => err.details?.some((d) => d.message === m)),
    );
  });

  it('a version is immutable; identical re-registration is fine', async () => {
    const rewards = { referrer: { type: 'single', give: credit(1) } };
    await f.register('acme', 'immutable', rewards);
    await f.register('acme', 'immutable', rewards);
    await assert.rejects(f.register('acme', 'immutable', { referrer: { type: 'single', give: credit(2) } }), {
      code: 'CONFLICT',
    });
    await f.register('acme', 'immutable', { referrer: { type: 'single', give: credit(2) } }, { version: 2 });
  });
});
