import { createClientManagement, type IssuedKey } from '../../services/client-management/index.ts';
import { type Config, loadConfig } from '../../services/platform/config.ts';
import { createDb } from '../../services/platform/db.ts';
import { createSecretBox } from '../../services/platform/secret-box.ts';
import { migratePostgres } from '../migrate.ts';
import type { CliIo } from './io.ts';

/** The database a database-direct command works on: the flag, then PULSE_DATABASE_URL, then DATABASE_URL. */
export function databaseConfig(flag: string | undefined, io: CliIo): Readonly<Config> {
  const url = flag ?? io.env.PULSE_DATABASE_URL ?? io.env.DATABASE_URL;
  // The same configuration as the server (hash secret, encryption keys), so the key it stores resolves there.
  return loadConfig({ ...io.env, ...(url ? { DATABASE_URL: url } : {}) });
}

export interface AdminInitResult {
  /** The new key, or null when a platform admin exists and `force` was not given. */
  key: IssuedKey | null;
  /** Live platform-admin keys before this run. */
  existing: number;
}

/**
 * Creates the first platform-admin key directly in the database, with the server's own key hashing
 * (only the keyed hash is stored). Applies pending Postgres migrations first, so it works on an empty
 * database. Refuses (key null) when a live admin key exists, unless `force` adds another.
 */
export async function adminInit(
  config: Readonly<Config>,
  opts: { force: boolean; name?: string },
  log: (line: string) => void,
): Promise<AdminInitResult> {
  log(`applying pending Postgres migrations to ${redact(config.databaseUrl)}…`);
  await migratePostgres(config.databaseUrl);
  const db = createDb(config.databaseUrl, 2);
  try {
    const cm = createClientManagement(db, {
      hashSecret: config.hashSecret,
      secretBox: createSecretBox(config.encryptionKeys),
    });
    return await cm.bootstrapAdminKey({ force: opts.force, name: opts.name ?? 'bootstrap' });
  } finally {
    await db.destroy();
  }
}

/** A database URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable database URL)';
  }
}
