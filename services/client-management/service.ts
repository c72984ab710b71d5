import { AppError } from '../../contract/errors.ts';
import type { ApiKeyResolver, Principal, Role } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { keyedHash, newId, randomToken } from '../platform/ids.ts';
import { mayGrant } from '../platform/permissions.ts';
import { listenChannel } from '../platform/pg-listen.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { createSessions, type SessionOptions, type Sessions } from './auth/sessions.ts';
import * as repo from './repo.ts';

export interface IssuedKey {
  id: string;
  kind: Principal['keyKind'];
  role: Role | null;
  /** The raw key: returned once, never stored. */
  key: string;
  /** HMAC secret for signing server-side events (secret keys only). */
  signing_secret?: string;
  /** The operator's label, when one was given. */
  name?: string;
}

const KEY_PREFIX: Record<Principal['keyKind'], string> = { publishable: 'pk', secret: 'sk', admin: 'ak' };

export interface ClientManagement {
  createClient(input: {
    name: string;
    plan?: string;
  }): Promise<{ client: repo.ClientRow; publishable: IssuedKey; secret: IssuedKey }>;
  issueKey(
    clientId: string | null,
    kind: Principal['keyKind'],
    role?: Role | null,
    memberId?: string | null,
    name?: string | null,
  ): Promise<IssuedKey>;
  /**
   * Issues a platform-admin key unless one is live already (`force` adds another): the bootstrap of a
   * fresh installation. Concurrent calls serialise, so two first runs never both create one.
   */
  bootstrapAdminKey(opts?: {
    force?: boolean;
    name?: string | null;
  }): Promise<{ key: IssuedKey | null; existing: number }>;
  addMember(clientId: string, email: string, role: Role): Promise<{ member: repo.MemberRow; key: IssuedKey }>;
  /** Revokes a key of the caller's client; 403 when the key's role is above the caller's, 404 when unknown. */
  revokeKey(by: Principal, keyId: string): Promise<void>;
  /** The platform admin revokes any key of one client (an incident: a leaked owner key); 404 when unknown. */
  revokeClientKey(clientId: string, keyId: string): Promise<void>;
  setStatus(clientId: string, status: Principal['clientStatus']): Promise<repo.ClientRow>;
  /**
   * Listens for revocations and status changes made by any process, dropping cached resolutions at once.
   * While the listen connection is down the cache is bypassed, so a missed notice never extends a key's life.
   */
  listen(databaseUrl: string): Promise<{ stop(): Promise<void> }>;
  resolver: ApiKeyResolver;
  /** Signed-in people's sessions (auth/sessions.ts); the resolver resolves their cookies too. */
  sessions: Sessions;
}

/**
 * Clients, members and API keys. Keys are stored as keyed hashes and signing secrets encrypted; resolution
 * is cached for a few seconds because every ingested event resolves its key. Without `listen` a revoked
 * key stops working within `cacheMs`; with it, as soon as the notice arrives.
 */
export function createClientManagement(
  db: Db,
  opts: {
    hashSecret: string;
    secretBox: SecretBox;
    cacheMs?: number;
    sessions?: Partial<Omit<SessionOptions, 'hashSecret'>>;
  },
): ClientManagement {
  const sessions = createSessions(db, {
    hashSecret: opts.hashSecret,
    platformAdmins: opts.sessions?.platformAdmins ?? [],
    idleMinutes: opts.sessions?.idleMinutes ?? 720,
    maxMinutes: opts.sessions?.maxMinutes ?? 10_080,
    ...(opts.sessions?.now ? { now: opts.sessions.now } : {}),
  });
  const cacheMs = opts.cacheMs ?? 5_000;
  const box = opts.secretBox;
  const cache = new Map<string, { at: number; principal: Principal | null }>();
  const secretsCache = new Map<string, { at: number; secrets: string[] }>();
  const hash = (raw: string) => keyedHash(opts.hashSecret, raw);
  /** null: no listener (TTL only); false: listener down (cache bypassed); true: listening. */
  let listening: boolean | null = null;
  // Bumped by every notice: a resolution that read the database before a notice landed is not cached,
  // or a revocation racing a lookup could be undone by the lookup's stale answer.
  let epoch = 0;

  function forget(notice: string) {
    epoch++;
    // A revoked key or a changed client also changes which secrets may vouch for participants.
    secretsCache.clear();
    if (notice.startsWith('key:')) cache.delete(notice.slice(4));
    else if (notice.startsWith('client:')) {
      const clientId = notice.slice(7);
      for (const [h, entry] of cache) if (entry.principal?.clientId === clientId) cache.delete(h);
    }
  }

  async function issueKey(
    clientId: string | null,
    kind: Principal['keyKind'],
    role: Role | null = null,
    memberId: string | null = null,
    name: string | null = null,
    on: Db = db,
  ): Promise<IssuedKey> {
    const key = `${KEY_PREFIX[kind]}_${randomToken(32)}`;
    const id = newId('key');
    const signing_secret = kind === 'secret' ? `whsec_${randomToken(32)}` : undefined;
    const effectiveRole = kind === 'secret' ? (role ?? 'owner') : null;
    await repo.insertApiKey(on, {
      id,
      client_id: clientId,
      kind,
      role: effectiveRole,
      member_id: memberId,
      key_hash: hash(key),
      key_prefix: key.slice(0, 7),
      signing_secret: signing_secret ? box.encrypt(signing_secret) : null,
      name,
    });
    return {
      id,
      kind,
      role: effectiveRole,
      key,
      ...(signing_secret ? { signing_secret } : {}),
      ...(name ? { name } : {}),
    };
  }

  return {
    async createClient({ name, plan }) {
      const client = await repo.insertClient(db, { id: newId('cli'), name, plan: plan ?? 'starter' });
      const publishable = await issueKey(client.id, 'publishable');
      const secret = await issueKey(client.id, 'secret', 'owner');
      return { client, publishable, secret };
    },
    issueKey: (clientId, kind, role, memberId, name) => issueKey(clientId, kind, role, memberId, name),
    async bootstrapAdminKey({ force = false, name = null } = {}) {
      return db.transaction().execute(async (t) => {
        // Kysely<any>'s transaction type does not unify with Kysely<any> itself; it is one at run time.
        const tx = t as unknown as Db;
        await repo.lockAdminBootstrap(tx);
        const existing = await repo.countActiveAdminKeys(tx);
        if (existing > 0 && !force) return { key: null, existing };
        return { key: await issueKey(null, 'admin', null, null, name, tx), existing };
      });
    },
    async addMember(clientId, email, role) {
      try {
        const member = await repo.insertMember(db, {
          id: newId('mem'),
          client_id: clientId,
          email: email.toLowerCase(),
          role,
        });
        const key = await issueKey(clientId, 'secret', role, member.id);
        return { member, key };
      } catch (err) {
        if ((err as { code?: string }).code === '23505')
          throw new AppError('CONFLICT', 'a member with this email exists');
        throw err;
      }
    },
    async revokeKey(by, keyId) {
      const key = await repo.findApiKey(db, by.clientId, keyId);
      if (!key || key.revoked_at) throw new AppError('NOT_FOUND', 'no such active key for this client');
      if (!mayGrant(by, key.role))
        throw new AppError('FORBIDDEN', `only a role of ${key.role} or above may revoke this key`);
      if (!(await repo.revokeApiKey(db, by.clientId, keyId)))
        throw new AppError('NOT_FOUND', 'no such active key for this client');
      cache.delete(key.key_hash);
      secretsCache.delete(by.clientId);
    },
    async revokeClientKey(clientId, keyId) {
      const key = await repo.findApiKey(db, clientId, keyId);
      if (!key || key.revoked_at || !(await repo.revokeApiKey(db, clientId, keyId)))
        throw new AppError('NOT_FOUND', 'no such active key for this client');
      cache.delete(key.key_hash);
      secretsCache.delete(clientId);
    },
    async setStatus(clientId, status) {
      const row = await repo.updateClientStatus(db, clientId, status);
      if (!row) throw new AppError('NOT_FOUND', 'no such client');
      await repo.announceClientChange(db, clientId);
      forget(`client:${clientId}`);
      return row;
    },
    async listen(databaseUrl) {
      listening = false;
      const l = listenChannel({
        url: databaseUrl,
        channel: repo.KEY_REVOKED_CHANNEL,
        onPayload: forget,
        onState: (up) => {
          // Whatever was cached while not listening may have missed a notice.
          cache.clear();
          secretsCache.clear();
          epoch++;
          listening = up;
        },
      });
      await l.ready;
      return {
        async stop() {
          await l.stop();
          listening = null;
        },
      };
    },
    sessions,
    resolver: {
      resolveSession: (token) => sessions.resolve(token),
      async resolve(raw) {
        const h = hash(raw);
        const useCache = listening !== false;
        const seen = epoch;
        const hit = useCache ? cache.get(h) : undefined;
        if (hit && Date.now() - hit.at < cacheMs) return hit.principal;
        const row = await repo.findKeyByHash(db, h);
        const principal: Principal | null =
          !row || row.revoked_at
            ? null
            : {
                clientId: row.client_id ?? '*',
                clientStatus: row.client_status ?? 'active',
                keyKind: row.kind,
                keyId: row.key_id,
                role: row.role,
                ...(row.signing_secret ? { signingSecret: box.decrypt(row.signing_secret) } : {}),
              };
        if (!useCache || seen !== epoch) return principal;
        if (cache.size > 10_000) cache.clear();
        cache.set(h, { at: Date.now(), principal });
        return principal;
      },
      // Cached like keys: a revoked secret key stops verifying identity tokens within `cacheMs`.
      async identitySecrets(clientId) {
        const hit = listening !== false ? secretsCache.get(clientId) : undefined;
        if (hit && Date.now() - hit.at < cacheMs) return hit.secrets;
        const secrets = (await repo.listSigningSecrets(db, clientId)).map((s) => box.decrypt(s));
        if (listening === false) return secrets;
        if (secretsCache.size > 10_000) secretsCache.clear();
        secretsCache.set(clientId, { at: Date.now(), secrets });
        return secrets;
      },
    },
  };
}

/**
 * One-time (and rotation) pass: encrypts plaintext signing secrets left from before encryption, and
 * re-encrypts those under an older key; then validates the table's encrypted-only constraint.
 */
export async function reencryptSigningSecrets(db: Db, box: SecretBox): Promise<number> {
  const rows = (await repo.signingSecrets(db)).filter((r) => !box.isCurrent(r.signing_secret as string));
  for (const row of rows) {
    const stored = row.signing_secret as string;
    const plain = box.isEncrypted(stored) ? box.decrypt(stored) : stored;
    await repo.replaceSigningSecret(db, row.id, stored, box.encrypt(plain));
  }
  await repo.validateSigningSecretConstraint(db);
  return rows.length;
}
