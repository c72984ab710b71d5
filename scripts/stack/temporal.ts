import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SEARCH_ATTRIBUTE_NAMES } from '../../contract/search-attributes.ts';
import { capture } from './command.ts';
import type { DaemonSpec } from './daemon.ts';
import { tcpOpen, waitFor } from './health.ts';
import { logFile, pidFile } from './paths.ts';
import { type ServiceReport, StackError } from './report.ts';
import type { StackSettings } from './settings.ts';

export const temporalAddress = (s: StackSettings): string => `${s.temporal.host}:${s.temporal.port}`;

/**
 * Healthy means the frontend reports SERVING and the `default` namespace exists: start-dev registers
 * it a moment after the port opens, and workers that connect before that fail.
 */
export async function temporalHealthy(s: StackSettings, temporalBin: string): Promise<boolean> {
  if (!(await tcpOpen(s.temporal.host, s.temporal.port))) return false;
  // Without the CLI (venv not installed yet, `status` only) the open port is all we can check.
  if (!existsSync(temporalBin)) return true;
  const address = temporalAddress(s);
  const health = await capture(temporalBin, ['operator', 'cluster', 'health', '--address', address]);
  if (health.code !== 0 || !health.stdout.includes('SERVING')) return false;
  const ns = await capture(temporalBin, [
    'operator',
    'namespace',
    'describe',
    '--namespace',
    'default',
    '--address',
    address,
  ]);
  return ns.code === 0;
}

export function temporalSpec(s: StackSettings, temporalBin: string): DaemonSpec {
  return {
    name: 'temporal',
    address: temporalAddress(s),
    pidFile: pidFile(s.paths, 'temporal'),
    logFile: logFile(s.paths, 'temporal'),
    cmdlineMarker: 'start-dev',
    timeoutMs: 60_000,
    listening: () => tcpOpen(s.temporal.host, s.temporal.port),
    healthy: () => temporalHealthy(s, temporalBin),
    prepare: async () => {
      mkdirSync(dirname(s.paths.temporalDb), { recursive: true });
      return {
        command: temporalBin,
        args: [
          'server',
          'start-dev',
          '--ip',
          s.temporal.host,
          '--port',
          String(s.temporal.port),
          '--ui-port',
          String(s.temporal.uiPort),
          // A file, not memory: workflows and namespaces survive `down`/`up`.
          '--db-filename',
          s.paths.temporalDb,
          '--log-level',
          'warn',
          // The journeys' search attributes, so the UI filters journeys by client, campaign, pulse,
          // participant and correlation id (the worker also adds them on servers that lack them).
          ...SEARCH_ATTRIBUTE_NAMES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
        ],
        cwd: s.paths.root,
        logFile: logFile(s.paths, 'temporal'),
      };
    },
  };
}

/** TEMPORAL_ADDRESS pointing elsewhere: only check that it answers. */
export async function checkExternalTemporal(s: StackSettings, temporalBin: string): Promise<ServiceReport> {
  const address = temporalAddress(s);
  if (!(await waitFor(() => temporalHealthy(s, temporalBin), 60_000))) {
    throw new StackError(
      'temporal',
      `TEMPORAL_ADDRESS=${address} is set but no healthy Temporal answers there`,
    );
  }
  return { name: 'temporal', running: true, action: 'reused', owner: 'env', address };
}
