import { type Kysely, type Migration, sql } from 'kysely';

// Frozen in time: never edit a shipped migration, add a new one. Run as service "bus".
export const busMigrations: Record<string, Migration> = {
  '0001_bus': {
    async up(db: Kysely<unknown>) {
      // The bus is platform infrastructure shared by every tenant: topics carry the client id
      // (event.{type}.{client}.…), and payloads carry client_id for the consumers that scope by it.
      await sql`
        create table bus_messages (
          id text primary key,
          topic text not null,
          payload json not null,
          published_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index bus_messages_published on bus_messages (published_at)`.execute(db);
      await sql`
        create table bus_subscriptions (
          name text primary key,
          pattern text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      // One row per (subscription, message) until handled; 'dead' rows stay for inspection and replay.
      await sql`
        create table bus_deliveries (
          subscription text not null references bus_subscriptions (name) on delete cascade,
          message_id text not null references bus_messages (id) on delete cascade,
          status text not null default 'pending' check (status in ('pending', 'dead')),
          attempt int not null default 0,
          available_at timestamptz not null default now(),
          last_error text,
          primary key (subscription, message_id)
        )`.execute(db);
      await sql`create index bus_deliveries_ready on bus_deliveries (subscription, available_at) where status = 'pending'`.execute(
        db,
      );
    },
  },
  '0002_bus_correlation': {
    async up(db: Kysely<unknown>) {
      // Message metadata: the correlation id of the request that caused the message (may be null).
      await sql`alter table bus_messages add column correlation_id text`.execute(db);
    },
  },
};
