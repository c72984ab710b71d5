import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import type { Principal, Role } from '../platform/auth.ts';
import { afterCursor, keysetTime, type PageRequest } from '../platform/pagination.ts';

export interface ClientsTable {
  id: string;
  name: string;
  status: Generated<Principal['clientStatus']>;
  plan: string;
  created_at: Generated<Date>;
}
export interface MembersTable {
  id: string;
  client_id: string;
  email: string;
  role: Role;
  /** The signed-in user this member is (linked at their first sign-in; members match by email). */
  user_id: Generated<string | null>;
  created_at: Generated<Date>;
}
export interface ApiKeysTable {
  id: string;
  client_id: string | null;
  kind: Principal['keyKind'];
  role: Role | null;
  member_id: string | null;
  key_hash: string;
  key_prefix: string;
  signing_secret: string | null;
  /** An operator's label for the key (optional). */
  name: string | null;
  revoked_at: Date | null;
  created_at: Generated<Date>;
}
export interface ClientManagementTables {
  clients: ClientsTable;
  members: MembersTable;
  api_keys: ApiKeysTable;
}
export type ClientRow = Selectable<ClientsTable>;
export type MemberRow = Selectable<MembersTable>;
type Db = Kysely<ClientManagementTables>;

export async function insertClient(
  db: Db,
  row: { id: string; name: string; plan: string },
): Promise<ClientRow> {
  return db.insertInto('clients').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Clients oldest first, one page (`limit + 1` rows: see platform/pagination.ts). */
export function listClients(db: Db, page: PageRequest): Promise<ClientRow[]> {
  return db
    .selectFrom('clients')
    .selectAll()
    .where(afterCursor('created_at', page.after, 'asc'))
    .orderBy(keysetTime('created_at'))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
}

export function findClient(db: Db, id: string): Promise<ClientRow | undefined> {
  return db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
}

export function updateClientStatus(
  db: Db,
  id: string,
  status: ClientRow['status'],
): Promise<ClientRow | undefined> {
  return db.updateTable('clients').set({ status }).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function insertMember(
  db: Db,
  row: { id: string; client_id: string; email: string; role: Role },
): Promise<MemberRow> {
  return db.insertInto('members').values(row).returningAll().executeTakeFirstOrThrow();
}

export function listMembers(db: Db, clientId: string, page: PageRequest): Promise<MemberRow[]> {
  return db
    .selectFrom('members')
    .selectAll()
    .where('client_id', '=', clientId)
    .where(afterCursor('created_at', page.after, 'asc'))
    .orderBy(keysetTime('created_at'))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
}

export async function insertApiKey(
  db: Db,
  row: Omit<ApiKeysTable, 'created_at' | 'revoked_at'>,
): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export function listApiKeys(db: Db, clientId: string, page: PageRequest) {
  return db
    .selectFrom('api_keys')
    .select([
      'id',
      'client_id',
      'name',
      'kind',
      'role',
      'member_id',
      'key_prefix',
      'revoked_at',
      'created_at',
    ])
    .where('client_id', '=', clientId)
    .where(afterCursor('created_at', page.after, 'asc'))
    .orderBy(keysetTime('created_at'))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
}

/** Live (unrevoked) platform-admin keys. */
export async function countActiveAdminKeys(db: Db): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('kind', '=', 'admin')
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Serialises bootstraps of the first admin key (held until the transaction ends). */
export async function lockAdminBootstrap(db: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('pulse_admin_bootstrap'))`.execute(db);
}

/**
 * Channel on which key revocations (`key:<hash>`) and client status changes (`client:<id>`) are announced,
 * so every process drops what its resolution cache holds at once.
 */
export const KEY_REVOKED_CHANNEL = 'pulse_key_revoked';

/** One key of this client (undefined when it is another client's or unknown). */
export function findApiKey(db: Db, clientId: string, keyId: string) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'kind', 'role', 'key_hash', 'revoked_at'])
    .where('id', '=', keyId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
}

/**
 * Revokes a key of this client and announces it in the same transaction (NOTIFY is delivered on commit);
 * returns false when the key is not this client's or already revoked.
 */
export async function revokeApiKey(db: Db, clientId: string, keyId: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const r = await tx
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', keyId)
      .where('client_id', '=', clientId)
      .where('revoked_at', 'is', null)
      .returning('key_hash')
      .executeTakeFirst();
    if (!r) return false;
    await sql`select pg_notify(${KEY_REVOKED_CHANNEL}, ${`key:${r.key_hash}`})`.execute(tx);
    return true;
  });
}

/** Announces a client's status change to every process's key cache. */
export async function announceClientChange(db: Db, clientId: string): Promise<void> {
  await sql`select pg_notify(${KEY_REVOKED_CHANNEL}, ${`client:${clientId}`})`.execute(db);
}

/** Every stored signing secret (for the re-encryption pass). */
export function signingSecrets(db: Db) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'signing_secret'])
    .where('signing_secret', 'is not', null)
    .execute();
}

/** Replaces one signing secret, only if it still holds the value read (a concurrent rewrite wins). */
export async function replaceSigningSecret(db: Db, id: string, from: string, to: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ signing_secret: to })
    .where('id', '=', id)
    .where('signing_secret', '=', from)
    .execute();
}

export function findKeyByHash(db: Db, keyHash: string) {
  return db
    .selectFrom('api_keys')
    .leftJoin('clients', 'clients.id', 'api_keys.client_id')
    .select([
      'api_keys.id as key_id',
      'api_keys.client_id',
      'api_keys.kind',
      'api_keys.role',
      'api_keys.signing_secret',
      'api_keys.revoked_at',
      'clients.status as client_status',
    ])
    .where('api_keys.key_hash', '=', keyHash)
    .executeTakeFirst();
}

/** Most live keys whose secrets verify identity tokens (bounds the work per token). */
export const MAX_IDENTITY_SECRETS = 50;

/**
 * Signing secrets of a client's live server keys (secret keys not tied to a member), newest first: they
 * sign participant identity tokens. A member's personal key vouches for no participant.
 */
export async function listSigningSecrets(db: Db, clientId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select('signing_secret')
    .where('client_id', '=', clientId)
    .where('kind', '=', 'secret')
    .where('member_id', 'is', null)
    .where('revoked_at', 'is', null)
    .where('signing_secret', 'is not', null)
    .orderBy('created_at', 'desc')
    .limit(MAX_IDENTITY_SECRETS)
    .execute();
  return rows.flatMap((r) => (r.signing_secret ? [r.signing_secret] : []));
}

/** Checks every row against the encrypted-secret constraint once no plaintext row is left. */
export async function validateSigningSecretConstraint(db: Db): Promise<void> {
  await sql`alter table api_keys validate constraint api_keys_signing_secret_encrypted`.execute(db);
}
