import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import type { Role } from '../../platform/auth.ts';
import type { ClientManagementTables } from '../repo.ts';

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  created_at: Generated<Date>;
}
export interface SessionsTable {
  id: string;
  /** Keyed hash of the cookie's value; the value itself is never stored. */
  token_hash: string;
  user_id: string;
  client_id: string | null;
  platform_admin: boolean;
  csrf_token: string;
  via: 'oidc' | 'dev' | 'invite';
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
}
export interface AuthTables extends ClientManagementTables {
  users: UsersTable;
  sessions: SessionsTable;
}
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
type Db = Kysely<AuthTables>;

/** The user of an email, created on first sign-in; a name given later fills an empty one. */
export async function upsertUser(
  db: Db,
  row: { id: string; email: string; name: string | null },
): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({ ...row, oidc_issuer: null, oidc_subject: null })
    .onConflict((oc) => oc.column('email').doUpdateSet({ name: sql`coalesce(users.name, excluded.name)` }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findUserBySubject(db: Db, issuer: string, subject: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('oidc_issuer', '=', issuer)
    .where('oidc_subject', '=', subject)
    .executeTakeFirst();
}

/** Links a user to its OIDC identity (the first verified sign-in of that email). */
export async function linkSubject(db: Db, userId: string, issuer: string, subject: string) {
  await db
    .updateTable('users')
    .set({ oidc_issuer: issuer, oidc_subject: subject })
    .where('id', '=', userId)
    .where('oidc_subject', 'is', null)
    .execute();
}

/** Memberships of an email (members are matched by email; linked to the user on sign-in). */
export function membershipsOf(db: Db, email: string) {
  return db
    .selectFrom('members')
    .innerJoin('clients', 'clients.id', 'members.client_id')
    .select([
      'members.id as member_id',
      'members.client_id',
      'clients.name as client_name',
      'clients.status as client_status',
      'members.role',
      'members.created_at',
    ])
    .where('members.email', '=', email)
    .orderBy('members.created_at')
    .orderBy('members.id')
    .execute();
}

export async function linkMembers(db: Db, email: string, userId: string) {
  await db
    .updateTable('members')
    .set({ user_id: userId })
    .where('email', '=', email)
    .where('user_id', 'is', null)
    .execute();
}

export async function insertSession(db: Db, row: Omit<SessionRow, 'revoked_at'>) {
  await db.insertInto('sessions').values(row).execute();
}

/** A live session with its user and, when a client is chosen, the user's membership there. */
export function findLiveSession(db: Db, tokenHash: string, now: Date, idleSince: Date) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .leftJoin('members', (j) =>
      j.onRef('members.client_id', '=', 'sessions.client_id').onRef('members.email', '=', 'users.email'),
    )
    .leftJoin('clients', 'clients.id', 'sessions.client_id')
    .select([
      'sessions.id',
      'sessions.user_id',
      'sessions.client_id',
      'sessions.platform_admin',
      'sessions.csrf_token',
      'sessions.last_seen_at',
      'users.email',
      'users.name as user_name',
      'members.id as member_id',
      'members.role',
      'clients.name as client_name',
      'clients.status as client_status',
    ])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', now)
    .where('sessions.last_seen_at', '>', idleSince)
    .executeTakeFirst();
}

export type LiveSession = NonNullable<Awaited<ReturnType<typeof findLiveSession>>>;

/** Extends the idle expiry; called at most once a minute per session. */
export async function touchSession(db: Db, id: string, now: Date) {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function revokeSession(db: Db, id: string, now: Date) {
  await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Ends every session of a user in one client (a removed member), or everywhere. */
export async function revokeUserSessions(db: Db, email: string, clientId: string | null, now: Date) {
  await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('revoked_at', 'is', null)
    .where('user_id', 'in', db.selectFrom('users').select('id').where('email', '=', email))
    .$if(clientId !== null, (q) => q.where('client_id', '=', clientId))
    .execute();
}

export async function setSessionClient(db: Db, id: string, clientId: string | null) {
  await db.updateTable('sessions').set({ client_id: clientId }).where('id', '=', id).execute();
}

export type MembershipRow = { member_id: string; client_id: string; client_name: string; role: Role };
