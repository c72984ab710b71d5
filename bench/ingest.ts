import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { sql } from 'kysely';
import { migrations as cmMigrations } from '../services/client-management/migrations/index.ts';
import { createClientManagement } from '../services/client-management/service.ts';
import { createEventsTable } from '../services/event/events-table.ts';
import { createEventApp, createEventDrainer } from '../services/event/index.ts';
import { migrations as eventMigrations } from '../services/event/migrations/index.ts';
import { createEventValidator } from '../services/event/schema.ts';
import { busMigrations } from '../services/platform/bus/postgres-bus.ts';
import { chSql } from '../services/platform/clickhouse.ts';
import { loadConfig } from '../services/platform/config.ts';
import { openConnections } from '../services/platform/connections.ts';
import { createDb } from '../services/platform/db.ts';
import { createRedis } from '../services/platform/redis.ts';
import { createTestClickHouse } from '../test/support/clickhouse.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { testSecretBox } from '../test/support/secret-box.ts';

/**
 * Ingest benchmark, loopback only, bounded in time. Two servers run in their own processes (so the load
 * generator does not share their event loop): the in-memory ceiling (same Hono + JSON parse + ajv
 * validation of the same batches into an array, no I/O) and the real durable endpoint (API key, Redis
 * rate limit, schema, enrichment, Postgres outbox commit before 202), with the drainer (ClickHouse and
 * the Postgres bus) running meanwhile as its own worker process.
 * Then it waits for the drainer and checks that ClickHouse holds exactly the events that were accepted.
 *
 *   npm run bench:ingest [-- --seconds 10 --connections 32]
 * Diagnostics: BENCH_PROFILE=1 (CPU profiles of the HTTP server and the drainer into /tmp/prof/<mode>),
 * BENCH_INFLIGHT=<n> (outbox statements in flight), BENCH_NO_REDIS=1 (in-process rate limiter),
 * BENCH_DRAINER_AFTER=1 (drainer started after the load: the endpoint's own cost, still checked for loss),
 * BENCH_FLAGS_<MODE>="--node-flag …" (extra node flags for one server process).
 */
type AutocannonResult = {
  latency: { p50: number; p99: number; average: number };
  requests: { average: number; total: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
};
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const SELF = fileURLToPath(import.meta.url);
const EVENTS_PER_BATCH = 10;
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

/** A realistic batch (≈600 bytes an event) with placeholders for the ids filled in per request. */
function batchTemplate(): string {
  const kinds = [
    { event: 'page_viewed', properties: { section: 'pricing' } },
    {
      event: 'product_viewed',
      properties: { product_id: 'sku_4411', name: 'Trail shoe', price: 89.9, currency: 'EUR' },
    },
    {
      event: 'purchase_completed',
      properties: { order_id: 'ord_@@ID@@', amount: 129.5, currency: 'EUR', coupon: 'SPRING' },
    },
    { event: 'referral_shared', properties: { platform: 'whatsapp', referral_code: 'ALICE10' } },
  ];
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
    const k = kinds[i % kinds.length]!;
    return {
      event: k.event,
      event_id: '@@ID@@',
      occurred_at: '2026-11-24T10:00:00.000Z',
      anonymous_id: 'anon_5c1f0a9e7b2d4c3f',
      session_id: 'sess_8d2e1f',
      participant_id: 'user_48213',
      campaign_id: 'camp_spring',
      properties: k.properties,
      context: {
        sdk: { name: 'pulse-browser', version: '0.1.0' },
        locale: { language: 'fr-FR', timezone: 'Europe/Paris' },
        page: {
          url: 'https://shop.example.com/pricing?ref=ALICE10&utm_source=newsletter',
          path: '/pricing',
          title: 'Pricing – Example Shop',
        },
        device: { screen: '1440x900' },
        marketing: { utm: { source: 'newsletter', medium: 'email', campaign: 'spring' } },
        referral: { code: 'ALICE10' },
      },
    };
  });
  return JSON.stringify({ events, sent_at: '2026-11-24T10:00:00.000Z' });
}

// ---- server processes -------------------------------------------------------------------------------

async function runCeilingServer(): Promise<void> {
  const validate = createEventValidator();
  const sink: unknown[] = [];
  const app = new Hono().post('/v1/events/batch', async (c) => {
    const body = (await c.req.json()) as { events: unknown[] };
    const results = body.events.map((e) => {
      const r = validate(e);
      if (r.ok) sink.push(r.event);
      return r.ok ? 'accepted' : 'rejected';
    });
    if (sink.length > 1_000_000) sink.length = 0;
    return c.json({ accepted: results.filter((r) => r === 'accepted').length, results }, 202);
  });
  listen(app.fetch);
}

/** The HTTP side: key, rate limit (Redis), schema, enrichment, outbox commit, 202. */
async function runDurableServer(): Promise<void> {
  const env = process.env;
  const db = createDb(env.BENCH_DATABASE_URL!, 16);
  const { redis } = createRedis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const cm = createClientManagement(db, { hashSecret: 'bench', secretBox: testSecretBox() });
  const app = createEventApp({
    db,
    resolver: cm.resolver,
    hashSecret: 'bench',
    ...(env.BENCH_NO_REDIS ? {} : { redis }),
    rateLimit: { capacity: 10_000_000, refillPerSecond: 10_000_000 },
    ...(env.BENCH_INFLIGHT ? { outbox: { maxInflight: Number(env.BENCH_INFLIGHT) } } : {}),
  });
  listen(app.fetch);
  process.on('SIGTERM', async () => {
    await Promise.all([db.destroy(), redis.quit()]);
    process.exit(0);
  });
}

/**
 * The drainer as its own worker process (its production shape: it scales and fails apart from the
 * HTTP replicas): outbox → ClickHouse every 5 s or 5 000 rows, outbox → Postgres bus every 100 ms.
 */
async function runDrainer(): Promise<void> {
  const env = process.env;
  const config = loadConfig({
    DATABASE_URL: env.BENCH_DATABASE_URL,
    CLICKHOUSE_URL: env.BENCH_CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: env.BENCH_CLICKHOUSE_DB,
  });
  const connections = openConnections(config, { poolSize: 4 });
  const { db, ch, bus } = connections;
  const drainer = createEventDrainer({ db, ch, bus, log: (m, e) => console.error(m, e) });
  drainer.start();
  console.log(JSON.stringify({ port: 0 }));
  process.on('SIGTERM', async () => {
    await drainer.stop();
    await connections.close();
    process.exit(0);
  });
}

function listen(fetch: (req: Request) => Response | Promise<Response>): void {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
  server.once('listening', () =>
    console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })),
  );
}

async function startServer(
  mode: string,
  env: Record<string, string>,
): Promise<{ port: number; child: ChildProcess }> {
  const extra =
    mode !== 'ceiling' && process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=/tmp/prof/${mode}`] : [];
  const flags = (process.env[`BENCH_FLAGS_${mode.toUpperCase()}`] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, ...flags, '--import', 'tsx', SELF, '--server', mode], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      const m = /\{"port":(\d+)\}/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { port, child };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

// ---- load ---------------------------------------------------------------------------------------------

async function load(
  port: number,
  key: string,
  seconds: number,
  connections: number,
): Promise<AutocannonResult> {
  const template = batchTemplate();
  const parts = template.split('@@ID@@');
  const run = randomBytes(4).toString('hex');
  let n = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/events/batch',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        // Unique event ids per request, so the durable endpoint accepts (not dedups) every event.
        setupRequest: (req: Record<string, unknown>) => {
          const r = n++;
          let body = parts[0]!;
          for (let i = 1; i < parts.length; i++) body += `${run}-${r}-${i}${parts[i]}`;
          return { ...req, body };
        },
      },
    ],
  });
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 10);
  const connections = arg('connections', 32);
  const warm = Math.min(3, seconds);
  console.log(
    `ingest bench: ${EVENTS_PER_BATCH}-event batches (${(batchTemplate().length / EVENTS_PER_BATCH).toFixed(0)} B/event), ${connections} connections, ${seconds} s per target`,
  );

  const ceiling = await startServer('ceiling', {});
  await load(ceiling.port, 'none', warm, connections);
  const c = await load(ceiling.port, 'none', seconds, connections);
  await stop(ceiling.child);
  const ceilingRate = (c['2xx'] * EVENTS_PER_BATCH) / seconds;

  const tdb = await createTestDatabase({
    'client-management': cmMigrations,
    event: eventMigrations,
    bus: busMigrations,
  });
  const tch = await createTestClickHouse(createEventsTable);
  const cm = createClientManagement(tdb.db, { hashSecret: 'bench', secretBox: testSecretBox() });
  const { client, publishable } = await cm.createClient({ name: 'Bench' });
  const benchEnv = {
    BENCH_DATABASE_URL: tdb.url,
    BENCH_CLICKHOUSE_URL: tch.url,
    BENCH_CLICKHOUSE_DB: tch.database,
  };
  const durable = await startServer('durable', benchEnv);
  // BENCH_DRAINER_AFTER=1 starts the drainer after the load: the endpoint's own cost, without the drainer
  // competing for the same cores.
  const drainerAfter = Boolean(process.env.BENCH_DRAINER_AFTER);
  let drainer = drainerAfter ? null : await startServer('drainer', benchEnv);
  try {
    await load(durable.port, publishable.key, warm, connections);
    const d = await load(durable.port, publishable.key, seconds, connections);
    drainer ??= await startServer('drainer', benchEnv);
    const durableRate = (d['2xx'] * EVENTS_PER_BATCH) / seconds;
    const line = (name: string, r: AutocannonResult, rate: number) =>
      console.log(
        `${name.padEnd(22)} ${rate.toFixed(0).padStart(7)} events/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  ` +
          `(${r['2xx']} × 202, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)`,
      );
    line('in-memory ceiling', c, ceilingRate);
    line('durable endpoint', d, durableRate);
    console.log(`ratio durable / ceiling: ${((100 * durableRate) / ceilingRate).toFixed(1)} %`);

    // Zero loss: every 202 is in the outbox, and the drainer brings every outbox row to ClickHouse once.
    const t0 = Date.now();
    const q = async () => {
      const r = await sql<{ total: number; pending: number }>`
        select (select count(*)::int from event_outbox where client_id = ${client.id}) as total,
               (select count(*)::int from event_outbox o, event_outbox_cursors c
                where c.sink = 'clickhouse' and (o.txid, o.seq) > (c.txid, c.seq)) as pending`.execute(
        tdb.db,
      );
      return r.rows[0]!;
    };
    let o = await q();
    while (o.pending > 0 && Date.now() - t0 < 120_000) {
      await new Promise((r) => setTimeout(r, 250));
      o = await q();
    }
    const [chc] = await tch.ch.query<{ rows: string; uniq: string }>(
      chSql`SELECT count() AS rows, uniqExact(event_id) AS uniq FROM events`,
    );
    const accepted = (d['2xx'] + (await 0)) * EVENTS_PER_BATCH;
    const warmAccepted = o.total - accepted;
    console.log(
      `drained in ${((Date.now() - t0) / 1000).toFixed(1)} s after the run: outbox ${o.total} events ` +
        `(${warmAccepted} from warm-up), ClickHouse rows ${chc?.rows}, unique ${chc?.uniq}`,
    );
    const ok = Number(chc?.rows) === o.total && Number(chc?.uniq) === o.total && o.pending === 0;
    console.log(
      ok ? 'zero loss: ClickHouse = events accepted' : 'MISMATCH between accepted events and ClickHouse',
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await stop(durable.child);
    if (drainer) await stop(drainer.child);
    await tch.drop();
    await tdb.drop();
  }
}

const mode = process.argv.includes('--server') ? process.argv[process.argv.indexOf('--server') + 1] : null;
if (mode === 'ceiling') await runCeilingServer();
else if (mode === 'durable') await runDurableServer();
else if (mode === 'drainer') await runDrainer();
else await main();
