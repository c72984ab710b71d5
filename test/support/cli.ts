import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../app/cli.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${REPO}bin/pulse.mjs`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

type Env = Record<string, string | undefined>;

/** Runs the `pulse` program in this process with its own environment (nothing of process.env leaks in). */
export async function pulseIn(args: string[], env: Env = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), env });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Runs bin/pulse.mjs as a user would, from the repository root, with exactly `env` (plus PATH/HOME). */
export function pulseSpawned(args: string[], env: Env = {}, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: REPO,
        timeout: timeoutMs,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The JSON document a `-o json` run printed (fails loudly with the run's output when it is not one). */
export function jsonOf<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new SyntaxError(
      `not one JSON document (exit ${run.code}):\n${run.stdout}\n--- stderr ---\n${run.stderr}`,
    );
  }
}
