import type { ChildProcess } from 'node:child_process';
import { waitFor } from './health.ts';
import {
  commandLineIncludes,
  type DetachedCommand,
  isAlive,
  readPid,
  removePid,
  spawnDetached,
  stopProcess,
  writePid,
} from './process.ts';
import { type ServiceReport, StackError } from './report.ts';

/** A server the stack may start and stop (Temporal, ClickHouse): how to start it and how to tell it is up. */
export interface DaemonSpec {
  name: string;
  address: string;
  pidFile: string;
  logFile: string;
  /** Text in /proc/<pid>/cmdline that proves a pid from the pid file is still this server. */
  cmdlineMarker: string;
  timeoutMs: number;
  /** Something accepts connections on the server's port (maybe not our server, maybe not ready). */
  listening(): Promise<boolean>;
  /** The server answers a real request. */
  healthy(): Promise<boolean>;
  /** Called just before starting (write config, create dirs); returns the command to run. */
  prepare(): Promise<DetachedCommand>;
}

/** The pid from the pid file when that process is still our server; a stale file is removed. */
export function ownedPid(spec: DaemonSpec): number | undefined {
  const pid = readPid(spec.pidFile);
  if (pid === undefined) return undefined;
  if (isAlive(pid) && commandLineIncludes(pid, spec.cmdlineMarker)) return pid;
  removePid(spec.pidFile);
  return undefined;
}

const base = (spec: DaemonSpec): Pick<ServiceReport, 'name' | 'address' | 'log'> => ({
  name: spec.name,
  address: spec.address,
  log: spec.logFile,
});

/** Reuses a healthy server (ours or anyone's) on the port, else starts ours and waits for health. */
export async function ensureDaemon(spec: DaemonSpec): Promise<ServiceReport> {
  const seconds = Math.round(spec.timeoutMs / 1000);
  const pid = ownedPid(spec);
  if (pid !== undefined) {
    // Ours: usually healthy at once; after an interrupted `up` it may still be starting.
    if (await waitFor(spec.healthy, spec.timeoutMs, () => !isAlive(pid))) {
      return { ...base(spec), running: true, action: 'reused', owner: 'stack', pid };
    }
    throw new StackError(
      spec.name,
      `pid ${pid} (started by stack) is not healthy after ${seconds}s`,
      spec.logFile,
    );
  }
  if (await spec.listening()) {
    if (await waitFor(spec.healthy, spec.timeoutMs)) {
      return { ...base(spec), running: true, action: 'reused', owner: 'other', log: undefined };
    }
    throw new StackError(
      spec.name,
      `${spec.address} is taken by a process the stack did not start, and it is not a healthy ${spec.name} server`,
    );
  }
  return start(spec);
}

async function start(spec: DaemonSpec): Promise<ServiceReport> {
  const command = await spec.prepare();
  const child = spawnDetached(command);
  let exited: string | undefined;
  child.once('exit', (code, sig) => {
    exited = sig ? `killed by ${sig}` : `exited with code ${code}`;
  });
  const spawnError = await spawned(child);
  if (spawnError || child.pid === undefined) {
    throw new StackError(
      spec.name,
      `could not run ${command.command}: ${spawnError ?? 'no pid'}`,
      spec.logFile,
    );
  }
  writePid(spec.pidFile, child.pid);
  if (await waitFor(spec.healthy, spec.timeoutMs, () => exited !== undefined)) {
    return { ...base(spec), running: true, action: 'started', owner: 'stack', pid: child.pid };
  }
  // Do not leave a half-started server behind: the next `up` should start clean.
  if (exited === undefined) await stopProcess(child.pid).catch(() => undefined);
  removePid(spec.pidFile);
  const why = exited
    ? `server ${exited} during startup`
    : `not healthy after ${Math.round(spec.timeoutMs / 1000)}s`;
  throw new StackError(spec.name, `did not start: ${why}`, spec.logFile);
}

/** Resolves once the child is running (undefined) or failed to launch (the error text). */
function spawned(child: ChildProcess): Promise<string | undefined> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err.message));
  });
}

/** Stops the server only when the stack's own pid file names it; anything else is left alone. */
export async function stopDaemon(spec: DaemonSpec): Promise<ServiceReport> {
  const pid = ownedPid(spec);
  if (pid !== undefined) {
    await stopProcess(pid);
    removePid(spec.pidFile);
    return { ...base(spec), running: false, action: 'stopped', owner: 'stack', pid };
  }
  if (await spec.listening()) {
    return { ...base(spec), running: true, action: 'left-running', owner: 'other', log: undefined };
  }
  return { ...base(spec), running: false, action: 'none' };
}

export async function daemonStatus(spec: DaemonSpec): Promise<ServiceReport> {
  const pid = ownedPid(spec);
  const healthy = await spec.healthy();
  if (pid !== undefined) {
    const note = healthy ? undefined : 'process alive but not answering';
    return { ...base(spec), running: healthy, action: 'none', owner: 'stack', pid, note };
  }
  if (healthy) return { ...base(spec), running: true, action: 'none', owner: 'other', log: undefined };
  return { ...base(spec), running: false, action: 'none' };
}
