import { Kysely, type Migration, type MigrationResultSet, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { InternalError } from '../../contract/internal-error.ts';
import { logger } from './log.ts';

// int8 (bigint) columns come back as strings by default; our counts and money (minor units) fit in
// a double, so parse them as numbers once here rather than at every call site.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric: amounts are stored as numeric(14,2); same reasoning.
pg.types.setTypeParser(1700, (v) => Number(v));

// biome-ignore lint/suspicious/noExplicitAny: the shared handle is typed per service by its repository.
export type Db = Kysely<any>;

export interface DbOptions {
  /** Longest wait for a connection (a new one, or a free one from a busy pool). Default 5 s. */
  connectionTimeoutMs?: number;
  /** Server-side limit on one statement. Default 30 s; 0 means none (the migration runner). */
  statementTimeoutMs?: number;
  /** Client-side limit on one query, for a server that stops answering. Default statement + 5 s. */
  queryTimeoutMs?: number;
  /** Where idle-connection errors go. Default the process logger at warn, without the connection string. */
  log?: (message: string) => void;
}

export function createDb(databaseUrl: string, max = 10, opts: DbOptions = {}): Db {
  const statementTimeout = opts.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5_000,
    ...(statementTimeout > 0
      ? {
          statement_timeout: statementTimeout,
          query_timeout: opts.queryTimeoutMs ?? statementTimeout + 5_000,
        }
      : {}),
    // A transaction left open (a handler that died holding row locks) is ended after a minute.
    idle_in_transaction_session_timeout: 60_000,
  });
  const log = opts.log ?? ((m: string) => logger.warn({ component: 'db' }, m));
  // An idle client losing its connection (server restart, failover) is emitted on the pool; without a
  // listener that event is an uncaught exception that ends the process. The next query reconnects.
  pool.on('error', (err: Error & { code?: string }) => {
    log(`postgres: idle connection lost (${err.code ?? err.name}); the pool reconnects on demand`);
  });
  return new Kysely({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Runs one service's migrations. Each service keeps its own migration table so that services can later
 * live in separate databases without renumbering anything.
 */
export async function migrateService(
  db: Db,
  service: string,
  migrations: Record<string, Migration>,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: `migrations_${service.replaceAll('-', '_')}`,
    migrationLockTableName: `migrations_${service.replaceAll('-', '_')}_lock`,
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new InternalError(
      'MIGRATION_INVALID',
      `migration ${service}/${failed} failed: ${String(result.error)}`,
    );
  }
}

/** Creates the database named in the URL when it does not exist (local convenience; prod DBs are provisioned). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new InternalError('UNSAFE_SQL', `database name "${name}" is not a plain identifier`);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`create database "${name}"`);
      } catch (err) {
        // Two processes racing to create it: the loser sees duplicate_database, which is fine.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await admin.end();
  }
}

/** Drops a database (tests only). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    // pg's pool resolves end() before its sockets are closed; a forced drop would then kill those
    // connections mid-goodbye and surface as errors in the process that owned them. Wait for them to go.
    for (let i = 0; i < 50; i++) {
      const r = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [
        name,
      ]);
      if (r.rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}
