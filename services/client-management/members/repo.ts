import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import type { Role } from '../../platform/auth.ts';
import { afterCursor, keysetTime, type PageRequest } from '../../platform/pagination.ts';
import type { AuthTables } from '../auth/repo.ts';

export interface MemberInvitesTable {
  id: string;
  client_id: string;
  email: string;
  role: Role;
  /** Who invited: a member id or a key id. */
  invited_by: string;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
  created_at: Generated<Date>;
}
export interface MemberTables extends AuthTables {
  member_invites: MemberInvitesTable;
}
export type InviteRow = Selectable<MemberInvitesTable>;
type Db = Kysely<MemberTables>;

/** Serialises membership changes of one client (the last-owner rule holds under concurrency). */
export async function lockClientMembers(db: Db, clientId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`members:${clientId}`}))`.execute(db);
}

export async function countOwners(db: Db, clientId: string): Promise<number> {
  const r = await db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('client_id', '=', clientId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export function findMember(db: Db, clientId: string, memberId: string) {
  return db
    .selectFrom('members')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('id', '=', memberId)
    .executeTakeFirst();
}

export async function setMemberRole(db: Db, clientId: string, memberId: string, role: Role) {
  return db
    .updateTable('members')
    .set({ role })
    .where('client_id', '=', clientId)
    .where('id', '=', memberId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Keys issued to a member follow the member's role (a demoted member's key is demoted too). */
export async function setMemberKeysRole(db: Db, clientId: string, memberId: string, role: Role) {
  await db
    .updateTable('api_keys')
    .set({ role })
    .where('client_id', '=', clientId)
    .where('member_id', '=', memberId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revokes a member's keys; returns their hashes (to announce to every process's cache). */
export async function revokeMemberKeys(db: Db, clientId: string, memberId: string, at: Date) {
  const rows = await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('client_id', '=', clientId)
    .where('member_id', '=', memberId)
    .where('revoked_at', 'is', null)
    .returning('key_hash')
    .execute();
  return rows.map((r) => r.key_hash);
}

export async function deleteMember(db: Db, clientId: string, memberId: string) {
  // Keys keep their row (revoked) for the record; their member link goes with the member.
  await db
    .updateTable('api_keys')
    .set({ member_id: null })
    .where('client_id', '=', clientId)
    .where('member_id', '=', memberId)
    .execute();
  await db.deleteFrom('members').where('client_id', '=', clientId).where('id', '=', memberId).execute();
}

export async function insertInvite(
  db: Db,
  row: Omit<InviteRow, 'created_at' | 'accepted_at' | 'revoked_at'>,
) {
  return db.insertInto('member_invites').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Pending invites (not accepted, not revoked, not expired), oldest first. */
export function listPendingInvites(db: Db, clientId: string, page: PageRequest, now: Date) {
  return db
    .selectFrom('member_invites')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where(afterCursor('created_at', page.after, 'asc'))
    .orderBy(keysetTime('created_at'))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
}

export async function revokeInvite(db: Db, clientId: string, id: string, at: Date): Promise<boolean> {
  const r = await db
    .updateTable('member_invites')
    .set({ revoked_at: at })
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Takes a pending invite once: marks it accepted and returns it, or nothing when it is not pending. */
export async function consumeInvite(db: Db, id: string, at: Date): Promise<InviteRow | undefined> {
  return db
    .updateTable('member_invites')
    .set({ accepted_at: at })
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .returningAll()
    .executeTakeFirst();
}

/**
 * A member as they stand now: address, role and their client's status, or undefined once they are no
 * longer a member of the client. Whoever acts for the member later (the weekly report) checks the role
 * and status against the permission matrix at that moment, not as they were when the member opted in.
 */
export async function memberStanding(
  db: Db,
  clientId: string,
  memberId: string,
): Promise<{ email: string; role: Role; clientStatus: 'active' | 'suspended' | 'inactive' } | undefined> {
  const row = await db
    .selectFrom('members')
    .innerJoin('clients', 'clients.id', 'members.client_id')
    .select(['members.email', 'members.role', 'clients.status as client_status'])
    .where('members.client_id', '=', clientId)
    .where('members.id', '=', memberId)
    .executeTakeFirst();
  return row && { email: row.email, role: row.role, clientStatus: row.client_status };
}
