/**
 * Typed campaign settings: declared defaults are checked when a file is validated; a client's overrides
 * are checked the same way when a plan is compiled for deployment.
 */

import { addDuration, parseDurationParts } from '../contract/duration.ts';
import type { Report } from './check-expr.ts';
import type { DiagnosticCode, JsonPath } from './errors.ts';
import { describeValue } from './errors.ts';

export type SettingType = 'number' | 'integer' | 'string' | 'boolean' | 'duration' | 'date';

export interface SettingDecl {
  type: SettingType;
  default: unknown;
  min?: number | string;
  max?: number | string;
  enum?: unknown[];
  title?: string;
  description?: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The value as a comparable number (ms for durations and dates), or null if it is not of the type. */
function comparable(type: SettingType, value: unknown): number | null {
  switch (type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : null;
    case 'duration': {
      if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
      if (typeof value !== 'string') return null;
      // Calendar durations compare by their length from a fixed origin (1970-01-01), so "1mo" < "32d".
      const d = parseDurationParts(value);
      return d === null ? null : addDuration(0, d);
    }
    case 'date': {
      if (typeof value !== 'string' || !ISO_DATE.test(value)) return null;
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? null : ms;
    }
    default:
      return null;
  }
}

function typeMatches(type: SettingType, value: unknown): boolean {
  if (type === 'string') return typeof value === 'string';
  if (type === 'boolean') return typeof value === 'boolean';
  return comparable(type, value) !== null;
}

const TYPE_TEXT: Record<SettingType, string> = {
  number: 'a number',
  integer: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  duration: 'a duration like "14d"',
  date: 'an ISO date like "2025-01-31"',
};

export interface SettingProblem {
  code: DiagnosticCode;
  message: string;
  found: string;
  expected: string;
}

/** Checks one value against a declaration; `typeCode`/`rangeCode` name the diagnostic to use. */
export function settingValueProblem(
  name: string,
  decl: SettingDecl,
  value: unknown,
  codes: { type: DiagnosticCode; range: DiagnosticCode },
): SettingProblem | null {
  const found = describeValue(value);
  if (!typeMatches(decl.type, value)) {
    return {
      code: codes.type,
      message: `setting "${name}" must be ${TYPE_TEXT[decl.type]}`,
      found,
      expected: TYPE_TEXT[decl.type],
    };
  }
  if (decl.enum && !decl.enum.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
    return {
      code: codes.range,
      message: `setting "${name}" must be one of its allowed values`,
      found,
      expected: `one of ${decl.enum.map((v) => JSON.stringify(v)).join(', ')}`,
    };
  }
  const v = comparable(decl.type, value);
  if (v === null) return null;
  const min = decl.min === undefined ? null : comparable(decl.type, decl.min);
  const max = decl.max === undefined ? null : comparable(decl.type, decl.max);
  if ((min !== null && v < min) || (max !== null && v > max)) {
    const range = `${decl.min !== undefined ? `>= ${String(decl.min)}` : ''}${decl.min !== undefined && decl.max !== undefined ? ' and ' : ''}${decl.max !== undefined ? `<= ${String(decl.max)}` : ''}`;
    return { code: codes.range, message: `setting "${name}" is out of range`, found, expected: range };
  }
  return null;
}

/** Checks every declared setting: bounds of the right type, default of the right type and in range. */
export function checkSettingDecls(settings: unknown, report: Report): void {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) return;
  for (const [name, raw] of Object.entries(settings as Record<string, unknown>)) {
    if (raw === null || typeof raw !== 'object') continue;
    const decl = raw as SettingDecl;
    const path: JsonPath = ['settings', name];
    if (!(decl.type in TYPE_TEXT)) continue; // the schema reports it
    let boundsOk = true;
    for (const bound of ['min', 'max'] as const) {
      const b = decl[bound];
      if (b === undefined) continue;
      if (decl.type === 'string' || decl.type === 'boolean') {
        report('SETTING_TYPE', [...path, bound], `"${bound}" does not apply to a ${decl.type} setting`, {
          found: describeValue(b),
        });
        boundsOk = false;
      } else if (comparable(decl.type, b) === null) {
        const code = decl.type === 'duration' && typeof b === 'string' ? 'BAD_DURATION' : 'SETTING_TYPE';
        report(code, [...path, bound], `"${bound}" must be ${TYPE_TEXT[decl.type]}`, {
          found: describeValue(b),
          expected: TYPE_TEXT[decl.type],
        });
        boundsOk = false;
      }
    }
    if (!('default' in decl)) continue; // the schema reports it
    const problem = settingValueProblem(name, decl, decl.default, {
      type: decl.type === 'duration' && typeof decl.default === 'string' ? 'BAD_DURATION' : 'SETTING_TYPE',
      range: 'SETTING_DEFAULT_OUT_OF_RANGE',
    });
    if (problem && (boundsOk || problem.code !== 'SETTING_DEFAULT_OUT_OF_RANGE')) {
      report(problem.code, [...path, 'default'], problem.message, {
        found: problem.found,
        expected: problem.expected,
      });
    }
  }
}
