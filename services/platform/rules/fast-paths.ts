import { buildCall, type Evaluator, evalAll, hasOwn, isLogic, isPrimitive } from './nodes.ts';
import { lookup, type Operator, toFloat, truthy } from './operators.ts';

/**
 * Specialised closures for the shapes rules use most. Each still evaluates every argument, in order, as
 * json-logic-js does (arguments may have side effects through custom operators), and falls back to the
 * generic call for unusual arities. Only used while the built-in operator has not been replaced.
 */

const IN = 8;
const COMPARE_CODES: Record<string, number> = Object.assign(Object.create(null), {
  '==': 0,
  '!=': 1,
  '===': 2,
  '!==': 3,
  '>': 4,
  '>=': 5,
  '<': 6,
  '<=': 7,
  in: IN,
});

// Specialised closures for the common shapes; each still evaluates every argument, in order, as
// json-logic-js does, and falls back to the generic call for unusual arities.
export function buildBuiltin(
  op: string,
  fn: Operator,
  args: Evaluator[],
  values: unknown[],
  varIsBuiltin: boolean,
): Evaluator {
  const n = args.length;
  if (op === 'var') return buildVar(args, values);
  if (n === 2) {
    const fused = varIsBuiltin ? fuseVarCompare(op, values) : undefined;
    if (fused) return fused;
    const [a, b] = args as [Evaluator, Evaluator];
    const kb = isPrimitive(values[1]);
    const k = values[1] as never;
    switch (op) {
      // biome-ignore-start lint/suspicious/noDoubleEquals: loose equality is the json-logic semantics
      case '==':
        return kb ? (d) => a(d) == k : (d) => a(d) == b(d);
      case '!=':
        return kb ? (d) => a(d) != k : (d) => a(d) != b(d);
      // biome-ignore-end lint/suspicious/noDoubleEquals: end of the loose-equality block
      case '===':
        return kb ? (d) => a(d) === k : (d) => a(d) === b(d);
      case '!==':
        return kb ? (d) => a(d) !== k : (d) => a(d) !== b(d);
      case '>':
        return kb ? (d) => (a(d) as never) > k : (d) => (a(d) as never) > (b(d) as never);
      case '>=':
        return kb ? (d) => (a(d) as never) >= k : (d) => (a(d) as never) >= (b(d) as never);
      case '<':
        return kb ? (d) => (a(d) as never) < k : (d) => (a(d) as never) < (b(d) as never);
      case '<=':
        return kb ? (d) => (a(d) as never) <= k : (d) => (a(d) as never) <= (b(d) as never);
      case '+':
        return (d) => {
          const x = toFloat(a(d));
          return 0 + x + toFloat(b(d));
        };
      case '-':
        return (d) => {
          const x = a(d) as number;
          const y = b(d) as number | undefined;
          return y === undefined ? -x : x - y;
        };
      case 'in': {
        // A literal list is never handed to the caller, so one shared copy is safe (and allocation-free).
        if (Array.isArray(values[1]) && values[1].every(isPrimitive)) {
          const list = values[1];
          return (d) => list.indexOf(a(d)) !== -1;
        }
        return (d) => fn.call(d, a(d), b(d));
      }
    }
  }
  if (n === 1 && (op === '!!' || op === '!')) {
    const a = args[0] as Evaluator;
    return op === '!!' ? (d) => truthy(a(d)) : (d) => !truthy(a(d));
  }
  return buildCall(fn, args);
}

/**
 * `{op: [{var: path}, literal]}`, the bulk of eligibility rules, as ONE closure kind: every clause of an
 * `and` then calls the same function shape, which V8 keeps monomorphic and inlines.
 */
function fuseVarCompare(op: string, values: unknown[]): Evaluator | undefined {
  const code = COMPARE_CODES[op];
  const left = values[0];
  if (code === undefined || !isLogic(left) || !hasOwn(left, 'var')) return;
  const raw = left.var;
  const vs: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (!vs.every(isPrimitive) || vs[0] === undefined || vs[0] === null || vs[0] === '') return;
  const parts = String(vs[0]).split('.');
  if (parts.length > 2) return;
  const right = values[1];
  const list = code === IN && Array.isArray(right) && right.every(isPrimitive) ? right : undefined;
  if (code === IN ? !list : !isPrimitive(right)) return;
  const k = right as never;
  const nf = (vs[1] === undefined ? null : vs[1]) as never;
  const p0 = parts[0] as string;
  const p1 = parts[1];
  return (d) => {
    let v: never;
    if (d === null || d === undefined) v = nf;
    else {
      v = (d as Record<string, never>)[p0] as never;
      if (v === undefined) v = nf;
      else if (p1 !== undefined) {
        if (v === null) v = nf;
        else {
          v = (v as Record<string, never>)[p1] as never;
          if (v === undefined) v = nf;
        }
      }
    }
    switch (code) {
      // biome-ignore-start lint/suspicious/noDoubleEquals: loose equality is the json-logic semantics
      case 0:
        return v == k;
      case 1:
        return v != k;
      // biome-ignore-end lint/suspicious/noDoubleEquals: end of the loose-equality block
      case 2:
        return v === k;
      case 3:
        return v !== k;
      case 4:
        return v > k;
      case 5:
        return v >= k;
      case 6:
        return v < k;
      case 7:
        return v <= k;
      default:
        return (list as unknown[]).indexOf(v) !== -1;
    }
  };
}

function buildVar(args: Evaluator[], values: unknown[]): Evaluator {
  if (!values.every(isPrimitive)) {
    return (d) => {
      const vals = evalAll(args, d);
      return lookup(d, vals[0], vals[1]);
    };
  }
  const a = values[0];
  const notFound = values[1] === undefined ? null : values[1];
  if (a === undefined || a === '' || a === null) return (d) => d;
  const parts = String(a).split('.');
  if (parts.length === 1) {
    const p = parts[0] as string;
    return (d) => {
      if (d === null || d === undefined) return notFound;
      const v = (d as Record<string, unknown>)[p];
      return v === undefined ? notFound : v;
    };
  }
  if (parts.length === 2) {
    const [p, q] = parts as [string, string];
    return (d) => {
      if (d === null || d === undefined) return notFound;
      const x = (d as Record<string, unknown>)[p] as Record<string, unknown> | null | undefined;
      if (x === null || x === undefined) return notFound;
      const v = x[q];
      return v === undefined ? notFound : v;
    };
  }
  return (d) => lookup(d, a, values[1]);
}
