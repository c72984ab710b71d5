import type { ErrorDetail } from '../../contract/errors.ts';

/**
 * The ingest's storage policy: whatever POST /v1/events accepts, every sink must hold — the Postgres
 * outbox (json, text[] keys), ClickHouse 18.16 (JSONEachRow: refuses lone surrogates, silently mangles
 * dates before 1970), the Postgres bus (json) and SNS (256 KiB per message and per PublishBatch). One
 * bounded walk over each parsed event, before the schema, either normalises a value or refuses the event
 * with the field path:
 *
 * | value                                         | policy                                              |
 * | --------------------------------------------- | --------------------------------------------------- |
 * | lone UTF-16 surrogate in a string value       | replaced with U+FFFD (truncated emoji from SDKs)    |
 * | lone surrogate or NUL in a key                | refused (400)                                       |
 * | NUL (U+0000) in a string value                | refused (400): never legitimate text                |
 * | string value longer than 8,192 characters     | refused (400)                                       |
 * | key longer than 128 characters                | refused (400)                                       |
 * | key `__proto__`, `constructor`, `prototype`   | refused (400), at any depth                         |
 * | objects/arrays nested deeper than 8           | refused (400), path of the first too-deep value     |
 * | more than 100 keys (or items) in one object   | refused (400)                                       |
 * | more than 1,000 values in one event           | refused (400)                                       |
 * | non-finite number (`1e400` parses as ∞)       | refused (400)                                       |
 * | event larger than 32 KiB (UTF-8 JSON)         | refused (413 alone; per-event "rejected" in batch)  |
 * | occurred_at / sent_at not strict ISO-8601 with a 4-digit year, before 2000-01-01 or more than 24 h ahead | refused (400) |
 * | header-derived text (user agent)              | truncated to 512 characters                         |
 *
 * 32 KiB per event keeps an enriched event (plus its bus envelope) far below SNS's 256 KiB; the SNS
 * adapter packs PublishBatch requests by size. A batch of 100 events fits the batch body limit.
 * Whatever a sink still refuses is parked by the drainer in event_dead_letters (see drainer.ts).
 */
export const EVENT_LIMITS = Object.freeze({
  maxEventBytes: 32 * 1024,
  maxDepth: 8,
  maxKeysPerObject: 100,
  maxValues: 1_000,
  maxStringChars: 8 * 1024,
  maxKeyChars: 128,
  maxHeaderChars: 512,
  /** Earliest accepted client timestamp (ms). */
  minTimeMs: Date.UTC(2000, 0, 1),
  /** Latest accepted client timestamp, ahead of the server clock (device clocks drift by hours). */
  maxFutureMs: 24 * 3600_000,
});

/** Body limits of the two routes: one event (with whitespace slack), and 100 events. */
export const SINGLE_BODY_BYTES = 2 * EVENT_LIMITS.maxEventBytes;
export const BATCH_BODY_BYTES = 100 * EVENT_LIMITS.maxEventBytes + 64 * 1024;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type SanitizeResult = { ok: true } | { ok: false; tooLarge: boolean; details: ErrorDetail[] };

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}
const wellFormed = (s: string) => s as unknown as WellFormed;

/**
 * Checks (and normalises in place) one parsed event against the policy above. Linear in the event's
 * size; never descends deeper than the depth limit, so a hostile nesting costs nothing.
 */
export function sanitizeEvent(value: unknown, now: Date): SanitizeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: true }; // the schema says "must be object"
  const details: ErrorDetail[] = [];
  const state = { values: 0, bytes: 0 };
  walk(value as Record<string, unknown>, '', 0, details, state);
  const rec = value as Record<string, unknown>;
  if (typeof rec.occurred_at === 'string') {
    const problem = checkTimestamp(rec.occurred_at, now);
    if (problem) details.push({ path: 'occurred_at', message: problem, expected: TIMESTAMP_EXPECTED });
  }
  if (details.length > 0) return { ok: false, tooLarge: false, details: details.slice(0, 20) };
  if (state.bytes > EVENT_LIMITS.maxEventBytes)
    return {
      ok: false,
      tooLarge: true,
      details: [
        {
          path: '(root)',
          message: `event is larger than ${EVENT_LIMITS.maxEventBytes} bytes`,
          expected: `at most ${EVENT_LIMITS.maxEventBytes} bytes of JSON`,
        },
      ],
    };
  return { ok: true };
}

function walk(
  node: Record<string, unknown> | unknown[],
  path: string,
  depth: number,
  details: ErrorDetail[],
  state: { values: number; bytes: number },
): void {
  const keys = Array.isArray(node) ? null : Object.keys(node);
  const size = keys ? keys.length : (node as unknown[]).length;
  if (size > EVENT_LIMITS.maxKeysPerObject) {
    details.push({
      path: path || '(root)',
      message: `has more than ${EVENT_LIMITS.maxKeysPerObject} ${keys ? 'keys' : 'items'}`,
      expected: `at most ${EVENT_LIMITS.maxKeysPerObject}`,
    });
    return;
  }
  state.bytes += 2;
  for (let i = 0; i < size; i++) {
    if (details.length >= 20) return;
    const key = keys ? (keys[i] as string) : String(i);
    const at = path ? `${path}.${key}` : key;
    if (keys) {
      const problem = keyProblem(key);
      if (problem) {
        details.push({ path: at, message: problem, expected: 'a plain key' });
        continue;
      }
      state.bytes += Buffer.byteLength(key) + 4;
    } else state.bytes += 1;
    if (++state.values > EVENT_LIMITS.maxValues) {
      details.push({
        path: at,
        message: `event has more than ${EVENT_LIMITS.maxValues} values`,
        expected: `at most ${EVENT_LIMITS.maxValues}`,
      });
      return;
    }
    const v = keys ? (node as Record<string, unknown>)[key] : (node as unknown[])[i];
    if (typeof v === 'string') {
      const fixed = checkString(v, at, details);
      if (fixed !== v) {
        if (keys) (node as Record<string, unknown>)[key] = fixed;
        else (node as unknown[])[i] = fixed;
      }
      state.bytes += Buffer.byteLength(fixed) + 2;
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v))
        details.push({ path: at, message: 'number is out of range', expected: 'a finite number' });
      state.bytes += 24;
    } else if (typeof v === 'object' && v !== null) {
      if (depth + 1 > EVENT_LIMITS.maxDepth) {
        details.push({
          path: at,
          message: `nested deeper than ${EVENT_LIMITS.maxDepth} levels`,
          expected: `at most ${EVENT_LIMITS.maxDepth} levels of objects or arrays`,
        });
        continue;
      }
      walk(v as Record<string, unknown>, at, depth + 1, details, state);
    } else state.bytes += 5;
  }
}

function keyProblem(key: string): string | null {
  if (FORBIDDEN_KEYS.has(key)) return `key "${key}" is not allowed`;
  if (key.length > EVENT_LIMITS.maxKeyChars)
    return `key is longer than ${EVENT_LIMITS.maxKeyChars} characters`;
  if (key.includes('\u0000')) return 'key contains a NUL character';
  if (!wellFormed(key).isWellFormed()) return 'key contains an unpaired UTF-16 surrogate';
  return null;
}

/** Returns the string to keep (lone surrogates replaced), recording a detail when it is refused. */
function checkString(s: string, path: string, details: ErrorDetail[]): string {
  if (s.length > EVENT_LIMITS.maxStringChars) {
    details.push({
      path,
      message: `is longer than ${EVENT_LIMITS.maxStringChars} characters`,
      expected: `at most ${EVENT_LIMITS.maxStringChars} characters`,
    });
    return s;
  }
  if (s.includes('\u0000')) {
    details.push({ path, message: 'contains a NUL character', expected: 'text without U+0000' });
    return s;
  }
  return wellFormed(s).isWellFormed() ? s : wellFormed(s).toWellFormed();
}

const TIMESTAMP_EXPECTED = 'ISO-8601 date-time between 2000-01-01 and 24 h from now';
// Four-digit year, explicit zone; extended years (`+275760-…`) and local times are refused.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** A client timestamp's problem, or null when it is inside the accepted window. */
export function checkTimestamp(s: string, now: Date): string | null {
  if (s.length > 40 || !ISO.test(s)) return 'is not an ISO-8601 date-time with a 4-digit year and a zone';
  const ms = Date.parse(s);
  if (!Number.isFinite(ms)) return 'is not a valid date-time';
  if (ms < EVENT_LIMITS.minTimeMs) return 'is before 2000-01-01';
  if (ms > now.getTime() + EVENT_LIMITS.maxFutureMs) return 'is more than 24 h in the future';
  return null;
}

/** The batch's `sent_at` (device clock at send time): absent, or a timestamp inside the window. */
export function checkSentAt(value: unknown, now: Date): ErrorDetail | null {
  if (value === undefined || value === null) return null;
  const problem = typeof value === 'string' ? checkTimestamp(value, now) : 'must be a string';
  return problem ? { path: 'sent_at', message: problem, expected: TIMESTAMP_EXPECTED } : null;
}

/** Header-derived text (user agent, …): bounded and well-formed before it is parsed or stored. */
export function boundHeader(value: string | null): string | null {
  if (value === null) return null;
  const cut =
    value.length > EVENT_LIMITS.maxHeaderChars ? value.slice(0, EVENT_LIMITS.maxHeaderChars) : value;
  return wellFormed(cut.replaceAll('\u0000', '')).toWellFormed();
}
