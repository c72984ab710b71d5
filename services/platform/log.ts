import { type DestinationStream, type Logger, pino } from 'pino';
import { logLevelFromEnv } from './config.ts';

/**
 * The process's structured logger: one JSON object per line on stdout (12-factor; the platform collects
 * it). Every line carries `service: "pulse"`, `pid` and an ISO time; request lines add `request_id` and
 * `correlation_id`, so one grep by correlation id follows an event from ingest to its reward.
 *
 * Secrets and personal data never reach a line: authorization headers, API keys, tokens, passwords,
 * signing secrets and email addresses are censored wherever they appear at the first three levels of
 * a logged object. Callers still log ids, not payloads.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'pass',
  'secret',
  'api_key',
  'apiKey',
  'key',
  'token',
  'access_token',
  'signing_secret',
  'signingSecret',
  'email',
  'x-api-key',
];

const redactPaths = SECRET_KEYS.flatMap((k) => {
  const p = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = (prefix: string) => (p.startsWith('[') ? `${prefix}${p}` : `${prefix}.${p}`);
  return [p, dot('*'), dot('*.*'), dot('headers'), dot('req.headers')];
});

/**
 * Writes to whatever stream is current: stdout by default, a capture in tests (see `captureLogs`).
 * Synchronous writes: the last lines before a crash or `process.exit` are the ones that matter.
 */
let current: DestinationStream = pino.destination({ dest: 1, sync: true });
const forwarding: DestinationStream = { write: (line: string) => current.write(line) };

/** Builds a logger with Pulse's format and redaction on `destination` (default: the forwarding stream). */
export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? logLevelFromEnv(),
      base: { service: 'pulse', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      redact: { paths: redactPaths, censor: '[redacted]' },
    },
    opts.destination ?? forwarding,
  );
}

/** The process logger; level from PULSE_LOG_LEVEL (default info). */
export const logger: Logger = createLogger();

/** A child of the process logger carrying `bindings` on every line (e.g. `{ component: 'drainer' }`). */
export function childLogger(bindings: Record<string, unknown>): Logger {
  return logger.child(bindings);
}

/**
 * Sends every line of the process logger (and its children) to `destination` until the returned
 * function restores the previous one; also sets the level for the duration. For tests and tools that
 * read the logs back.
 */
export function captureLogs(destination: DestinationStream, level?: string): () => void {
  const previous = current;
  const previousLevel = logger.level;
  current = destination;
  if (level) logger.level = level;
  return () => {
    current = previous;
    logger.level = previousLevel;
  };
}

/** An error as log fields: its name, message and stack, never the object's other properties. */
export function errFields(err: unknown): { err: unknown } {
  return { err: err instanceof Error ? err : { message: String(err) } };
}
