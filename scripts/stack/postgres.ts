import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDatabase } from '../../services/platform/db.ts';
import { runLogged } from './command.ts';
import { type DaemonSpec, daemonStatus, ensureDaemon, stopDaemon } from './daemon.ts';
import { waitFor } from './health.ts';
import { display, logFile } from './paths.ts';
import {
  ensurePostgresBinaries,
  initCluster,
  ownCluster,
  ownClusterSpec,
  postgresBinDir,
} from './postgres-own.ts';
import { type Log, type ServiceReport, StackError } from './report.ts';
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

/** What `up` found or did, and the URL everything else must use (the own cluster has its own port). */
export interface PostgresUp {
  report: ServiceReport;
  databaseUrl: string;
}

/**
 * The machine's server when one answers (or an installed system cluster can be started); otherwise, or
 * when forced with PULSE_STACK_POSTGRES=own, a cluster of the stack's own under .data/ on a free port.
 * A DATABASE_URL given in the environment is only checked (a local system cluster may be started).
 */
export async function ensurePostgres(s: StackSettings, log: Log = () => undefined): Promise<PostgresUp> {
  if (await useOwnCluster(s)) return ensureOwnCluster(s, log);
  const address = postgresAddress(s.databaseUrl);
  let action: ServiceReport['action'] = 'reused';
  if (!(await postgresReachable(s.databaseUrl))) {
    await startCluster(s);
    action = 'started';
  }
  await createDatabase(s.databaseUrl);
  const note = action === 'started' ? 'started with pg_ctlcluster' : undefined;
  return {
    report: { name: 'postgres', running: true, action, owner: 'system', address, note },
    databaseUrl: s.databaseUrl,
  };
}

async function useOwnCluster(s: StackSettings): Promise<boolean> {
  if (s.postgres.mode === 'external') return false;
  if (s.postgres.mode === 'own') return true;
  // Once the stack made its own cluster on this machine, it keeps using it (its data lives there).
  if (existsSync(join((await ownCluster(s)).dataDir, 'PG_VERSION'))) return true;
  if (await postgresReachable(s.databaseUrl)) return false;
  return systemClusterVersions().length === 0;
}

async function ensureOwnCluster(s: StackSettings, log: Log): Promise<PostgresUp> {
  const bin = await ensurePostgresBinaries(s, log);
  const cluster = await ownCluster(s);
  await initCluster(s, bin, cluster);
  const report = await ensureDaemon(ownClusterSpec(s, bin, cluster, postgresReachable));
  await createDatabase(cluster.url);
  return {
    report: { ...report, note: `own cluster in ${display(cluster.dataDir)}` },
    databaseUrl: cluster.url,
  };
}

/** The stack's own cluster, when it has one (for `down` and `status`). */
export async function ownClusterDaemon(s: StackSettings): Promise<DaemonSpec | undefined> {
  const bin = postgresBinDir();
  const cluster = await ownCluster(s);
  if (!bin || !existsSync(join(cluster.dataDir, 'PG_VERSION'))) return undefined;
  return ownClusterSpec(s, bin, cluster, postgresReachable);
}

async function createDatabase(databaseUrl: string): Promise<void> {
  try {
    await ensureDatabase(databaseUrl);
  } catch (err) {
    throw new StackError(
      'postgres',
      `could not create the database in ${postgresAddress(databaseUrl)}: ${(err as Error).message}`,
    );
  }
}

const systemClusterVersions = (): string[] =>
  existsSync('/etc/postgresql') && existsSync(PG_CTLCLUSTER)
    ? readdirSync('/etc/postgresql')
        .filter((v) => existsSync(join('/etc/postgresql', v, 'main')))
        .sort(byVersionDesc)
    : [];

async function startCluster(s: StackSettings): Promise<void> {
  const address = postgresAddress(s.databaseUrl);
  const host = new URL(s.databaseUrl).hostname;
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
  const versions = systemClusterVersions();
  if (!local || versions.length === 0) {
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
  const own = s.postgres.mode === 'external' ? undefined : await ownClusterDaemon(s);
  if (own) return daemonStatus(own);
  const running = await postgresReachable(s.databaseUrl);
  return {
    name: 'postgres',
    running,
    action: 'none',
    owner: running ? 'system' : undefined,
    address: postgresAddress(s.databaseUrl),
  };
}

/** `down` stops the stack's own cluster; a system server or DATABASE_URL's is left running. */
export async function postgresDown(s: StackSettings): Promise<ServiceReport> {
  const own = s.postgres.mode === 'external' ? undefined : await ownClusterDaemon(s);
  if (own) return stopDaemon(own);
  return {
    name: 'postgres',
    running: true,
    action: 'left-running',
    owner: 'system',
    address: postgresAddress(s.databaseUrl),
  };
}
