import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canTransition, path, REWARD_STATES, type RewardState, transition } from './state-machine.ts';

// The spec's diagram, written out independently of the implementation's table.
const LEGAL: [RewardState, RewardState][] = [
  ['EARNED', 'PENDING'],
  ['PENDING', 'ELIGIBLE'],
  ['PENDING', 'REJECTED'],
  ['ELIGIBLE', 'APPROVED'],
  ['ELIGIBLE', 'EXPIRED'],
  ['APPROVED', 'FULFILLED'],
  ['APPROVED', 'FAILED'],
  ['FAILED', 'APPROVED'],
  ['FULFILLED', 'REDEEMED'],
  ['FULFILLED', 'EXPIRED'],
  ['EARNED', 'REVOKED'],
  ['PENDING', 'REVOKED'],
  ['ELIGIBLE', 'REVOKED'],
  ['APPROVED', 'REVOKED'],
  ['FAILED', 'REVOKED'],
  // Clawback: a refund or cancellation within the campaign's window.
  ['PENDING', 'REVERSED'],
  ['ELIGIBLE', 'REVERSED'],
  ['APPROVED', 'REVERSED'],
  ['FAILED', 'REVERSED'],
  ['FULFILLED', 'REVERSED'],
  ['REDEEMED', 'REVERSED'],
];

describe('reward state machine', () => {
  for (const [from, to] of LEGAL) {
    it(`allows ${from} → ${to}`, () => assert.equal(transition(from, to), to));
  }

  it('refuses every other pair with ILLEGAL_TRANSITION (409)', () => {
    const legal = new Set(LEGAL.map(([a, b]) => `${a}>${b}`));
    let refused = 0;
    for (const from of REWARD_STATES) {
      for (const to of REWARD_STATES) {
        if (legal.has(`${from}>${to}`)) continue;
        assert.equal(canTransition(from, to), false);
        assert.throws(
          () => transition(from, to),
          (err: { code?: string; status?: number }) =>
            err.code === 'ILLEGAL_TRANSITION' && err.status === 409,
        );
        refused++;
      }
    }
    assert.equal(refused, REWARD_STATES.length ** 2 - LEGAL.length);
  });

  it('terminal states have no way out', () => {
    for (const s of ['REJECTED', 'EXPIRED', 'REVOKED', 'REVERSED'] as const) {
      for (const to of REWARD_STATES) assert.equal(canTransition(s, to), false);
    }
  });

  it('checks whole paths move by move', () => {
    assert.deepEqual(path('EARNED', 'PENDING', 'ELIGIBLE', 'APPROVED', 'FULFILLED', 'REDEEMED').length, 6);
    assert.deepEqual(path('APPROVED', 'FAILED', 'APPROVED', 'FULFILLED').at(-1), 'FULFILLED');
    assert.throws(() => path('EARNED', 'ELIGIBLE'), { code: 'ILLEGAL_TRANSITION' });
    assert.throws(() => path('PENDING', 'ELIGIBLE', 'REJECTED'), { code: 'ILLEGAL_TRANSITION' });
  });
});
