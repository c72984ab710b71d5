import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles from the base on each attempt and stops at the cap', () => {
    const o = { baseMs: 100, maxMs: 1_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, o)),
      [100, 200, 400, 800, 1_000, 1_000],
    );
  });

  it('treats attempts below 1 as the first and stays finite for huge attempt counts', () => {
    const o = { baseMs: 50, maxMs: 60_000 };
    assert.equal(backoffDelay(0, o), 50);
    assert.equal(backoffDelay(-3, o), 50);
    assert.equal(backoffDelay(1e9, o), 60_000);
  });

  it('jitters within ±jitter of the capped delay, deterministically for a given random source', () => {
    const o = { baseMs: 1_000, maxMs: 10_000, jitter: 0.2 };
    assert.equal(backoffDelay(1, { ...o, random: () => 0 }), 800);
    assert.equal(backoffDelay(1, { ...o, random: () => 0.5 }), 1_000);
    assert.equal(backoffDelay(5, { ...o, random: () => 0.999 }), 11_996);
    let seed = 42;
    const seeded = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const first = Array.from({ length: 5 }, (_, i) => backoffDelay(i + 1, { ...o, random: seeded }));
    seed = 42;
    const again = Array.from({ length: 5 }, (_, i) => backoffDelay(i + 1, { ...o, random: seeded }));
    assert.deepEqual(first, again);
    for (const [i, d] of first.entries()) {
      const capped = Math.min(10_000, 1_000 * 2 ** i);
      assert.ok(d >= capped * 0.8 && d <= capped * 1.2, `attempt ${i + 1}: ${d}`);
    }
  });
});
