import { type Kysely, sql } from 'kysely';
import type { EventTables, Sink } from './repo.ts';

type Db = Kysely<EventTables>;

/** A parked row as the operator sees it: never the payload (the client's data). */
export interface ParkedRow {
  id: string;
  sink: Sink;
  client_id: string;
  event_id: string;
  event: string;
  outbox_seq: string;
  error: string;
  attempts: number;
  parked_at: Date;
}

/** A position in the list: the last row's parking time (microseconds, as text) and id. */
export interface ParkedCursor {
  at: string;
  id: string;
}

/**
 * One page of parked rows across clients (the platform operator's view), newest first, optionally of
 * one sink or one client; `limit + 1` rows are read to tell whether another page follows.
 */
export async function listParked(
  db: Db,
  filter: { sink?: Sink; clientId?: string; after?: ParkedCursor; limit: number },
) {
  const r = await sql<ParkedRow & { cursor_at: string }>`
    select id::text as id, sink, client_id, event_id, event, outbox_seq::text as outbox_seq, error, attempts,
      parked_at, to_char(parked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
    from event_dead_letters
    where (${filter.sink ?? null}::text is null or sink = ${filter.sink ?? null})
      and (${filter.clientId ?? null}::text is null or client_id = ${filter.clientId ?? null})
      and (${filter.after?.at ?? null}::timestamptz is null
           or (parked_at, id) < (${filter.after?.at ?? null}::timestamptz, ${filter.after?.id ?? null}::bigint))
    order by parked_at desc, id desc
    limit ${filter.limit + 1}`.execute(db);
  return { rows: r.rows.slice(0, filter.limit), hasMore: r.rows.length > filter.limit };
}

export function findParked(db: Db, id: string) {
  return sql<ParkedRow>`
    select id::text as id, sink, client_id, event_id, event, outbox_seq::text as outbox_seq, error, attempts,
      parked_at
    from event_dead_letters where id = ${id}::bigint`
    .execute(db)
    .then((r) => r.rows[0]);
}

/**
 * Puts a parked event back in the outbox so the drainer sends it again: the outbox row (if still kept)
 * is replaced by one written in this transaction, which orders after both sinks' cursors (they read in
 * commit order, see migrations 0001). The row is marked for the sink(s) that parked the event
 * (`only_sink`, migration 0991): the other sink's cursor passes it unsent, since that sink already had
 * the event and the SNS bus's dedup window may have forgotten it. Every parked copy of the event (either
 * sink) leaves the dead letters. Returns undefined when the id is not parked (any more), else the row and
 * the sinks that will send it.
 */
export async function requeueParked(
  db: Db,
  id: string,
): Promise<(ParkedRow & { sinks: Sink[] }) | undefined> {
  return db.transaction().execute(async (tx) => {
    const parked = await sql<ParkedRow & { payload: string }>`
      select id::text as id, sink, client_id, event_id, event, outbox_seq::text as outbox_seq, error, attempts,
        parked_at, payload
      from event_dead_letters where id = ${id}::bigint for update`.execute(tx);
    const row = parked.rows[0];
    if (!row) return undefined;
    const copies = await sql<{ sink: Sink }>`
      delete from event_dead_letters where client_id = ${row.client_id} and event_id = ${row.event_id}
      returning sink`.execute(tx);
    const sinks = [...new Set(copies.rows.map((c) => c.sink))].sort() as Sink[];
    const onlySink = sinks.length === 1 ? sinks[0]! : null;
    const original = await sql<{ campaign_id: string | null; correlation_id: string | null }>`
      delete from event_outbox where client_id = ${row.client_id} and event_id = ${row.event_id}
      returning campaign_id, correlation_id`.execute(tx);
    const kept = original.rows[0];
    await sql`
      insert into event_outbox (client_id, event_id, event, campaign_id, correlation_id, payload, only_sink)
      values (${row.client_id}, ${row.event_id}, ${row.event},
        ${kept?.campaign_id ?? campaignOf(row.payload)}, ${kept?.correlation_id ?? null}, ${row.payload},
        ${onlySink})`.execute(tx);
    const { payload: _payload, ...shown } = row;
    return { ...shown, sinks };
  });
}

/** The campaign an event names, read from its payload when the outbox row is gone (pruned). */
function campaignOf(payload: string): string | null {
  try {
    const v = (JSON.parse(payload) as { campaign_id?: unknown }).campaign_id;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** Drops one parked row for good (the operator decided the event is not to be delivered). */
export async function discardParked(db: Db, id: string): Promise<ParkedRow | undefined> {
  const r = await sql<ParkedRow>`
    delete from event_dead_letters where id = ${id}::bigint
    returning id::text as id, sink, client_id, event_id, event, outbox_seq::text as outbox_seq, error, attempts,
      parked_at`.execute(db);
  return r.rows[0];
}
