import { AppError } from '../../../contract/errors.ts';
import {
  climbsScopes,
  coalesceOp,
  errorPayload,
  existsOp,
  NAN_PAYLOAD,
  nanError,
  type ScopeStack,
  throwOp,
  valOp,
} from '../../../contract/expr-jsonlogic2.ts';
import { InternalError } from '../../../contract/internal-error.ts';
import { generateBoolean } from './codegen.ts';
import { buildBuiltin } from './fast-paths.ts';
import { assertRuleWithinLimits } from './limits.ts';
import { buildCall, type Evaluator, evalAll, hasOwn, isLogic, isPrimitive } from './nodes.ts';
import { builtinOperators, CONTROL_OPERATORS, type Operator, truthy } from './operators.ts';

/**
 * JSON-Logic compiled to a tree of closures: the rule is walked once, every node becomes a small function,
 * and evaluation is plain function calls (no `eval`/`new Function`, so it is safe with untrusted rules and
 * inside the Temporal workflow sandbox). Results are identical to json-logic-js 2.x, the reference —
 * including loose equality, json-logic truthiness, `var` defaults and dotted paths, argument evaluation
 * order and the errors it throws — which `compile.test.ts` checks differentially over a shared corpus.
 *
 * Compiled rules are cached per rule object: treat rule objects as immutable once compiled.
 */

export type { Evaluator } from './nodes.ts';
export type { Operator } from './operators.ts';
export { truthy } from './operators.ts';

/** Per-item logic of an iterator: the item, its index and the data around the iterator. */
type ItemLogic = (item: unknown, index: number, outer: unknown) => unknown;

export interface RuleEngine {
  /** The compiled form of `rule`, cached per rule object; VALIDATION_FAILED past the limits (limits.ts). */
  compile(rule: unknown): Evaluator;
  /** `compile(rule)(data)`. */
  evaluate(rule: unknown, data?: unknown): unknown;
  /**
   * Adds a custom operator (a function called with evaluated arguments and `this` = data, as with
   * json-logic-js `add_operation`) or a namespace object for dotted names (`util.add`). Clears the cache.
   */
  registerOperator(name: string, op: Operator | Record<string, unknown>): void;
  /**
   * Operator names used by `rule` that this engine does not know (for validation before deploy). Like
   * `compile`, throws VALIDATION_FAILED for a rule past the size or depth limits (limits.ts).
   */
  unknownOperators(rule: unknown): string[];
}

export interface RuleEngineOptions {
  /**
   * Generate JS source for the boolean var-comparison subset (see codegen.ts): several times faster.
   * Uses `new Function`, so leave it off for code that runs in the Temporal workflow sandbox.
   */
  codegen?: boolean;
}

const GENERATED_ROOTS = new Set([
  'and',
  'or',
  '!',
  '!!',
  '==',
  '!=',
  '===',
  '!==',
  '>',
  '>=',
  '<',
  '<=',
  'in',
]);

export function createRuleEngine(
  custom: Record<string, Operator | Record<string, unknown>> = {},
  options: RuleEngineOptions = {},
): RuleEngine {
  // Scopes around the current data while climbing iterators or `try` run (contract/expr-jsonlogic2.ts).
  const scopes: ScopeStack = [];
  const ops: Record<string, unknown> = Object.assign(Object.create(null), builtinOperators, {
    missing: missingOp,
    missing_some: missingSomeOp,
    val(this: unknown, ...args: unknown[]) {
      return valOp(this, args, scopes);
    },
    exists(this: unknown, ...args: unknown[]) {
      return existsOp(this, args, scopes);
    },
    '??': (...args: unknown[]) => coalesceOp(args),
    throw: throwOp,
  });
  for (const [name, op] of Object.entries(custom)) {
    if (CONTROL_OPERATORS.has(name))
      throw new AppError('BAD_REQUEST', `operator "${name}" cannot be replaced`);
    ops[name] = op;
  }
  let cache = new WeakMap<object, Evaluator>();
  // Nodes code generation already found outside its subset: build() tries it at every level, and
  // without this a deep rule with one unsupported leaf would be re-walked from each level (quadratic).
  let notGenerated = new WeakSet<object>();

  const isBuiltin = (op: string): boolean => hasOwn(ops, op) && ops[op] === builtinOperators[op];

  /** `jsonLogic.apply(logic, data)` for logic built at run time (not cached). */
  function applyDynamic(logic: unknown, data: unknown): unknown {
    return build(logic)(data);
  }

  function missingOp(this: unknown, ...args: unknown[]): unknown[] {
    const keys = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    const out: unknown[] = [];
    for (const key of keys) {
      // json-logic-js re-applies `{ var: key }`, so a key array is [path, default] and objects are logic.
      const vs = isPrimitive(key)
        ? [key]
        : (Array.isArray(key) ? key : [key]).map((v) => applyDynamic(v, this));
      const value = (ops.var as Operator).apply(this, vs);
      if (value === null || value === '') out.push(key);
    }
    return out;
  }

  function missingSomeOp(this: unknown, needCount: number, options: unknown[]): unknown[] {
    const areMissing = applyDynamic({ missing: options }, this) as unknown[];
    return options.length - areMissing.length >= needCount ? [] : areMissing;
  }

  function build(node: unknown): Evaluator {
    if (Array.isArray(node)) return buildArray(node);
    if (!isLogic(node)) return () => node;
    const op = Object.keys(node)[0] as string;
    if (options.codegen && GENERATED_ROOTS.has(op) && !notGenerated.has(node)) {
      const generated = generateBoolean(node, isBuiltin, notGenerated);
      if (generated) return generated;
    }
    const raw = node[op];
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    if (op === 'preserve') return () => raw;
    if (CONTROL_OPERATORS.has(op)) return buildControl(op, values);
    const args = values.map(build);
    const fn = hasOwn(ops, op) && typeof ops[op] === 'function' ? (ops[op] as Operator) : undefined;
    if (fn) {
      return fn === builtinOperators[op]
        ? buildBuiltin(op, fn, args, values, ops.var === builtinOperators.var)
        : buildCall(fn, args);
    }
    if (op.indexOf('.') > 0) return buildDotted(op, args);
    return (d) => {
      evalAll(args, d);
      throw new InternalError('UNKNOWN_OPERATION', `Unrecognized operation ${op}`);
    };
  }

  function buildArray(node: unknown[]): Evaluator {
    const items = node.map(build);
    const n = items.length;
    return (d) => {
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = (items[i] as Evaluator)(d);
      return out;
    };
  }

  function buildDotted(op: string, args: Evaluator[]): Evaluator {
    const subs = op.split('.');
    return (d) => {
      const vals = evalAll(args, d);
      let operation: unknown = ops;
      for (let i = 0; i < subs.length; i++) {
        const key = subs[i] as string;
        if (!hasOwn(operation, key)) {
          throw new InternalError(
            'UNKNOWN_OPERATION',
            `Unrecognized operation ${op} (failed at ${subs.slice(0, i + 1).join('.')})`,
          );
        }
        operation = (operation as Record<string, unknown>)[key];
      }
      return (operation as Operator).apply(d, vals);
    };
  }

  function buildControl(op: string, values: unknown[]): Evaluator {
    if (op === 'if' || op === '?:') return buildIf(values.map(build));
    if (op === 'and' || op === 'or') return buildAndOr(op === 'and', values.map(build));
    if (op === 'try') return buildTry(values.map(build));
    const scope = build(values[0]);
    const body = build(values[1]);
    const logic: ItemLogic = climbsScopes(values[1]) ? recordScopes(body) : body;
    switch (op) {
      case 'filter':
        return (d) => {
          const s = scope(d);
          return Array.isArray(s) ? s.filter((x, i) => truthy(logic(x, i, d))) : [];
        };
      case 'map':
        return (d) => {
          const s = scope(d);
          return Array.isArray(s) ? s.map((x, i) => logic(x, i, d)) : [];
        };
      case 'reduce': {
        const init = values[2] !== undefined ? build(values[2]) : () => null;
        return (d) => {
          const s = scope(d);
          const initial = init(d);
          if (!Array.isArray(s)) return initial;
          return s.reduce((accumulator, current, i) => logic({ current, accumulator }, i, d), initial);
        };
      }
      case 'all':
        return (d) => {
          const s = scope(d);
          if (!Array.isArray(s) || !s.length) return false;
          for (let i = 0; i < s.length; i++) if (!truthy(logic(s[i], i, d))) return false;
          return true;
        };
      case 'none':
        return (d) => {
          const s = scope(d);
          if (!Array.isArray(s) || !s.length) return true;
          for (let i = 0; i < s.length; i++) if (truthy(logic(s[i], i, d))) return false;
          return true;
        };
      default: // 'some'
        return (d) => {
          const s = scope(d);
          if (!Array.isArray(s) || !s.length) return false;
          for (let i = 0; i < s.length; i++) if (truthy(logic(s[i], i, d))) return true;
          return false;
        };
    }
  }

  /** Per-item logic that climbs scopes: the data around the iterator and `{ index }` are recorded. */
  function recordScopes(logic: Evaluator): ItemLogic {
    return (item, index, outer) => {
      scopes.push(outer, { index });
      try {
        return logic(item);
      } finally {
        scopes.length -= 2;
      }
    };
  }

  function buildTry(parts: Evaluator[]): Evaluator {
    return (d) => {
      let payload: unknown;
      let last: unknown;
      for (let i = 0; i < parts.length; i++) {
        if (i > 0) scopes.push(d, payload);
        try {
          const value = (parts[i] as Evaluator)(i === 0 ? d : payload);
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
    };
  }

  function buildIf(parts: Evaluator[]): Evaluator {
    const n = parts.length;
    if (n === 3) {
      const [c, t, e] = parts as [Evaluator, Evaluator, Evaluator];
      return (d) => (truthy(c(d)) ? t(d) : e(d));
    }
    return (d) => {
      let i = 0;
      for (; i < n - 1; i += 2) if (truthy((parts[i] as Evaluator)(d))) return (parts[i + 1] as Evaluator)(d);
      return n === i + 1 ? (parts[i] as Evaluator)(d) : null;
    };
  }

  function buildAndOr(isAnd: boolean, parts: Evaluator[]): Evaluator {
    const n = parts.length;
    return (d) => {
      let current: unknown;
      for (let i = 0; i < n; i++) {
        current = (parts[i] as Evaluator)(d);
        if (truthy(current) !== isAnd) return current;
      }
      return current;
    };
  }

  function compile(rule: unknown): Evaluator {
    if (typeof rule !== 'object' || rule === null) return build(rule);
    let fn = cache.get(rule);
    if (!fn) {
      // Bounded before the recursive build: a rule past the limits is a 400 naming where, never a
      // stack overflow or a long stall.
      assertRuleWithinLimits(rule);
      fn = build(rule);
      cache.set(rule, fn);
    }
    return fn;
  }

  return {
    compile,
    evaluate: (rule, data) => compile(rule)(data),
    registerOperator(name, op) {
      if (CONTROL_OPERATORS.has(name))
        throw new AppError('BAD_REQUEST', `operator "${name}" cannot be replaced`);
      ops[name] = op;
      cache = new WeakMap();
      notGenerated = new WeakSet();
    },
    unknownOperators(rule) {
      assertRuleWithinLimits(rule);
      const unknown = new Set<string>();
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) {
          for (const n of node) walk(n);
          return;
        }
        if (!isLogic(node)) return;
        const op = Object.keys(node)[0] as string;
        if (!CONTROL_OPERATORS.has(op) && !resolves(op)) unknown.add(op);
        walk(node[op]);
      };
      const resolves = (op: string): boolean => {
        if (hasOwn(ops, op) && typeof ops[op] === 'function') return true;
        let cur: unknown = ops;
        for (const key of op.split('.')) {
          if (cur === null || cur === undefined || !hasOwn(cur, key)) return false;
          cur = (cur as Record<string, unknown>)[key];
        }
        return op.indexOf('.') > 0 && typeof cur === 'function';
      };
      walk(rule);
      return [...unknown];
    },
  };
}

/** The process-wide engine the platform uses (json-logic-js keeps one global operator table too). */
export const rules: RuleEngine = createRuleEngine();

export const registerOperator = (name: string, op: Operator | Record<string, unknown>): void =>
  rules.registerOperator(name, op);
