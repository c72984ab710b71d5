import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuleEngine } from '../services/platform/rules/compile.ts';
import { ExpressionError, evaluate, isLogicNode, OPERATORS } from './expr.ts';
import { JSONLOGIC2_OPERATORS, LogicThrow } from './expr-jsonlogic2.ts';

/**
 * Pulse-specific properties of the JSON Logic 2 operators, beyond the public suites
 * (expr-conformance.test.ts): both evaluators, safe lookups, scope bookkeeping, error shapes.
 */
const rules = createRuleEngine();
const both = (rule: unknown, data: Record<string, unknown>): [unknown, unknown] => [
  evaluate(rule, data),
  rules.evaluate(rule, data),
];

describe('JSON Logic 2 operators in both evaluators', () => {
  it('are operators of the campaign whitelist', () => {
    for (const op of JSONLOGIC2_OPERATORS) assert.ok(OPERATORS.includes(op), op);
    assert.ok(isLogicNode({ val: ['a'] }));
    assert.ok(isLogicNode({ '??': [null, 1] }));
  });

  it('val and exists read own properties only, never prototype members', () => {
    const data = { a: { b: 1 }, list: [1, 2] };
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      assert.deepEqual(both({ val: [key] }, data), [null, null], key);
      assert.deepEqual(both({ val: ['a', key] }, data), [null, null], key);
      assert.deepEqual(both({ exists: [key] }, data), [false, false], key);
    }
    assert.deepEqual(both({ val: ['a', 'b'] }, data), [1, 1]);
    assert.deepEqual(both({ val: ['list', 1] }, data), [2, 2]);
    assert.deepEqual(both({ val: 'a.b' }, { 'a.b': 7, a: { b: 1 } }), [7, 7], 'no dot splitting');
  });

  it('?? returns the first non-null value, keeping false and 0', () => {
    assert.deepEqual(both({ '??': [{ val: 'missing' }, 0, 5] }, {}), [0, 0]);
    assert.deepEqual(both({ '??': [null, false] }, {}), [false, false]);
    assert.deepEqual(both({ '??': [null, null] }, {}), [null, null]);
  });

  it('try catches throw, NaN and Infinity results; the fallback reads the error', () => {
    // The error object comes from data: a literal map in a rule is evaluated by expr.ts only.
    const data = { a: 1, b: 0, err: { type: 'NO_PLAN', plan: 1 } };
    assert.deepEqual(both({ try: [{ '/': [{ var: 'a' }, { var: 'b' }] }, -1] }, data), [-1, -1]);
    assert.deepEqual(both({ try: [{ '*': ['x', 2] }, { val: 'type' }] }, data), ['NaN', 'NaN']);
    assert.deepEqual(
      both(
        {
          try: [{ throw: { var: 'err' } }, { cat: [{ val: 'type' }, '/', { val: 'plan' }] }],
        },
        data,
      ),
      ['NO_PLAN/1', 'NO_PLAN/1'],
    );
    assert.deepEqual(both({ try: [{ '+': [{ var: 'a' }, 1] }, 0] }, data), [2, 2], 'a good value passes');
  });

  it('an uncaught throw is an ExpressionError carrying the type (workflow) and a LogicThrow (service)', () => {
    assert.throws(
      () => evaluate({ if: [true, { throw: 'NOT_ELIGIBLE' }, 1] }, {}),
      (err: unknown) => err instanceof ExpressionError && err.type === 'NOT_ELIGIBLE',
    );
    assert.throws(
      () => rules.evaluate({ if: [true, { throw: 'NOT_ELIGIBLE' }, 1] }, {}),
      (err: unknown) => err instanceof LogicThrow && err.type === 'NOT_ELIGIBLE',
    );
  });

  it('preserve returns logic unevaluated', () => {
    assert.deepEqual(both({ preserve: { var: 'a' } }, { a: 1 }), [{ var: 'a' }, { var: 'a' }]);
  });

  it('scopes climb out of nested iterators and are unwound even when the body raises', () => {
    const data = { base: 100, rows: [[1, 2], [3]] };
    const rule = {
      map: [
        { var: 'rows' },
        { map: [{ val: [] }, { '+': [{ val: [] }, { val: [[4], 'base'] }, { val: [[1], 'index'] }] }] },
      ],
    };
    assert.deepEqual(both(rule, data), [
      [[101, 103], [103]],
      [[101, 103], [103]],
    ]);
    const raising = { map: [[1, 2], { if: [{ val: [[1], 'index'] }, { throw: 'stop' }, 0] }] };
    assert.throws(() => evaluate(raising, {}));
    assert.throws(() => rules.evaluate(raising, {}));
    // Nothing left on the stacks: outside any iterator there is no scope to climb to.
    assert.deepEqual(both({ val: [[1], 'index'] }, {}), [null, null]);
    assert.deepEqual(both({ exists: [[2]] }, {}), [false, false]);
  });

  it('standard iterators without scope climbing keep json-logic-js results', () => {
    const data = { items: [{ qty: 1 }, { qty: 4 }] };
    const rule = { filter: [{ var: 'items' }, { '>': [{ var: 'qty' }, 2] }] };
    assert.deepEqual(both(rule, data), [[{ qty: 4 }], [{ qty: 4 }]]);
  });
});
