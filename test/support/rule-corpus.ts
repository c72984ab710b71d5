/**
 * A shared corpus of JSON-Logic rule/data pairs: hand-picked edge cases of json-logic-js semantics plus
 * rules generated from a fixed seed. The differential test runs each through json-logic-js and through
 * our compiler and requires identical results (or identical errors).
 */

export interface Case {
  rule: unknown;
  data?: unknown;
}

const person = {
  name: 'Ada',
  age: 36,
  plan: 'pro',
  tags: ['vip', 'beta'],
  address: { city: 'London', zip: null },
  orders: [
    { id: 1, total: 120, paid: true },
    { id: 2, total: 45.5, paid: false },
    { id: 3, total: 0, paid: true },
  ],
  empty: [],
  zero: 0,
  blank: '',
  nothing: null,
  truthyString: 'false',
};

/** Edge cases where json-logic-js behaves in ways a naive evaluator gets wrong. */
export const edgeCases: Case[] = [
  // loose equality and strict equality
  { rule: { '==': [1, '1'] } },
  { rule: { '==': [0, false] } },
  { rule: { '==': [null, undefined] } },
  { rule: { '==': [null, 0] } },
  { rule: { '==': ['', 0] } },
  { rule: { '==': [[], false] } },
  { rule: { '==': [[1], 1] } },
  { rule: { '===': [1, '1'] } },
  { rule: { '!=': [1, '1'] } },
  { rule: { '!==': [1, '1'] } },
  { rule: { '==': [{ var: 'zero' }, false] }, data: person },
  { rule: { '==': [{ var: 'nothing' }, null] }, data: person },
  { rule: { '==': [1, 1, 2] } },
  // truthiness
  { rule: { '!!': [[]] } },
  { rule: { '!!': [] } },
  { rule: { '!!': [[0]] } },
  { rule: { '!!': ['0'] } },
  { rule: { '!!': '' } },
  { rule: { '!': [[]] } },
  { rule: { '!': [0] } },
  { rule: { '!': { var: 'truthyString' } }, data: person },
  { rule: { '!!': [1, 0] } },
  { rule: { '!!': { var: 'empty' } }, data: person },
  // comparisons, between
  { rule: { '<': [1, 2, 3] } },
  { rule: { '<': [1, 1, 3] } },
  { rule: { '<': [1, 2, null] } },
  { rule: { '<=': [1, 1, 3] } },
  { rule: { '<=': [1, 4, 3] } },
  { rule: { '>': ['11', '2'] } },
  { rule: { '>': ['11', 2] } },
  { rule: { '>=': [null, 0] } },
  { rule: { '<': ['a', 'b'] } },
  { rule: { '>': [{ var: 'age' }, 30] }, data: person },
  // var
  { rule: { var: 'name' }, data: person },
  { rule: { var: ['name'] }, data: person },
  { rule: { var: 'address.city' }, data: person },
  { rule: { var: 'address.zip' }, data: person },
  { rule: { var: ['address.zip', 'fallback'] }, data: person },
  { rule: { var: ['address.country', 'UK'] }, data: person },
  { rule: { var: 'address.city.length' }, data: person },
  { rule: { var: 'orders.1.total' }, data: person },
  { rule: { var: 'tags.0' }, data: person },
  { rule: { var: 1 }, data: ['a', 'b'] },
  { rule: { var: '' }, data: person },
  { rule: { var: [] }, data: { a: 1 } },
  { rule: { var: null }, data: { a: 1 } },
  { rule: { var: 'x' } },
  { rule: { var: 'x.y' }, data: { x: null } },
  { rule: { var: ['x', 0] }, data: {} },
  { rule: { var: [{ cat: ['add', 'ress.city'] }] }, data: person },
  { rule: { var: ['missing.path', { var: 'name' }] }, data: person },
  { rule: { var: 'a.b.c.d' }, data: { a: { b: { c: { d: 4 } } } } },
  { rule: { var: 'length' }, data: 'hello' },
  { rule: { var: 'nothing' }, data: person },
  { rule: { var: ['nothing', 5] }, data: person },
  // missing / missing_some
  { rule: { missing: ['name', 'nope', 'blank', 'nothing', 'zero'] }, data: person },
  { rule: { missing: [['a', 'b']] }, data: { a: 1 } },
  { rule: { missing: 'a' }, data: {} },
  { rule: { missing: [] }, data: {} },
  { rule: { missing: { merge: ['a', { if: [{ var: 'b' }, 'c', 'd'] }] } }, data: { b: 1 } },
  { rule: { missing_some: [1, ['a', 'b', 'c']] }, data: { b: 2 } },
  { rule: { missing_some: [2, ['a', 'b', 'c']] }, data: { b: 2 } },
  { rule: { missing_some: [0, ['a']] }, data: {} },
  { rule: { if: [{ missing: ['a'] }, 'missing a', 'ok'] }, data: { a: 0 } },
  // in, cat, substr, merge
  { rule: { in: ['Spring', 'Springfield'] } },
  { rule: { in: ['x', 'Springfield'] } },
  { rule: { in: [1, 'a1'] } },
  { rule: { in: ['a', ['a', 'b']] } },
  { rule: { in: [1, ['1', 2]] } },
  { rule: { in: ['a', null] } },
  { rule: { in: ['a', 5] } },
  { rule: { in: [{ var: 'plan' }, ['pro', 'business']] }, data: person },
  { rule: { in: ['vip', { var: 'tags' }] }, data: person },
  { rule: { cat: ['I love', ' pie'] } },
  { rule: { cat: ['a', null, 'b', undefined, 1, true, [1, 2]] } },
  { rule: { cat: [] } },
  { rule: { cat: 'single' } },
  { rule: { substr: ['jsonlogic', 4] } },
  { rule: { substr: ['jsonlogic', -5] } },
  { rule: { substr: ['jsonlogic', 1, 3] } },
  { rule: { substr: ['jsonlogic', 4, -2] } },
  { rule: { substr: [12345, 1, 2] } },
  { rule: { substr: [null, 0, 2] } },
  {
    rule: {
      merge: [
        [1, 2],
        [3, 4],
      ],
    },
  },
  { rule: { merge: [1, 2, [3, [4]]] } },
  { rule: { merge: [] } },
  { rule: { merge: [{ var: 'tags' }, 'x'] }, data: person },
  // arithmetic
  { rule: { '+': [4, 2] } },
  { rule: { '+': ['3', 1] } },
  { rule: { '+': ['3.5', '1.5abc'] } },
  { rule: { '+': [] } },
  { rule: { '+': '3.14' } },
  { rule: { '+': [null, 1] } },
  { rule: { '+': [2, 2, 2, 2] } },
  { rule: { '*': [4, 2] } },
  { rule: { '*': ['2'] } },
  { rule: { '*': [-0, 5, -1] } },
  { rule: { '*': [] } },
  { rule: { '*': ['1.5', '2'] } },
  { rule: { '-': [4, 2] } },
  { rule: { '-': [2] } },
  { rule: { '-': ['2'] } },
  { rule: { '-': ['5', '2'] } },
  { rule: { '-': [0] } },
  { rule: { '/': [4, 2] } },
  { rule: { '/': [1, 0] } },
  { rule: { '/': ['9', '3'] } },
  { rule: { '%': [101, 2] } },
  { rule: { '%': [1, 0] } },
  { rule: { min: [1, 2, 3] } },
  { rule: { min: [] } },
  { rule: { max: [1, '5', 3] } },
  { rule: { max: [1, 'x'] } },
  { rule: { max: [] } },
  // if / and / or
  { rule: { if: [true, 'yes', 'no'] } },
  { rule: { if: [[], 'yes', 'no'] } },
  { rule: { if: [false, 'a', false, 'b', 'c'] } },
  { rule: { if: [false, 'a', true, 'b', 'c'] } },
  { rule: { if: [false, 'a'] } },
  { rule: { if: [] } },
  { rule: { if: 'just' } },
  { rule: { '?:': [1, 'one', 'other'] } },
  { rule: { and: [true, 'a', 3] } },
  { rule: { and: [true, '', 3] } },
  { rule: { and: [] } },
  { rule: { and: [[], true] } },
  { rule: { or: [false, 0, 'a'] } },
  { rule: { or: [false, 0] } },
  { rule: { or: [] } },
  { rule: { or: [[], 0, ''] } },
  // array operators
  { rule: { filter: [{ var: 'orders' }, { var: 'paid' }] }, data: person },
  { rule: { map: [{ var: 'orders' }, { var: 'total' }] }, data: person },
  { rule: { map: [[1, 2, 3], { '*': [{ var: '' }, 2] }] } },
  { rule: { map: ['notarray', 1] } },
  { rule: { filter: [5, true] } },
  {
    rule: { reduce: [{ var: 'orders' }, { '+': [{ var: 'current.total' }, { var: 'accumulator' }] }, 0] },
    data: person,
  },
  { rule: { reduce: [[1, 2, 3], { '+': [{ var: 'current' }, { var: 'accumulator' }] }] } },
  { rule: { reduce: ['x', 1, 7] } },
  { rule: { all: [[1, 2, 3], { '>': [{ var: '' }, 0] }] } },
  { rule: { all: [[], true] } },
  { rule: { all: [{ var: 'orders' }, { var: 'paid' }] }, data: person },
  { rule: { some: [{ var: 'orders' }, { var: 'paid' }] }, data: person },
  { rule: { some: [[], true] } },
  { rule: { none: [[], true] } },
  { rule: { none: [[1, 2], { '>': [{ var: '' }, 5] }] } },
  { rule: { some: [[1, 2], { '>': [{ var: '' }, 1] }] } },
  { rule: { filter: [[1, 2, 3]] } },
  { rule: { map: [[1, 2]] } },
  // non-logic values pass through
  { rule: 'plain' },
  { rule: 42 },
  { rule: null },
  { rule: true },
  { rule: [1, { var: 'a' }, [2, { var: 'b' }]], data: { a: 'A', b: 'B' } },
  { rule: { a: 1, b: 2 } },
  { rule: {} },
  {
    rule: {
      '==': [
        { a: 1, b: 2 },
        { a: 1, b: 2 },
      ],
    },
  },
  // errors
  { rule: { nope: [1] } },
  { rule: { if: [true, 'fine', { nope: [] }] } },
  { rule: { if: [false, 'fine', { nope: [] }] } },
  { rule: { 'bad.op': [1] } },
  { rule: { '.lead': [1] } },
  { rule: { toString: [] } },
  { rule: { hasOwnProperty: ['x'] } },
  { rule: { 'util.double': [21] } },
  { rule: { 'util.nothere': [1] } },
  { rule: { twice: [{ var: 'n' }] }, data: { n: 4 } },
  { rule: { plan_is: ['pro'] }, data: { plan: 'pro' } },
  // a realistic eligibility rule
  {
    rule: {
      and: [
        { in: [{ var: 'traits.plan' }, ['pro', 'business']] },
        { '>=': [{ var: 'traits.tenure_days' }, 30] },
        { '==': [{ var: 'traits.lifecycle_stage' }, 'active'] },
        { '!=': [{ var: 'traits.churn_risk' }, 'high'] },
        { '<=': [{ var: 'fraud_score' }, 70] },
        { '>=': [{ var: 'order_value' }, 50] },
      ],
    },
    data: {
      traits: { plan: 'pro', tenure_days: 45, lifecycle_stage: 'active', churn_risk: 'low' },
      fraud_score: 10,
      order_value: 80,
    },
  },
];

/** Custom operators registered identically on json-logic-js and on our engine for the test. */
export const customOperators = {
  twice(n: unknown): unknown {
    return (n as number) * 2;
  },
  plan_is(this: { plan?: unknown }, plan: unknown): unknown {
    return this.plan === plan;
  },
  util: {
    double(n: unknown): unknown {
      return (n as number) * 2;
    },
  },
};

/** Mulberry32: a tiny seeded PRNG so the generated corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEAVES: unknown[] = [
  0,
  1,
  -1,
  2.5,
  '0',
  '1',
  '',
  'a',
  'abc',
  'pro',
  true,
  false,
  null,
  [],
  [0],
  ['a', 'b'],
  [1, 2, 3],
];
const PATHS = ['a', 'b', 'c', 'n', 's', 'list', 'obj.x', 'obj.y', 'obj.list.1', 'nope', 'nothing', 'z', ''];
const BINARY = [
  '==',
  '===',
  '!=',
  '!==',
  '>',
  '>=',
  '<',
  '<=',
  '+',
  '-',
  '*',
  '/',
  '%',
  'in',
  'cat',
  'min',
  'max',
  'merge',
];
const UNARY = ['!', '!!', '-', '+'];
const CONTROL = ['if', 'and', 'or'];
const ARRAY_OPS = ['map', 'filter', 'all', 'some', 'none', 'reduce'];

/** Random rules over a small grammar, with random data to run them against. */
export function generatedCases(count: number, seed = 20240601): Case[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const gen = (depth: number): unknown => {
    const r = rand();
    if (depth <= 0 || r < 0.25) return pick(LEAVES);
    if (r < 0.45) return rand() < 0.3 ? { var: [pick(PATHS), pick(LEAVES)] } : { var: pick(PATHS) };
    if (r < 0.7) {
      const n = rand() < 0.15 ? 3 : 2;
      return { [pick(BINARY)]: Array.from({ length: n }, () => gen(depth - 1)) };
    }
    if (r < 0.8) return { [pick(UNARY)]: [gen(depth - 1)] };
    if (r < 0.92) {
      const n = 1 + Math.floor(rand() * 4);
      return { [pick(CONTROL)]: Array.from({ length: n }, () => gen(depth - 1)) };
    }
    if (r < 0.96) return { missing: [pick(PATHS), pick(PATHS)] };
    const op = pick(ARRAY_OPS);
    const scope = rand() < 0.5 ? { var: 'list' } : pick([[1, 2, 3], [], ['a', '', 0], 'x']);
    const body =
      rand() < 0.5 ? { '>': [{ var: '' }, gen(0)] } : { '+': [{ var: 'current' }, { var: 'accumulator' }] };
    return op === 'reduce' ? { reduce: [scope, body, gen(0)] } : { [op]: [scope, body] };
  };
  const genData = (): unknown => ({
    a: pick(LEAVES),
    b: pick(LEAVES),
    c: pick(LEAVES),
    n: Math.floor(rand() * 200) - 50,
    s: pick(['pro', 'free', '10', '', 'x']),
    list: Array.from({ length: Math.floor(rand() * 4) }, () => pick([0, 1, 2, 5, '3', 'a', null])),
    obj: { x: pick(LEAVES), y: { z: 1 }, list: [pick(LEAVES), pick(LEAVES)] },
    nothing: null,
  });
  return Array.from({ length: count }, () => ({ rule: gen(4), data: genData() }));
}

const TRAIT_PATHS = [
  'plan',
  'traits.plan',
  'traits.tenure_days',
  'traits.stage',
  'traits.tags',
  'score',
  'x.y.z',
  'nope.deep',
  'list.0',
  '',
];
const TRAIT_VALUES: unknown[] = [
  0,
  30,
  -1,
  2.5,
  '30',
  'pro',
  'active',
  '',
  null,
  true,
  false,
  Number.NaN,
  -0,
];
const COMPARES = ['==', '!=', '===', '!==', '>', '>=', '<', '<='];

/** Eligibility-shaped rules: and/or/! over `var` compared with literals (the code-generated subset). */
export function generatedBooleanCases(count: number, seed = 7): Case[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const leaf = (): unknown => {
    const v = rand() < 0.2 ? { var: [pick(TRAIT_PATHS), pick(TRAIT_VALUES)] } : { var: pick(TRAIT_PATHS) };
    if (rand() < 0.2) return { in: [v, pick([['pro', 'business'], [30, '0', null], []])] };
    return { [pick(COMPARES)]: [v, pick(TRAIT_VALUES)] };
  };
  const gen = (depth: number): unknown => {
    const r = rand();
    if (depth <= 0 || r < 0.4) return leaf();
    if (r < 0.5) return { [pick(['!', '!!'])]: [gen(depth - 1)] };
    const n = 1 + Math.floor(rand() * 5);
    return { [pick(['and', 'or'])]: Array.from({ length: n }, () => gen(depth - 1)) };
  };
  const data = (): unknown =>
    pick([
      undefined,
      null,
      {
        plan: pick(['pro', 'free', 30]),
        score: pick(TRAIT_VALUES),
        list: [pick(TRAIT_VALUES)],
        x: { y: pick([null, { z: 1 }, {}]) },
      },
      {
        traits: pick([
          null,
          {},
          {
            plan: pick(['pro', 'business', null]),
            tenure_days: pick([10, 30, '45', null]),
            stage: pick(['active', 'trial']),
          },
        ]),
        nope: pick([null, 'str', { deep: 0 }]),
      },
    ]);
  return Array.from({ length: count }, () => ({ rule: gen(3), data: data() }));
}
