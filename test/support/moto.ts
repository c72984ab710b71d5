import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.ts';

/** A moto server (AWS API emulator) on a free loopback port, started and stopped by a test. */
export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

const DEFAULT_PATH = fileURLToPath(new URL('../../.venv/bin/moto_server', import.meta.url));

export async function startMoto(): Promise<Moto> {
  const bin = process.env.PULSE_MOTO_SERVER ?? DEFAULT_PATH;
  if (!existsSync(bin))
    throw new Error(`moto_server not found at ${bin}: .venv/bin/pip install 'moto[server]'`);
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error('moto_server did not start within 20 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
