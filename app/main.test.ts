import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildSdk } from '../scripts/build-sdk.ts';
import { VERSION } from '../sdk/browser/pulse.ts';
import { createTestClickHouse, type TestClickHouse } from '../test/support/clickhouse.ts';
import { freePort } from '../test/support/net.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));

describe('npm start (app/main.ts) as an operator runs it', () => {
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let sdkDir: string;
  before(async () => {
    pg = await createTestDatabase();
    ch = await createTestClickHouse();
    sdkDir = `${mkdtempSync(join(tmpdir(), 'pulse-start-sdk-'))}/`;
    await buildSdk(sdkDir);
  });
  after(async () => {
    rmSync(sdkDir, { recursive: true, force: true });
    await ch.drop();
    await pg.drop();
  });

  it('migrates, serves (health, SDK files), and stops cleanly with exit 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'app/main.ts'], {
      cwd: repo,
      env: {
        ...process.env,
        DATABASE_URL: pg.url,
        CLICKHOUSE_DATABASE: ch.database,
        PORT: String(port),
        PULSE_TASK_QUEUE: `pulse-start-test-${process.pid}`,
        PULSE_SDK_DIR: sdkDir,
        // The start and stop lines are info-level JSON logs (the test runner defaults to warn).
        PULSE_LOG_LEVEL: 'info',
        // Nothing listens here: email is only tried when a journey sends one.
        SMTP_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const deadline = Date.now() + 90_000;
      while (!stdout.includes('"msg":"pulse listening on ')) {
        if (child.exitCode !== null) assert.fail(`npm start exited early:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) assert.fail(`not listening within 90 s:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(stdout, /"msg":"migrations up to date"/);
      const base = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${base}/health`)).status, 200);
      const sdk = await fetch(`${base}/sdk/v${VERSION}/pulse.iife.js`);
      assert.equal(sdk.status, 200);
      assert.equal(sdk.headers.get('cache-control'), 'public, max-age=31536000, immutable');

      const t0 = performance.now();
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      const ms = performance.now() - t0;
      console.log(`npm start: stopped ${ms.toFixed(0)} ms after SIGTERM`);
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
      assert.match(stdout, /"signal":"SIGTERM".*"msg":"stopping"/);
      assert.doesNotMatch(stderr, /IllegalStateError|Not running|Unhandled|ERR_/, stderr);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
