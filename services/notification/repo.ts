import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import { afterCursor, keysetTime, type PageRequest } from '../platform/pagination.ts';

export interface TemplatesTable {
  client_id: string;
  name: string;
  locale: string;
  version: number;
  subject: string;
  text: string;
  html: string | null;
  created_at: Generated<Date>;
}
export interface NotificationsTable {
  id: string;
  client_id: string;
  idempotency_key: string;
  campaign_id: string | null;
  participant_id: string;
  channel: string;
  template: string;
  recipient: string | null;
  subject: string;
  body: string;
  status: string;
  error: string | null;
  attempts: Generated<number>;
  created_at: Generated<Date>;
  sent_at: Date | null;
  /** RFC 5322 Message-ID, set when the email is first handed to SMTP (stable across resends). */
  message_id: string | null;
  /** The journey that sent it (`pulse:<client>:<campaign>:<key>`) and its key; null for direct sends. */
  workflow_id: Generated<string | null>;
  journey_key: Generated<string | null>;
  last_attempt_at: Generated<Date | null>;
}

/** Delivery states of a notification. `retrying`: the last attempt failed and another will come. */
export const DELIVERY_STATUSES = [
  'pending',
  'sending',
  'sent',
  'retrying',
  'failed',
  'stored',
  'queued',
  'skipped_no_address',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export interface WebhookEndpointsTable {
  id: string;
  client_id: string;
  url: string;
  secret: string;
  topics: string[];
  created_at: Generated<Date>;
  /** A disabled endpoint keeps its log and receives nothing. */
  enabled: Generated<boolean>;
  updated_at: Generated<Date | null>;
  /** The secret a rotation replaced (encrypted), still signing until `previous_secret_expires_at`. */
  previous_secret: Generated<string | null>;
  previous_secret_expires_at: Generated<Date | null>;
}
export interface WebhookDeliveriesTable {
  /** `whd_…`: the delivery's id in the log (one row per message and endpoint, updated per attempt). */
  id: string;
  client_id: string;
  endpoint_id: string;
  idempotency_key: string;
  topic: string;
  status_code: number | null;
  delivered_at: Date | null;
  attempts: Generated<number>;
  latency_ms: number | null;
  /** A safe reason (no answer body): `HTTP 500`, `timeout`, `connection failed`. */
  error: string | null;
  /** The exact body signed and sent, so a redelivery sends the same message. */
  payload: string | null;
  created_at: Generated<Date>;
  last_attempt_at: Date | null;
}
export interface ContactsTable {
  client_id: string;
  participant_id: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  updated_at: Generated<Date>;
}
export interface NotificationTables {
  contacts: ContactsTable;
  notification_templates: TemplatesTable;
  notifications: NotificationsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
export type NotificationRow = Selectable<NotificationsTable>;
type Db = Kysely<NotificationTables>;

/**
 * Latest version of a client's template in the locale, if the client overrides it; with `asOf`, the latest
 * published at or before that time (a journey renders the version current when it started).
 */
export function findTemplate(db: Db, clientId: string, name: string, locale: string, asOf?: Date) {
  let q = db
    .selectFrom('notification_templates')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('name', '=', name)
    .where('locale', '=', locale);
  if (asOf) q = q.where('created_at', '<=', asOf);
  return q.orderBy('version', 'desc').limit(1).executeTakeFirst();
}

/**
 * Publishes a new version (versions are never updated: a published one is immutable). Two saves at the
 * same time race for the same number; the loser takes the next one.
 */
export async function insertTemplateVersion(
  db: Db,
  row: Omit<TemplatesTable, 'created_at' | 'version'>,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const latest = await findTemplate(db, row.client_id, row.name, row.locale);
    const version = (latest?.version ?? 0) + 1;
    const inserted = await db
      .insertInto('notification_templates')
      .values({ ...row, version })
      .onConflict((oc) => oc.columns(['client_id', 'name', 'locale', 'version']).doNothing())
      .returning('version')
      .executeTakeFirst();
    if (inserted) return inserted.version;
    if (attempt >= 5)
      throw new AppError('CONFLICT', 'the template is being saved concurrently; try again', [
        { path: 'name', message: 'concurrent save' },
      ]);
  }
}

/** Names of every template the client published (any locale, any version). */
export async function clientTemplateNames(db: Db, clientId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('notification_templates')
    .select('name')
    .distinct()
    .where('client_id', '=', clientId)
    .execute();
  return rows.map((r) => r.name);
}

/** One page of a client's templates by name: locales, newest version and when it was published. */
export function listTemplates(db: Db, clientId: string, limit: number, afterName: string | null) {
  let q = db
    .selectFrom('notification_templates')
    .select((eb) => [
      'name',
      sql<string[]>`array_agg(distinct locale order by locale)`.as('locales'),
      eb.fn.max('version').as('latest_version'),
      eb.fn.max('created_at').as('updated_at'),
    ])
    .where('client_id', '=', clientId);
  if (afterName !== null) q = q.where('name', '>', afterName);
  return q
    .groupBy('name')
    .orderBy('name')
    .limit(limit + 1)
    .execute();
}

/** Every version of a client's template (all locales), newest first, at most 500. */
export function templateVersions(db: Db, clientId: string, name: string) {
  return db
    .selectFrom('notification_templates')
    .select(['version', 'locale', 'subject', 'text', 'html', 'created_at'])
    .where('client_id', '=', clientId)
    .where('name', '=', name)
    .orderBy('created_at', 'desc')
    .orderBy('locale')
    .orderBy('version', 'desc')
    .limit(500)
    .execute();
}

/** Inserts the notification or returns the one already recorded under the same idempotency key. */
export async function claimNotification(
  db: Db,
  row: Omit<
    NotificationsTable,
    | 'created_at'
    | 'attempts'
    | 'sent_at'
    | 'error'
    | 'message_id'
    | 'workflow_id'
    | 'journey_key'
    | 'last_attempt_at'
  > & { workflow_id?: string | null; journey_key?: string | null },
): Promise<NotificationRow> {
  const inserted = await db
    .insertInto('notifications')
    .values(row)
    .onConflict((oc) => oc.columns(['client_id', 'idempotency_key']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  return db
    .selectFrom('notifications')
    .selectAll()
    .where('client_id', '=', row.client_id)
    .where('idempotency_key', '=', row.idempotency_key)
    .executeTakeFirstOrThrow();
}

export async function markNotification(
  db: Db,
  id: string,
  status: DeliveryStatus,
  error: string | null,
): Promise<void> {
  const delivery = status === 'sent' || status === 'retrying' || status === 'failed';
  await db
    .updateTable('notifications')
    .set((eb) => ({
      status,
      error,
      attempts: eb('attempts', '+', 1),
      ...(status === 'sent' ? { sent_at: new Date() } : {}),
      ...(delivery ? { last_attempt_at: new Date() } : {}),
    }))
    .where('id', '=', id)
    .execute();
}

/** Records that the email is being handed to SMTP under `messageId`, before the handover. */
export async function markSending(db: Db, id: string, messageId: string): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ status: 'sending', message_id: messageId, error: null })
    .where('id', '=', id)
    .execute();
}

/** A participant's notifications newest first, one page (`limit + 1` rows: see platform/pagination.ts). */
/**
 * Messages of one journey: its own and its call steps' children's, which run as `<journey id>/call/<path>`
 * and are part of it (the portal shows a journey whole). `starts_with` takes the id as text, no pattern.
 */
const ofJourney = (workflowId: string) =>
  sql<boolean>`(workflow_id = ${workflowId} or starts_with(workflow_id, ${`${workflowId}/call/`}))`;

/** A participant's notifications, newest first; optionally only one campaign's or one journey's. */
export function listNotifications(
  db: Db,
  clientId: string,
  participantId: string,
  page: PageRequest,
  filter: { campaignId?: string; workflowId?: string } = {},
) {
  let q = db
    .selectFrom('notifications')
    .select(['id', 'channel', 'template', 'subject', 'status', 'created_at', 'sent_at'])
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId);
  if (filter.campaignId !== undefined) q = q.where('campaign_id', '=', filter.campaignId);
  if (filter.workflowId !== undefined) q = q.where(ofJourney(filter.workflowId));
  return q
    .where(afterCursor('created_at', page.after, 'desc'))
    .orderBy(keysetTime('created_at'), 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}

/** A position in the delivery log: the row's creation time (microseconds, as text) and id. */
export interface LogCursor {
  at: string;
  id: string;
}

/**
 * One page of a client's notifications, newest first, filtered by status, journey, campaign or
 * participant; one row more than `limit` is read to tell whether another page follows.
 */
export async function listDeliveryLog(
  db: Db,
  clientId: string,
  filter: {
    status?: DeliveryStatus;
    workflowId?: string;
    campaignId?: string;
    participantId?: string;
    after?: LogCursor;
    limit: number;
  },
) {
  let q = db
    .selectFrom('notifications')
    .select([
      'id',
      'campaign_id',
      'participant_id',
      'workflow_id',
      'journey_key',
      'channel',
      'template',
      'subject',
      'status',
      'attempts',
      'error',
      'created_at',
      'last_attempt_at',
      'sent_at',
    ])
    // Microsecond text: a JS Date keeps milliseconds only, which would skip rows of the same millisecond.
    .select(
      sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'),
    )
    .where('client_id', '=', clientId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.workflowId) q = q.where('workflow_id', '=', filter.workflowId);
  if (filter.campaignId) q = q.where('campaign_id', '=', filter.campaignId);
  if (filter.participantId) q = q.where('participant_id', '=', filter.participantId);
  const after = filter.after;
  if (after)
    q = q.where((eb) =>
      eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(sql<Date>`${after.at}::timestamptz`, after.id)),
    );
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  return { rows: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit };
}

/** The client's enabled endpoints (a disabled one receives nothing). */
export function endpointsFor(db: Db, clientId: string) {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('enabled', '=', true)
    .execute();
}

export async function insertEndpoint(
  db: Db,
  row: Pick<WebhookEndpointsTable, 'id' | 'client_id' | 'url' | 'secret' | 'topics'>,
): Promise<void> {
  await db.insertInto('webhook_endpoints').values(row).execute();
}

export function findDelivery(db: Db, clientId: string, endpointId: string, key: string) {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('endpoint_id', '=', endpointId)
    .where('idempotency_key', '=', key)
    .where('delivered_at', 'is not', null)
    .executeTakeFirst();
}

/**
 * Records one attempt: the first inserts the log row, later ones (retries, redeliveries) update it.
 * `delivered_at` keeps the first success (a message once received stays delivered, whatever a later
 * redelivery meets); `status_code`, `error` and `latency_ms` are the latest attempt's.
 */
export async function recordDelivery(
  db: Db,
  row: Omit<WebhookDeliveriesTable, 'attempts' | 'created_at'>,
): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['client_id', 'endpoint_id', 'idempotency_key']).doUpdateSet((eb) => ({
        status_code: row.status_code,
        delivered_at: eb.fn.coalesce('webhook_deliveries.delivered_at', 'excluded.delivered_at'),
        latency_ms: row.latency_ms,
        error: row.error,
        last_attempt_at: row.last_attempt_at,
        payload: eb.fn.coalesce('excluded.payload', 'webhook_deliveries.payload'),
        attempts: eb('webhook_deliveries.attempts', '+', 1),
      })),
    )
    .execute();
}

/** Upserts what we know; fields absent from this update keep their stored value. */
export async function upsertContact(
  db: Db,
  row: { client_id: string; participant_id: string; email?: string; name?: string; locale?: string },
): Promise<void> {
  const values = {
    client_id: row.client_id,
    participant_id: row.participant_id,
    email: row.email ?? null,
    name: row.name ?? null,
    locale: row.locale ?? null,
  };
  await db
    .insertInto('contacts')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['client_id', 'participant_id']).doUpdateSet((eb) => ({
        email: eb.fn.coalesce('excluded.email', 'contacts.email'),
        name: eb.fn.coalesce('excluded.name', 'contacts.name'),
        locale: eb.fn.coalesce('excluded.locale', 'contacts.locale'),
        updated_at: new Date(),
      })),
    )
    .execute();
}

export function findContact(db: Db, clientId: string, participantId: string) {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId)
    .executeTakeFirst();
}
