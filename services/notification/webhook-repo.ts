import { type Kysely, sql } from 'kysely';
import { afterCursor, keysetTime, type PageRequest } from '../platform/pagination.ts';
import type { NotificationTables } from './repo.ts';

type Db = Kysely<NotificationTables>;

/** What the API shows of an endpoint: never its secrets. */
const ENDPOINT_COLUMNS = [
  'id',
  'url',
  'topics',
  'enabled',
  'created_at',
  'updated_at',
  'previous_secret_expires_at',
] as const;

/** One page of the client's endpoints, newest first (`limit + 1` rows: see platform/pagination.ts). */
export function listEndpoints(db: Db, clientId: string, page: PageRequest) {
  return db
    .selectFrom('webhook_endpoints')
    .select(ENDPOINT_COLUMNS)
    .where('client_id', '=', clientId)
    .where(afterCursor('created_at', page.after, 'desc'))
    .orderBy(keysetTime('created_at'), 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}

/** One endpoint of the client, or undefined (another client's id reads as absent). */
export function findEndpoint(db: Db, clientId: string, id: string) {
  return db
    .selectFrom('webhook_endpoints')
    .select(ENDPOINT_COLUMNS)
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Where an endpoint of the client receives (for a redelivery), or undefined. */
export function endpointTarget(db: Db, clientId: string, id: string) {
  return db
    .selectFrom('webhook_endpoints')
    .select(['id', 'client_id', 'url', 'enabled'])
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Changes url, topics or enabled; returns the row after, or undefined when the client has no such id. */
export function updateEndpoint(
  db: Db,
  clientId: string,
  id: string,
  set: { url?: string; topics?: string[]; enabled?: boolean },
) {
  return db
    .updateTable('webhook_endpoints')
    .set({ ...set, updated_at: new Date() })
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .returning(ENDPOINT_COLUMNS)
    .executeTakeFirst();
}

/**
 * Replaces the signing secret (both encrypted by the caller); the one replaced keeps signing until
 * `overlapUntil`. While an earlier rotation's overlap still runs, a second one would overwrite the
 * replaced secret and cut off receivers still on the original before the promised time: so it only
 * happens when `endNow` (the caller gave overlap 0 and accepts that). The check and the write are one
 * statement, so two concurrent rotations cannot both pass. Returns the row after, or undefined (no such
 * endpoint, or an overlap in progress: `rotationBlocked` tells which).
 */
export function rotateEndpointSecret(
  db: Db,
  clientId: string,
  id: string,
  secret: string,
  overlapUntil: Date,
  opts: { now: Date; endNow: boolean },
) {
  let q = db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      previous_secret: eb.ref('secret'),
      previous_secret_expires_at: overlapUntil,
      secret,
      updated_at: opts.now,
    }))
    .where('client_id', '=', clientId)
    .where('id', '=', id);
  if (!opts.endNow)
    q = q.where((eb) =>
      eb.or([eb('previous_secret_expires_at', 'is', null), eb('previous_secret_expires_at', '<=', opts.now)]),
    );
  return q.returning(ENDPOINT_COLUMNS).executeTakeFirst();
}

/** When the endpoint's current rotation overlap ends, if one is still running at `now`. */
export async function overlapRunning(db: Db, clientId: string, id: string, now: Date) {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select('previous_secret_expires_at')
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .where('previous_secret_expires_at', '>', now)
    .executeTakeFirst();
  return row?.previous_secret_expires_at ?? undefined;
}

/** Removes the endpoint and its delivery log; false when the client has no such endpoint. */
export async function deleteEndpoint(db: Db, clientId: string, id: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const gone = await tx
      .deleteFrom('webhook_endpoints')
      .where('client_id', '=', clientId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) return false;
    await tx
      .deleteFrom('webhook_deliveries')
      .where('client_id', '=', clientId)
      .where('endpoint_id', '=', id)
      .execute();
    return true;
  });
}

const DELIVERY_COLUMNS = [
  'id',
  'endpoint_id',
  'idempotency_key',
  'topic',
  'status_code',
  'attempts',
  'latency_ms',
  'error',
  'created_at',
  'last_attempt_at',
  'delivered_at',
] as const;

/** One page of an endpoint's deliveries, newest first; optionally only failed or only delivered ones. */
export function listEndpointDeliveries(
  db: Db,
  clientId: string,
  endpointId: string,
  page: PageRequest,
  outcome?: 'delivered' | 'failed',
) {
  let q = db
    .selectFrom('webhook_deliveries')
    .select(DELIVERY_COLUMNS)
    .where('client_id', '=', clientId)
    .where('endpoint_id', '=', endpointId)
    .where(afterCursor('created_at', page.after, 'desc'));
  if (outcome === 'delivered') q = q.where('delivered_at', 'is not', null);
  if (outcome === 'failed') q = q.where('delivered_at', 'is', null);
  return q
    .orderBy(keysetTime('created_at'), 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}

/** One delivery of the client's endpoint with the body it sent (for a redelivery). */
export function findEndpointDelivery(db: Db, clientId: string, endpointId: string, id: string) {
  return db
    .selectFrom('webhook_deliveries')
    .select([...DELIVERY_COLUMNS, 'payload'])
    .where('client_id', '=', clientId)
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The secrets that sign a delivery now: the current one, then the replaced one while its overlap lasts. */
export async function signingSecrets(db: Db, clientId: string, id: string, now: Date) {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select(['secret', 'previous_secret', 'previous_secret_expires_at'])
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const previousValid =
    row.previous_secret !== null &&
    row.previous_secret_expires_at !== null &&
    row.previous_secret_expires_at.getTime() > now.getTime();
  return previousValid ? [row.secret, row.previous_secret as string] : [row.secret];
}

/** Counts per endpoint of the client: deliveries, failed ones and the last attempt (the list's summary). */
export async function deliveryStats(db: Db, clientId: string, endpointIds: readonly string[]) {
  if (endpointIds.length === 0)
    return new Map<string, { total: number; failed: number; last: Date | null }>();
  const r = await sql<{ endpoint_id: string; total: number; failed: number; last: Date | null }>`
    select endpoint_id, count(*)::int as total, count(*) filter (where delivered_at is null)::int as failed,
      max(coalesce(last_attempt_at, created_at)) as last
    from webhook_deliveries
    where client_id = ${clientId} and endpoint_id = any(${endpointIds as string[]}::text[])
    group by endpoint_id`.execute(db);
  return new Map(r.rows.map((x) => [x.endpoint_id, { total: x.total, failed: x.failed, last: x.last }]));
}
