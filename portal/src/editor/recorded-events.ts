/**
 * A simulation script from recorded events: a file the client brings, since the platform offers no
 * read of raw events. Accepted shapes, one file each:
 *  - JSON lines, one event a line: SDK/server event envelopes (the client's own logs), or rows of the
 *    ClickHouse `events` table as the participant export (POST /v1/participants/{id}/export) writes them
 *    in `clickhouse/events.jsonl` (flat columns, `properties` and `context` as JSON text);
 *  - a JSON array of such events;
 *  - a JSON object with `events`: a simulation script, or the trace of an earlier simulation (its
 *    events carry `offsetMs` and the delivered `event`).
 * Events are ordered by when they happened and delivered at the same distances from the first, in
 * virtual time. Bounded: the file's size and the simulator's event limit.
 */
import { stringify } from 'yaml';

/** The simulate API's limit (services/campaign/simulate.ts SIMULATION_LIMITS.events). */
export const MAX_RECORDED_EVENTS = 50;
export const MAX_RECORDED_BYTES = 1_000_000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface ScriptedEvent {
  at: number;
  event: Obj & { event: string };
}

export interface RecordedScript {
  events: ScriptedEvent[];
  /** The script as YAML, with a header saying where it came from. */
  yaml: string;
  /** Real time the recording spans (first to last event), when the events carried times. */
  from?: string;
  to?: string;
  /** Events dropped past the limit. */
  dropped: number;
}

export class RecordedEventsError extends Error {}

/** Fields a delivered event must not carry over: the simulation's own client, ids and times fill them. */
const DROP = new Set(['client_id', 'received_at', 'occurred_at', 'campaign_id']);
/** ClickHouse `events` columns that were flattened out of the envelope (enrichment, not input). */
const ROW_DERIVED = new Set([
  'referral_code',
  'referrer_id',
  'value',
  'currency',
  'country',
  'ip_hash',
  'device_type',
  'browser',
  'os',
  'source',
  'utm_source',
  'utm_medium',
  'utm_campaign',
]);
const TRUST = new Set(['sdk', 'server', 'integration']);

/** ClickHouse DateTime text (`2026-05-01 10:00:00`, UTC) or ISO-8601 → epoch ms; NaN when neither. */
function timeOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v === '') return Number.NaN;
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v) ? `${v.replace(' ', 'T')}Z` : v;
  return Date.parse(iso);
}

const parseJsonText = (v: unknown, what: string, line: number): unknown => {
  if (typeof v !== 'string' || v === '') return undefined;
  try {
    return JSON.parse(v);
  } catch {
    throw new RecordedEventsError(`event ${line}: ${what} is not JSON`);
  }
};

/** One recorded item → the event to deliver and when it happened (ms; NaN when unknown). */
function toEvent(
  item: unknown,
  n: number,
): { event: Obj & { event: string }; time: number; offset?: number } {
  if (!isObj(item)) throw new RecordedEventsError(`event ${n}: not a JSON object`);
  // A trace's delivered event, or a script's event: `{ offsetMs | at, event: {...} }`.
  if (isObj(item.event)) {
    const inner = toEvent(item.event, n);
    const offset =
      typeof item.offsetMs === 'number' ? item.offsetMs : typeof item.at === 'number' ? item.at : undefined;
    return offset === undefined ? inner : { ...inner, offset };
  }
  if (typeof item.event !== 'string' || item.event === '')
    throw new RecordedEventsError(`event ${n}: no event name (an "event" field)`);
  const row = typeof item.properties === 'string';
  const time = timeOf(item.occurred_at);
  const out: Obj = {};
  for (const [k, v] of Object.entries(item)) {
    if (DROP.has(k) || v === '' || v === null) continue;
    if (row && ROW_DERIVED.has(k)) continue;
    out[k] = v;
  }
  if (row) {
    const properties = parseJsonText(item.properties, 'properties', n);
    const context = parseJsonText(item.context, 'context', n);
    if (isObj(properties) && Object.keys(properties).length) out.properties = properties;
    else delete out.properties;
    if (isObj(context) && Object.keys(context).length) out.context = context;
    else delete out.context;
    // The row's source is how the event arrived: the trust the router judges it with.
    if (typeof item.source === 'string' && TRUST.has(item.source) && item.source !== 'sdk')
      out.trust = item.source;
  }
  return { event: out as Obj & { event: string }, time };
}

/** Reads a recorded-events file (see above) into a simulation script. Throws RecordedEventsError. */
export function recordedScript(text: string, fileName: string): RecordedScript {
  if (text.length > MAX_RECORDED_BYTES)
    throw new RecordedEventsError(`the file is larger than ${MAX_RECORDED_BYTES / 1_000_000} MB`);
  const trimmed = text.trim();
  if (!trimmed) throw new RecordedEventsError('the file is empty');
  let items: unknown[];
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && !trimmed.includes('\n{'))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new RecordedEventsError(`not JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(parsed)) items = parsed;
    else if (isObj(parsed) && Array.isArray(parsed.events)) items = parsed.events;
    else if (isObj(parsed) && isObj(parsed.trace) && Array.isArray(parsed.trace.events))
      items = parsed.trace.events;
    else items = [parsed];
  } else {
    items = trimmed
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l, i) => {
        try {
          return JSON.parse(l) as unknown;
        } catch {
          throw new RecordedEventsError(`line ${i + 1} is not JSON`);
        }
      });
  }
  if (items.length === 0) throw new RecordedEventsError('the file holds no events');
  const read = items.map((item, i) => ({ ...toEvent(item, i + 1), n: i }));
  // Earlier first (ties keep the file's order); offsets as recorded, else from the events' own times.
  const timed = read.every((r) => r.offset !== undefined)
    ? 'offset'
    : read.every((r) => !Number.isNaN(r.time))
      ? 'time'
      : 'order';
  const key = (r: (typeof read)[number]) =>
    timed === 'offset' ? (r.offset ?? 0) : timed === 'time' ? r.time : r.n;
  read.sort((a, b) => key(a) - key(b) || a.n - b.n);
  const kept = read.slice(0, MAX_RECORDED_EVENTS);
  const first = kept[0] ? key(kept[0]) : 0;
  const events = kept.map((r) => ({
    at: timed === 'order' ? 0 : Math.max(0, key(r) - first),
    event: r.event,
  }));
  const span =
    timed === 'time' && kept.length
      ? {
          from: new Date(first).toISOString(),
          to: new Date(key(kept.at(-1) as (typeof read)[number])).toISOString(),
        }
      : {};
  const dropped = read.length - kept.length;
  const header = [
    `# ${events.length} recorded event(s) from ${fileName.replace(/[\r\n]/g, ' ')}`,
    span.from
      ? `# recorded ${span.from} to ${span.to}; delivered at the same distances in virtual time`
      : null,
    timed === 'order' ? '# the events carry no times: delivered together, in file order' : null,
    dropped ? `# ${dropped} more dropped: a simulation takes at most ${MAX_RECORDED_EVENTS} events` : null,
  ]
    .filter(Boolean)
    .join('\n');
  return { events, yaml: `${header}\n${stringify({ events })}`, ...span, dropped };
}
