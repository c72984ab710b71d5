/**
 * Static checks of JSON-Logic expressions: operators against the whitelist (with arity for ours), and
 * every literal `var` path against the names the journey scope will hold at that point.
 */

import { EVERY, LEAP_DAY } from '../contract/anniversary.ts';
import { CUSTOM_OPERATORS, isOperator, OPERATORS } from '../contract/expr.ts';
import { JSONLOGIC2_DOCS } from '../contract/expr-jsonlogic2.ts';
import { PERIOD_FIELDS } from '../contract/period.ts';
import type { DiagnosticCode, JsonPath } from './errors.ts';
import { closest } from './suggest.ts';

const CAMPAIGN_FIELDS = ['clientId', 'campaignId', 'version', 'pulse'];
const JOURNEY_FIELDS = ['key', 'workflowId', 'startedAt'];
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/** Ops whose second argument runs against each item (so its `var`s name item fields, not scope). */
const ITEM_SCOPED = new Set(['map', 'filter', 'all', 'some', 'none', 'reduce']);

export type Report = (
  code: DiagnosticCode,
  path: JsonPath,
  message: string,
  details?: { found?: string; expected?: string; key?: boolean; severity?: 'warning' },
) => void;

/** What the scope holds where an expression is evaluated. */
export interface ExprScope {
  /** Top-level names: built-ins plus variables declared so far. */
  names: ReadonlySet<string>;
  settings: ReadonlySet<string>;
  rewards: ReadonlySet<string>;
  segments: ReadonlySet<string>;
  /** Top-level fields of an event (schemas/event.schema.json). */
  eventFields: ReadonlySet<string>;
  /**
   * Reward and segment rules run on the reward service's rule engine, where every single-key object is
   * an operator (no literal maps): there, any unknown key is an unknown operator.
   */
  strictOperators?: boolean;
}

/**
 * `logic`: a condition or computed value; a single-key object must be an operator.
 * `value`: a literal or a map of values; a map's values are expressions.
 */
export type ExprMode = 'logic' | 'value';

/** Checks one expression, reporting every problem through `report`. */
export function checkExpr(
  expr: unknown,
  path: JsonPath,
  mode: ExprMode,
  scope: ExprScope,
  report: Report,
): void {
  if (expr === null || typeof expr !== 'object') return;
  if (Array.isArray(expr)) {
    for (const [i, item] of expr.entries()) checkExpr(item, [...path, i], mode, scope, report);
    return;
  }
  const record = expr as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1) {
    const op = keys[0]!;
    if (isOperator(op)) {
      checkOperator(op, record[op], [...path, op], scope, report);
      return;
    }
    if (scope.strictOperators || looksLikeOperator(op, record[op], mode)) {
      const hint = closest(op, OPERATORS);
      report(
        'UNKNOWN_OPERATOR',
        [...path, op],
        `unknown JSON-Logic operator "${op}"${hint ? `; did you mean "${hint}"?` : ''}`,
        {
          found: JSON.stringify(op),
          expected: `one of ${OPERATORS.join(' ')}`,
          key: true,
        },
      );
      // Still check what it was given, so a misspelt variable inside is reported too.
      checkExpr(record[op], [...path, op], 'logic', scope, report);
      return;
    }
  } else if (mode === 'logic' && keys.some(isOperator)) {
    report('BAD_EXPRESSION', path, 'an expression object has exactly one operator key', {
      found: keys.join(', '),
      expected: 'one operator, e.g. { "and": [ ... ] }',
    });
    return;
  }
  // A literal map: its values are expressions in their own right.
  for (const k of keys) checkExpr(record[k], [...path, k], 'value', scope, report);
}

/**
 * Single-key objects that are not operators are literal maps at run time. We call one a misspelt operator
 * when it cannot sensibly be a map key: symbols ("=>"), the excluded `log`, or in a condition an array
 * argument or a near-miss of an operator name.
 */
function looksLikeOperator(key: string, value: unknown, mode: ExprMode): boolean {
  if (key === 'log') return true;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return true;
  if (mode === 'value') return false;
  if (Array.isArray(value)) return true;
  return closest(key, OPERATORS) !== undefined;
}

function checkOperator(op: string, rawArgs: unknown, path: JsonPath, scope: ExprScope, report: Report): void {
  const args = Array.isArray(rawArgs) ? rawArgs : [rawArgs];
  const custom = CUSTOM_OPERATORS[op] ?? (JSONLOGIC2_DOCS as Record<string, typeof JSONLOGIC2_DOCS.val>)[op];
  if (custom) {
    const [min, max] = custom.arity;
    if (args.length < min || (max >= 0 && args.length > max)) {
      report(
        'BAD_EXPRESSION',
        path,
        `"${op}" takes ${max === min ? min : `${min} to ${max < 0 ? 'any' : max}`} argument(s)`,
        {
          found: `${args.length} argument(s)`,
          expected: custom.doc,
        },
      );
    }
  }
  if ((op === 'anniversary' || op === 'next_anniversary') && Array.isArray(rawArgs)) {
    // Literal period and leap-day rule: a typo would make the operator yield null at run time.
    const literal: [number, readonly string[]][] = [
      [2, EVERY],
      [3, LEAP_DAY],
    ];
    for (const [i, allowed] of literal) {
      const a = args[i];
      if (typeof a === 'string' && !allowed.includes(a))
        report('BAD_EXPRESSION', [...path, i], `"${op}" does not know ${JSON.stringify(a)}`, {
          found: JSON.stringify(a),
          expected: `one of ${allowed.join(', ')}`,
        });
    }
  }
  if (op === 'var') {
    checkVar(args[0], Array.isArray(rawArgs) ? [...path, 0] : path, scope, report);
    if (args.length > 1) checkExpr(args[1], [...path, 1], 'logic', scope, report);
    return;
  }
  if (op === 'missing' || op === 'missing_some') {
    const names = op === 'missing_some' ? args[1] : args;
    const namesPath = op === 'missing_some' ? [...path, 1] : path;
    if (Array.isArray(names))
      for (const [i, n] of names.entries()) checkVar(n, [...namesPath, i], scope, report);
    if (op === 'missing_some') checkExpr(args[0], [...path, 0], 'logic', scope, report);
    return;
  }
  // `preserve` holds data, not logic.
  if (op === 'preserve') return;
  if (op === 'val' || op === 'exists') {
    checkVal(args, path, Array.isArray(rawArgs), scope, report);
    return;
  }
  args.forEach((arg, i) => {
    const argPath = Array.isArray(rawArgs) ? [...path, i] : path;
    // The per-item logic of map/filter/... reads item fields, and a `try` fallback reads the error;
    // only their operators can be checked.
    const itemScoped = (ITEM_SCOPED.has(op) && i === 1) || (op === 'try' && i > 0);
    checkExpr(arg, argPath, 'logic', itemScoped ? openScope(scope) : scope, report);
  });
}

/** Inside per-item logic every `var` names a field of the item, so any name is acceptable. */
function openScope(scope: ExprScope): ExprScope {
  return { ...scope, names: ANY_NAME };
}

/** The scope of reward and segment rules: participant data the DSL cannot know, strict operators. */
export function ruleScope(): ExprScope {
  return {
    names: ANY_NAME,
    settings: new Set(),
    rewards: new Set(),
    segments: new Set(),
    eventFields: new Set(),
    strictOperators: true,
  };
}

const ANY_NAME: ReadonlySet<string> = new (class extends Set<string> {
  override has(): boolean {
    return true;
  }
})();

/**
 * `val`/`exists` take a list of keys (no dot splitting): the first names a scope variable, like `var`'s
 * first segment, unless the path climbs scopes (`[[1], "index"]`) or is computed.
 */
function checkVal(args: unknown[], path: JsonPath, listed: boolean, scope: ExprScope, report: Report): void {
  args.forEach((arg, i) => {
    if (arg !== null && typeof arg === 'object' && !Array.isArray(arg))
      checkExpr(arg, listed ? [...path, i] : path, 'logic', scope, report);
  });
  const [first, second] = args;
  if (typeof first !== 'string' || scope.names === ANY_NAME) return;
  const joined = typeof second === 'string' && !second.includes('.') ? `${first}.${second}` : first;
  if (first.includes('.')) return;
  checkVar(joined, listed ? [...path, 0] : path, scope, report);
}

function checkVar(rawPath: unknown, path: JsonPath, scope: ExprScope, report: Report): void {
  if (typeof rawPath !== 'string') {
    if (rawPath !== null && typeof rawPath === 'object') checkExpr(rawPath, path, 'logic', scope, report);
    return;
  }
  if (rawPath === '' || scope.names === ANY_NAME) return;
  const segments = rawPath.split('.');
  const bad = segments.find((s) => FORBIDDEN_SEGMENTS.has(s));
  if (bad) {
    report('UNKNOWN_VARIABLE', path, `"${bad}" cannot appear in a variable path`, {
      found: JSON.stringify(rawPath),
    });
    return;
  }
  const [root, field] = segments as [string, string | undefined];
  if (!scope.names.has(root)) {
    const hint = closest(root, scope.names);
    report('UNKNOWN_VARIABLE', path, `unknown variable "${root}"${hint ? `; did you mean "${hint}"?` : ''}`, {
      found: JSON.stringify(rawPath),
      expected: `one of ${listNames(scope.names)}`,
    });
    return;
  }
  if (field === undefined) return;
  const known = knownFields(root, scope);
  if (!known || known.has(field)) return;
  const code: DiagnosticCode =
    root === 'settings' ? 'UNKNOWN_SETTING' : root === 'rewards' ? 'UNKNOWN_REWARD' : 'UNKNOWN_VARIABLE';
  const hint = closest(field, known);
  report(code, path, `unknown ${root} field "${field}"${hint ? `; did you mean "${hint}"?` : ''}`, {
    found: JSON.stringify(rawPath),
    expected: known.size > 0 ? `one of ${listNames(known, `${root}.`)}` : `no ${root} declared`,
  });
}

const LISTED_NAMES = 30;

/**
 * Names for an `expected` text: all of them, sorted, when few; else the first LISTED_NAMES in declaration
 * order and a count, so each message costs the same however many variables a campaign declares.
 */
function listNames(names: ReadonlySet<string>, prefix = ''): string {
  if (names.size <= LISTED_NAMES)
    return [...names]
      .sort()
      .map((n) => prefix + n)
      .join(', ');
  const shown: string[] = [];
  for (const n of names) {
    if (shown.length === LISTED_NAMES) break;
    shown.push(prefix + n);
  }
  return `${shown.join(', ')} and ${names.size - LISTED_NAMES} more`;
}

function knownFields(root: string, scope: ExprScope): ReadonlySet<string> | undefined {
  switch (root) {
    case 'event':
      return scope.eventFields;
    case 'settings':
      return scope.settings;
    case 'rewards':
      return scope.rewards;
    case 'segments':
      return scope.segments;
    case 'campaign':
      return new Set(CAMPAIGN_FIELDS);
    case 'journey':
      return new Set(JOURNEY_FIELDS);
    case 'period':
      return new Set(PERIOD_FIELDS);
    default:
      return undefined;
  }
}
