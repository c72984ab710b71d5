import { type Kysely, sql } from 'kysely';
import type { BusMessage } from '../../../contract/bus.ts';

// Kysely for the Postgres bus, kept apart from the adapter's control flow.
// biome-ignore lint/suspicious/noExplicitAny: tables are addressed through raw sql here.
type Db = Kysely<any>;

export const NOTIFY_CHANNEL = 'pulse_bus';

export async function upsertSubscription(db: Db, name: string, pattern: string): Promise<void> {
  await sql`insert into bus_subscriptions (name, pattern) values (${name}, ${pattern})
            on conflict (name) do update set pattern = excluded.pattern`.execute(db);
}

export async function listSubscriptions(db: Db): Promise<{ name: string; pattern: string }[]> {
  const r = await sql<{ name: string; pattern: string }>`select name, pattern from bus_subscriptions`.execute(
    db,
  );
  return r.rows;
}

/** Inserts messages, skipping ids already published; returns the ids actually inserted. */
export async function insertMessages(
  db: Db,
  msgs: { id: string; topic: string; payload: string; correlationId: string | null }[],
): Promise<{ id: string; topic: string }[]> {
  const r = await sql<{ id: string; topic: string }>`
    insert into bus_messages (id, topic, payload, correlation_id)
    select * from unnest(${msgs.map((m) => m.id)}::text[], ${msgs.map((m) => m.topic)}::text[],
      ${msgs.map((m) => m.payload)}::json[], ${msgs.map((m) => m.correlationId)}::text[])
    on conflict (id) do nothing
    returning id, topic`.execute(db);
  return r.rows;
}

export async function insertDeliveries(
  db: Db,
  pairs: { subscription: string; messageId: string }[],
): Promise<void> {
  if (pairs.length === 0) return;
  await sql`
    insert into bus_deliveries (subscription, message_id)
    select * from unnest(${pairs.map((p) => p.subscription)}::text[], ${pairs.map((p) => p.messageId)}::text[])
    on conflict do nothing`.execute(db);
}

export async function notify(db: Db, subscriptions: string[]): Promise<void> {
  for (const s of subscriptions) await sql`select pg_notify(${NOTIFY_CHANNEL}, ${s})`.execute(db);
}

/**
 * Claims up to `limit` ready deliveries (skipping rows another consumer holds) and hides them for
 * `visibilityMs`: a consumer that dies mid-handler has its messages delivered again after that.
 */
export async function claim(
  db: Db,
  subscription: string,
  limit: number,
  visibilityMs: number,
): Promise<BusMessage[]> {
  const r = await sql<BusRow>`
    with c as (
      select subscription, message_id from bus_deliveries
      where subscription = ${subscription} and status = 'pending' and available_at <= now()
      order by available_at
      limit ${limit}
      for update skip locked
    ), u as (
      update bus_deliveries d
      set attempt = d.attempt + 1, available_at = now() + make_interval(secs => ${visibilityMs / 1000})
      from c where d.subscription = c.subscription and d.message_id = c.message_id
      returning d.message_id, d.attempt
    )
    select m.id, m.topic, m.payload, m.published_at, m.correlation_id, u.attempt
    from u join bus_messages m on m.id = u.message_id
    order by m.published_at`.execute(db);
  return r.rows.map(toMessage);
}

interface BusRow {
  id: string;
  topic: string;
  payload: unknown;
  published_at: Date;
  attempt: number;
  correlation_id: string | null;
}

function toMessage(x: BusRow): BusMessage {
  return {
    id: x.id,
    topic: x.topic,
    payload: x.payload,
    publishedAt: new Date(x.published_at).toISOString(),
    attempt: x.attempt,
    ...(x.correlation_id ? { correlationId: x.correlation_id } : {}),
  };
}

export async function ack(db: Db, subscription: string, messageId: string): Promise<void> {
  await sql`delete from bus_deliveries where subscription = ${subscription} and message_id = ${messageId}`.execute(
    db,
  );
}

export async function retryLater(
  db: Db,
  subscription: string,
  messageId: string,
  delayMs: number,
  error: string,
) {
  await sql`update bus_deliveries set available_at = now() + make_interval(secs => ${delayMs / 1000}), last_error = ${error}
            where subscription = ${subscription} and message_id = ${messageId}`.execute(db);
}

export async function markDead(
  db: Db,
  subscription: string,
  messageId: string,
  error: string,
): Promise<void> {
  await sql`update bus_deliveries set status = 'dead', last_error = ${error}
            where subscription = ${subscription} and message_id = ${messageId}`.execute(db);
}

export async function listDead(db: Db, subscription: string): Promise<BusMessage[]> {
  const r = await sql<BusRow>`
    select m.id, m.topic, m.payload, m.published_at, m.correlation_id, d.attempt
    from bus_deliveries d join bus_messages m on m.id = d.message_id
    where d.subscription = ${subscription} and d.status = 'dead' order by m.published_at`.execute(db);
  return r.rows.map(toMessage);
}

/** Deliveries per subscription and status: the bus depth. */
export async function depth(db: Db): Promise<{ subscription: string; pending: number; dead: number }[]> {
  const r = await sql<{ subscription: string; pending: number; dead: number }>`
    select s.name as subscription,
      count(d.message_id) filter (where d.status = 'pending')::int as pending,
      count(d.message_id) filter (where d.status = 'dead')::int as dead
    from bus_subscriptions s left join bus_deliveries d on d.subscription = s.name
    group by s.name order by s.name`.execute(db);
  return r.rows.map((x) => ({
    subscription: x.subscription,
    pending: Number(x.pending),
    dead: Number(x.dead),
  }));
}

/** Forgets messages past the idempotency window that no subscription still holds. */
export async function pruneMessages(db: Db, olderThan: Date): Promise<number> {
  const r = await sql`delete from bus_messages m where m.published_at < ${olderThan}
    and not exists (select 1 from bus_deliveries d where d.message_id = m.id)`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
