import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, from this file's location, so the stack works whatever the caller's cwd is. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every file the stack writes lives under one data dir (git-ignored), so `rm -rf .data` resets it. */
export interface StackPaths {
  root: string;
  dataDir: string;
  logDir: string;
  pidDir: string;
  lockFile: string;
  venvDir: string;
  temporalDb: string;
  clickhouseDir: string;
}

export function stackPaths(root: string = REPO_ROOT): StackPaths {
  const dataDir = join(root, '.data');
  return {
    root,
    dataDir,
    logDir: join(dataDir, 'logs'),
    pidDir: join(dataDir, 'pids'),
    lockFile: join(dataDir, 'stack.lock'),
    venvDir: join(root, '.venv'),
    temporalDb: join(dataDir, 'temporal', 'temporal.db'),
    clickhouseDir: join(dataDir, 'clickhouse'),
  };
}

export const logFile = (paths: StackPaths, name: string): string => join(paths.logDir, `${name}.log`);
export const pidFile = (paths: StackPaths, name: string): string => join(paths.pidDir, `${name}.pid`);

/** Short form for progress lines: relative to the repo when inside it. */
export function display(path: string, root: string = REPO_ROOT): string {
  const rel = relative(root, path);
  return rel.startsWith('..') ? path : rel;
}
