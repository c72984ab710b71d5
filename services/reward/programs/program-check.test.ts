import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deepRuleJson, wideRule } from '../../../test/support/big-inputs.ts';
import { programProblems } from './programs.ts';

const give = { category: 'store_credit', amount: 10, currency: 'USD' };

describe('program check: bounded work', () => {
  it('a deeply nested condition is a problem naming its path, not a crash', () => {
    const when = JSON.parse(deepRuleJson(50_000)) as unknown;
    const t = performance.now();
    const problems = programProblems({ rewards: { signup: { type: 'single', give, when } } });
    assert.ok(performance.now() - t < 1000);
    assert.equal(problems.length, 1, JSON.stringify(problems).slice(0, 300));
    assert.match(problems[0]!.path ?? '', /^rewards\.signup\.when\.and\.0/);
    assert.match(problems[0]!.message, /levels deep/);
  });

  it('an oversized segment rule is a problem too; rules within the limits pass', () => {
    const problems = programProblems({
      rewards: { signup: { type: 'single', give } },
      segments: { huge: { when: wideRule(10_000) } },
    });
    assert.deepEqual(
      problems.map((p) => p.path),
      ['segments.huge.when.and.3999.>=.0.var'],
    );
    assert.deepEqual(
      programProblems({ rewards: { signup: { type: 'single', give, when: wideRule(100) } } }),
      [],
    );
  });

  it('overlapping prize bands give one problem per band, not one per shared rank', () => {
    const prizes = Array.from({ length: 2_000 }, () => ({ ranks: [1, 1000], give }));
    const t = performance.now();
    const problems = programProblems({
      rewards: {
        board: { type: 'leaderboard', period: 'weekly', rank_by: 'conversions', top: 1000, prizes },
      },
    });
    assert.ok(performance.now() - t < 2000);
    assert.equal(problems.length, 1_999);
    assert.deepEqual(problems[0], {
      path: 'rewards.board.prizes.1.ranks',
      message: 'rank 1 is in two prize bands',
      expected: 'bands that do not overlap',
    });
  });
});
