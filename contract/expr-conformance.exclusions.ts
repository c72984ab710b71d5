/**
 * JSON Logic conformance cases Pulse does not pass, each with the reason (see expr-conformance.test.ts).
 *
 * Every one is a case where JSON Logic 2 (json-logic-engine and the compat-tables proposals) changes the
 * meaning of a standard json-logic-js operator. contract/expr.ts runs inside Temporal workflows, where a
 * changed meaning changes replay, and the compiled evaluator must agree with it, so standard operators keep
 * json-logic-js 2.x semantics; the JSON Logic 2 operators themselves (val, exists, ??, throw, try,
 * preserve, scopes) pass their suites. The test fails when a listed case starts passing.
 */

/** Why a group of cases is excluded. */
const REASONS = {
  escape:
    '`var` path escaping (`\\.`, leading dots, `\\/`) is a JSON Logic 2 proposal; json-logic-js splits `var` on every dot and Pulse keeps that meaning, since campaign plans and recorded histories use dotted `var` paths. The escaped form is reachable through `val` with a key list.',
  nan: "JSON Logic 2 raises a NaN error where json-logic-js returns NaN, Infinity or a coerced number (strings that are not numbers, arrays, objects, division or modulo by zero). Pulse keeps json-logic-js's arithmetic: `+ - * / %` are standard operators evaluated inside running workflows, so changing them changes replay. `try` does treat a NaN or infinite result as a NaN error.",
  arity:
    'JSON Logic 2 makes this operator variadic or changes its unary and zero-argument forms (`/` and `-` fold over every argument, unary `/` is 1/x, `*` of nothing is 1, unary `*` and `+` coerce, `%` needs two arguments); json-logic-js is binary here and Pulse keeps its meaning for replay.',
  coerce:
    "JSON Logic 2 coerces booleans and null to numbers in arithmetic (true \u2192 1); json-logic-js's `parseFloat` gives NaN for them, and Pulse keeps that meaning for replay.",
  dynamic:
    '"Dynamic arguments": JSON Logic 2 lets one expression (here `preserve`) supply an operator\'s whole argument list and spreads it; json-logic-js wraps a non-array argument as the single argument, and Pulse keeps that for the standard operators.',
  args: "JSON Logic 2 raises Invalid Arguments for a missing, non-array or null argument of this standard operator; json-logic-js returns a value (false, [], null, the argument itself). Raising would make running workflows fail where they used to continue, so Pulse keeps json-logic-js's behaviour.",
  lazy: "JSON Logic 2 chains comparisons lazily over any number of arguments (a > b > c, stopping at the first false); json-logic-js compares the first two (or, for `<`/`<=`, a between-test of three) and evaluates every argument first. Pulse keeps json-logic-js's meaning.",
  nullzero:
    "JSON Logic 2 treats null as 0 in `==`/`!=`; json-logic-js uses JavaScript loose equality (null == 0 is false). Pulse keeps json-logic-js's meaning.",
  cmpnan:
    "JSON Logic 2 raises a NaN error when comparing values that have no numeric order (numbers against non-numeric strings, arrays, objects); json-logic-js uses JavaScript comparison and returns a boolean. Pulse keeps json-logic-js's meaning.",
  emptyandor:
    "JSON Logic 2 gives false for `and`/`or` with no arguments; json-logic-js returns undefined (null in a plan). Pulse keeps json-logic-js's meaning.",
  reduceinit:
    "JSON Logic 2 makes `reduce`'s initial value optional (the first item); json-logic-js starts from null. Pulse keeps json-logic-js's meaning.",
  chain:
    '"Logic chaining": JSON Logic 2 spreads an array produced by an expression into the operator\'s arguments (`max`, `cat`, `+` of a `merge`); json-logic-js treats it as one argument. Pulse keeps json-logic-js\'s meaning for the standard operators.',
  trynan:
    "The error comes from an operator raising NaN deep inside the tried expression (`/` by zero inside `map`, `1 / null` as an `if` condition); Pulse's `/` keeps json-logic-js's meaning (a NaN or Infinity value), so `try` sees an array of NaN or a truthy Infinity rather than an error.",
} as const;

export const EXCLUDED: Record<string, { reason: string; cases: string[] }[]> = {
  'json-logic-github/tests/escaping.json': [
    {
      reason: REASONS.escape,
      cases: [
        'Fetches a value from an empty key',
        'Fetches a value from a nested empty key',
        'Fetches a value from a doubly nested empty key',
        'Fetches a value from a key that is purely a dot',
        'Fetches a value from a key with a dot in it',
        'Fetches a value from a key with a dot in it (2)',
        'Fetches a value from a key inside an empty key with a dot in it',
        'Going a few levels deep',
        'Escape / as well, which is useful for the scope proposal',
        'Dot then empty key',
        'Empty key then dot',
        'Can use backslack in name, too',
      ],
    },
  ],
  'compat-tables/suites/arithmetic/plus.json': [
    {
      reason: REASONS.coerce,
      cases: [
        'Addition with Booleans',
        'Addition with Multiple Value Types',
        'Plus Operator with Single Operand, Direct (true)',
        'Plus Operator with Single Operand, Direct (false)',
        'Plus Operator with Single Operand, Direct (Empty String)',
        'Plus Operator with a Single Operand, Direct (null)',
      ],
    },
    {
      reason: REASONS.nan,
      cases: [
        'Addition with string produces NaN',
        'Addition with Array produces NaN',
        'Addition with Array from context produces NaN',
        'Addition with Object produces NaN',
        'Plus Operator with Single Operand, Invalid String Produces NaN',
        'Plus Operator with Single Operand, Array Input Produces NaN',
        'Plus Operator with Single Operand, Object Input Produces NaN',
        'Plus Operator with Single Operand, Direct Object Input Produces NaN',
      ],
    },
  ],
  'compat-tables/suites/arithmetic/plus.extra.json': [
    {
      reason: REASONS.dynamic,
      cases: ['Plus operator with empty array dynamic', 'Plus operator with array dynamic'],
    },
  ],
  'compat-tables/suites/arithmetic/multiply.json': [
    {
      reason: REASONS.coerce,
      cases: [
        'Multiply with Booleans',
        'Multiply with Multiple Value Types',
        'Multiply with Multiple Value Types (3)',
        'Multiply Operator with Single Operand, Direct (true)',
        'Multiply Operator with Single Operand, Direct (false)',
        'Multiply Operator with Single Operand, Direct (Empty String)',
        'Multiply Operator with a Single Operand, Direct (null)',
      ],
    },
    {
      reason: REASONS.arity,
      cases: [
        'Multiply with zero operands is 1 (Product)',
        'Multiply Operator with Single Operand (String)',
        'Multiply Operator with Single Operand, Direct (Negative Number String)',
        'Multiply Operator with Single Operand, Direct (String 0)',
      ],
    },
    {
      reason: REASONS.nan,
      cases: [
        'Multiply with string produces NaN',
        'Multiply with a single string produces NaN',
        'Multiply with Array produces NaN',
      ],
    },
  ],
  'compat-tables/suites/arithmetic/multiply.extra.json': [
    {
      reason: REASONS.dynamic,
      cases: [
        'Multiply with dynamic empty array',
        'Multiply with dynamic unary array',
        'Multiply with dynamic array',
      ],
    },
  ],
  'compat-tables/suites/arithmetic/minus.json': [
    {
      reason: REASONS.arity,
      cases: [
        'Subtraction with Multiple Operands',
        'Subtraction with Negative Numbers',
        'Subtraction with Strings',
        'Minus with zero operands is an error',
      ],
    },
    {
      reason: REASONS.coerce,
      cases: ['Subtraction with Booleans', 'Subtraction with Multiple Value Types'],
    },
    {
      reason: REASONS.nan,
      cases: ['Subtraction with string produces NaN', 'Subtraction with Array produces NaN'],
    },
  ],
  'compat-tables/suites/arithmetic/minus.extra.json': [
    {
      reason: REASONS.dynamic,
      cases: ['Minus with dynamic empty array', 'Minus with dynamic array'],
    },
  ],
  'compat-tables/suites/arithmetic/divide.json': [
    {
      reason: REASONS.arity,
      cases: [
        'Divide with Multiple Operands',
        'Divide with Strings',
        'Divide with Single Operand (Number)',
        'Divide with zero operands is an error',
        'Divide with Single Operand, Direct (Number)',
        'Divide Operator with Single Operand (Number)',
        'Divide Operator with Single Operand (Negative Number)',
        'Divide Operator with Single Operand, Direct (Number)',
        'Divide Operator with Single Operand, Direct (2)',
        'Divide Operator with Single Operand (String)',
        'Divide Operator with Single Operand, Direct (Negative Number String)',
      ],
    },
    {
      reason: REASONS.coerce,
      cases: ['Divide with Multiple Value Types', 'Divide Operator with Single Operand, Direct (true)'],
    },
    {
      reason: REASONS.nan,
      cases: [
        'Divide with Single Operand, Direct (0)',
        'Divide Operator with Single Operand, Direct (0)',
        'Divide Operator with Single Operand, Direct (String 0)',
        'Divide Operator with Single Operand, Direct (false)',
        'Divide Operator with Single Operand, Direct (Empty String)',
        'Divide Operator with a Single Operand, Direct (null)',
        'Divide by Zero',
        'Divide with String produces NaN',
        'Divide with Array produces NaN',
        'Any division by zero should return NaN',
        'Any division by zero should return NaN (2)',
      ],
    },
  ],
  'compat-tables/suites/arithmetic/divide.extra.json': [
    {
      reason: REASONS.dynamic,
      cases: [
        'Divide with dynamic empty array',
        'Divide with dynamic unary array',
        'Divide with dynamic array',
      ],
    },
  ],
  'compat-tables/suites/arithmetic/modulo.json': [
    {
      reason: REASONS.coerce,
      cases: ['Modulo with Multiple Value Types'],
    },
    {
      reason: REASONS.arity,
      cases: [
        'Modulo with Single Operand (Number)',
        'Modulo with Single Operand, Direct (Number)',
        'Modulo with Single Operand, Direct (0)',
        'Modulo Operator with Single Operand (Number)',
        'Modulo Operator with Single Operand (Negative Number)',
        'Modulo with zero operands is an error',
        'Modulo Operator with Single Operand, Direct (Number)',
        'Modulo Operator with Single Operand, Direct (0)',
        'Modulo Operator with Single Operand (String)',
        'Modulo Operator with Single Operand, Direct (Negative Number String)',
        'Modulo Operator with Single Operand, Direct (String 0)',
        'Modulo Operator with Single Operand, Direct (true)',
        'Modulo Operator with Single Operand, Direct (false)',
        'Modulo Operator with Single Operand, Direct (Empty String)',
        'Modulo Operator with a Single Operand, Direct (null)',
      ],
    },
    {
      reason: REASONS.nan,
      cases: ['Modulo with string produces NaN', 'Modulo with array produces NaN'],
    },
  ],
  'compat-tables/suites/arithmetic/modulo.extra.json': [
    {
      reason: REASONS.dynamic,
      cases: ['Modulo with dynamic array invalid', 'Modulo with dynamic array invalid #2'],
    },
  ],
  'compat-tables/suites/comparison/greaterThan.json': [
    {
      reason: REASONS.lazy,
      cases: ['> with 3 arguments failing', '> is lazily evaluated'],
    },
    {
      reason: REASONS.args,
      cases: ['> with 1 argument', '> with direct argument', '> with empty argument'],
    },
    {
      reason: REASONS.cmpnan,
      cases: [
        '> with (2023n, 2024-01-01s)',
        '> with (1n, As)',
        '> with [] and [1]',
        '> with [1] and 5',
        '> with {} and 1',
        '> with 1 and {}',
      ],
    },
  ],
  'compat-tables/suites/comparison/greaterThanEquals.json': [
    {
      reason: REASONS.lazy,
      cases: ['>= with 3 arguments failing', '>= is lazily evaluated'],
    },
    {
      reason: REASONS.args,
      cases: ['>= with 1 argument', '>= with direct argument', '>= with empty argument'],
    },
    {
      reason: REASONS.cmpnan,
      cases: [
        '>= with (1n, As)',
        '>= with (1n, As) #2',
        '>= with [] and [1]',
        '>= with [1] and 5',
        '>= with {} and 1',
        '>= with 1 and {}',
      ],
    },
  ],
  'compat-tables/suites/comparison/lessThan.json': [
    {
      reason: REASONS.lazy,
      cases: ['< is lazily evaluated'],
    },
    {
      reason: REASONS.args,
      cases: ['< with 1 argument', '< with direct argument', '< with empty argument'],
    },
    {
      reason: REASONS.cmpnan,
      cases: [
        '< with (2023n, 2024-01-01s)',
        '< with (1n, As)',
        '< with [] and [1]',
        '< with [1] and 5',
        '< with {} and 1',
        '< with 1 and {}',
      ],
    },
  ],
  'compat-tables/suites/comparison/lessThanEquals.json': [
    {
      reason: REASONS.lazy,
      cases: ['<= is lazily evaluated'],
    },
    {
      reason: REASONS.cmpnan,
      cases: [
        '<= with (2023n, 2024-01-01s)',
        '<= with (1n, As)',
        '<= with [] and [1]',
        '<= with [1] and 5',
        '<= with {} and 1',
        '<= with 1 and {}',
      ],
    },
  ],
  'compat-tables/suites/comparison/softEquals.json': [
    {
      reason: REASONS.lazy,
      cases: ['== is lazily evaluated'],
    },
    {
      reason: REASONS.args,
      cases: ['== with 1 argument', '== with direct argument', '== with empty argument'],
    },
    {
      reason: REASONS.cmpnan,
      cases: [
        '== with (2023n, 2024-01-01s)',
        '== with (1n, As)',
        '== with [] and [1]',
        '== with [1] and 5',
        '== with {} and 1',
        '== with 1 and {}',
      ],
    },
    {
      reason: REASONS.nullzero,
      cases: ['== with (null, 0)'],
    },
  ],
  'compat-tables/suites/comparison/softNotEquals.json': [
    {
      reason: REASONS.lazy,
      cases: ['!= is lazily evaluated'],
    },
    {
      reason: REASONS.args,
      cases: ['!= with 1 argument', '!= with direct argument', '!= with empty argument'],
    },
    {
      reason: REASONS.cmpnan,
      cases: [
        '!= with (2023n, 2024-01-01s)',
        '!= with (1n, As)',
        '!= with [] and [1]',
        '!= with [1] and 5',
        '!= with {} and 1',
        '!= with 1 and {}',
      ],
    },
    {
      reason: REASONS.nullzero,
      cases: ['!= with (null, 0)'],
    },
  ],
  'compat-tables/suites/comparison/strictEquals.json': [
    {
      reason: REASONS.lazy,
      cases: ['=== with 3 arguments failing', '=== is lazily evaluated'],
    },
    {
      reason: REASONS.args,
      cases: ['=== with 1 argument', '=== with direct argument', '=== with empty argument'],
    },
  ],
  'compat-tables/suites/comparison/strictNotEquals.json': [
    {
      reason: REASONS.lazy,
      cases: ['!== is lazily evaluated'],
    },
    {
      reason: REASONS.args,
      cases: ['!== with 1 argument', '!== with direct argument', '!== with empty argument'],
    },
  ],
  'compat-tables/suites/control/and.json': [
    {
      reason: REASONS.emptyandor,
      cases: ['And with no arguments should return false'],
    },
    {
      reason: REASONS.args,
      cases: ['And with non-array arguments should throw'],
    },
  ],
  'compat-tables/suites/control/if.json': [
    {
      reason: REASONS.args,
      cases: ['If with non-array arguments throws'],
    },
  ],
  'compat-tables/suites/control/or.json': [
    {
      reason: REASONS.emptyandor,
      cases: ['Empty OR returns false'],
    },
    {
      reason: REASONS.args,
      cases: ['OR with non-array arguments should throw'],
    },
  ],
  'compat-tables/suites/array/map.json': [
    {
      reason: REASONS.args,
      cases: ['Map with null mapper should throw', 'Map with null array should throw'],
    },
  ],
  'compat-tables/suites/array/filter.json': [
    {
      reason: REASONS.args,
      cases: ['Filter with null predicate should throw', 'Filter with null array should throw'],
    },
  ],
  'compat-tables/suites/array/reduce.json': [
    {
      reason: REASONS.reduceinit,
      cases: ['Initial value is optional'],
    },
  ],
  'compat-tables/suites/array/all.json': [
    {
      reason: REASONS.args,
      cases: ['Null array should throw', 'Missing array returns error'],
    },
  ],
  'compat-tables/suites/array/some.json': [
    {
      reason: REASONS.args,
      cases: ['Null array should throw', 'Missing array returns error'],
    },
  ],
  'compat-tables/suites/array/none.json': [
    {
      reason: REASONS.args,
      cases: ['Null array should throw', 'Missing array returns error'],
    },
  ],
  'compat-tables/suites/chained.json': [
    {
      reason: REASONS.chain,
      cases: [
        'Max with Logic Chaining',
        'Cat with Logic Chaining',
        'Cat with Logic Chaining (Simple)',
        'Max with Logic Chaining (Complex)',
        'Addition Chained w/ Merge',
      ],
    },
  ],
  'compat-tables/suites/iterators.extra.json': [
    {
      reason: REASONS.dynamic,
      cases: [
        'if with dynamic arguments throws',
        'or with dynamic arguments throws',
        'and with dynamic arguments throws',
        'map with dynamic arguments throws',
        'filter with dynamic arguments throws',
        'reduce with dynamic arguments throws',
        'some with dynamic arguments throws',
        'all with dynamic arguments throws',
        'none with dynamic arguments throws',
        '< with dynamic arguments throws',
        '<= with dynamic arguments throws',
        '> with dynamic arguments throws',
        '>= with dynamic arguments throws',
        '== with dynamic arguments throws',
        '!= with dynamic arguments throws',
        '=== with dynamic arguments throws',
        '!== with dynamic arguments throws',
      ],
    },
    {
      reason: REASONS.args,
      cases: [
        'if with static non-array argument throws',
        'or with static non-array argument throws',
        'and with static non-array argument throws',
        'map with static non-array argument throws',
        'filter with static non-array argument throws',
        'reduce with static non-array argument throws',
        'some with static non-array argument throws',
        'all with static non-array argument throws',
        'none with static non-array argument throws',
        '< with static non-array argument throws',
        '<= with static non-array argument throws',
        '> with static non-array argument throws',
        '>= with static non-array argument throws',
        '== with static non-array argument throws',
        '!= with static non-array argument throws',
        '=== with static non-array argument throws',
        '!== with static non-array argument throws',
      ],
    },
  ],
  'compat-tables/suites/try.json': [
    {
      reason: REASONS.trynan,
      cases: [
        'Try can work further up the AST with Exceptions',
        'Try can work further up the AST with Exceptions, and return the error',
        'Handles NaN Explicitly',
      ],
    },
  ],
  'compat-tables/suites/try.extra.json': [
    {
      reason: REASONS.trynan,
      cases: ['Try can work further up the AST with Exceptions; Grabbing other Context value'],
    },
  ],
};
