import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandLineIncludes, isAlive } from './process.ts';

/** What a lock file holds: enough to tell whether its holder is gone. */
export interface LockOwner {
  pid: number;
  token: string;
  since: number;
}

export interface LockOptions {
  /** How long to wait for another holder (a cold `up` installs packages, so minutes). */
  timeoutMs?: number;
  /** A holder older than this is presumed stuck or a reused pid. */
  staleAfterMs?: number;
  onWait?: (owner: LockOwner | undefined) => void;
}

// Lock files this process holds right now (a lock naming our own pid is live only if listed here).
const held = new Map<string, string>();
// Lock files held by the current async call chain, so a helper that takes the lock (ensureVenv) can
// run inside stackUp, while an unrelated concurrent call in the same process still waits its turn.
const nested = new AsyncLocalStorage<ReadonlySet<string>>();

/** Runs `fn` holding an exclusive lock file: parallel `up` calls (parallel test processes) start one server. */
export async function withLock<T>(file: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const mine = nested.getStore() ?? new Set<string>();
  if (mine.has(file)) return fn();
  const owner = await acquire(file, opts);
  const releaseOnExit = (): void => release(file, owner);
  process.once('exit', releaseOnExit);
  try {
    return await nested.run(new Set([...mine, file]), fn);
  } finally {
    process.off('exit', releaseOnExit);
    release(file, owner);
  }
}

export async function acquire(file: string, opts: LockOptions = {}): Promise<LockOwner> {
  mkdirSync(dirname(file), { recursive: true });
  const owner: LockOwner = { pid: process.pid, token: randomBytes(8).toString('hex'), since: Date.now() };
  const deadline = Date.now() + (opts.timeoutMs ?? 20 * 60_000);
  let told = false;
  for (;;) {
    if (tryCreate(file, owner)) {
      held.set(file, owner.token);
      return owner;
    }
    const raw = readRaw(file);
    if (raw === undefined) continue; // released between our attempt and the read
    const current = parseOwner(raw);
    if (isStale(file, current, opts.staleAfterMs ?? 60 * 60_000)) {
      breakStale(file, raw);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for lock ${file} held by pid ${current?.pid ?? 'unknown'}`);
    }
    if (!told) opts.onWait?.(current);
    told = true;
    await sleep(200);
  }
}

/** Removes the lock only if it is still ours (a stale-breaker may have replaced it). */
export function release(file: string, owner: LockOwner): void {
  if (held.get(file) === owner.token) held.delete(file);
  const current = parseOwner(readRaw(file));
  if (current?.token === owner.token) rmSync(file, { force: true });
}

function tryCreate(file: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readRaw(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function parseOwner(raw: string | undefined): LockOwner | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.token === 'string' && typeof v.since === 'number') {
      return { pid: v.pid, token: v.token, since: v.since };
    }
  } catch {}
  return undefined;
}

/** A lock is stale when its holder died, its pid now names something else, or it is far too old. */
export function isStale(file: string, owner: LockOwner | undefined, staleAfterMs: number): boolean {
  if (!owner) {
    // Empty or torn: a creator may be between open and write, so only an old file counts as stale.
    try {
      return Date.now() - statSync(file).mtimeMs > 5_000;
    } catch {
      return false;
    }
  }
  if (owner.pid === process.pid) return held.get(file) !== owner.token;
  return (
    !isAlive(owner.pid) || !commandLineIncludes(owner.pid, 'node') || Date.now() - owner.since > staleAfterMs
  );
}

/**
 * Two waiters may both see the same stale lock. Each moves it aside under a private name and checks
 * it moved the stale one; if it moved a fresh lock that the other had just taken, it puts it back.
 */
function breakStale(file: string, staleRaw: string): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // already gone
  }
  if (readRaw(aside) === staleRaw) {
    rmSync(aside, { force: true });
    return;
  }
  try {
    renameSync(aside, file);
  } catch {
    rmSync(aside, { force: true });
  }
}
