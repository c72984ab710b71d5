import { readFile } from 'node:fs/promises';
import type { ClickHouse, SqlText } from '../platform/clickhouse.ts';
import type { EnrichedEvent } from './enrich.ts';

/** The ClickHouse `events` table (DDL in clickhouse/0001_events.sql). Analytics views read these names. */
export const EVENTS_TABLE = 'events';

export interface EventRow {
  event_id: string;
  event: string;
  client_id: string;
  campaign_id: string;
  participant_id: string;
  anonymous_id: string;
  session_id: string;
  referral_id: string;
  referral_code: string;
  referrer_id: string;
  /** ISO-8601 UTC, seconds precision (DateTime; best_effort parsing on insert). */
  occurred_at: string;
  received_at: string;
  value: number;
  currency: string;
  country: string;
  ip_hash: string;
  device_type: string;
  browser: string;
  os: string;
  source: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  properties: string;
  context: string;
}

export const EVENT_COLUMNS = [
  'event_id',
  'event',
  'client_id',
  'campaign_id',
  'participant_id',
  'anonymous_id',
  'session_id',
  'referral_id',
  'referral_code',
  'referrer_id',
  'occurred_at',
  'received_at',
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
  'properties',
  'context',
] as const satisfies readonly (keyof EventRow)[];

type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };
// ClickHouse 18.16 refuses a JSONEachRow string holding an unpaired UTF-16 surrogate (code 25); the
// ingest already replaces them (sanitize.ts), and rows stored before that policy get U+FFFD here too.
const str = (v: unknown): string => {
  if (typeof v !== 'string') return '';
  const w = v as unknown as WellFormed;
  return w.isWellFormed() ? v : w.toWellFormed();
};
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
// DateTime has second precision and no zone of its own: send UTC with an explicit Z.
const toDateTime = (iso: string): string => `${iso.slice(0, 19)}Z`;

/** Flattens an enriched event into the row: the columns analytics groups by, plus the rest as JSON. */
export function toEventRow(e: EnrichedEvent): EventRow {
  const p = e.properties ?? {};
  const ctx = e.context ?? {};
  const utm = ctx.marketing?.utm ?? {};
  const ref = ctx.referral ?? {};
  return {
    event_id: e.event_id,
    event: e.event,
    client_id: e.client_id,
    campaign_id: str(e.campaign_id),
    participant_id: str(e.participant_id),
    anonymous_id: str(e.anonymous_id),
    session_id: str(e.session_id),
    referral_id: str(e.referral_id),
    referral_code: str(ref.code) || str(p.referral_code),
    referrer_id: str(ref.referrer_id) || str(p.referrer_id),
    occurred_at: toDateTime(e.occurred_at),
    received_at: toDateTime(e.received_at),
    // The money an event carries: an order's amount, a subscription's price, a cart's value.
    value: num(p.amount) || num(p.value),
    currency: str(p.currency),
    country: str(ctx.geo?.country) || str(e.traits?.country),
    ip_hash: str(ctx.geo?.ip_hash),
    device_type: str(ctx.device?.type),
    browser: str(ctx.device?.browser),
    os: str(ctx.device?.os),
    source: e.source,
    utm_source: str(utm.source),
    utm_medium: str(utm.medium),
    utm_campaign: str(utm.campaign),
    properties: JSON.stringify(p),
    context: JSON.stringify(ctx),
  };
}

export async function insertEventRows(ch: ClickHouse, rows: EventRow[]): Promise<void> {
  await ch.insert(EVENTS_TABLE, rows as unknown as Record<string, unknown>[]);
}

/** Applies this service's DDL to a database (tests; deployments use app/migrate.ts). */
export async function createEventsTable(ch: ClickHouse): Promise<void> {
  const ddl = await readFile(new URL('./clickhouse/0001_events.sql', import.meta.url), 'utf8');
  await ch.command(ddl.replace(/^\s*--.*$/gm, '').replace(/;\s*$/, '') as SqlText);
}
