import { AppError } from '../../contract/errors.ts';
import type { ApiKeyResolver, Principal, Role } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { keyedHash, newId, randomToken } from '../platform/ids.ts';
import * as repo from './repo.ts';

export interface IssuedKey {
  id: string;
  kind: Principal['keyKind'];
  role: Role | null;
  /** The raw key: returned once, never stored. */
  key: string;
  /** HMAC secret for signing server-side events (secret keys only). */
  signing_secret?: string;
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
  ): Promise<IssuedKey>;
  addMember(clientId: string, email: string, role: Role): Promise<{ member: repo.MemberRow; key: IssuedKey }>;
  setStatus(clientId: string, status: Principal['clientStatus']): Promise<repo.ClientRow>;
  resolver: ApiKeyResolver;
}

/**
 * Clients, members and API keys. Keys are stored as keyed hashes; resolution is cached for a few seconds
 * because every ingested event resolves its key (a revoked key stops working within `cacheMs`).
 */
export function createClientManagement(
  db: Db,
  opts: { hashSecret: string; cacheMs?: number },
): ClientManagement {
  const cacheMs = opts.cacheMs ?? 5_000;
  const cache = new Map<string, { at: number; principal: Principal | null }>();
  const secretsCache = new Map<string, { at: number; secrets: string[] }>();
  const hash = (raw: string) => keyedHash(opts.hashSecret, raw);

  async function issueKey(
    clientId: string | null,
    kind: Principal['keyKind'],
    role: Role | null = null,
    memberId: string | null = null,
  ): Promise<IssuedKey> {
    const key = `${KEY_PREFIX[kind]}_${randomToken(32)}`;
    const id = newId('key');
    const signing_secret = kind === 'secret' ? `whsec_${randomToken(32)}` : undefined;
    const effectiveRole = kind === 'secret' ? (role ?? 'owner') : null;
    await repo.insertApiKey(db, {
      id,
      client_id: clientId,
      kind,
      role: effectiveRole,
      member_id: memberId,
      key_hash: hash(key),
      key_prefix: key.slice(0, 7),
      signing_secret: signing_secret ?? null,
    });
    return { id, kind, role: effectiveRole, key, ...(signing_secret ? { signing_secret } : {}) };
  }

  return {
    async createClient({ name, plan }) {
      const client = await repo.insertClient(db, { id: newId('cli'), name, plan: plan ?? 'starter' });
      const publishable = await issueKey(client.id, 'publishable');
      const secret = await issueKey(client.id, 'secret', 'owner');
      return { client, publishable, secret };
    },
    issueKey,
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
    async setStatus(clientId, status) {
      const row = await repo.updateClientStatus(db, clientId, status);
      if (!row) throw new AppError('NOT_FOUND', 'no such client');
      cache.clear();
      return row;
    },
    resolver: {
      async resolve(raw) {
        const h = hash(raw);
        const hit = cache.get(h);
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
                ...(row.signing_secret ? { signingSecret: row.signing_secret } : {}),
              };
        if (cache.size > 10_000) cache.clear();
        cache.set(h, { at: Date.now(), principal });
        return principal;
      },
      // Cached like keys: a revoked secret key stops verifying identity tokens within `cacheMs`.
      async identitySecrets(clientId) {
        const hit = secretsCache.get(clientId);
        if (hit && Date.now() - hit.at < cacheMs) return hit.secrets;
        const secrets = await repo.listSigningSecrets(db, clientId);
        if (secretsCache.size > 10_000) secretsCache.clear();
        secretsCache.set(clientId, { at: Date.now(), secrets });
        return secrets;
      },
    },
  };
}
