import { AppError } from '../../contract/errors.ts';

/**
 * Readers for path and query parameters. Each returns the typed value or throws a 400 naming the field,
 * so a hostile or malformed parameter never reaches SQL (where a NUL byte, a 10 kB string or a bad date
 * would otherwise come back as a database error and a 500).
 */

/** Longest id, code or name accepted in a path or query parameter. */
export const MAX_ID_LENGTH = 200;

function invalid(name: string, message: string, expected: string): AppError {
  return new AppError('VALIDATION_FAILED', `${name} is invalid`, [{ path: name, message, expected }]);
}

/** No C0/C1 control characters (NUL included) and no lone surrogates (invalid UTF-8 in SQL). */
function printable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** A required id, code or name: 1..200 printable characters. */
export function idParam(raw: string | undefined, name: string): string {
  if (raw === undefined || raw === '')
    throw invalid(name, 'required', `an id of 1..${MAX_ID_LENGTH} characters`);
  return checkId(raw, name);
}

/** An optional id (absent or empty means not given). */
export function optionalIdParam(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  return checkId(raw, name);
}

/**
 * Longest workflow id accepted (Temporal's default limit): a journey's id is `pulse:<client>:<campaign>:`
 * and its key, so it can be longer than any one id.
 */
export const MAX_WORKFLOW_ID_LENGTH = 1000;

/** An optional workflow id (a journey's `workflow_id`): 1..1000 printable characters. */
export function optionalWorkflowIdParam(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  return checkId(raw, name, MAX_WORKFLOW_ID_LENGTH);
}

function checkId(raw: string, name: string, max = MAX_ID_LENGTH): string {
  if (raw.length > max) throw invalid(name, 'too long', `at most ${max} characters`);
  if (!printable(raw)) throw invalid(name, 'contains unprintable characters', 'printable text');
  return raw;
}

/** An integer in [min, max]; `fallback` when absent (required when there is no fallback). */
export function intParam(
  raw: string | undefined,
  name: string,
  opts: { min: number; max: number; fallback?: number },
): number {
  if (raw === undefined || raw === '') {
    if (opts.fallback === undefined) throw invalid(name, 'required', `integer ${opts.min}..${opts.max}`);
    return opts.fallback;
  }
  const n = /^-?\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < opts.min || n > opts.max)
    throw invalid(name, 'out of range', `integer ${opts.min}..${opts.max}`);
  return n;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day `YYYY-MM-DD` that exists (2026-02-30 is refused), or undefined when absent. */
export function dayParam(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = DAY.exec(raw);
  const d = m ? new Date(`${raw}T00:00:00Z`) : null;
  if (!m || !d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== raw)
    throw invalid(name, 'not a date', 'YYYY-MM-DD');
  const year = Number(m[1]);
  if (year < 1970 || year > 2299) throw invalid(name, 'out of range', 'a date between 1970 and 2299');
  return raw;
}

/** An ISO 8601 timestamp (date with optional time), or undefined when absent. */
export function dateParam(raw: string | undefined, name: string): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
  const d = iso.test(raw) ? new Date(raw) : null;
  if (!d || Number.isNaN(d.getTime())) throw invalid(name, 'not a date', 'ISO 8601 date or timestamp');
  const year = d.getUTCFullYear();
  if (year < 1970 || year > 2299) throw invalid(name, 'out of range', 'a date between 1970 and 2299');
  return d;
}

/** One of `values`, or undefined when absent. */
export function enumParam<T extends string>(
  raw: string | undefined,
  name: string,
  values: readonly T[],
): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!(values as readonly string[]).includes(raw)) throw invalid(name, 'unknown value', values.join('|'));
  return raw as T;
}

/** `true`/`false` (also `1`/`0`), or `fallback` when absent. */
export function boolParam(raw: string | undefined, name: string, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw invalid(name, 'not a boolean', 'true|false');
}
