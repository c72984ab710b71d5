/**
 * Optional code generation for the hot subset of JSON-Logic: boolean algebra (`and`, `or`, `!`, `!!`) over
 * comparisons of a `var` path with a literal (`{">=": [{var: "traits.tenure_days"}, 30]}`) — the shape of
 * nearly every eligibility and segment rule.
 *
 * Why: closures share one feedback vector per function literal, so `d[key]` inside a generic closure sees
 * every key of every rule and goes megamorphic (~15 M evals/s). A generated function per rule has its own
 * property-load sites, which V8 keeps monomorphic (~5-10x faster).
 *
 * Safety: only paths and literals reach the source text, both through JSON.stringify (string literals)
 * or as captured constants; everything else stays in closures. Semantics match the closure compiler
 * because every node in the subset yields a boolean, for which `&&`/`||`/`!` equal json-logic's and/or/!.
 * Services opt in (`createRuleEngine(ops, { codegen: true })`); never enable it inside the Temporal
 * workflow sandbox.
 */

const COMPARE: Record<string, string> = Object.assign(Object.create(null), {
  '==': '==',
  '!=': '!=',
  '===': '===',
  '!==': '!==',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
});

type Node = Record<string, unknown>;
const isPrimitive = (v: unknown): boolean => v === null || (typeof v !== 'object' && typeof v !== 'function');
const isLogic = (n: unknown): n is Node =>
  typeof n === 'object' && n !== null && !Array.isArray(n) && Object.keys(n).length === 1;

interface Gen {
  consts: unknown[];
  /** Nodes found outside the subset (shared with the caller, so no node is examined twice). */
  outside: WeakSet<object>;
}

function literal(v: unknown, g: Gen): string {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return JSON.stringify(v);
  if (typeof v === 'number' && Number.isFinite(v)) return Object.is(v, -0) ? '-0' : String(v);
  g.consts.push(v);
  return `K[${g.consts.length - 1}]`;
}

/** The `var` lookup of one or two path parts, as an expression leaving the value (json-logic semantics). */
function pathExpr(node: unknown, g: Gen): string | undefined {
  if (!isLogic(node) || !Object.hasOwn(node, 'var')) return;
  const raw = node.var;
  const vs: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (!vs.every(isPrimitive) || vs[0] === undefined || vs[0] === null || vs[0] === '') return;
  const parts = String(vs[0]).split('.');
  if (parts.length > 3) return;
  const nf = literal(vs[1] === undefined ? null : vs[1], g);
  // d == null → nf; each step: undefined → nf; an intermediate null → nf.
  let expr = `(d === null || d === undefined ? ${nf} : (x = d[${JSON.stringify(parts[0])}]) === undefined ? ${nf}`;
  for (const p of parts.slice(1)) {
    expr += ` : x === null ? ${nf} : (x = x[${JSON.stringify(p)}]) === undefined ? ${nf}`;
  }
  return `${expr} : x)`;
}

/** Source of a boolean-valued expression for `node`, or undefined when the node is outside the subset. */
function boolExpr(node: unknown, g: Gen, isBuiltin: (op: string) => boolean): string | undefined {
  if (!isLogic(node) || g.outside.has(node)) return;
  const source = subsetExpr(node, g, isBuiltin);
  if (source === undefined) g.outside.add(node);
  return source;
}

function subsetExpr(node: Node, g: Gen, isBuiltin: (op: string) => boolean): string | undefined {
  const op = Object.keys(node)[0] as string;
  const raw = node[op];
  const values: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (op === 'and' || op === 'or') {
    if (values.length === 0) return;
    const parts: string[] = [];
    for (const v of values) {
      const part = boolExpr(v, g, isBuiltin);
      if (part === undefined) return; // stop at the first operand outside the subset
      parts.push(part);
    }
    return `(${parts.join(op === 'and' ? ' && ' : ' || ')})`;
  }
  if (!isBuiltin(op) || !isBuiltin('var')) return;
  if ((op === '!' || op === '!!') && values.length === 1) {
    const inner = boolExpr(values[0], g, isBuiltin);
    return inner === undefined ? undefined : op === '!' ? `(!${inner})` : inner;
  }
  if (values.length !== 2) return;
  const left = pathExpr(values[0], g);
  if (left === undefined) return;
  const cmp = COMPARE[op];
  if (cmp !== undefined && isPrimitive(values[1])) return `(${left} ${cmp} ${literal(values[1], g)})`;
  if (op === 'in' && Array.isArray(values[1]) && values[1].every(isPrimitive)) {
    g.consts.push(values[1]);
    return `(K[${g.consts.length - 1}].indexOf(${left}) !== -1)`;
  }
  return;
}

/**
 * A generated evaluator for `node` when it lies in the boolean subset; undefined otherwise (the caller then
 * uses closures) or when the environment forbids code generation.
 */
export function generateBoolean(
  node: unknown,
  isBuiltin: (op: string) => boolean,
  outside: WeakSet<object> = new WeakSet(),
): ((data?: unknown) => unknown) | undefined {
  const g: Gen = { consts: [], outside };
  const body = boolExpr(node, g, isBuiltin);
  if (body === undefined) return;
  try {
    const factory = new Function('K', `"use strict"; return function rule(d) { let x; return ${body}; };`);
    return factory(g.consts) as (data?: unknown) => unknown;
  } catch {
    return; // e.g. a CSP that forbids eval: the closure compiler still works.
  }
}
