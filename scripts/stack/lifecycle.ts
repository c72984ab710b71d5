import { mkdirSync } from 'node:fs';
import {
  checkExternalClickHouse,
  clickhouseSpec,
  ensureClickHouseDatabase,
  ensureClickHouseInstalled,
} from './clickhouse.ts';
import { daemonStatus, ensureDaemon, stopDaemon } from './daemon.ts';
import { withLock } from './lock.ts';
import { mailboxSpec } from './mailbox.ts';
import { runMigrations } from './migrations.ts';
import { display, logFile } from './paths.ts';
import { ensurePostgres, postgresDown, postgresStatus } from './postgres.ts';
import { ensureVenv, PYTHON_REQUIREMENTS, venvPaths, venvReady } from './python.ts';
import { formatDown, formatStatus, formatUp, type Log, label, type ServiceReport } from './report.ts';
import { type StackSettings, stackSettings } from './settings.ts';
import { checkExternalTemporal, temporalAddress, temporalSpec } from './temporal.ts';

/** Where everything is once `up` returns; what tests, the demo and CI pass on to their processes. */
export interface StackInfo {
  temporalAddress: string;
  temporalUi: string;
  /** The development mailbox's web UI, where the mails `npm start` sends can be read. */
  mailboxUi: string;
  clickhouseUrl: string;
  databaseUrl: string;
  testServerPath: string;
  motoServerPath: string;
  venvPython: string;
  /** What `up` found or did for each part (`action: 'started'` only when it started that server). */
  services: ServiceReport[];
  /** Whether `up` installed the Python servers into the venv. */
  venvInstalled: boolean;
}

export interface StackOptions {
  log?: Log;
  /** Run app/migrate.ts after the services are healthy (default true). */
  migrate?: boolean;
  settings?: StackSettings;
}

const defaultLog: Log = (line) => console.log(line);

/** Installs what is missing, starts what is not running, waits for health, migrates. Idempotent. */
export async function stackUp(opts: StackOptions = {}): Promise<StackInfo> {
  const s = opts.settings ?? stackSettings();
  const log = opts.log ?? defaultLog;
  const began = Date.now();
  mkdirSync(s.paths.dataDir, { recursive: true });
  const onWait = (owner: { pid: number } | undefined): void =>
    log(`stack: waiting for another stack command (pid ${owner?.pid ?? '?'}) to finish`);
  return withLock(
    s.paths.lockFile,
    async () => {
      const [temporal, clickhouse, postgres, mailbox] = await allOrFirstError([
        upTemporal(s, log),
        upClickHouse(s, log),
        ensurePostgres(s, log).then((r) => ({ ...r, report: report(log, r.report) })),
        ensureDaemon(mailboxSpec(s)).then((r) => report(log, r)),
      ]);
      if (opts.migrate !== false) {
        const t0 = Date.now();
        const ran = await runMigrations(s.paths.root, {
          databaseUrl: postgres.databaseUrl,
          clickhouseUrl: s.clickhouse.url,
          clickhouseDatabase: s.clickhouse.database,
        });
        log(
          `${label('migrate')}${ran ? `done (${ms(Date.now() - t0)})` : 'skipped (no app/migrate.ts yet)'}`,
        );
      }
      log(`stack: up in ${ms(Date.now() - began)}`);
      const venv = temporal.venv;
      return {
        temporalAddress: temporalAddress(s),
        temporalUi: `http://${s.temporal.host}:${s.temporal.uiPort}`,
        mailboxUi: `http://127.0.0.1:${s.mailbox.webPort}`,
        clickhouseUrl: s.clickhouse.url,
        databaseUrl: postgres.databaseUrl,
        testServerPath: venv.testServer,
        motoServerPath: venv.motoServer,
        venvPython: venv.python,
        services: [temporal.report, clickhouse, postgres.report, mailbox],
        venvInstalled: venv.installed,
      };
    },
    { onWait },
  );
}

async function upTemporal(s: StackSettings, log: Log) {
  const venv = await ensureVenv({
    venvDir: s.paths.venvDir,
    lockFile: s.paths.lockFile,
    logFile: logFile(s.paths, 'setup'),
    log,
  });
  log(`${label('venv')}ready (${venv.installed ? 'installed' : 'already installed'})  ${display(venv.dir)}`);
  const r = s.temporal.external
    ? await checkExternalTemporal(s, venv.temporal)
    : await ensureDaemon(temporalSpec(s, venv.temporal));
  return { venv, report: report(log, r) };
}

async function upClickHouse(s: StackSettings, log: Log): Promise<ServiceReport> {
  let r: ServiceReport;
  if (s.clickhouse.external) {
    r = await checkExternalClickHouse(s);
  } else {
    await ensureClickHouseInstalled(s, log);
    r = await ensureDaemon(clickhouseSpec(s));
  }
  await ensureClickHouseDatabase(s);
  return report(log, r);
}

function report(log: Log, r: ServiceReport): ServiceReport {
  log(formatUp(r));
  return r;
}

/**
 * Lets every part finish (so nothing is left half-started) and then fails with all the failures:
 * when ClickHouse and Temporal both fail, the user sees both logs at once.
 */
async function allOrFirstError<T extends readonly unknown[] | []>(
  parts: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(parts);
  const errors = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new Error(errors.map((e) => e.message).join('\n'));
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** Stops only the servers whose pid files the stack wrote; a system Postgres and anyone else's servers stay up. */
export async function stackDown(opts: StackOptions = {}): Promise<ServiceReport[]> {
  const s = opts.settings ?? stackSettings();
  const log = opts.log ?? defaultLog;
  const temporalBin = venvPaths(s.paths.venvDir).temporal;
  return withLock(s.paths.lockFile, async () => {
    const reports = await Promise.all([
      s.temporal.external
        ? external('temporal', temporalAddress(s))
        : stopDaemon(temporalSpec(s, temporalBin)),
      s.clickhouse.external ? external('clickhouse', s.clickhouse.url) : stopDaemon(clickhouseSpec(s)),
      stopDaemon(mailboxSpec(s)),
    ]);
    const pg = await postgresDown(s);
    for (const r of [...reports, pg]) log(formatDown(r));
    return [...reports, pg];
  });
}

const external = async (name: string, address: string): Promise<ServiceReport> => ({
  name,
  running: true,
  action: 'left-running',
  owner: 'env',
  address,
});

/** Reports each part: running or stopped, who started it, where it listens, its log. */
export async function stackStatus(opts: StackOptions = {}): Promise<ServiceReport[]> {
  const s = opts.settings ?? stackSettings();
  const log = opts.log ?? defaultLog;
  const temporalBin = venvPaths(s.paths.venvDir).temporal;
  const reports = await Promise.all([
    daemonStatus(temporalSpec(s, temporalBin)).then((r) =>
      s.temporal.external ? { ...r, owner: 'env' as const } : r,
    ),
    daemonStatus(clickhouseSpec(s)).then((r) =>
      s.clickhouse.external ? { ...r, owner: 'env' as const } : r,
    ),
    postgresStatus(s),
    daemonStatus(mailboxSpec(s)),
  ]);
  const ready = venvReady(s.paths.venvDir);
  log(
    `${label('venv')}${ready ? 'ready' : 'not installed'}  ${display(s.paths.venvDir)}  ${PYTHON_REQUIREMENTS.join(' ')}`,
  );
  for (const r of reports) log(formatStatus(r));
  log(`${label('logs')}${display(logFile(s.paths, '*'))}`);
  return reports;
}

const ms = (n: number): string => (n < 1000 ? `${n}ms` : `${(n / 1000).toFixed(1)}s`);
