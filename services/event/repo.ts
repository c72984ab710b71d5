import { type Kysely, sql } from 'kysely';

export interface EventOutboxTable {
  seq: number;
  txid: string;
  client_id: string;
  event_id: string;
  event: string;
  campaign_id: string | null;
  /** The enriched event as JSON text (stored as text: Postgres need not parse it). */
  payload: string;
  /** The accepting request's correlation id (null for rows written before it was recorded). */
  correlation_id: string | null;
  /** Set only on a re-queued dead letter: the one sink that is to send it (migration 0991). */
  only_sink: Sink | null;
  received_at: Date;
}
export interface EventOutboxCursorsTable {
  sink: string;
  txid: string;
  seq: number;
  updated_at: Date;
}
export interface EventTables {
  event_outbox: EventOutboxTable;
  event_outbox_cursors: EventOutboxCursorsTable;
  event_dead_letters: EventDeadLettersTable;
}
type Db = Kysely<EventTables>;

/** A consumer of the outbox; each keeps its own cursor. */
export type Sink = 'clickhouse' | 'bus';

export interface Cursor {
  txid: string;
  seq: number;
}

export interface OutboxRow {
  seq: number;
  txid: string;
  client_id: string;
  event_id: string;
  event: string;
  campaign_id: string | null;
  /** The enriched event as JSON text; parsed only by sinks that need the object. */
  payload: string;
  correlation_id: string | null;
  /** The one sink this row is for (a re-queued dead letter), or null for both. */
  only_sink: Sink | null;
}

/** Whether `sink` is to send `row` (the other sink's cursor passes a row re-queued for one sink). */
export const isFor = (sink: Sink, row: Pick<OutboxRow, 'only_sink'>): boolean =>
  row.only_sink === null || row.only_sink === sink;

export const outboxKey = (clientId: string, eventId: string): string => `${clientId}\u0000${eventId}`;

/** An event ready for the outbox: its key columns and its JSON text, serialised once by the writer. */
export interface SerialisedEvent {
  client_id: string;
  event_id: string;
  event: string;
  campaign_id: string | null;
  correlation_id: string | null;
  json: string;
}

/**
 * Inserts many events in one statement and returns the keys actually inserted; the others were already
 * there (duplicates). Key columns travel as small text arrays; the events as one JSON array, joined from
 * texts serialised once in Node and split by Postgres (each element's text becomes the stored payload),
 * which costs less on both sides than escaping every payload into a text[] literal.
 */
export async function insertEvents(db: Db, events: readonly SerialisedEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const r = await sql<{ client_id: string; event_id: string }>`
    insert into event_outbox (client_id, event_id, event, campaign_id, correlation_id, payload)
    select k.client_id, k.event_id, k.event, k.campaign_id, k.correlation_id, p.doc::text
    from unnest(
        ${events.map((e) => e.client_id)}::text[], ${events.map((e) => e.event_id)}::text[],
        ${events.map((e) => e.event)}::text[], ${events.map((e) => e.campaign_id)}::text[],
        ${events.map((e) => e.correlation_id)}::text[]
      ) with ordinality as k(client_id, event_id, event, campaign_id, correlation_id, n)
    join json_array_elements(${`[${events.map((e) => e.json).join(',')}]`}::json) with ordinality as p(doc, n) using (n)
    on conflict (client_id, event_id) do nothing
    returning client_id, event_id`.execute(db);
  return new Set(r.rows.map((x) => outboxKey(x.client_id, x.event_id)));
}

// The drainer is a platform process reading every client's rows (the only cross-client reader); one
// drainer per sink holds a session advisory lock, so rows are handed to a sink once, in commit order.
export async function tryLockSink(conn: Db, sink: Sink): Promise<boolean> {
  const r = await sql<{
    ok: boolean;
  }>`select pg_try_advisory_lock(hashtext(${`pulse.event_outbox.${sink}`})) as ok`.execute(conn);
  return r.rows[0]?.ok === true;
}

export async function unlockSink(conn: Db, sink: Sink): Promise<void> {
  await sql`select pg_advisory_unlock(hashtext(${`pulse.event_outbox.${sink}`}))`.execute(conn);
}

export async function readCursor(db: Db, sink: Sink): Promise<Cursor> {
  const r =
    await sql<Cursor>`select txid::text as txid, seq from event_outbox_cursors where sink = ${sink}`.execute(
      db,
    );
  return r.rows[0] ?? { txid: '0', seq: 0 };
}

/**
 * Rows after the cursor whose inserting transaction is older than every transaction still running:
 * all of them are committed (or rolled back and absent), and no row can later appear before them.
 */
export async function readAfter(db: Db, cursor: Cursor, limit: number): Promise<OutboxRow[]> {
  const r = await sql<OutboxRow>`
    select o.seq, o.txid::text as txid, o.client_id, o.event_id, o.event, o.campaign_id, o.payload,
      o.correlation_id, o.only_sink
    from event_outbox o
    where (o.txid, o.seq) > (${cursor.txid}::xid8, ${cursor.seq}::bigint)
      and o.txid < pg_snapshot_xmin(pg_current_snapshot())
    order by o.txid, o.seq
    limit ${limit}`.execute(db);
  return r.rows;
}

export async function advanceCursor(db: Db, sink: Sink, to: Cursor): Promise<void> {
  await sql`update event_outbox_cursors set txid = ${to.txid}::xid8, seq = ${to.seq}, updated_at = now()
            where sink = ${sink}`.execute(db);
}

/** Events a sink has not taken yet (including ones whose transaction is still settling). */
export async function countAfter(db: Db, sink: Sink): Promise<number> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from event_outbox o, event_outbox_cursors c
    where c.sink = ${sink} and (o.txid, o.seq) > (c.txid, c.seq)`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Per sink: events not taken yet and the age in seconds of the oldest of them (0 when none): the
 * drainer's lag. Platform bookkeeping across clients (metrics), like the drainer itself.
 */
export async function outboxLag(db: Db): Promise<{ sink: Sink; pending: number; oldestSeconds: number }[]> {
  const r = await sql<{ sink: Sink; pending: number; oldest: number | null }>`
    select c.sink, count(o.seq)::int as pending,
      extract(epoch from now() - min(o.received_at))::float8 as oldest
    from event_outbox_cursors c
    left join event_outbox o on (o.txid, o.seq) > (c.txid, c.seq)
    group by c.sink order by c.sink`.execute(db);
  return r.rows.map((x) => ({
    sink: x.sink,
    pending: Number(x.pending),
    oldestSeconds: Math.max(0, Number(x.oldest ?? 0)),
  }));
}

/** Drops rows both sinks have taken, once older than the dedup window (replays after it count again). */
export async function pruneTaken(db: Db, olderThan: Date, limit = 10_000): Promise<number> {
  const r = await sql`
    delete from event_outbox where seq in (
      select o.seq from event_outbox o
      where o.received_at < ${olderThan}
        and not exists (select 1 from event_outbox_cursors c where (o.txid, o.seq) > (c.txid, c.seq))
      order by o.txid, o.seq
      limit ${limit})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

export interface EventDeadLettersTable {
  id: number;
  sink: string;
  client_id: string;
  event_id: string;
  event: string;
  outbox_seq: number;
  payload: string;
  error: string;
  attempts: number;
  parked_at: Date;
}

export interface DeadLetter {
  sink: Sink;
  clientId: string;
  eventId: string;
  event: string;
  outboxSeq: number;
  error: string;
  attempts: number;
  parkedAt: Date;
}

/**
 * Parks an outbox row a sink refused (payload copied in the database); a repeat park is a no-op.
 * `error` is a summary without the row's data (drainer.ts `refusalSummary`): the admin API shows it.
 */
export async function parkDeadLetter(
  db: Db,
  sink: Sink,
  row: Pick<OutboxRow, 'seq' | 'client_id' | 'event_id' | 'event'>,
  error: string,
  attempts: number,
): Promise<void> {
  await sql`
    insert into event_dead_letters (sink, client_id, event_id, event, outbox_seq, payload, error, attempts)
    select ${sink}, o.client_id, o.event_id, o.event, o.seq, o.payload, ${error.slice(0, 200)}, ${attempts}
    from event_outbox o where o.client_id = ${row.client_id} and o.event_id = ${row.event_id}
    on conflict (sink, client_id, event_id) do nothing`.execute(db);
}

/** Parked rows per sink and client (for metrics and the operator). */
export async function countDeadLetters(db: Db): Promise<{ sink: Sink; clientId: string; count: number }[]> {
  const r = await sql<{ sink: Sink; client_id: string; n: number }>`
    select sink, client_id, count(*)::int as n from event_dead_letters
    group by sink, client_id order by sink, client_id`.execute(db);
  return r.rows.map((x) => ({ sink: x.sink, clientId: x.client_id, count: Number(x.n) }));
}

/** One client's parked rows, newest first. */
export async function listDeadLetters(db: Db, clientId: string, limit = 100): Promise<DeadLetter[]> {
  const r = await sql<{
    sink: Sink;
    client_id: string;
    event_id: string;
    event: string;
    outbox_seq: string;
    error: string;
    attempts: number;
    parked_at: Date;
  }>`
    select sink, client_id, event_id, event, outbox_seq, error, attempts, parked_at from event_dead_letters
    where client_id = ${clientId} order by parked_at desc, id desc limit ${limit}`.execute(db);
  return r.rows.map((x) => ({
    sink: x.sink,
    clientId: x.client_id,
    eventId: x.event_id,
    event: x.event,
    outboxSeq: Number(x.outbox_seq),
    error: x.error,
    attempts: x.attempts,
    parkedAt: x.parked_at,
  }));
}
