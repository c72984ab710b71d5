import { existsSync } from 'node:fs';
import { aptInstall } from './apt.ts';
import { writeClickHouseConfig } from './clickhouse-config.ts';
import type { DaemonSpec } from './daemon.ts';
import { httpText, tcpOpen, waitFor } from './health.ts';
import { display, logFile, pidFile } from './paths.ts';
import { type Log, label, type ServiceReport, StackError } from './report.ts';
import type { StackSettings } from './settings.ts';

/** Debian's package (18.16); the only ClickHouse a machine here can install. */
export const CLICKHOUSE_SERVER = '/usr/sbin/clickhouse-server';

export async function ensureClickHouseInstalled(s: StackSettings, log: Log): Promise<void> {
  if (existsSync(CLICKHOUSE_SERVER)) return;
  const apt = logFile(s.paths, 'apt');
  log(
    `${label('clickhouse')}installing clickhouse-server clickhouse-client with apt-get (log ${display(apt)})`,
  );
  await aptInstall('clickhouse', ['clickhouse-server', 'clickhouse-client'], apt);
  if (!existsSync(CLICKHOUSE_SERVER)) {
    throw new StackError(
      'clickhouse',
      `apt-get installed clickhouse-server but ${CLICKHOUSE_SERVER} is missing`,
      apt,
    );
  }
}

export async function clickhouseHealthy(url: string): Promise<boolean> {
  const res = await httpText(`${url}/ping`);
  return res?.status === 200 && res.text.trim() === 'Ok.';
}

/** Runs one statement over the HTTP interface; throws with ClickHouse's own message. */
export async function clickhouseExec(url: string, sql: string): Promise<string> {
  const res = await httpText(`${url}/`, { method: 'POST', body: sql, timeoutMs: 10_000 });
  if (!res) throw new StackError('clickhouse', `no answer from ${url} to: ${sql}`);
  if (res.status !== 200) throw new StackError('clickhouse', `${sql} failed: ${res.text.trim()}`);
  return res.text;
}

export function clickhouseSpec(s: StackSettings): DaemonSpec {
  const { url, httpPort, tcpPort } = s.clickhouse;
  const log = logFile(s.paths, 'clickhouse');
  return {
    name: 'clickhouse',
    address: url,
    pidFile: pidFile(s.paths, 'clickhouse'),
    logFile: log,
    cmdlineMarker: 'clickhouse-server',
    timeoutMs: 60_000,
    listening: () => tcpOpen('127.0.0.1', httpPort),
    healthy: () => clickhouseHealthy(url),
    prepare: async () => {
      const layout = writeClickHouseConfig(s.paths.clickhouseDir, httpPort, tcpPort);
      // 18.16 runs as root (newer releases refuse), so no user switch is needed on CI.
      return {
        command: CLICKHOUSE_SERVER,
        args: [`--config-file=${layout.configFile}`],
        cwd: layout.dir,
        logFile: log,
      };
    },
  };
}

/** CLICKHOUSE_URL pointing elsewhere: never start anything, only wait for it to answer. */
export async function checkExternalClickHouse(s: StackSettings): Promise<ServiceReport> {
  const { url } = s.clickhouse;
  if (!(await waitFor(() => clickhouseHealthy(url), 60_000))) {
    throw new StackError('clickhouse', `CLICKHOUSE_URL=${url} is set but ${url}/ping does not answer "Ok."`);
  }
  return { name: 'clickhouse', running: true, action: 'reused', owner: 'env', address: url };
}

export async function ensureClickHouseDatabase(s: StackSettings): Promise<void> {
  // The name was validated as an identifier in settings.ts.
  await clickhouseExec(s.clickhouse.url, `CREATE DATABASE IF NOT EXISTS ${s.clickhouse.database}`);
}
