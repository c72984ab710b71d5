import { type Kysely, type Migration, sql } from 'kysely';

// Frozen in time: never edit a shipped migration, add a new one.
export const migrations: Record<string, Migration> = {
  '0001_event_outbox': {
    async up(db: Kysely<unknown>) {
      // The durable accept: a request answers 202 only after its events are committed here. The unique
      // (client_id, event_id) is also the dedup (a replay inserts nothing and answers "already processed").
      //
      // Append-only: rows are never updated. Each sink (ClickHouse, bus) keeps a cursor over
      // (txid, seq) in event_outbox_cursors. Ordering by the inserting transaction id and reading only
      // rows whose transaction is older than the oldest one still running (pg_snapshot_xmin) means a
      // row can never appear behind a cursor later — the gap problem of a plain sequence cursor, where a
      // lower seq commits after a higher one. Rows leave after the dedup window once both cursors passed.
      // Operational note: the snapshot xmin is cluster-wide, so a session left idle in a transaction
      // anywhere on the server delays (never loses) draining; set idle_in_transaction_session_timeout.
      await sql`
        create table event_outbox (
          seq bigserial,
          txid xid8 not null default pg_current_xact_id(),
          client_id text not null,
          event_id text not null,
          event text not null,
          campaign_id text,
          payload text not null,
          received_at timestamptz not null default now(),
          primary key (client_id, event_id)
        )`.execute(db);
      await sql`create index event_outbox_commit_order on event_outbox (txid, seq)`.execute(db);
      // Platform bookkeeping (one row per sink), not tenant data.
      await sql`
        create table event_outbox_cursors (
          sink text primary key,
          txid xid8 not null default '0'::xid8,
          seq bigint not null default 0,
          updated_at timestamptz not null default now()
        )`.execute(db);
      await sql`insert into event_outbox_cursors (sink) values ('clickhouse'), ('bus')`.execute(db);
    },
  },
  '0002_event_dead_letters': {
    async up(db: Kysely<unknown>) {
      // Outbox rows a sink still refused after the bounded attempts (drainer.ts), parked so the sink's
      // cursor moves on: one row per (sink, event), with the payload as stored and the sink's error.
      // Tenant data: every row carries its client; reads are scoped by client_id.
      await sql`
        create table event_dead_letters (
          id bigserial primary key,
          sink text not null,
          client_id text not null,
          event_id text not null,
          event text not null,
          outbox_seq bigint not null,
          payload text not null,
          error text not null,
          attempts int not null,
          parked_at timestamptz not null default now(),
          unique (sink, client_id, event_id)
        )`.execute(db);
      await sql`create index event_dead_letters_client on event_dead_letters (client_id, parked_at)`.execute(
        db,
      );
    },
  },
  '0003_event_outbox_correlation': {
    async up(db: Kysely<unknown>) {
      // The correlation id of the request that accepted the event (X-Correlation-Id or its request id):
      // the drainer hands it to the bus with the event, so the journey and its activities log under it.
      await sql`alter table event_outbox add column correlation_id text`.execute(db);
    },
  },
  '0004_event_types': {
    async up(db: Kysely<unknown>) {
      // Custom event types a client declared (PUT /v1/event-types/:name or a campaign's `events:` block).
      // Append-only versions: a version is never changed, a new schema is the next version, and the
      // highest version of a name is the one the ingest enforces. Archiving marks that version; declaring
      // the name again adds a version after it. `source` says who declared it: `api`, or
      // `campaign:<campaign id>` for a campaign file's inline declaration. Tenant data: every row and every
      // read is scoped by client_id. (Numbered 0004: 0003 is taken by the outbox's correlation column.)
      await sql`
        create table event_types (
          client_id text not null,
          name text not null,
          version int not null,
          description text,
          schema jsonb not null,
          schema_hash text not null,
          source text not null,
          created_by text not null,
          created_at timestamptz not null default now(),
          archived_at timestamptz,
          primary key (client_id, name, version)
        )`.execute(db);
    },
  },
  '0991_event_outbox_only_sink': {
    async up(db: Kysely<unknown>) {
      // A dead letter re-queued for the one sink that parked it: the other sink's cursor passes the row
      // without sending it (the SNS bus dedups only within a short in-memory window, so a second publish
      // of an event the bus already had would reach subscribers twice). Null: both sinks take the row.
      await sql`alter table event_outbox add column only_sink text
        check (only_sink is null or only_sink in ('clickhouse', 'bus'))`.execute(db);
      // Parked errors used to keep the sink's raw message, which for ClickHouse parse errors quotes the
      // row's data: keep only the error code of what is already parked (the drainer's summary format).
      await sql`update event_dead_letters
        set error = case when sink = 'clickhouse' and error ~ '^Code: [0-9]+'
          then 'ClickHouse refused the row: ' || substring(error from '^Code: [0-9]+')
          else sink || ' refused the event' end`.execute(db);
    },
  },
};
