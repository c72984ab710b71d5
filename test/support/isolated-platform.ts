import { fileURLToPath } from 'node:url';
import { serviceMigrations } from '../../app/migrations.ts';
import { type LocalPlatform, startLocalPlatform } from '../../scripts/journey/local-platform.ts';
import { migrateClickHouse } from '../../services/platform/clickhouse-migrate.ts';
import { createTestClickHouse, type TestClickHouse } from './clickhouse.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';

const SERVICES = fileURLToPath(new URL('../../services/', import.meta.url));

export interface IsolatedPlatform {
  platform: LocalPlatform;
  pg: TestDatabase;
  ch: TestClickHouse;
  /** Stops the platform and drops both databases. */
  stop(): Promise<void>;
}

/**
 * The whole platform (services, worker, router, SMTP sink) on fresh, migrated Postgres and ClickHouse
 * databases of its own, so an end-to-end test never depends on what earlier runs left behind.
 */
export async function startIsolatedPlatform(env: Record<string, string> = {}): Promise<IsolatedPlatform> {
  const pg = await createTestDatabase(serviceMigrations);
  const ch = await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
  const platform = await startLocalPlatform({
    ...process.env,
    DATABASE_URL: pg.url,
    CLICKHOUSE_DATABASE: ch.database,
    ...env,
  });
  return {
    platform,
    pg,
    ch,
    async stop() {
      await platform.stop();
      await ch.drop();
      await pg.drop();
    },
  };
}
