/**
 * The JSON Logic 2 operators json-logic-js 2.x lacks — `val`, `exists`, `??`, `throw`, `try`, `preserve` —
 * as pure pieces both of Pulse's evaluators share (contract/expr.ts on json-logic-js, inside the Temporal
 * workflow, and services/platform/rules/, the compiled one), so the two agree by construction.
 *
 * Sandbox-safe: no Node imports, no clock, no randomness. These are additions: no standard operator
 * changes meaning, so recorded workflow histories replay unchanged.
 *
 * Semantics (as the public JSON Logic 2 suites state them):
 * - `val`: `{ val: "a" }` reads the own key `a` (no dot splitting); `{ val: ["a", "b", 0] }` walks keys;
 *   `{ val: [] }` is the whole data; a first argument `[n]` climbs n scopes up first (inside `map`,
 *   `filter`, ... one level is the iteration `{ index }`, the next the data around the iterator).
 *   Missing keys give null. Only own properties are read, never prototype members.
 * - `exists`: the same path, true when every key is present (even holding null).
 * - `??`: the first argument that is not null, else null.
 * - `throw`: raises a logic error; its payload is the argument when that is an object (`{ type }`), else
 *   `{ type: argument }`.
 * - `try`: evaluates its arguments in order and returns the first that neither raises nor yields NaN;
 *   each later argument sees the previous error's payload as its data (`{ val: "type" }` is the error's
 *   type, `"NaN"` for NaN). When every argument fails, the last error is raised again.
 * - `preserve`: its argument, not evaluated.
 */

/** The operators this module adds, in the order docs list them. */
export const JSONLOGIC2_OPERATORS = ['val', 'exists', '??', 'throw', 'try', 'preserve'] as const;

/** Arity [min, max] (max -1 = unbounded) and a one-line doc, for the DSL's static checker. */
export const JSONLOGIC2_DOCS: Record<
  (typeof JSONLOGIC2_OPERATORS)[number],
  { arity: [number, number]; doc: string }
> = {
  val: {
    arity: [0, -1],
    doc: '[key, key, …] → the value at that path of own keys; [[n], …] climbs n scopes first',
  },
  exists: { arity: [0, -1], doc: '[key, key, …] → true when that path of own keys is present' },
  '??': { arity: [0, -1], doc: '[a, b, …] → the first value that is not null' },
  throw: { arity: [1, 1], doc: 'type or { type, … } → raises that error (caught by `try`)' },
  try: { arity: [1, -1], doc: '[a, b, …] → the first that does not raise; later ones see the error as data' },
  preserve: { arity: [1, 1], doc: 'value → that value, not evaluated' },
};

/** A JSON Logic error raised by `throw` or re-raised by `try`; `payload.type` names it. */
export class LogicThrow extends Error {
  readonly code = 'EXPRESSION_THROWN';
  override name = 'LogicThrow';
  readonly type: unknown;
  constructor(readonly payload: Record<string, unknown>) {
    super(
      `expression raised ${typeof payload.type === 'string' ? payload.type : JSON.stringify(payload.type)}`,
    );
    this.type = payload.type;
  }
}

/** The `throw` operator on its evaluated argument. */
export function throwOp(value: unknown): never {
  const payload =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { type: value };
  throw new LogicThrow(payload);
}

/** What a later `try` argument sees as data for a failure: the thrown payload, or a type. */
export function errorPayload(err: unknown): Record<string, unknown> {
  if (err instanceof LogicThrow) return err.payload;
  return { type: 'Invalid Arguments' };
}

/** The payload of a NaN result inside `try`. */
export const NAN_PAYLOAD: Readonly<Record<string, unknown>> = Object.freeze({ type: 'NaN' });

/** The error `try` raises when its last argument yields NaN. */
export function nanError(): LogicThrow {
  return new LogicThrow({ type: 'NaN' });
}

/**
 * Scopes around the current data, outermost first: iterators push the data around them and then the
 * iteration `{ index }`; `try` pushes the data around it and the error payload. Evaluation is
 * synchronous, so one stack per evaluator is safe.
 */
export type ScopeStack = unknown[];

function step(data: unknown, key: unknown): unknown {
  if (data === null || data === undefined) return undefined;
  if (typeof data !== 'object' && typeof data !== 'string') return undefined;
  const k = typeof key === 'number' ? key : String(key);
  if (!Object.hasOwn(Object(data), k)) return undefined;
  return (data as Record<string | number, unknown>)[k];
}

/** Where a `val`/`exists` path starts: the data, or a scope `[n]` levels up; and the keys after it. */
function start(data: unknown, args: unknown[], scopes: ScopeStack): [unknown, number] {
  const first = args[0];
  if (Array.isArray(first) && first.length > 0 && typeof first[0] === 'number') {
    const up = Math.abs(Math.trunc(first[0]));
    if (up === 0) return [data, 1];
    const at = scopes.length - up;
    return [at >= 0 ? scopes[at] : undefined, 1];
  }
  return [data, 0];
}

/** `val` on evaluated arguments. */
export function valOp(data: unknown, args: unknown[], scopes: ScopeStack): unknown {
  let [cur, i] = start(data, args, scopes);
  for (; i < args.length; i++) {
    cur = step(cur, args[i]);
    if (cur === undefined) return null;
  }
  return cur === undefined ? null : cur;
}

/** `exists` on evaluated arguments. */
export function existsOp(data: unknown, args: unknown[], scopes: ScopeStack): boolean {
  let [cur, i] = start(data, args, scopes);
  if (i >= args.length) return cur !== undefined;
  for (; i < args.length; i++) {
    cur = step(cur, args[i]);
    if (cur === undefined) return false;
  }
  return true;
}

/** `??` on evaluated arguments. */
export function coalesceOp(args: unknown[]): unknown {
  for (const v of args) if (v !== null && v !== undefined) return v;
  return null;
}

/** True when `node` (a rule) holds a `val`/`exists` that climbs scopes, so iterators must record them. */
export function climbsScopes(node: unknown, seen: WeakMap<object, boolean> = climbCache): boolean {
  if (node === null || typeof node !== 'object') return false;
  const cached = seen.get(node);
  if (cached !== undefined) return cached;
  let found = false;
  if (Array.isArray(node)) {
    for (const n of node) if (climbsScopes(n, seen)) found = true;
  } else {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'val' || k === 'exists') && Array.isArray(v) && Array.isArray(v[0])) found = true;
      if (climbsScopes(v, seen)) found = true;
    }
  }
  seen.set(node, found);
  return found;
}

const climbCache = new WeakMap<object, boolean>();
