import { execFile, spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { StackError } from './report.ts';

export interface CaptureResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be run at all (e.g. ENOENT). */
  error?: string;
}

/** Runs a short command and returns what it printed; never throws, health checks decide from the result. */
export function capture(command: string, args: string[], timeoutMs = 5_000): Promise<CaptureResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string };
      if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
      resolve({ code: null, stdout, stderr, error: e.code ?? e.message });
    });
  });
}

export interface LoggedCommand {
  part: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Runs a long install step with its output in a log file rather than the terminal (apt and pip are
 * noisy); on failure the StackError carries the log's tail.
 */
export function runLogged(cmd: LoggedCommand): Promise<void> {
  mkdirSync(dirname(cmd.logFile), { recursive: true });
  appendFileSync(
    cmd.logFile,
    `\n--- stack: ${new Date().toISOString()} ${cmd.command} ${cmd.args.join(' ')}\n`,
  );
  const fd = openSync(cmd.logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd.command, cmd.args, {
      cwd: cmd.cwd,
      env: cmd.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGTERM'), cmd.timeoutMs ?? 15 * 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new StackError(cmd.part, `could not run ${cmd.command}: ${err.message}`, cmd.logFile));
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      reject(
        new StackError(cmd.part, `${cmd.command} ${cmd.args.slice(0, 3).join(' ')} ${how}`, cmd.logFile),
      );
    });
  });
}
