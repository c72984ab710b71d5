import { randomBytes } from 'node:crypto';
import type { Migration } from 'kysely';
import {
  createDb,
  type Db,
  dropDatabase,
  ensureDatabase,
  migrateService,
} from '../../services/platform/db.ts';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pulse';

export interface TestDatabase {
  db: Db;
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh Postgres database for one test file, with the given services' migrations applied, so tests
 * never see each other's rows and can run against the real server in parallel.
 */
export async function createTestDatabase(
  services: Record<string, Record<string, Migration>> = {},
  opts: { poolSize?: number } = {},
): Promise<TestDatabase> {
  const url = new URL(BASE_URL);
  url.pathname = `/pulse_test_${randomBytes(5).toString('hex')}`;
  const testUrl = url.toString();
  await ensureDatabase(testUrl);
  const db = createDb(testUrl, opts.poolSize ?? 10);
  for (const [service, migrations] of Object.entries(services)) await migrateService(db, service, migrations);
  return {
    db,
    url: testUrl,
    async drop() {
      await db.destroy();
      await dropDatabase(testUrl);
    },
  };
}
