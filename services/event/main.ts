import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import { createClientManagement } from '../client-management/service.ts';
import type { InspectableBus } from '../platform/bus/inspect.ts';
import { createPostgresBus } from '../platform/bus/postgres-bus.ts';
import { createSnsBus } from '../platform/bus/sns-bus.ts';
import { createClickHouse } from '../platform/clickhouse.ts';
import { loadConfig } from '../platform/config.ts';
import { createDb } from '../platform/db.ts';
import { createEventApp, createEventDrainer } from './index.ts';

// Runs the event service alone (production shape): ingest routes plus the outbox drainer.
// Schema: `node --import tsx scripts/migrate.ts` first.
const config = loadConfig();
const db = createDb(config.databaseUrl, 20);
const redis = config.redisUrl ? new Redis(config.redisUrl) : undefined;
const ch = createClickHouse(config.clickhouseUrl, config.clickhouseDatabase);
const aws = { region: config.awsRegion, ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}) };
const bus: InspectableBus =
  config.busAdapter === 'sns'
    ? createSnsBus({ sns: new SNSClient(aws), sqs: new SQSClient(aws) })
    : createPostgresBus({ db, listenUrl: config.databaseUrl });
const drainer = createEventDrainer({ db, ch, bus });
const app = createEventApp({
  db,
  resolver: createClientManagement(db, { hashSecret: config.hashSecret }).resolver,
  hashSecret: config.hashSecret,
  ...(redis ? { redis } : {}),
  onAccepted: (n) => drainer.nudge(n),
});
drainer.start();
const server = serve({ fetch: app.fetch, port: config.httpPort, hostname: '0.0.0.0' }, (info) =>
  console.log(`event service on :${info.port}`),
);

async function shutdown() {
  server.close();
  await drainer.stop();
  await bus.close();
  await Promise.all([db.destroy(), ch.close(), redis?.quit()]);
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
