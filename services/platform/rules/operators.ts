/**
 * The non-control JSON-Logic operators, with json-logic-js 2.x semantics reproduced exactly (loose `==`,
 * `parseFloat` in `+`/`*`, `substr` with a negative length, `cat` through `Array#join`, ...). Each is
 * called with `this` bound to the data, like json-logic-js `add_operation` functions, so custom
 * operators written for json-logic-js work here unchanged.
 *
 * Pure module (no Node imports): the Temporal workflow sandbox may load it.
 */

// biome-ignore lint/suspicious/noExplicitAny: operators take and return arbitrary JSON, like json-logic-js.
export type Operator = (this: any, ...args: any[]) => unknown;

/** json-logic truthiness: like JS `!!`, except that an empty array is false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return false;
  return !!value;
}

/** `parseFloat` exactly, without the string round trip for numbers (parseFloat(-0) is +0). */
export function toFloat(v: unknown): number {
  if (typeof v === 'number') return v === 0 ? 0 : v;
  return Number.parseFloat(v as string);
}

/** The `var` lookup: dotted path into `data`, `notFound` when a step is missing. */
export function lookup(data: unknown, a: unknown, b: unknown): unknown {
  const notFound = b === undefined ? null : b;
  if (a === undefined || a === '' || a === null) return data;
  const parts = String(a).split('.');
  let cur = data as Record<string, unknown> | null | undefined;
  for (const p of parts) {
    if (cur === null || cur === undefined) return notFound;
    cur = cur[p] as Record<string, unknown> | null | undefined;
    if (cur === undefined) return notFound;
  }
  return cur;
}

// biome-ignore-start lint/suspicious/noDoubleEquals: json-logic `==`/`!=` are JavaScript loose equality by definition
export const builtinOperators: Record<string, Operator> = {
  '==': (a, b) => a == b,
  '===': (a, b) => a === b,
  '!=': (a, b) => a != b,
  '!==': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b, c) => (c === undefined ? a < b : a < b && b < c),
  '<=': (a, b, c) => (c === undefined ? a <= b : a <= b && b <= c),
  '!!': (a) => truthy(a),
  '!': (a) => !truthy(a),
  '%': (a, b) => a % b,
  log: (a) => {
    console.log(a);
    return a;
  },
  in: (a, b) => {
    if (!b || typeof b.indexOf === 'undefined') return false;
    return b.indexOf(a) !== -1;
  },
  cat: (...args) => args.join(''),
  substr: (source, start, end) => {
    if (end < 0) {
      // Negative length counts from the end, as PHP does (json-logic-js behaviour).
      const temp = String(source).substr(start);
      return temp.substr(0, temp.length + end);
    }
    return String(source).substr(start, end);
  },
  '+': (...args) => {
    let acc = 0;
    for (const v of args) acc = acc + toFloat(v);
    return acc;
  },
  '*': (...args) => {
    // json-logic-js reduces without an initial value: one argument comes back unparsed, none throws.
    if (args.length === 0) throw new TypeError('Reduce of empty array with no initial value');
    let acc: unknown = args[0];
    for (let i = 1; i < args.length; i++) acc = toFloat(acc) * toFloat(args[i]);
    return acc;
  },
  '-': (a, b) => (b === undefined ? -a : a - b),
  '/': (a, b) => a / b,
  min: (...args) => Math.min(...args),
  max: (...args) => Math.max(...args),
  merge: (...args) => args.reduce((a: unknown[], b: unknown) => a.concat(b), []),
  var: function (this: unknown, a: unknown, b: unknown) {
    return lookup(this, a, b);
  },
};
// biome-ignore-end lint/suspicious/noDoubleEquals: end of the loose-equality block

/** Operators whose arguments are evaluated lazily; they cannot be overridden (json-logic-js neither). */
export const CONTROL_OPERATORS: ReadonlySet<string> = new Set([
  'if',
  '?:',
  'and',
  'or',
  'filter',
  'map',
  'reduce',
  'all',
  'none',
  'some',
  // JSON Logic 2 additions (contract/expr-jsonlogic2.ts): `try` runs its arguments one by one, `preserve`
  // returns its argument unevaluated.
  'try',
  'preserve',
]);
