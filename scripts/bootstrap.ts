import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './stack/paths.ts';

/**
 * Runs `npm ci` when node_modules was never (completely) installed, as in a fresh clone. npm writes
 * node_modules/.package-lock.json last, so its absence also catches an install that was cut short.
 * Uses only node: modules so it can run before dependencies exist; callers import the rest afterwards.
 */
export function ensureNodeModules(root: string = REPO_ROOT): boolean {
  if (existsSync(join(root, 'node_modules', '.package-lock.json'))) return false;
  console.log('bootstrap: node_modules is missing or incomplete; running npm ci');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`npm ci failed (${result.error?.message ?? `exit ${result.status}`})`);
  return true;
}
