import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  countingReads,
  deepMixedRule,
  deepRule,
  deepRuleJson,
  doublingRatio,
  wideRule,
} from '../../../test/support/big-inputs.ts';
import { createRuleEngine } from './compile.ts';
import { MAX_RULE_DEPTH, MAX_RULE_NODES, ruleLimitProblem } from './limits.ts';

const engines = { closures: createRuleEngine(), codegen: createRuleEngine({}, { codegen: true }) };

/** Milliseconds of the faster of `runs` runs of `fn` (shared machine: single runs are noisy). */
function timed(fn: () => void, runs = 3): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('rule size and depth limits', () => {
  for (const [name, engine] of Object.entries(engines)) {
    it(`${name}: a deeply nested 1 MB rule is refused in well under a second, naming the path`, (t) => {
      const json = deepRuleJson(110_000);
      assert.ok(json.length > 1_000_000);
      const rule = JSON.parse(json) as unknown;
      let error: unknown;
      const ms = timed(() => {
        try {
          engine.compile(rule);
        } catch (err) {
          error = err;
        }
      }, 1);
      t.diagnostic(`1 MB rule (${json.length} B, 110000 levels) refused in ${ms.toFixed(2)} ms`);
      assert.ok(ms < 1000, `${ms} ms`);
      assert.equal((error as { code?: string }).code, 'VALIDATION_FAILED');
      assert.equal((error as { status?: number }).status, 400);
      const path = (error as { details: { path: string }[] }).details[0]!.path;
      assert.equal(path, Array.from({ length: MAX_RULE_DEPTH / 2 }, () => 'and.0').join('.'));
      assert.throws(() => engine.unknownOperators(rule), { code: 'VALIDATION_FAILED' });
    });

    it(`${name}: rules at the depth limit compile and evaluate; one level more is refused`, () => {
      // deepRule(n) nests n `and`s, each an object and an array: 2n levels, plus 3 for the leaf.
      const levels = (n: number) => 2 * n + 3;
      const n = Math.floor((MAX_RULE_DEPTH - 3) / 2);
      assert.ok(levels(n) <= MAX_RULE_DEPTH);
      assert.equal(engine.evaluate(deepRule(n), { a: 1 }), true);
      // The mixed leaf {"==": [{"+": [{var}, 1]}, 2]} is 5 levels.
      const m = Math.floor((MAX_RULE_DEPTH - 5) / 2);
      assert.equal(engine.evaluate(deepMixedRule(m), { a: 1 }), true);
      assert.throws(() => engine.compile(deepMixedRule(m + 1)), { code: 'VALIDATION_FAILED' });
      assert.throws(() => engine.compile(deepRule(n + 1)), { code: 'VALIDATION_FAILED' });
    });

    it(`${name}: a rule with more than ${MAX_RULE_NODES} values is refused`, () => {
      assert.doesNotThrow(() => engine.compile(wideRule(3_000)));
      assert.throws(() => engine.compile(wideRule(MAX_RULE_NODES)), { code: 'VALIDATION_FAILED' });
      assert.throws(() => engine.compile({ in: [{ var: 'a' }, Array(MAX_RULE_NODES).fill(1)] }), {
        code: 'VALIDATION_FAILED',
      });
    });

    it(`${name}: compilation is linear in the rule (doubling check)`, (t) => {
      // Deep rules with an unsupported leaf used to be re-walked by code generation at every level.
      const mixed = (k: number) => ({ or: Array.from({ length: k }, () => deepMixedRule(25)) });
      for (const [shape, make, n] of [
        ['deep-mixed', mixed, 120],
        ['wide', wideRule, 1_500],
      ] as const) {
        // Work, counted: property reads of the rule while compiling (deterministic).
        const reads = (k: number) => {
          const counter = { reads: 0 };
          engine.compile(countingReads(make(k), counter));
          return counter.reads;
        };
        const r1 = reads(n);
        const r2 = reads(2 * n);
        // Time: 20 fresh rules per run, built before the clock starts.
        const { ratio, ms, ms2 } = doublingRatio((k) => {
          const rules = Array.from({ length: 20 }, () => make(k));
          return () => {
            for (const rule of rules) engine.compile(rule);
          };
        }, n);
        t.diagnostic(
          `${shape}: reads ${r1} → ${r2} (×${(r2 / r1).toFixed(2)}); 20 rules ${ms.toFixed(1)} ms → ${ms2.toFixed(1)} ms (×${ratio.toFixed(2)})`,
        );
        assert.ok(r2 / r1 < 2.2, `${shape}: reads(2n)/reads(n) = ${(r2 / r1).toFixed(2)}`);
        assert.ok(ratio < 3, `${shape}: time(2n)/time(n) = ${ratio.toFixed(2)}`);
      }
      // Doubling the depth (within the limit) doubles the work: before, code generation re-walked the
      // chain below each level (3889 → 14474 reads from depth 29 to 58).
      const deepReads = (depth: number) => {
        const counter = { reads: 0 };
        engine.compile(countingReads(deepMixedRule(depth), counter));
        return counter.reads;
      };
      const [d1, d2] = [deepReads(14), deepReads(28)];
      t.diagnostic(`deep-mixed depth 14 → 28: reads ${d1} → ${d2} (×${(d2 / d1).toFixed(2)})`);
      assert.ok(d2 / d1 < 2.3, `reads(2 depth)/reads(depth) = ${(d2 / d1).toFixed(2)}`);
    });
  }

  it('ruleLimitProblem reports the first node past a limit under a base path', () => {
    assert.equal(ruleLimitProblem({ and: [1, 2] }), undefined);
    assert.equal(ruleLimitProblem(5), undefined);
    const problem = ruleLimitProblem(deepRule(100), 'rewards.signup.when');
    assert.match(problem?.path ?? '', /^rewards\.signup\.when\.and\.0\.and\.0/);
    assert.match(problem?.message ?? '', /64 levels/);
  });
});
