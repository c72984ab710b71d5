import type { Operator } from './operators.ts';

/** Shared pieces of the compiler: the evaluator type and node helpers. */

export type Evaluator = (data?: unknown) => unknown;

export const hasOwn = (o: unknown, k: string): boolean => Object.hasOwn(o as object, k);

/** json-logic-js `is_logic`: an object (not an array) with exactly one key. */
export function isLogic(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && Object.keys(node).length === 1;
}

export const isPrimitive = (v: unknown): boolean =>
  v === null || (typeof v !== 'object' && typeof v !== 'function');

export function evalAll(args: Evaluator[], d: unknown): unknown[] {
  const out = new Array(args.length);
  for (let i = 0; i < args.length; i++) out[i] = (args[i] as Evaluator)(d);
  return out;
}

/** An operator called like json-logic-js calls it: evaluated arguments, `this` = data. */
export function buildCall(fn: Operator, args: Evaluator[]): Evaluator {
  return (d) => fn.apply(d, evalAll(args, d));
}
