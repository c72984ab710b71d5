import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonLogic from 'json-logic-js';
import {
  CUSTOM_OPERATORS,
  ExpressionError,
  evaluate,
  isLogicNode,
  isTruthy,
  OPERATORS,
  registerOperators,
} from './expr.ts';

const scope = {
  now: '2025-01-01T00:00:00.000Z',
  event: {
    participant_id: 'p1',
    properties: { amount: 120, renews_at: '2025-03-31T00:00:00.000Z', plan: 'Pro' },
  },
  settings: { window: '14d', min_order: 50 },
  attempt: 1,
};

const ev = (expr: unknown) => evaluate(expr, scope);

describe('custom operators', () => {
  it('date_add / date_sub shift ISO dates by durations (text, ISO, ms, negative)', () => {
    assert.equal(ev({ date_add: [{ var: 'now' }, '3d'] }), '2025-01-04T00:00:00.000Z');
    assert.equal(ev({ date_add: [{ var: 'now' }, 'PT12H'] }), '2025-01-01T12:00:00.000Z');
    assert.equal(ev({ date_add: [{ var: 'now' }, 60_000] }), '2025-01-01T00:01:00.000Z');
    assert.equal(
      ev({ date_add: [{ var: 'event.properties.renews_at' }, '-30d'] }),
      '2025-03-01T00:00:00.000Z',
    );
    assert.equal(
      ev({ date_sub: [{ var: 'event.properties.renews_at' }, '30d'] }),
      '2025-03-01T00:00:00.000Z',
    );
    assert.equal(ev({ date_add: [{ var: 'now' }, { var: 'settings.window' }] }), '2025-01-15T00:00:00.000Z');
    assert.equal(ev({ date_add: ['not a date', '1d'] }), null);
    assert.equal(ev({ date_add: [{ var: 'now' }, '3 days'] }), null);
  });

  it('days_between and ms_between measure from the first date to the second', () => {
    assert.equal(ev({ days_between: [{ var: 'now' }, { var: 'event.properties.renews_at' }] }), 89);
    assert.equal(ev({ days_between: [{ var: 'event.properties.renews_at' }, { var: 'now' }] }), -89);
    assert.equal(ev({ days_between: ['2025-01-01T00:00:00Z', '2025-01-01T23:00:00Z'] }), 0);
    assert.equal(ev({ ms_between: [{ var: 'now' }, '2025-01-01T00:00:01Z'] }), 1000);
    assert.equal(ev({ ms_between: ['x', { var: 'now' }] }), null);
  });

  it('before / after compare dates', () => {
    assert.equal(ev({ before: [{ var: 'now' }, { var: 'event.properties.renews_at' }] }), true);
    assert.equal(ev({ after: [{ var: 'now' }, { var: 'event.properties.renews_at' }] }), false);
    assert.equal(ev({ after: [{ var: 'event.properties.renews_at' }, { var: 'now' }] }), true);
    assert.equal(ev({ before: ['garbage', { var: 'now' }] }), false);
  });

  it('duration_ms turns durations into milliseconds', () => {
    assert.equal(ev({ duration_ms: '3d' }), 259_200_000);
    assert.equal(ev({ duration_ms: 'P1W' }), 604_800_000);
    assert.equal(ev({ duration_ms: 1500 }), 1500);
    assert.equal(ev({ duration_ms: 'soon' }), null);
  });

  it('percent and round', () => {
    assert.equal(ev({ percent: [{ var: 'event.properties.amount' }, 15] }), 18);
    assert.equal(ev({ percent: ['x', 15] }), null);
    assert.equal(ev({ round: [2.345, 2] }), 2.35);
    assert.equal(ev({ round: [-2.5] }), -3);
  });

  it('tier picks the result of the highest threshold not above the value', () => {
    const table = [
      [50, { amount: 10 }],
      [100, { amount: 25, label: { cat: ['$', 25] } }],
      [250, { amount: 50 }],
    ];
    assert.deepEqual(ev({ tier: [{ var: 'event.properties.amount' }, table] }), { amount: 25, label: '$25' });
    assert.deepEqual(ev({ tier: [250, table] }), { amount: 50 });
    assert.equal(ev({ tier: [10, table] }), null);
    assert.equal(ev({ tier: [10, table, 'none'] }), 'none');
  });

  it('string helpers', () => {
    assert.equal(ev({ lower: { var: 'event.properties.plan' } }), 'pro');
    assert.equal(ev({ upper: { var: 'event.properties.plan' } }), 'PRO');
    assert.equal(ev({ starts_with: ['referral_shared_email', 'referral_shared'] }), true);
    assert.equal(ev({ contains: ['growth playbook', 'play'] }), true);
    assert.equal(ev({ contains: [['g2', 'capterra'], 'g2'] }), true);
    assert.equal(ev({ contains: [5, 'x'] }), false);
    assert.equal(ev({ lower: 5 }), null);
    assert.equal(ev({ cat: ['a', 1, 'b'] }), 'a1b');
  });

  it('coalesce and length', () => {
    assert.equal(ev({ coalesce: [{ var: 'missing.value' }, null, 'fallback', 'later'] }), 'fallback');
    assert.equal(ev({ coalesce: [{ var: 'missing' }] }), null);
    assert.equal(ev({ length: [[1, 2, 3]] }), 3);
    assert.equal(ev({ length: 'abcd' }), 4);
    assert.equal(ev({ length: 7 }), null);
  });

  it('every custom operator is in the whitelist and has a documented arity', () => {
    for (const [name, op] of Object.entries(CUSTOM_OPERATORS)) {
      assert.ok(OPERATORS.includes(name), name);
      assert.ok(op.arity[0] >= 1 && op.doc.length > 0, name);
    }
    assert.ok(!OPERATORS.includes('log'), 'log writes to the console and is not allowed');
  });
});

describe('evaluate', () => {
  it('evaluates expressions inside literal maps and lists (templates)', () => {
    assert.deepEqual(
      ev({ data: { who: { var: 'event.participant_id' }, n: 2 }, list: [{ var: 'attempt' }, 'x'] }),
      {
        data: { who: 'p1', n: 2 },
        list: [1, 'x'],
      },
    );
    assert.deepEqual(ev({ if: [true, { single_key_map: { var: 'attempt' } }, 0] }), { single_key_map: 1 });
    assert.deepEqual(ev({}), {});
  });

  it('returns literals as they are', () => {
    assert.equal(ev('text'), 'text');
    assert.equal(ev(3), 3);
    assert.equal(ev(null), null);
    assert.deepEqual(ev([1, 'a']), [1, 'a']);
  });

  it('standard operators behave as JSON-Logic', () => {
    assert.equal(ev({ '>=': [{ var: 'event.properties.amount' }, { var: 'settings.min_order' }] }), true);
    assert.equal(ev({ and: [true, { '!': false }] }), true);
    assert.deepEqual(ev({ missing: ['event.participant_id', 'event.nope'] }), ['event.nope']);
    assert.equal(ev({ var: ['event.nope', 'default'] }), 'default');
    assert.deepEqual(ev({ map: [[1, 2], { '*': [{ var: '' }, 2] }] }), [2, 4]);
  });

  it('var reads own properties only, never the prototype chain', () => {
    assert.equal(ev({ var: 'event.constructor' }), null);
    assert.equal(ev({ var: 'event.__proto__' }), null);
    assert.equal(ev({ var: 'event.properties.plan.length' }), 3);
  });

  it('a non-operator key is a literal map at run time (the validator flags misspelt operators)', () => {
    assert.deepEqual(ev({ if: [true, { log: 'x' }, 1] }), { log: 'x' });
  });

  it('an operator that fails is an ExpressionError', () => {
    assert.throws(
      () => ev({ missing_some: [1, null] }),
      (e: unknown) => e instanceof ExpressionError && e.code === 'EXPRESSION_FAILED',
    );
  });

  it('is pure: the same expression and scope give the same result, and the scope is not changed', () => {
    const expr = { date_add: [{ var: 'now' }, { var: 'settings.window' }] };
    const before = JSON.stringify(scope);
    assert.equal(evaluate(expr, scope), evaluate(expr, scope));
    assert.equal(JSON.stringify(scope), before);
  });

  it('isTruthy follows JSON-Logic (empty list is false)', () => {
    assert.equal(isTruthy([]), false);
    assert.equal(isTruthy('0'), true);
    assert.equal(isTruthy(0), false);
  });

  it('isLogicNode recognises one-operator objects only', () => {
    assert.equal(isLogicNode({ var: 'a' }), true);
    assert.equal(isLogicNode({ var: 'a', b: 1 }), false);
    assert.equal(isLogicNode({ link: 'a' }), false);
    assert.equal(isLogicNode([{ var: 'a' }]), false);
  });

  it('registerOperators is idempotent', () => {
    registerOperators(jsonLogic);
    registerOperators(jsonLogic);
    assert.equal(ev({ percent: [200, 10] }), 20);
  });
});
