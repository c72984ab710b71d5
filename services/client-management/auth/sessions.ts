import { AppError } from '../../../contract/errors.ts';
import type { Principal, Role } from '../../platform/auth.ts';
import type { Db } from '../../platform/db.ts';
import { keyedHash, newId, randomToken } from '../../platform/ids.ts';
import { permissionsOf } from '../../platform/permissions.ts';
import * as repo from './repo.ts';

export interface SessionOptions {
  hashSecret: string;
  /** Emails (lower case) whose sign-in opens a platform-admin session. */
  platformAdmins: readonly string[];
  idleMinutes: number;
  maxMinutes: number;
  now?: () => Date;
}

/** What `GET /v1/auth/session` answers (schemas/api.schema.json `authSession`). */
export interface SessionBody {
  user: { id: string; email: string; name: string | null };
  client: { id: string; name: string } | null;
  role: Role | null;
  platform_admin: boolean;
  permissions: string[];
  csrf_token: string;
  memberships: { client_id: string; client_name: string; role: Role }[];
}

/** How often at most a session's idle expiry is pushed back (one write per session per minute). */
const TOUCH_EVERY_MS = 60_000;

/**
 * Server-side sessions of signed-in people. The cookie holds a random token; the row holds its keyed
 * hash, the chosen client, the CSRF token and both expiries, so a session is revocable at once.
 * A member session acts as a secret key with the member's role in the chosen client; a platform
 * admin's session without a client acts as an admin key.
 */
export function createSessions(db: Db, opts: SessionOptions) {
  const now = opts.now ?? (() => new Date());
  const hash = (token: string) => keyedHash(opts.hashSecret, `session:${token}`);
  const isAdmin = (email: string) => opts.platformAdmins.includes(email);

  /**
   * Opens a session for a verified email: links the user's memberships, picks `clientId` (which must be
   * one of them) or the oldest membership; 403 NOT_A_MEMBER when the person belongs nowhere and is no
   * platform admin. Returns the cookie's value (shown once) and the session body.
   */
  async function start(input: {
    email: string;
    name?: string | null;
    clientId?: string | null;
    via: repo.SessionRow['via'];
    oidc?: { issuer: string; subject: string };
  }): Promise<{ token: string; body: SessionBody; maxAgeSeconds: number }> {
    const email = input.email.toLowerCase();
    const user = await repo.upsertUser(db, { id: newId('usr'), email, name: input.name ?? null });
    if (input.oidc) await repo.linkSubject(db, user.id, input.oidc.issuer, input.oidc.subject);
    await repo.linkMembers(db, email, user.id);
    const memberships = await repo.membershipsOf(db, email);
    const admin = isAdmin(email);
    if (!memberships.length && !admin)
      throw new AppError('NOT_A_MEMBER', 'this person is not a member of any client: ask for an invite');
    let clientId: string | null;
    if (input.clientId) {
      if (!memberships.some((m) => m.client_id === input.clientId))
        throw new AppError('NOT_A_MEMBER', 'not a member of that client');
      clientId = input.clientId;
    } else clientId = admin ? null : (memberships[0]?.client_id ?? null);
    const token = randomToken(43);
    const at = now();
    await repo.insertSession(db, {
      id: newId('ses'),
      token_hash: hash(token),
      user_id: user.id,
      client_id: clientId,
      platform_admin: admin,
      csrf_token: randomToken(32),
      via: input.via,
      created_at: at,
      last_seen_at: at,
      expires_at: new Date(at.getTime() + opts.maxMinutes * 60_000),
    });
    const live = await find(token);
    if (!live) throw new AppError('INTERNAL', 'a new session could not be read back');
    return { token, body: await bodyOf(live), maxAgeSeconds: opts.maxMinutes * 60 };
  }

  async function find(token: string): Promise<repo.LiveSession | null> {
    const at = now();
    const row = await repo.findLiveSession(
      db,
      hash(token),
      at,
      new Date(at.getTime() - opts.idleMinutes * 60_000),
    );
    if (!row) return null;
    if (at.getTime() - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) await repo.touchSession(db, row.id, at);
    return row;
  }

  function principalOf(row: repo.LiveSession): Principal | null {
    const session = { id: row.id, csrfToken: row.csrf_token, userId: row.user_id };
    if (row.client_id === null)
      return row.platform_admin
        ? {
            clientId: '*',
            clientStatus: 'active',
            keyKind: 'admin',
            keyId: row.id,
            role: null,
            via: 'session',
            session,
          }
        : null;
    // The membership was removed (or the client chose is not the user's any more): the session is void.
    if (!row.member_id || !row.role || !row.client_status) return null;
    return {
      clientId: row.client_id,
      clientStatus: row.client_status,
      keyKind: 'secret',
      keyId: row.id,
      role: row.role,
      memberId: row.member_id,
      via: 'session',
      session,
    };
  }

  async function bodyOf(row: repo.LiveSession): Promise<SessionBody> {
    const principal = principalOf(row);
    const memberships = await repo.membershipsOf(db, row.email);
    return {
      user: { id: row.user_id, email: row.email, name: row.user_name },
      client: row.client_id && row.client_name ? { id: row.client_id, name: row.client_name } : null,
      role: principal?.role ?? null,
      platform_admin: row.platform_admin,
      permissions: principal ? permissionsOf(principal) : [],
      csrf_token: row.csrf_token,
      memberships: memberships.map((m) => ({
        client_id: m.client_id,
        client_name: m.client_name,
        role: m.role,
      })),
    };
  }

  return {
    start,
    /** The principal of a live session token, or null (unknown, revoked, expired, membership gone). */
    async resolve(token: string): Promise<Principal | null> {
      const row = await find(token);
      return row ? principalOf(row) : null;
    },
    /** The session body of a live token, or null. */
    async describe(token: string): Promise<SessionBody | null> {
      const row = await find(token);
      return row && principalOf(row) ? bodyOf(row) : null;
    },
    /** Moves a session to another of the user's clients (`null`: a platform admin's admin view). */
    async switchClient(token: string, clientId: string | null): Promise<SessionBody> {
      const row = await find(token);
      if (!row) throw new AppError('UNAUTHORIZED', 'the session has ended or was revoked: sign in again');
      if (clientId === null) {
        if (!row.platform_admin)
          throw new AppError('NOT_A_MEMBER', 'only a platform admin may leave every client');
      } else {
        const memberships = await repo.membershipsOf(db, row.email);
        if (!memberships.some((m) => m.client_id === clientId))
          throw new AppError('NOT_A_MEMBER', 'not a member of that client');
      }
      await repo.setSessionClient(db, row.id, clientId);
      const moved = await find(token);
      if (!moved) throw new AppError('UNAUTHORIZED', 'the session has ended');
      return bodyOf(moved);
    },
    async revoke(sessionId: string): Promise<void> {
      await repo.revokeSession(db, sessionId, now());
    },
    /** Ends a person's sessions in one client (a removed member) or everywhere (`null`). */
    async revokeFor(email: string, clientId: string | null): Promise<void> {
      await repo.revokeUserSessions(db, email.toLowerCase(), clientId, now());
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
