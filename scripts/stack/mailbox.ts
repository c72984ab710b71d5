import { join } from 'node:path';
import type { DaemonSpec } from './daemon.ts';
import { httpText, tcpOpen } from './health.ts';
import { logFile, pidFile } from './paths.ts';
import type { StackSettings } from './settings.ts';

/**
 * The development mailbox (the npm package maildev): an SMTP server on the port Pulse sends to by default
 * (SMTP_PORT 2525) and a web UI where a person reads what the journeys sent. Local only; production sends
 * through a real relay (SMTP_HOST/SMTP_PORT).
 */
export function mailboxSpec(s: StackSettings): DaemonSpec {
  const { smtpPort, webPort } = s.mailbox;
  const log = logFile(s.paths, 'mailbox');
  const bin = join(s.paths.root, 'node_modules', 'maildev', 'bin', 'maildev');
  return {
    name: 'mailbox',
    address: `smtp 127.0.0.1:${smtpPort}, web http://127.0.0.1:${webPort}`,
    pidFile: pidFile(s.paths, 'mailbox'),
    logFile: log,
    cmdlineMarker: 'maildev',
    timeoutMs: 30_000,
    listening: () => tcpOpen('127.0.0.1', smtpPort),
    healthy: async () => {
      const res = await httpText(`http://127.0.0.1:${webPort}/healthz`);
      return res?.status === 200 && (await tcpOpen('127.0.0.1', smtpPort));
    },
    prepare: async () => ({
      command: process.execPath,
      args: [
        bin,
        '--smtp',
        String(smtpPort),
        '--web',
        String(webPort),
        '--ip',
        '127.0.0.1',
        '--mail-directory',
        join(s.paths.dataDir, 'mail'),
        '--silent',
      ],
      cwd: s.paths.root,
      logFile: log,
    }),
  };
}
