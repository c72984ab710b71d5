import { fileURLToPath } from 'node:url';
import { chSql, createClickHouse, ident } from '../services/platform/clickhouse.ts';
import { migrateClickHouse } from '../services/platform/clickhouse-migrate.ts';
import { createDb, ensureDatabase, migrateService } from '../services/platform/db.ts';
import { serviceMigrations } from './migrations.ts';

const SERVICES_DIR = fileURLToPath(new URL('../services/', import.meta.url));

/** Applies every service's Postgres migrations and the ClickHouse DDL; safe to run any number of times. */
export async function migrateAll(opts: {
  databaseUrl: string;
  clickhouseUrl: string;
  clickhouseDatabase?: string;
}): Promise<{
  postgres: string[];
  clickhouse: string[];
}> {
  await ensureDatabase(opts.databaseUrl);
  // A migration may rewrite or index a large table: no statement limit here, unlike request traffic.
  const db = createDb(opts.databaseUrl, 2, { statementTimeoutMs: 0 });
  try {
    for (const [service, migrations] of Object.entries(serviceMigrations))
      await migrateService(db, service, migrations);
  } finally {
    await db.destroy();
  }
  const database = opts.clickhouseDatabase ?? 'pulse';
  const admin = createClickHouse(opts.clickhouseUrl, 'default');
  await admin.command(chSql`CREATE DATABASE IF NOT EXISTS ${ident(database)}`);
  await admin.close();
  const ch = createClickHouse(opts.clickhouseUrl, database);
  try {
    const applied = await migrateClickHouse(ch, SERVICES_DIR);
    return { postgres: Object.keys(serviceMigrations), clickhouse: applied };
  } finally {
    await ch.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { loadConfig } = await import('../services/platform/config.ts');
  const config = loadConfig();
  const r = await migrateAll({
    databaseUrl: config.databaseUrl,
    clickhouseUrl: config.clickhouseUrl,
    clickhouseDatabase: config.clickhouseDatabase,
  });
  console.log(
    `migrated postgres services: ${r.postgres.join(', ')}; clickhouse applied: ${r.clickhouse.join(', ') || 'none new'}`,
  );
  // Secrets stored before encryption (or under a retired key) are rewritten now, not at first use.
  const { reencryptSecrets } = await import('./secrets.ts');
  const { createSecretBox } = await import('../services/platform/secret-box.ts');
  const db = createDb(config.databaseUrl, 2);
  try {
    const rewritten = await reencryptSecrets(db, createSecretBox(config.encryptionKeys));
    console.log(`secrets re-encrypted: ${JSON.stringify(rewritten)}`);
  } finally {
    await db.destroy();
  }
}
