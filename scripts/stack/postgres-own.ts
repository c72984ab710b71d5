import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { aptInstall } from './apt.ts';
import { runLogged } from './command.ts';
import type { DaemonSpec } from './daemon.ts';
import { tcpOpen } from './health.ts';
import { display, logFile, pidFile } from './paths.ts';
import { type Log, label, StackError } from './report.ts';
import type { StackSettings } from './settings.ts';

/**
 * A Postgres cluster of the stack's own, for machines without a Postgres server: Debian's binaries
 * (apt-installed when missing), data under `.data/postgres/`, listening on 127.0.0.1 at a free port
 * remembered in `.data/postgres.port`, trust authentication for the local user `postgres`. Postgres
 * refuses to run as root, so the server runs as the `postgres` system user the package creates.
 */
export interface OwnCluster {
  dataDir: string;
  port: number;
  url: string;
}

const PG_LIB = '/usr/lib/postgresql';
const FIRST_PORT = 54329;

/** The newest installed server version's bin folder, e.g. /usr/lib/postgresql/15/bin. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(PG_LIB)) return undefined;
  const versions = readdirSync(PG_LIB)
    .filter((v) => existsSync(join(PG_LIB, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(PG_LIB, versions[0], 'bin') : undefined;
}

export async function ensurePostgresBinaries(s: StackSettings, log: Log): Promise<string> {
  const found = postgresBinDir();
  if (found) return found;
  const apt = logFile(s.paths, 'apt');
  log(`${label('postgres')}installing Debian postgresql with apt-get (log ${display(apt)})`);
  // Debian's package would also create and start a system cluster on 5432; ours needs only the binaries.
  mkdirSync('/etc/postgresql-common', { recursive: true });
  writeFileSync('/etc/postgresql-common/createcluster.conf', 'create_main_cluster = false\n', { flag: 'a' });
  await aptInstall('postgres', ['postgresql'], apt);
  const bin = postgresBinDir();
  if (!bin)
    throw new StackError('postgres', `apt-get installed postgresql but no initdb under ${PG_LIB}`, apt);
  return bin;
}

/** The cluster's paths and port: the port chosen once and kept, so URLs stay stable across runs. */
export async function ownCluster(s: StackSettings): Promise<OwnCluster> {
  const dataDir = join(s.paths.dataDir, 'postgres');
  const portFile = join(s.paths.dataDir, 'postgres.port');
  let port = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8').trim()) : Number.NaN;
  if (!Number.isInteger(port) || port <= 0) {
    port = await freePort(FIRST_PORT);
    mkdirSync(s.paths.dataDir, { recursive: true });
    writeFileSync(portFile, `${port}\n`);
  }
  return { dataDir, port, url: `postgres://postgres@127.0.0.1:${port}/pulse` };
}

/** Creates the data folder with initdb on first use (as the postgres user, trust auth on loopback). */
export async function initCluster(s: StackSettings, bin: string, cluster: OwnCluster): Promise<void> {
  if (existsSync(join(cluster.dataDir, 'PG_VERSION'))) return;
  const { uid, gid } = postgresUser();
  mkdirSync(cluster.dataDir, { recursive: true, mode: 0o700 });
  chownSync(cluster.dataDir, uid, gid);
  await runLogged({
    part: 'postgres',
    command: 'setpriv',
    args: [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--init-groups',
      '--',
      join(bin, 'initdb'),
      '-D',
      cluster.dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--no-locale',
    ],
    logFile: logFile(s.paths, 'postgres'),
    env: { ...process.env, HOME: cluster.dataDir },
  });
}

/** How the stack starts and checks its own cluster (the generic daemon lifecycle does the rest). */
export function ownClusterSpec(
  s: StackSettings,
  bin: string,
  cluster: OwnCluster,
  reachable: (url: string) => Promise<boolean>,
): DaemonSpec {
  const log = logFile(s.paths, 'postgres');
  return {
    name: 'postgres',
    address: `127.0.0.1:${cluster.port}`,
    pidFile: pidFile(s.paths, 'postgres'),
    logFile: log,
    cmdlineMarker: cluster.dataDir,
    timeoutMs: 30_000,
    listening: () => tcpOpen('127.0.0.1', cluster.port),
    healthy: () => reachable(cluster.url),
    prepare: async () => {
      const { uid, gid } = postgresUser();
      return {
        // setpriv execs the server in place, so the pid the stack records is the postmaster's.
        command: 'setpriv',
        args: [
          `--reuid=${uid}`,
          `--regid=${gid}`,
          '--init-groups',
          '--',
          join(bin, 'postgres'),
          '-D',
          cluster.dataDir,
          '-p',
          String(cluster.port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${cluster.dataDir}`,
          '-c',
          'max_connections=200',
        ],
        cwd: cluster.dataDir,
        logFile: log,
        env: { ...process.env, HOME: cluster.dataDir },
      };
    },
  };
}

function postgresUser(): { uid: number; gid: number } {
  // The postgres system user comes with Debian's postgresql package.
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid)
    throw new StackError('postgres', 'no postgres system user (is Debian postgresql installed?)');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The first port from `start` that nothing listens on. */
async function freePort(start: number): Promise<number> {
  for (let port = start; port < start + 200; port++) {
    if (await canListen(port)) return port;
  }
  throw new StackError('postgres', `no free port in ${start}..${start + 199} for the stack's own cluster`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
