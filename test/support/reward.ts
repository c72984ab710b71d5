import type { ApiKeyResolver, Principal, Role } from '../../services/platform/auth.ts';
import { signIdentityToken } from '../../services/platform/identity-token.ts';
import type { RewardServiceOptions } from '../../services/reward/deps.ts';
import { createRewardApp } from '../../services/reward/index.ts';
import { migrations } from '../../services/reward/migrations/index.ts';
import { registerProgram } from '../../services/reward/programs/programs.ts';
import { createRewardService, type RewardService } from '../../services/reward/service.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { testSecretBox } from './secret-box.ts';
import { serviceToken } from './service-token.ts';

/** Test fixtures for the reward service: a fresh database, the service, its app and a fake key resolver. */

export const INTERNAL_TOKEN = 'test-internal-token';

/** A fake of our ApiKeyResolver interface: keys are `<kind>:<client>:<role>` strings. */
export function fakeResolver(): ApiKeyResolver {
  return {
    async resolve(raw) {
      const [kind, clientId, role] = raw.split(':');
      if (!clientId || (kind !== 'pk' && kind !== 'sk')) return null;
      const p: Principal = {
        clientId,
        clientStatus: 'active',
        keyKind: kind === 'pk' ? 'publishable' : 'secret',
        keyId: raw,
        role: kind === 'sk' ? ((role as Role | undefined) ?? 'viewer') : null,
      };
      return p;
    },
    identitySecrets: async (clientId) => [identitySecret(clientId)],
  };
}

const identitySecret = (client: string) => `whsec_test_${client}`;

/** An identity token for a participant of a fake client, valid for 10 minutes from `now`. */
export function identityToken(client: string, participantId: string, now = new Date()): string {
  return signIdentityToken(identitySecret(client), {
    participantId,
    clientId: client,
    expiresAt: Math.floor(now.getTime() / 1000) + 600,
  });
}

export const keys = {
  publishable: (client: string) => `pk:${client}`,
  secret: (client: string, role: Role) => `sk:${client}:${role}`,
};

export interface RewardFixture {
  test: TestDatabase;
  service: RewardService;
  app: ReturnType<typeof createRewardApp>;
  /** Registers a program as the campaign service would on deploy (status active unless given). */
  register(
    clientId: string,
    campaignId: string,
    rewards: unknown,
    extra?: { segments?: unknown; status?: string; version?: number; startsAt?: string; endsAt?: string },
  ): Promise<void>;
  close(): Promise<void>;
}

export async function createRewardFixture(
  opts: Omit<RewardServiceOptions, 'db' | 'secretBox'> & { poolSize?: number } = {},
): Promise<RewardFixture> {
  const test = await createTestDatabase({ reward: migrations }, { poolSize: opts.poolSize ?? 10 });
  const secretBox = testSecretBox();
  const service = createRewardService({ ...opts, db: test.db, secretBox });
  const app = createRewardApp({
    db: test.db,
    secretBox,
    resolver: fakeResolver(),
    internalToken: INTERNAL_TOKEN,
    service,
  });
  return {
    test,
    service,
    app,
    async register(clientId, campaignId, rewards, extra = {}) {
      await registerProgram(test.db, {
        clientId,
        campaignId,
        version: extra.version ?? 1,
        rewards,
        segments: extra.segments ?? {},
        status: extra.status ?? 'active',
        ...(extra.startsAt ? { startsAt: extra.startsAt } : {}),
        ...(extra.endsAt ? { endsAt: extra.endsAt } : {}),
      });
    },
    close: () => dropQuietly(test),
  };
}

/** A request to the app with a key (or the internal token) and a JSON body. */
export async function call(
  app: { request(path: string, init?: RequestInit): Response | Promise<Response> },
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; identity?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${opts.key ?? serviceToken(INTERNAL_TOKEN, 'reward')}`,
      'content-type': 'application/json',
      ...(opts.identity ? { 'x-pulse-identity': opts.identity } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Drops a test database after its pool has really closed: pg-pool's end() resolves before the sockets are
 * gone, and `drop database ... with (force)` then kills those backends, which surfaces as an unhandled pool
 * 'error'. Closing first and waiting a moment avoids it.
 */
export async function dropQuietly(test: TestDatabase): Promise<void> {
  await test.db.destroy();
  await new Promise((r) => setTimeout(r, 150));
  await test.drop();
}
