import { existsSync, readFileSync } from 'node:fs';
import { display } from './paths.ts';

/** Who runs a part: the stack (pid file), someone else on the same port, or an address from the env. */
export type Owner = 'stack' | 'other' | 'env' | 'system';

/** What one stack command found or did for one part; `up`, `down` and `status` all return these. */
export interface ServiceReport {
  name: string;
  running: boolean;
  /** What this command did: `started` and `stopped` are the only actions with side effects. */
  action: 'started' | 'reused' | 'stopped' | 'left-running' | 'none';
  owner?: Owner;
  pid?: number;
  address: string;
  log?: string;
  note?: string;
}

export type Log = (line: string) => void;

/** `stack: name  ` with names aligned, the prefix of every progress line. */
export const label = (name: string): string => `stack: ${name.padEnd(12)}`;

function ownerText(r: ServiceReport): string {
  if (r.owner === 'stack') return r.pid ? `started by stack, pid ${r.pid}` : 'started by stack';
  if (r.owner === 'other') return 'not started by stack';
  if (r.owner === 'env') return 'external, from env';
  if (r.owner === 'system') return 'system service';
  return '';
}

/** One progress line, e.g. `stack: temporal    up (started, pid 1234)  127.0.0.1:7233  log .data/logs/temporal.log`. */
export function formatUp(r: ServiceReport): string {
  const how =
    r.action === 'started'
      ? `started${r.pid ? `, pid ${r.pid}` : ''}`
      : r.owner === 'stack' || r.owner === 'other'
        ? `already running, ${ownerText(r)}`
        : ownerText(r);
  return line(r.name, `up (${how})`, r);
}

export function formatDown(r: ServiceReport): string {
  if (r.action === 'stopped') return line(r.name, `stopped (pid ${r.pid})`, r);
  if (r.action === 'left-running') return line(r.name, `left running (${ownerText(r)})`, r);
  return line(r.name, 'not running', r);
}

export function formatStatus(r: ServiceReport): string {
  return line(r.name, r.running ? `running  ${ownerText(r)}` : 'stopped', r);
}

function line(name: string, state: string, r: ServiceReport): string {
  const parts = [`${label(name)}${state}`, r.address];
  if (r.log) parts.push(`log ${display(r.log)}`);
  if (r.note) parts.push(r.note);
  return parts.filter(Boolean).join('  ');
}

/** The last lines of a log file, for failure messages. */
export function tail(file: string, lines = 20): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8').trimEnd();
  return text ? text.split('\n').slice(-lines) : [];
}

/** A part that did not come up; the message names the part, its log and the log's last lines. */
export class StackError extends Error {
  override readonly name = 'StackError';
  constructor(
    readonly part: string,
    readonly reason: string,
    readonly logFile?: string,
  ) {
    super(StackError.compose(part, reason, logFile));
  }

  private static compose(part: string, reason: string, logFile?: string): string {
    const out = [`stack: ${part} FAILED: ${reason}`];
    if (logFile) {
      const last = tail(logFile);
      out.push(`  log: ${display(logFile)}${last.length ? ` (last ${last.length} lines):` : ' (empty)'}`);
      for (const l of last) out.push(`  | ${l}`);
    }
    return out.join('\n');
  }
}
