/**
 * Diagnostics: what validation and compilation report instead of throwing. Codes are stable (tests and
 * tools match on them); messages are for people and may change.
 */

export const DIAGNOSTIC_CODES = [
  'YAML_SYNTAX',
  'SCHEMA',
  'UNKNOWN_ACTIVITY',
  'ACTIVITY_INPUT',
  'DUPLICATE_STEP_ID',
  'MISSING_STEP_ID',
  'AMBIGUOUS_STEP',
  'UNKNOWN_VARIABLE',
  'RESERVED_VARIABLE',
  'UNKNOWN_SETTING',
  'UNKNOWN_EVENT',
  'UNKNOWN_REWARD',
  'UNREACHABLE_STEP',
  'UNBOUNDED_LOOP',
  'BAD_DURATION',
  'CALENDAR_DURATION',
  'BAD_CRON',
  'BAD_TIMEZONE',
  'BAD_SCHEDULE',
  'BAD_ANNIVERSARY',
  'WAIT_LONGER_THAN_PERIOD',
  'LOOP_IN_TRY',
  'BAD_LOCALE',
  'UNKNOWN_OPERATOR',
  'BAD_EXPRESSION',
  'SETTING_DEFAULT_OUT_OF_RANGE',
  'SETTING_TYPE',
  'SETTING_OVERRIDE',
  'UNKNOWN_CHILD_PLAN',
  'CHILD_PLAN_CYCLE',
  'FILE_NOT_FOUND',
  'TRUST_OPT_DOWN',
  'FILE_TOO_LARGE',
  'TOO_DEEP',
  'TOO_MANY_STEPS',
  'PLAN_TOO_LARGE',
  'UNKNOWN_STEP_KIND',
  'EMPTY_CAMPAIGN',
  'BAD_EVENT_SCHEMA',
  'UNKNOWN_ERROR_CODE',
  'UNKNOWN_ROLE',
  'TEMPLATE_MISSING',
  'TEMPLATE_VARIABLE_UNKNOWN',
  'BAD_LEADERBOARD',
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export type Severity = 'error' | 'warning';

/** One finding, located in the source file. `path` is a readable JSON path such as `steps[2].do`. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  file: string;
  /** 1-based; 0 when the finding has no position (e.g. a settings override given on the command line). */
  line: number;
  column: number;
  path: string;
  message: string;
  found?: string;
  expected?: string;
  /** For SCHEMA diagnostics: the JSON Schema keyword that failed (required, type, enum, ...). */
  keyword?: string;
}

/** A JSON path as keys and indexes, e.g. ['steps', 2, 'do']. */
export type JsonPath = readonly (string | number)[];

/** ['steps', 2, 'do'] → "steps[2].do"; [] → "(root)". */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Short, safe rendering of a found value for messages (never the whole document). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[...]' : '{...}';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `file:line:col error CODE path: message: found X, expected Y`, one line per diagnostic. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  let text = `${where} ${d.severity} ${d.code} ${d.path}: ${d.message}`;
  const details: string[] = [];
  if (d.found !== undefined) details.push(`found ${d.found}`);
  if (d.expected !== undefined) details.push(`expected ${d.expected}`);
  if (details.length > 0) text += ` (${details.join(', ')})`;
  return text;
}

/** All diagnostics, sorted by file and position, one per line. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return sortDiagnostics(diagnostics).map(formatDiagnostic).join('\n');
}

/** Sorted by file, line, column, then code, so output is stable. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.code.localeCompare(b.code) ||
      a.path.localeCompare(b.path),
  );
}

/** True when any diagnostic is an error (warnings do not block a deploy). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
