import { type Kysely, type Migration, sql } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import type { Db } from './db.ts';

// Frozen in time: never edit a shipped migration, add a new one. Run as service "idempotency".
export const idempotencyMigrations: Record<string, Migration> = {
  '0001_idempotency_keys': {
    async up(db: Kysely<unknown>) {
      // One row per (scope, key). `scope` is the client id, or `admin:<key id>` for a platform admin key
      // (which acts across clients); `client_id` is null only for those.
      await sql`
        create table idempotency_keys (
          scope text not null,
          key text not null,
          client_id text,
          fingerprint text not null,
          method text not null,
          path text not null,
          state text not null check (state in ('in_progress', 'done')),
          locked_at timestamptz not null,
          response_status int,
          response_headers jsonb,
          response_body bytea,
          created_at timestamptz not null,
          expires_at timestamptz not null,
          primary key (scope, key)
        )`.execute(db);
      await sql`create index idempotency_keys_expires on idempotency_keys (expires_at)`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table idempotency_keys`.execute(db);
    },
  },
};

export interface IdempotencyRow {
  scope: string;
  key: string;
  client_id: string | null;
  fingerprint: string;
  method: string;
  path: string;
  state: 'in_progress' | 'done';
  locked_at: Date;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
  created_at: Date;
  expires_at: Date;
}

interface Tables {
  idempotency_keys: IdempotencyRow;
}

const t = (db: Db) => db as Kysely<Tables>;

export interface Claim {
  scope: string;
  key: string;
  clientId: string | null;
  fingerprint: string;
  method: string;
  path: string;
  now: Date;
  expiresAt: Date;
  /** An in-progress row locked before this is taken over (its process died mid-request). */
  staleBefore: Date;
}

/**
 * Takes the key for this request: inserts an in-progress row, or replaces one that has expired or whose
 * holder is gone. Returns `{ claimed: true }` when this request is to run, else the row found.
 */
export async function claimKey(
  db: Db,
  c: Claim,
  attempt = 1,
): Promise<{ claimed: true } | { claimed: false; row: IdempotencyRow }> {
  // A fresh claim: in progress, locked now, no stored answer yet (the same columns overwrite a reclaimable row).
  const claim = {
    client_id: c.clientId,
    fingerprint: c.fingerprint,
    method: c.method,
    path: c.path,
    state: 'in_progress' as const,
    locked_at: c.now,
    response_status: null,
    response_headers: null,
    response_body: null,
    created_at: c.now,
    expires_at: c.expiresAt,
  };
  const inserted = await t(db)
    .insertInto('idempotency_keys')
    .values({ scope: c.scope, key: c.key, ...claim })
    .onConflict((oc) =>
      // The one conditional overwrite: an expired row (any state), or a stale lock of the same request.
      oc
        .columns(['scope', 'key'])
        .doUpdateSet(claim)
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<=', c.now),
            eb.and([
              eb('idempotency_keys.state', '=', 'in_progress'),
              eb('idempotency_keys.locked_at', '<', c.staleBefore),
              eb('idempotency_keys.fingerprint', '=', c.fingerprint),
            ]),
          ]),
        ),
    )
    .returning('key')
    .executeTakeFirst();
  if (inserted) return { claimed: true };
  const row = await t(db)
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('scope', '=', c.scope)
    .where('key', '=', c.key)
    .executeTakeFirst();
  // Gone between the two statements (a 5xx released it): claim again.
  if (row) return { claimed: false, row };
  if (attempt >= 3)
    throw new AppError('IDEMPOTENCY_IN_PROGRESS', `Idempotency-Key "${c.key}" is changing hands; retry`);
  return claimKey(db, c, attempt + 1);
}

/** Stores the response of a finished request under its key (only the holder's in-progress row). */
export async function completeKey(
  db: Db,
  scope: string,
  key: string,
  lockedAt: Date,
  response: { status: number; headers: Record<string, string>; body: Buffer },
): Promise<void> {
  await t(db)
    .updateTable('idempotency_keys')
    .set({
      state: 'done',
      response_status: response.status,
      response_headers: JSON.stringify(response.headers) as unknown as Record<string, string>,
      response_body: response.body,
    })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('state', '=', 'in_progress')
    .where('locked_at', '=', lockedAt)
    .execute();
}

/** Lets the key go (a 5xx or a thrown error): the next request with it runs afresh. */
export async function releaseKey(db: Db, scope: string, key: string, lockedAt: Date): Promise<void> {
  await t(db)
    .deleteFrom('idempotency_keys')
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('state', '=', 'in_progress')
    .where('locked_at', '=', lockedAt)
    .execute();
}

/** Deletes up to `limit` expired rows; returns how many. */
export async function sweepExpiredKeys(db: Db, now: Date, limit = 1_000): Promise<number> {
  const r = await sql<{ n: number }>`
    with gone as (
      delete from idempotency_keys
      where ctid in (select ctid from idempotency_keys where expires_at <= ${now} limit ${limit})
      returning 1
    )
    select count(*)::int as n from gone`.execute(db);
  return r.rows[0]?.n ?? 0;
}
