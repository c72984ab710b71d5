// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary stored JSON
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { sql } from 'kysely';
import { migrations as cmMigrations } from '../../services/client-management/migrations/index.ts';
import { createClientManagement } from '../../services/client-management/service.ts';
import { createEventApp } from '../../services/event/index.ts';
import { migrations as eventMigrations } from '../../services/event/migrations/index.ts';
import type { RateLimiter } from '../../services/event/rate-limit.ts';
import { renderEmbedSnippet } from '../../services/event/snippet.ts';
import {
  createRewardApp,
  createRewardService,
  registerProgram,
  migrations as rewardMigrations,
} from '../../services/reward/index.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { testSecretBox } from './secret-box.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SeenRequest {
  path: string;
  query: string;
  mode: string | null;
  contentType: string | null;
}

export interface SdkTestServer {
  /** Origin serving the pages and the SDK files. */
  origin: string;
  /** Event API base: the same server under another origin name, so the SDK posts cross-origin. */
  endpoint: string;
  publishableKey: string;
  secretKey: string;
  signingSecret: string;
  clientId: string;
  tdb: TestDatabase;
  requests: SeenRequest[];
  /** Stored (enriched) events of the test client, oldest first. */
  events(): Promise<Record<string, any>[]>;
  close(): Promise<void>;
}

/**
 * One HTTP server on loopback hosting the real event app (real Postgres, the real client-management key
 * resolver, the real reward service), the built SDK files, and the test pages with the embed snippet in
 * them. Only `user_rewarded` has a reward; everyone else gets an empty list.
 */
export async function startSdkTestServer(opts: { rateLimiter?: RateLimiter } = {}): Promise<SdkTestServer> {
  const tdb = await createTestDatabase({
    'client-management': cmMigrations,
    event: eventMigrations,
    reward: rewardMigrations,
  });
  const cm = createClientManagement(tdb.db, { hashSecret: 'sdk-test', secretBox: testSecretBox() });
  const { client, publishable, secret } = await cm.createClient({ name: 'Shop' });
  const requests: SeenRequest[] = [];
  let port = 0;
  const origin = () => `http://127.0.0.1:${port}`;
  const endpoint = () => `http://localhost:${port}`;

  const events = createEventApp({
    db: tdb.db,
    resolver: cm.resolver,
    hashSecret: 'sdk-test',
    ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
  });
  // The real reward service answers the widget; one participant has a reward, everyone else none.
  const secretBox = testSecretBox();
  const rewardService = createRewardService({ db: tdb.db, secretBox });
  const rewards = createRewardApp({
    db: tdb.db,
    secretBox,
    resolver: cm.resolver,
    internalToken: 'sdk-test',
    service: rewardService,
  });
  await registerProgram(tdb.db, {
    clientId: client.id,
    campaignId: 'cmp_widget',
    version: 1,
    status: 'active',
    rewards: {
      welcome: {
        type: 'single',
        side: 'referee',
        give: { category: 'store_credit', amount: 10, currency: 'USD' },
      },
    },
  });
  await rewardService.allocate({
    clientId: client.id,
    campaignId: 'cmp_widget',
    version: 1,
    rule: 'welcome',
    side: 'referee',
    participantId: 'user_rewarded',
    idempotencyKey: 'sdk-test/user_rewarded',
  });
  const page = async (name: string) => {
    const html = await readFile(`${ROOT}test/sdk-pages/${name}.html`, 'utf8');
    const snippet = renderEmbedSnippet({
      publishableKey: publishable.key,
      endpoint: endpoint(),
      sdkUrl: `${origin()}/sdk/pulse.iife.js`,
    });
    const cfg = JSON.stringify({ key: publishable.key, endpoint: endpoint() });
    return html
      .replace('<!--SNIPPET-->', snippet)
      .replace('<!--CONFIG-->', `<script id="cfg" type="application/json">${cfg}</script>`);
  };
  const app = new Hono()
    .use('/v1/*', async (c, next) => {
      requests.push({
        path: c.req.path,
        query: new URL(c.req.url).search,
        mode: c.req.header('sec-fetch-mode') ?? null,
        contentType: c.req.header('content-type') ?? null,
      });
      await next();
    })
    .route('/', rewards)
    .route('/', events)
    .get('/sdk/:file', async (c) => {
      const file = c.req.param('file');
      if (!/^[a-z0-9.-]+\.js$/.test(file)) return c.notFound();
      const body = await readFile(`${ROOT}dist/sdk/${file}`, 'utf8');
      return c.body(body, 200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' });
    })
    .get('/:page', async (c) => {
      const name = c.req.param('page');
      if (!/^[a-z]+$/.test(name)) return c.notFound();
      return c.html(await page(name));
    });

  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;

  return {
    origin: origin(),
    endpoint: endpoint(),
    publishableKey: publishable.key,
    secretKey: secret.key,
    signingSecret: secret.signing_secret ?? '',
    clientId: client.id,
    tdb,
    requests,
    async events() {
      const r = await sql<{ payload: string }>`
        select payload from event_outbox where client_id = ${client.id} order by seq`.execute(tdb.db);
      return r.rows.map((x) => JSON.parse(x.payload) as Record<string, any>);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tdb.drop();
    },
  };
}
