/**
 * JSON-Logic evaluation for campaign plans, with Pulse's custom operators.
 *
 * Imported by the Temporal workflow (the interpreter), so this module must stay sandbox-safe: no `node:`
 * imports, no ajv/yaml, no clock (`now` is a scope variable the workflow fills from workflow time), no
 * randomness. Every operator is pure; changing an operator's meaning changes replay, so treat edits here
 * like workflow code changes (add a new operator rather than altering an old one).
 *
 * Evaluation rule for objects (the one place we extend JSON-Logic): an object with exactly one key that is
 * a known operator is logic; any other object is a literal map whose values are expressions. So
 * `{ data: { link: { var: assets.link } } }` evaluates to `{ data: { link: "https://…" } }`.
 */
import jsonLogic from 'json-logic-js';
import { isEvery, isLeapDay, nextAnniversary, nthAnniversary } from './anniversary.ts';
import { addDuration, toDuration, toDurationMs } from './duration.ts';
import {
  climbsScopes,
  coalesceOp,
  errorPayload,
  existsOp,
  JSONLOGIC2_OPERATORS,
  LogicThrow,
  NAN_PAYLOAD,
  nanError,
  type ScopeStack,
  throwOp,
  valOp,
} from './expr-jsonlogic2.ts';

type JsonLogic = typeof jsonLogic;
type Operation = (this: unknown, ...args: unknown[]) => unknown;

/** Standard json-logic-js operators we allow (`log` is excluded: it writes to the console). */
export const STANDARD_OPERATORS = [
  '==',
  '===',
  '!=',
  '!==',
  '>',
  '>=',
  '<',
  '<=',
  '!',
  '!!',
  'and',
  'or',
  'if',
  '?:',
  '+',
  '-',
  '*',
  '/',
  '%',
  'min',
  'max',
  'cat',
  'substr',
  'in',
  'merge',
  'var',
  'missing',
  'missing_some',
  'map',
  'filter',
  'reduce',
  'all',
  'some',
  'none',
] as const;

const DAY_MS = 86_400_000;

/** Epoch ms of an ISO date text or epoch-ms number; null when it is neither. */
function toEpochMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function shiftDate(date: unknown, duration: unknown, sign: 1 | -1): string | null {
  const at = toEpochMs(date);
  const d = toDuration(duration);
  if (at === null || d === null) return null;
  // Calendar parts (months, years) move the date by the calendar, clamped: Jan 31 + 1mo = Feb 28/29.
  return new Date(addDuration(at, { months: sign * d.months, ms: sign * d.ms })).toISOString();
}

function compareDates(a: unknown, b: unknown): number | null {
  const x = toEpochMs(a);
  const y = toEpochMs(b);
  return x === null || y === null ? null : x - y;
}

/** Pulse's own operators. Arity is [min, max] (max -1 = unbounded), checked statically by the validator. */
export const CUSTOM_OPERATORS: Record<string, { arity: [number, number]; doc: string; fn: Operation }> = {
  date_add: {
    arity: [2, 2],
    doc: '[date, duration] → ISO date; duration "30d", "P1W", ms, or "-3d" for earlier',
    fn: (date, duration) => shiftDate(date, duration, 1),
  },
  date_sub: {
    arity: [2, 2],
    doc: '[date, duration] → ISO date that much earlier',
    fn: (date, duration) => shiftDate(date, duration, -1),
  },
  days_between: {
    arity: [2, 2],
    doc: '[from, to] → whole days from `from` to `to` (negative when `to` is earlier)',
    fn: (from, to) => {
      const diff = compareDates(to, from);
      return diff === null ? null : Math.trunc(diff / DAY_MS);
    },
  },
  anniversary: {
    arity: [3, 4],
    doc: '[origin, n, "year"|"month"|"week", leap_day?] → ISO date of the n-th anniversary; Feb 29 (or the 31st) falls on the month end ("feb28", default) or the next day ("mar1") where it does not exist',
    fn: (origin, n, every, leapDay) => {
      const o = toEpochMs(origin);
      const k = toNumber(n);
      const leap = leapDay === undefined || leapDay === null ? 'feb28' : leapDay;
      if (o === null || k === null || !Number.isInteger(k) || !isEvery(every) || !isLeapDay(leap))
        return null;
      return new Date(nthAnniversary(o, k, every, leap)).toISOString();
    },
  },
  next_anniversary: {
    arity: [3, 4],
    doc: '[origin, after, "year"|"month"|"week", leap_day?] → ISO date of the first anniversary of origin after `after` (same leap-day rule)',
    fn: (origin, afterDate, every, leapDay) => {
      const o = toEpochMs(origin);
      const a = toEpochMs(afterDate);
      const leap = leapDay === undefined || leapDay === null ? 'feb28' : leapDay;
      if (o === null || a === null || !isEvery(every) || !isLeapDay(leap)) return null;
      const next = nextAnniversary(o, a, every, leap);
      return next === null ? null : new Date(next).toISOString();
    },
  },
  ms_between: {
    arity: [2, 2],
    doc: '[from, to] → milliseconds from `from` to `to` (negative when `to` is earlier); for wait timeouts',
    fn: (from, to) => compareDates(to, from),
  },
  before: {
    arity: [2, 2],
    doc: '[a, b] → true when date a is earlier than date b',
    fn: (a, b) => {
      const diff = compareDates(a, b);
      return diff !== null && diff < 0;
    },
  },
  after: {
    arity: [2, 2],
    doc: '[a, b] → true when date a is later than date b',
    fn: (a, b) => {
      const diff = compareDates(a, b);
      return diff !== null && diff > 0;
    },
  },
  duration_ms: {
    arity: [1, 1],
    doc: '"3d" → 259200000 (also ISO "P3D"; numbers pass through)',
    fn: (d) => toDurationMs(d),
  },
  percent: {
    arity: [2, 2],
    doc: '[value, pct] → value × pct / 100',
    fn: (value, pct) => {
      const v = toNumber(value);
      const p = toNumber(pct);
      return v === null || p === null ? null : (v * p) / 100;
    },
  },
  round: {
    arity: [1, 2],
    doc: '[value, decimals?] → value rounded half away from zero',
    fn: (value, decimals) => {
      const v = toNumber(value);
      if (v === null) return null;
      const f = 10 ** (toNumber(decimals) ?? 0);
      return (Math.sign(v) * Math.round(Math.abs(v) * f)) / f;
    },
  },
  tier: {
    arity: [2, 3],
    doc: '[value, [[from, result], …], fallback?] → result of the highest `from` ≤ value',
    fn: (value, table, fallback) => {
      const v = toNumber(value);
      if (v === null || !Array.isArray(table)) return fallback ?? null;
      let best: { from: number; result: unknown } | null = null;
      for (const row of table) {
        if (!Array.isArray(row)) continue;
        const from = toNumber(row[0]);
        if (from === null || from > v) continue;
        if (best === null || from >= best.from) best = { from, result: row[1] };
      }
      return best === null ? (fallback ?? null) : best.result;
    },
  },
  lower: {
    arity: [1, 1],
    doc: 'text → lower case',
    fn: (s) => (typeof s === 'string' ? s.toLowerCase() : null),
  },
  upper: {
    arity: [1, 1],
    doc: 'text → upper case',
    fn: (s) => (typeof s === 'string' ? s.toUpperCase() : null),
  },
  starts_with: {
    arity: [2, 2],
    doc: '[text, prefix] → boolean',
    fn: (s, prefix) => typeof s === 'string' && typeof prefix === 'string' && s.startsWith(prefix),
  },
  contains: {
    arity: [2, 2],
    doc: '[text or list, needle] → boolean (substring or element)',
    fn: (haystack, needle) => {
      if (typeof haystack === 'string') return typeof needle === 'string' && haystack.includes(needle);
      if (Array.isArray(haystack)) return haystack.includes(needle);
      return false;
    },
  },
  coalesce: {
    arity: [1, -1],
    doc: '[a, b, …] → first value that is not null',
    fn: (...values) => values.find((v) => v !== null && v !== undefined) ?? null,
  },
  length: {
    arity: [1, 1],
    doc: 'text or list → its length (null otherwise)',
    fn: (x) => (typeof x === 'string' || Array.isArray(x) ? x.length : null),
  },
};

/** Internal operator that builds a literal map (see the evaluation rule above); never written by authors. */
const OBJECT_OP = '__object';

/** Every operator a campaign may use: the standard whitelist, the JSON Logic 2 additions, and ours. */
export const OPERATORS: readonly string[] = Object.freeze([
  ...STANDARD_OPERATORS,
  ...JSONLOGIC2_OPERATORS,
  ...Object.keys(CUSTOM_OPERATORS),
]);
const OPERATOR_SET: ReadonlySet<string> = new Set(OPERATORS);

/** True when `name` is an operator a campaign may use. */
export function isOperator(name: string): boolean {
  return OPERATOR_SET.has(name);
}

/** True when `value` is a logic node: an object with exactly one key, and that key an operator. */
export function isLogicNode(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && OPERATOR_SET.has(keys[0]!);
}

/**
 * `var` with own-property lookups only, so paths such as `constructor` or `__proto__` never reach
 * prototype members (json-logic-js's own `var` walks the prototype chain).
 */
function safeVar(this: unknown, path: unknown, fallback: unknown): unknown {
  const notFound = fallback === undefined ? null : fallback;
  if (path === undefined || path === null || path === '') return this;
  let data: unknown = this;
  for (const key of String(path).split('.')) {
    if (data === null || data === undefined) return notFound;
    if (!Object.hasOwn(Object(data), key)) return notFound;
    data = (data as Record<string, unknown>)[key];
    if (data === undefined) return notFound;
  }
  return data;
}

function objectFromEntries(...entries: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of entries) if (Array.isArray(e)) out[String(e[0])] = e[1];
  return out;
}

/*
 * JSON Logic 2 operators (contract/expr-jsonlogic2.ts). json-logic-js evaluates every argument of an added
 * operation first, so the lazy ones (`try`, `preserve`, and iterators whose per-item logic climbs scopes)
 * are rewritten by `normalize` into internal operations that receive their logic quoted: an object with
 * two keys, which json-logic-js passes through unevaluated. Standard operators keep json-logic-js's code.
 */
const TRY_OP = '__try';
const PRESERVE_OP = '__preserve';
const SCOPED_ITERATOR_OP = '__iterate';
const QUOTE = '__pulse_quoted';

interface Quoted {
  [QUOTE]: unknown;
  kind: 'logic';
}
const quote = (logic: unknown): Quoted => ({ [QUOTE]: logic, kind: 'logic' });
const unquote = (q: unknown): unknown => (q as Quoted)[QUOTE];

/** Scopes around the current data while climbing iterators or `try` run (see expr-jsonlogic2.ts). */
const scopes: ScopeStack = [];

function tryOp(this: unknown, ...parts: unknown[]): unknown {
  let payload: unknown;
  let last: unknown;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) scopes.push(this, payload);
    try {
      const value = jsonLogic.apply(unquote(parts[i]) as never, i === 0 ? this : payload);
      if (typeof value !== 'number' || Number.isFinite(value)) return value;
      last = nanError();
      payload = NAN_PAYLOAD;
    } catch (err) {
      last = err;
      payload = errorPayload(err);
    } finally {
      if (i > 0) scopes.length -= 2;
    }
  }
  throw last;
}

/** map/filter/reduce/all/some/none with the json-logic-js semantics, recording scopes for `val`. */
function scopedIterator(
  this: unknown,
  op: unknown,
  items: unknown,
  body: unknown,
  initial: unknown,
): unknown {
  const logic = unquote(body) as never;
  const run = (datum: unknown, index: number): unknown => {
    scopes.push(this, { index });
    try {
      return jsonLogic.apply(logic, datum);
    } finally {
      scopes.length -= 2;
    }
  };
  if (op === 'reduce') {
    if (!Array.isArray(items)) return initial;
    return items.reduce((accumulator, current, index) => run({ current, accumulator }, index), initial);
  }
  if (!Array.isArray(items)) return op === 'map' || op === 'filter' ? [] : op === 'none';
  switch (op) {
    case 'map':
      return items.map(run);
    case 'filter':
      return items.filter((x, i) => jsonLogic.truthy(run(x, i)));
    case 'all':
      return items.length > 0 && items.every((x, i) => jsonLogic.truthy(run(x, i)));
    case 'some':
      return items.some((x, i) => jsonLogic.truthy(run(x, i)));
    default: // 'none'
      return !items.some((x, i) => jsonLogic.truthy(run(x, i)));
  }
}

const ITERATORS = new Set(['map', 'filter', 'reduce', 'all', 'some', 'none']);

const registered = new WeakSet<object>();

/** Registers our operators (and the safe `var`) on a json-logic-js instance; idempotent. */
export function registerOperators(logic: JsonLogic): void {
  if (registered.has(logic)) return;
  for (const [name, op] of Object.entries(CUSTOM_OPERATORS)) logic.add_operation(name, op.fn);
  logic.add_operation('var', safeVar);
  logic.add_operation(OBJECT_OP, objectFromEntries);
  logic.add_operation('val', function (this: unknown, ...args: unknown[]) {
    return valOp(this, args, scopes);
  });
  logic.add_operation('exists', function (this: unknown, ...args: unknown[]) {
    return existsOp(this, args, scopes);
  });
  logic.add_operation('??', (...args: unknown[]) => coalesceOp(args));
  logic.add_operation('throw', throwOp);
  logic.add_operation(TRY_OP, tryOp);
  logic.add_operation(PRESERVE_OP, (q: unknown) => unquote(q));
  logic.add_operation(SCOPED_ITERATOR_OP, scopedIterator);
  registered.add(logic);
}

registerOperators(jsonLogic);

const normalized = new WeakMap<object, unknown>();

/** Rewrites literal maps into `__object` nodes so json-logic-js evaluates the expressions inside them. */
function normalize(expr: unknown): unknown {
  if (expr === null || typeof expr !== 'object') return expr;
  const cached = normalized.get(expr);
  if (cached !== undefined) return cached;
  let out: unknown;
  if (Array.isArray(expr)) {
    out = expr.map(normalize);
  } else {
    const record = expr as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && OPERATOR_SET.has(keys[0]!)) {
      out = normalizeOperator(keys[0]!, record[keys[0]!]);
    } else {
      out = { [OBJECT_OP]: keys.map((k) => [k, normalize(record[k])]) };
    }
  }
  normalized.set(expr, out);
  return out;
}

function normalizeOperator(op: string, args: unknown): unknown {
  if (op === 'preserve') return { [PRESERVE_OP]: [quote(args)] };
  if (op === 'try') {
    const parts = Array.isArray(args) ? args : [args];
    return { [TRY_OP]: parts.map((p) => quote(normalize(p))) };
  }
  if (ITERATORS.has(op) && Array.isArray(args) && climbsScopes(args[1])) {
    const rest = args.length > 2 ? [normalize(args[2])] : [null];
    return { [SCOPED_ITERATOR_OP]: [op, normalize(args[0]), quote(normalize(args[1])), ...rest] };
  }
  return { [op]: normalize(args) };
}

/**
 * Thrown when an expression cannot be evaluated (an operator the whitelist does not know, or a `throw`
 * nothing caught: then `type` is what it raised).
 */
export class ExpressionError extends Error {
  readonly code = 'EXPRESSION_FAILED';
  override name = 'ExpressionError';
  type?: unknown;
}

/** Evaluates a JSON-Logic expression (or plain literal, or literal map of expressions) against a scope. */
export function evaluate(expr: unknown, scope: Record<string, unknown>): unknown {
  if (expr === null || typeof expr !== 'object') return expr;
  try {
    return jsonLogic.apply(normalize(expr) as Parameters<JsonLogic['apply']>[0], scope);
  } catch (err) {
    const failure = new ExpressionError(err instanceof Error ? err.message : String(err));
    if (err instanceof LogicThrow) failure.type = err.type;
    throw failure;
  }
}

/** JSON-Logic truthiness (`[]` and `""` are false), for conditions. */
export function isTruthy(value: unknown): boolean {
  return jsonLogic.truthy(value);
}
