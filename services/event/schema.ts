import type { ErrorDetail } from '../../contract/errors.ts';
import type { EventEnvelope } from '../../contract/generated/event.generated.ts';
import { readSchema, toErrorDetails, validatorFor } from '../../contract/validation.ts';

/** schemas/event.schema.json, the one definition of an SDK event (editors, SDKs and this service). */
export const eventSchema = readSchema('event.schema.json') as {
  $defs: { event_name: { enum: string[] }; event_categories: { const: Record<string, string[]> } };
};

/** Every event name the platform accepts. */
export const EVENT_TYPES: readonly string[] = Object.freeze([...eventSchema.$defs.event_name.enum]);

/**
 * An event as it passes the schema: the envelope of schemas/event.schema.json (`$defs.envelope`, its type
 * generated into contract/generated/event.generated.ts), so no field is listed here a second time.
 */
export type IncomingEvent = EventEnvelope;

/** The envelope's `context` (SDK, device, page, geo, marketing, referral…). */
export type EventContext = NonNullable<EventEnvelope['context']>;

export type EventCheck = { ok: true; event: IncomingEvent } | { ok: false; details: ErrorDetail[] };

/** Compiles the schema once; `check` returns every failing field with a dotted path. */
export function createEventValidator(): (value: unknown) => EventCheck {
  const validate = validatorFor<IncomingEvent>('event.schema.json');
  return (value) => {
    if (validate(value)) return { ok: true, event: value };
    // `if` only says "a then-branch failed" (the branch's own errors carry the paths); the root anyOf
    // (an identity is required) is reported once, in words, instead of as two failed branches.
    const all = validate.errors ?? [];
    const identity = all.some((e) => e.schemaPath.startsWith('#/anyOf'));
    const errors = all.filter((e) => e.keyword !== 'if' && !e.schemaPath.startsWith('#/anyOf'));
    // An unknown name fails both branches of `event` (built-in enum, custom pattern): say it once.
    const badName = errors.some((e) => e.instancePath === '/event' && e.keyword !== 'type');
    const details = toErrorDetails(badName ? errors.filter((e) => e.instancePath !== '/event') : errors);
    if (badName)
      details.unshift({
        path: 'event',
        message: 'unknown event type',
        expected: 'a built-in event, or a custom_… event type the client declared',
      });
    if (identity)
      details.push({
        path: 'participant_id',
        message: 'participant_id or anonymous_id is required',
        expected: 'a value',
      });
    return { ok: false, details: dedupe(details) };
  };
}

function dedupe(details: ErrorDetail[]): ErrorDetail[] {
  const seen = new Set<string>();
  return details.filter((d) => {
    const k = `${d.path}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
