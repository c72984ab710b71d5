import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Runtime, startRuntime } from '../../app/runtime.ts';
import { loadConfig } from '../../services/platform/config.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { buildSdk } from '../build-sdk.ts';

const SDK_DIR = fileURLToPath(new URL('../../dist/sdk/', import.meta.url));

export interface LocalPlatform {
  runtime: Runtime;
  smtp: TestSmtpServer;
  /** A platform-admin key issued for this run. */
  adminKey: string;
  stop(): Promise<void>;
}

/**
 * Everything in one process on top of the running stack: the eight services on a free port, the event
 * drainer, bus subscribers, the Temporal worker and router, and an SMTP server on loopback whose
 * mailbox stands in for the participants' inboxes.
 */
export async function startLocalPlatform(
  env: Record<string, string | undefined> = process.env,
): Promise<LocalPlatform> {
  // The platform serves the browser SDK; build it once (half a second) when it is not there yet.
  if (!env.PULSE_SDK_DIR && !existsSync(`${SDK_DIR}manifest.json`)) await buildSdk();
  const smtp = await startTestSmtpServer();
  // A task queue of its own per run (unless given), so a stale worker elsewhere never takes our journeys.
  const taskQueue = env.PULSE_TASK_QUEUE ?? `pulse-local-${process.pid}-${Date.now().toString(36)}`;
  // The port is chosen before start so that share links (PULSE_PUBLIC_URL) point at this very server.
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const config = loadConfig({
    ...env,
    SMTP_PORT: String(smtp.port),
    PULSE_TASK_QUEUE: taskQueue,
    PORT: String(port),
    PULSE_PUBLIC_URL: env.PULSE_PUBLIC_URL ?? `http://127.0.0.1:${port}`,
    PULSE_SDK_DIR: env.PULSE_SDK_DIR ?? SDK_DIR,
    // Whoever drives this platform over loopback (the demo, end-to-end tests) stands in for the edge
    // proxy: its X-Forwarded-For names the participant's address, as a real proxy's would.
    PULSE_TRUSTED_PROXIES: env.PULSE_TRUSTED_PROXIES ?? '127.0.0.1/32,::1/128',
  });
  const runtime = await startRuntime({ config, port });
  const admin = await runtime.platform.clientManagement.issueKey(null, 'admin');
  return {
    runtime,
    smtp,
    adminKey: admin.key,
    async stop() {
      await runtime.stop();
      await smtp.close();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
