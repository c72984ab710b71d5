import { existsSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { ensureDatabase } from '../../services/platform/db.ts';
import { runLogged } from './command.ts';
import { waitFor } from './health.ts';
import { logFile } from './paths.ts';
import type { ServiceReport } from './report.ts';
import { StackError } from './report.ts';
import type { StackSettings } from './settings.ts';

const PG_CTLCLUSTER = '/usr/bin/pg_ctlcluster';

/** host:port/db, without credentials, for progress lines. */
export function postgresAddress(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

/** Connects to the server's `postgres` database (ours may not exist yet). */
export async function postgresReachable(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Postgres is a system service here; the stack only starts the installed cluster if it is down. */
export async function ensurePostgres(s: StackSettings): Promise<ServiceReport> {
  const address = postgresAddress(s.databaseUrl);
  let action: ServiceReport['action'] = 'reused';
  if (!(await postgresReachable(s.databaseUrl))) {
    await startCluster(s);
    action = 'started';
  }
  try {
    await ensureDatabase(s.databaseUrl);
  } catch (err) {
    throw new StackError(
      'postgres',
      `could not create the database in ${address}: ${(err as Error).message}`,
    );
  }
  const note = action === 'started' ? 'started with pg_ctlcluster' : undefined;
  return { name: 'postgres', running: true, action, owner: 'system', address, note };
}

async function startCluster(s: StackSettings): Promise<void> {
  const address = postgresAddress(s.databaseUrl);
  const host = new URL(s.databaseUrl).hostname;
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort(byVersionDesc) : [];
  if (!local || !existsSync(PG_CTLCLUSTER) || versions.length === 0) {
    throw new StackError('postgres', `nothing answers at ${address} and there is no local cluster to start`);
  }
  const log = logFile(s.paths, 'postgres');
  const version = versions[0] ?? '';
  await runLogged({
    part: 'postgres',
    command: PG_CTLCLUSTER,
    args: ['--skip-systemctl-redirect', version, 'main', 'start'],
    logFile: log,
  });
  if (!(await waitFor(() => postgresReachable(s.databaseUrl), 30_000))) {
    throw new StackError('postgres', `started cluster ${version}/main but ${address} does not answer`, log);
  }
}

const byVersionDesc = (a: string, b: string): number => Number(b) - Number(a);

export async function postgresStatus(s: StackSettings): Promise<ServiceReport> {
  const running = await postgresReachable(s.databaseUrl);
  return {
    name: 'postgres',
    running,
    action: 'none',
    owner: running ? 'system' : undefined,
    address: postgresAddress(s.databaseUrl),
  };
}
