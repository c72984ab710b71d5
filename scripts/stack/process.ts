import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Pid files hold only the pid, so other tools (and people) can read them with `cat`. */
export function readPid(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  const pid = Number(text);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePid(file: string, pid: number): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

export function removePid(file: string): void {
  rmSync(file, { force: true });
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  return stat?.state !== 'Z';
}

function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parens; the fields after the last ')' are fixed.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Guards against pid reuse: a pid file left by a server that died (or a reboot) may now name an unrelated
 * process, which must never be signalled. Without /proc (not Linux) we cannot tell and trust the pid.
 */
export function commandLineIncludes(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker);
  } catch {
    return !isLinux();
  }
}

const isLinux = (): boolean => process.platform === 'linux';

export interface DetachedCommand {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a server that outlives this process: its own session and process group (so a terminal's
 * Ctrl-C or a finished test run does not reach it, and `down` can stop the whole group), output
 * appended to its log, and unref'd so this process can exit.
 */
export function spawnDetached(cmd: DetachedCommand): ChildProcess {
  mkdirSync(dirname(cmd.logFile), { recursive: true });
  appendFileSync(
    cmd.logFile,
    `\n--- stack: ${new Date().toISOString()} ${cmd.command} ${cmd.args.join(' ')}\n`,
  );
  const fd = openSync(cmd.logFile, 'a');
  try {
    const child = spawn(cmd.command, cmd.args, {
      cwd: cmd.cwd,
      env: cmd.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.unref();
    return child;
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
}

/** SIGTERM to the process group (or only the pid when it does not lead one), then SIGKILL after a grace period. */
export async function stopProcess(pid: number, graceMs = 20_000): Promise<void> {
  const target = procStat(pid)?.pgrp === pid ? -pid : pid;
  signal(target, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return;
  signal(target, 'SIGKILL');
  if (!(await waitForExit(pid, 5_000))) throw new Error(`pid ${pid} did not exit after SIGKILL`);
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}
