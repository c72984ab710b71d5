import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { sql } from 'kysely';
import { AppError } from '../../../contract/errors.ts';
import type { Principal, Role } from '../../platform/auth.ts';
import type { Db } from '../../platform/db.ts';
import { keyedHash, newId } from '../../platform/ids.ts';
import { mayGrant } from '../../platform/permissions.ts';
import type { Sessions } from '../auth/sessions.ts';
import * as clientRepo from '../repo.ts';
import { KEY_REVOKED_CHANNEL } from '../repo.ts';
import * as repo from './repo.ts';

/** How long an invite link works. */
export const INVITE_DAYS = 7;

/** Sends an invite email (through the notification service). */
export interface InviteDelivery {
  send(input: {
    clientId: string;
    inviteId: string;
    email: string;
    url: string;
    clientName: string;
    role: Role;
    invitedBy: string;
    expiresAt: Date;
  }): Promise<void>;
}

export interface MemberOptions {
  hashSecret: string;
  /** Where invite links point: `<publicBaseUrl>/v1/auth/invites/accept?token=…`. */
  publicBaseUrl: string;
  delivery: InviteDelivery;
  now?: () => Date;
}

const inTx = <T>(db: Db, fn: (tx: Db) => Promise<T>) =>
  db.transaction().execute((t) => fn(t as unknown as Db));

async function announceKeys(db: Db, hashes: readonly string[]) {
  for (const h of hashes) await sql`select pg_notify(${KEY_REVOKED_CHANNEL}, ${`key:${h}`})`.execute(db);
}

/**
 * Members of a client: invites (a signed, expiring, single-use link by email), role changes, removal
 * and ownership transfer. A client always keeps at least one owner: a change that would leave none is
 * 409 LAST_OWNER; changes of one client are serialised so two concurrent demotions cannot both pass.
 */
export function createMembers(db: Db, sessions: Sessions, opts: MemberOptions) {
  const now = opts.now ?? (() => new Date());
  const key = new TextEncoder().encode(keyedHash(opts.hashSecret, 'member-invite-token'));
  const who = (by: Principal) => by.memberId ?? by.keyId;

  /** Whether `by` may act on a member of `role` (and give `to`): nobody touches roles above their own. */
  function mayChange(by: Principal, role: Role, to?: Role) {
    if (!mayGrant(by, role) || (to && !mayGrant(by, to)))
      throw new AppError('FORBIDDEN', `a ${by.role} cannot change a member with role ${to ?? role}`);
  }

  async function keepAnOwner(tx: Db, clientId: string, member: { role: Role }, to: Role | null) {
    if (member.role !== 'owner' || to === 'owner') return;
    if ((await repo.countOwners(tx, clientId)) <= 1)
      throw new AppError('LAST_OWNER', 'this is the client’s last owner: make another member an owner first');
  }

  return {
    async invite(by: Principal, email: string, role: Role) {
      if (!mayGrant(by, role))
        throw new AppError('FORBIDDEN', `a ${by.role} cannot invite a member with role ${role}`);
      const lower = email.toLowerCase();
      const client = await clientRepo.findClient(db, by.clientId);
      if (!client) throw new AppError('NOT_FOUND', 'no such client');
      const members = await db
        .selectFrom('members')
        .select('id')
        .where('client_id', '=', by.clientId)
        .where('email', '=', lower)
        .executeTakeFirst();
      if (members) throw new AppError('CONFLICT', 'a member with this email exists');
      const at = now();
      const expiresAt = new Date(at.getTime() + INVITE_DAYS * 86_400_000);
      const invite = await repo.insertInvite(db, {
        id: newId('inv'),
        client_id: by.clientId,
        email: lower,
        role,
        invited_by: who(by),
        expires_at: expiresAt,
      });
      const token = await new SignJWT({ cid: by.clientId, email: lower })
        .setProtectedHeader({ alg: 'HS256', typ: 'pulse-invite' })
        .setSubject(invite.id)
        .setIssuedAt(Math.floor(at.getTime() / 1000))
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key);
      const url = `${opts.publicBaseUrl}/v1/auth/invites/accept?token=${encodeURIComponent(token)}`;
      await opts.delivery.send({
        clientId: by.clientId,
        inviteId: invite.id,
        email: lower,
        url,
        clientName: client.name,
        role,
        invitedBy: by.via === 'session' ? 'A member of your team' : 'Your team',
        expiresAt,
      });
      return invite;
    },
    listInvites: (clientId: string, page: Parameters<typeof repo.listPendingInvites>[2]) =>
      repo.listPendingInvites(db, clientId, page, now()),
    async revokeInvite(by: Principal, id: string) {
      if (!(await repo.revokeInvite(db, by.clientId, id, now())))
        throw new AppError('NOT_FOUND', 'no such pending invite for this client');
    },
    /**
     * Accepts an invite link: verifies the token (signature, expiry), takes the invite once, creates
     * the member and opens a session for them in that client.
     */
    async accept(token: string) {
      let inviteId: string;
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          typ: 'pulse-invite',
          currentDate: now(),
        });
        inviteId = String(payload.sub);
      } catch (err) {
        const why = err instanceof joseErrors.JWTExpired ? 'has expired' : 'is not valid';
        throw new AppError('INVITE_INVALID', `this invite link ${why}: ask for a new one`);
      }
      const invite = await inTx(db, async (tx) => {
        const taken = await repo.consumeInvite(tx, inviteId, now());
        if (!taken) throw new AppError('INVITE_INVALID', 'this invite was used, revoked or has expired');
        await repo.lockClientMembers(tx, taken.client_id);
        try {
          await clientRepo.insertMember(tx, {
            id: newId('mem'),
            client_id: taken.client_id,
            email: taken.email,
            role: taken.role,
          });
        } catch (err) {
          if ((err as { code?: string }).code === '23505')
            throw new AppError('CONFLICT', 'a member with this email exists');
          throw err;
        }
        return taken;
      });
      return sessions.start({ email: invite.email, clientId: invite.client_id, via: 'invite' });
    },
    async changeRole(by: Principal, memberId: string, role: Role) {
      return inTx(db, async (tx) => {
        await repo.lockClientMembers(tx, by.clientId);
        const member = await repo.findMember(tx, by.clientId, memberId);
        if (!member) throw new AppError('NOT_FOUND', 'no such member');
        mayChange(by, member.role, role);
        await keepAnOwner(tx, by.clientId, member, role);
        const updated = await repo.setMemberRole(tx, by.clientId, memberId, role);
        await repo.setMemberKeysRole(tx, by.clientId, memberId, role);
        const hashes = await tx
          .selectFrom('api_keys')
          .select('key_hash')
          .where('member_id', '=', memberId)
          .execute();
        await announceKeys(
          tx,
          hashes.map((h) => h.key_hash),
        );
        return updated;
      });
    },
    async remove(by: Principal, memberId: string) {
      const member = await inTx(db, async (tx) => {
        await repo.lockClientMembers(tx, by.clientId);
        const m = await repo.findMember(tx, by.clientId, memberId);
        if (!m) throw new AppError('NOT_FOUND', 'no such member');
        mayChange(by, m.role);
        await keepAnOwner(tx, by.clientId, m, null);
        await announceKeys(tx, await repo.revokeMemberKeys(tx, by.clientId, memberId, now()));
        await repo.deleteMember(tx, by.clientId, memberId);
        return m;
      });
      // Their sessions in this client end now (a session re-reads the membership on every request too).
      await sessions.revokeFor(member.email, by.clientId);
    },
    /**
     * Makes another member an owner; an owner member handing over steps down to admin. Only owners
     * (the matrix's member.transfer).
     */
    async transferOwnership(by: Principal, memberId: string) {
      return inTx(db, async (tx) => {
        await repo.lockClientMembers(tx, by.clientId);
        const target = await repo.findMember(tx, by.clientId, memberId);
        if (!target) throw new AppError('NOT_FOUND', 'no such member');
        if (by.memberId === memberId) throw new AppError('CONFLICT', 'you are the owner already');
        const owner = await repo.setMemberRole(tx, by.clientId, memberId, 'owner');
        await repo.setMemberKeysRole(tx, by.clientId, memberId, 'owner');
        let previous = null;
        if (by.memberId) {
          previous = await repo.setMemberRole(tx, by.clientId, by.memberId, 'admin');
          await repo.setMemberKeysRole(tx, by.clientId, by.memberId, 'admin');
        }
        const hashes = await tx
          .selectFrom('api_keys')
          .select('key_hash')
          .where('member_id', 'in', [memberId, ...(by.memberId ? [by.memberId] : [])])
          .execute();
        await announceKeys(
          tx,
          hashes.map((h) => h.key_hash),
        );
        return { owner, previous };
      });
    },
  };
}

export type Members = ReturnType<typeof createMembers>;
