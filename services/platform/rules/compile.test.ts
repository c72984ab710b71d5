import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonLogic from 'json-logic-js';
import {
  type Case,
  customOperators,
  edgeCases,
  generatedBooleanCases,
  generatedCases,
} from '../../../test/support/rule-corpus.ts';
import { createRuleEngine } from './compile.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

function run(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

// json-logic-js keeps one global table; register the same operators there and on our engine.
for (const [name, op] of Object.entries(customOperators)) {
  jsonLogic.add_operation(name, op as never);
}
const engine = createRuleEngine(customOperators);
const generating = createRuleEngine(customOperators, { codegen: true });

function differential(cases: Case[]): void {
  for (const [i, c] of cases.entries()) {
    const expected = run(() => jsonLogic.apply(c.rule as never, c.data));
    const actual = run(() => engine.evaluate(c.rule, c.data));
    assert.deepStrictEqual(
      actual,
      expected,
      `case ${i}: ${JSON.stringify(c.rule)} with ${JSON.stringify(c.data)}`,
    );
    // A second evaluation goes through the cached closure and must agree too.
    assert.deepStrictEqual(
      run(() => engine.evaluate(c.rule, c.data)),
      expected,
      `case ${i} (cached)`,
    );
    const gen = run(() => generating.evaluate(c.rule, c.data));
    assert.deepStrictEqual(gen, expected, `case ${i} (codegen): ${JSON.stringify(c.rule)}`);
  }
}

describe('compiled JSON-Logic equals json-logic-js', () => {
  it(`edge cases (${edgeCases.length})`, () => differential(edgeCases));

  const generated = generatedCases(600);
  it(`generated cases (${generated.length}, fixed seed)`, () => differential(generated));

  const boolean = generatedBooleanCases(300);
  it(`generated eligibility-shaped cases (${boolean.length}, fixed seed; the code-generated subset)`, () =>
    differential(boolean));

  it('the corpus is large enough and mixes successes and errors', () => {
    const all = [...edgeCases, ...generated, ...boolean];
    assert.ok(all.length >= 200);
    const failures = all.filter((c) => !run(() => jsonLogic.apply(c.rule as never, c.data)).ok).length;
    assert.ok(failures > 0 && failures < all.length / 2);
  });
});

describe('rule engine', () => {
  it('caches the compiled closure per rule object', () => {
    const rule = { '==': [{ var: 'a' }, 1] };
    assert.equal(engine.compile(rule), engine.compile(rule));
    assert.equal(engine.evaluate(rule, { a: '1' }), true);
  });

  it('registerOperator adds an operator and invalidates compiled rules', () => {
    const local = createRuleEngine();
    const rule = { shout: [{ var: 'w' }] };
    assert.throws(() => local.evaluate(rule, { w: 'hi' }), /Unrecognized operation shout/);
    local.registerOperator('shout', (s: string) => `${s.toUpperCase()}!`);
    assert.equal(local.evaluate(rule, { w: 'hi' }), 'HI!');
  });

  it('generates code only for the boolean var-comparison subset', () => {
    const eligible = { and: [{ in: [{ var: 'traits.plan' }, ['pro']] }, { '>=': [{ var: 'tenure' }, 30] }] };
    assert.equal(generating.compile(eligible).name, 'rule');
    assert.notEqual(generating.compile({ and: [{ var: 'a' }, { '>=': [{ var: 'b' }, 1] }] }).name, 'rule');
    assert.notEqual(engine.compile(eligible).name, 'rule', 'closures only unless asked');
  });

  it('refuses to replace control operators', () => {
    assert.throws(() => createRuleEngine().registerOperator('if', () => 1), { code: 'BAD_REQUEST' });
  });

  it('lists unknown operators for validation', () => {
    const ops = engine.unknownOperators({
      and: [{ nope: [1] }, { 'util.double': [1] }, { 'util.x': [] }, { var: 'a' }],
    });
    assert.deepEqual(ops.sort(), ['nope', 'util.x']);
  });
});
