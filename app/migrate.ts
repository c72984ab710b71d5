import { fileURLToPath } from 'node:url';
import { chSql, createClickHouse, ident } from '../services/platform/clickhouse.ts';
import { migrateClickHouse } from '../services/platform/clickhouse-migrate.ts';
import type { Config } from '../services/platform/config.ts';
import { createDb, ensureDatabase, migrateService } from '../services/platform/db.ts';
import { createSecretBox } from '../services/platform/secret-box.ts';
import { serviceMigrations } from './migrations.ts';
import { reencryptSecrets } from './secrets.ts';

const SERVICES_DIR = fileURLToPath(new URL('../services/', import.meta.url));

/** Applies every service's Postgres migrations (creating the database if needed); idempotent. */
export async function migratePostgres(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  // A migration may rewrite or index a large table: no statement limit here, unlike request traffic.
  const db = createDb(databaseUrl, 2, { statementTimeoutMs: 0 });
  try {
    for (const [service, migrations] of Object.entries(serviceMigrations))
      await migrateService(db, service, migrations);
  } finally {
    await db.destroy();
  }
  return Object.keys(serviceMigrations);
}

/** Applies every service's Postgres migrations and the ClickHouse DDL; safe to run any number of times. */
export async function migrateAll(opts: {
  databaseUrl: string;
  clickhouseUrl: string;
  clickhouseDatabase?: string;
}): Promise<{
  postgres: string[];
  clickhouse: string[];
}> {
  const postgres = await migratePostgres(opts.databaseUrl);
  const database = opts.clickhouseDatabase ?? 'pulse';
  const admin = createClickHouse(opts.clickhouseUrl, 'default');
  await admin.command(chSql`CREATE DATABASE IF NOT EXISTS ${ident(database)}`);
  await admin.close();
  const ch = createClickHouse(opts.clickhouseUrl, database);
  try {
    const applied = await migrateClickHouse(ch, SERVICES_DIR);
    return { postgres, clickhouse: applied };
  } finally {
    await ch.close();
  }
}

/**
 * `npm run migrate` and `pulse migrate`: every migration, then secrets stored before encryption (or under
 * a retired key) are rewritten now, not at first use. Progress goes through `log`.
 */
export async function migrateEverything(
  config: Pick<Config, 'databaseUrl' | 'clickhouseUrl' | 'clickhouseDatabase' | 'encryptionKeys'>,
  log: (line: string) => void,
): Promise<{ postgres: string[]; clickhouse: string[]; reencrypted: Record<string, number> }> {
  const r = await migrateAll({
    databaseUrl: config.databaseUrl,
    clickhouseUrl: config.clickhouseUrl,
    clickhouseDatabase: config.clickhouseDatabase,
  });
  log(
    `migrated postgres services: ${r.postgres.join(', ')}; clickhouse applied: ${r.clickhouse.join(', ') || 'none new'}`,
  );
  const db = createDb(config.databaseUrl, 2);
  try {
    const reencrypted = await reencryptSecrets(db, createSecretBox(config.encryptionKeys));
    log(`secrets re-encrypted: ${JSON.stringify(reencrypted)}`);
    return { ...r, reencrypted };
  } finally {
    await db.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { loadConfig } = await import('../services/platform/config.ts');
  await migrateEverything(loadConfig(), (line) => console.log(line));
}
