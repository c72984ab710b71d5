import { serve } from '@hono/node-server';
import { createClientManagement } from '../client-management/service.ts';
import { loadConfig } from '../platform/config.ts';
import { createDb, ensureDatabase, migrateService } from '../platform/db.ts';
import { createRewardApp, createRewardService, migrations } from './index.ts';

// Runs the reward service alone (production shape): its routes, the fulfilment worker and the expiry
// sweep. The pool is sized for allocation batches, fulfilment and the API together.
const config = loadConfig();
await ensureDatabase(config.databaseUrl);
const db = createDb(config.databaseUrl, 20);
await migrateService(db, 'reward', migrations);
const service = createRewardService({ db });
const app = createRewardApp({
  db,
  service,
  resolver: createClientManagement(db, { hashSecret: config.hashSecret }).resolver,
  internalToken: config.internalToken,
});
const worker = service.startFulfilmentWorker({ intervalMs: 1_000 });
const sweep = setInterval(() => {
  service.expireDue().catch((err: unknown) => console.error('expiry sweep failed', (err as Error).message));
}, 60_000);
const server = serve({ fetch: app.fetch, port: config.httpPort, hostname: '0.0.0.0' }, (info) =>
  console.log(`reward service on :${info.port}`),
);

async function shutdown() {
  clearInterval(sweep);
  server.close();
  await worker.stop();
  await db.destroy();
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
