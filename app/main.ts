import { SERVICE_NAMES, type ServiceName } from '../services/app.ts';
import { loadConfig } from '../services/platform/config.ts';
import { logger } from '../services/platform/log.ts';
import { migrateAll } from './migrate.ts';
import { startRuntime } from './runtime.ts';

/**
 * `npm start` applies pending migrations (Postgres and ClickHouse; each is recorded once, and concurrent
 * starts serialise on the migration lock), then runs all eight services, the drainer, the worker and the
 * router in one process. `npm start -- --only referral,reward` runs just those services (no worker unless
 * --worker); `--no-migrate` skips the migrations (run `npm run migrate` from a release job instead).
 */
function parseArgs(argv: string[]): { only?: ServiceName[]; worker?: boolean } {
  const i = argv.indexOf('--only');
  const worker = argv.includes('--worker') ? true : undefined;
  if (i < 0) return worker === undefined ? {} : { worker };
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length) {
    console.error(
      `--only takes a comma-separated list of: ${SERVICE_NAMES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
    process.exit(2);
  }
  return { only: names as ServiceName[], ...(worker === undefined ? {} : { worker }) };
}

const config = loadConfig();
if (!process.argv.includes('--no-migrate')) {
  const applied = await migrateAll({
    databaseUrl: config.databaseUrl,
    clickhouseUrl: config.clickhouseUrl,
    clickhouseDatabase: config.clickhouseDatabase,
  });
  logger.info({ postgres: applied.postgres, clickhouse: applied.clickhouse }, 'migrations up to date');
}
const runtime = await startRuntime({ config, ...parseArgs(process.argv.slice(2)) });
logger.info(
  { url: runtime.url, services: runtime.platform.apps ? Object.keys(runtime.platform.apps) : [] },
  `pulse listening on ${runtime.url}`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    runtime.stop().then(
      () => process.exit(0),
      (err) => {
        logger.fatal({ err }, 'stopping failed');
        logger.flush();
        process.exit(1);
      },
    );
  });
}
