import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InternalError } from '../../contract/internal-error.ts';
import { type ClickHouse, chSql, type SqlText } from './clickhouse.ts';

/**
 * Versioned ClickHouse DDL: every `services/<service>/clickhouse/NNNN_name.sql`, applied once, in NNNN
 * order across services (the events table comes before the views built on it). Applied names are kept
 * in `schema_migrations` in the same database.
 */
export async function findClickHouseMigrations(
  servicesDir: string,
): Promise<{ name: string; path: string }[]> {
  const found: { name: string; path: string }[] = [];
  for (const service of await readdir(servicesDir, { withFileTypes: true })) {
    if (!service.isDirectory()) continue;
    const dir = join(servicesDir, service.name, 'clickhouse');
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files)
      if (/^\d{4}_[a-z0-9_]+\.sql$/.test(f)) found.push({ name: basename(f, '.sql'), path: join(dir, f) });
  }
  found.sort((a, b) => a.name.localeCompare(b.name));
  const seen = new Set<string>();
  for (const m of found) {
    const n = m.name.slice(0, 4);
    if (seen.has(n))
      throw new InternalError(
        'MIGRATION_INVALID',
        `two ClickHouse migrations share number ${n}: renumber one`,
      );
    seen.add(n);
  }
  return found;
}

/** Splits a file on semicolons that end a line; DDL files hold no semicolons inside literals. */
function statements(sqlText: string): string[] {
  return sqlText
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

export async function migrateClickHouse(ch: ClickHouse, servicesDir: string): Promise<string[]> {
  await ch.command(
    chSql`CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime) ENGINE = TinyLog`,
  );
  const applied = new Set(
    (await ch.query<{ name: string }>(chSql`SELECT name FROM schema_migrations`)).map((r) => r.name),
  );
  const done: string[] = [];
  for (const m of await findClickHouseMigrations(servicesDir)) {
    if (applied.has(m.name)) continue;
    for (const stmt of statements(await readFile(m.path, 'utf8'))) await ch.command(stmt as SqlText);
    await ch.insert('schema_migrations', [{ name: m.name, applied_at: new Date().toISOString() }]);
    done.push(m.name);
  }
  return done;
}
