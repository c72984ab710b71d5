import { Option } from 'commander';

/** Where a command writes: data on `out` (stdout), progress and errors on `err` (stderr). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The environment the command reads PULSE_URL, PULSE_API_KEY and the database URL from. */
  env: Readonly<Record<string, string | undefined>>;
}

export type CliErrorCode = 'USAGE' | 'FAILED' | 'HTTP' | 'UNREACHABLE' | 'REFUSED';

/** A command's failure with the exit code it maps to (2 for misuse, 1 otherwise); the message is printed. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly exitCode: number = code === 'USAGE' ? 2 : 1,
  ) {
    super(message);
  }
}

export type OutputFormat = 'text' | 'json';

/** `-o, --output text|json`, on every command that prints data. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'text for people, json for programs (one document)')
    .choices(['text', 'json'])
    .default('text');
}

/** Prints `value` as one JSON document, or the text rendering. */
export function emit(io: CliIo, format: OutputFormat, value: unknown, text: () => string): void {
  io.out(format === 'json' ? JSON.stringify(value, null, 2) : text());
}

/** A plain-text table: one header row, columns padded to their widest cell. */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** `min_order=75` → { min_order: 75 }: JSON when it parses (numbers, booleans), text otherwise. */
export function parseSettings(pairs: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError('USAGE', `--settings expects name=value, got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain text value
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

/** `--settings a=1 b=2` (variadic) and repeated `--settings a=1 --settings b=2` both collect here. */
export function settingsOption(): Option {
  return new Option('--settings <name=value...>', 'override campaign settings (JSON values or text)');
}
