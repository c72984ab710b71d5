import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StackError } from './report.ts';

export interface MigrationTargets {
  databaseUrl: string;
  clickhouseUrl: string;
  clickhouseDatabase: string;
}

type MigrateAll = (targets: MigrationTargets) => Promise<unknown>;

/**
 * Applies every service's migrations through app/migrate.ts when that file exists; until it
 * lands (another team writes it) the stack still comes up. Returns false when there was nothing to run.
 */
export async function runMigrations(root: string, targets: MigrationTargets): Promise<boolean> {
  const file = join(root, 'app', 'migrate.ts');
  if (!existsSync(file)) return false;
  // A computed specifier, so type-checking does not depend on the file being there.
  const mod: unknown = await import(pathToFileURL(file).href);
  const migrateAll = (mod as { migrateAll?: unknown }).migrateAll;
  if (typeof migrateAll !== 'function') {
    throw new StackError(
      'migrate',
      'app/migrate.ts does not export migrateAll({ databaseUrl, clickhouseUrl, clickhouseDatabase })',
    );
  }
  try {
    await (migrateAll as MigrateAll)(targets);
  } catch (err) {
    throw new StackError('migrate', (err as Error).message);
  }
  return true;
}
