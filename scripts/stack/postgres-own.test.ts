import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { stackPaths } from './paths.ts';
import { ensurePostgres, postgresDown, postgresReachable, postgresStatus } from './postgres.ts';
import { stackSettings } from './settings.ts';

// The path a machine without a Postgres server takes: the stack runs a cluster of its own under its
// data folder, on a free port. Forced here with PULSE_STACK_POSTGRES=own (this machine has a server);
// on a machine without Debian's binaries `up` apt-installs them first.
const root = mkdtempSync(join(tmpdir(), 'pulse-own-pg-'));
chmodSync(root, 0o755); // the server runs as the postgres user, which must reach its data folder
const settings = stackSettings({ PULSE_STACK_POSTGRES: 'own' }, stackPaths(root));

after(async () => {
  await postgresDown(settings).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

test('with no server to use, the stack runs its own Postgres under .data/ on a free port', async () => {
  const up = await ensurePostgres(settings);
  assert.equal(up.report.running, true);
  assert.equal(up.report.action, 'started');
  const port = Number(new URL(up.databaseUrl).port);
  assert.notEqual(port, 5432);
  assert.equal(Number(readFileSync(join(root, '.data', 'postgres.port'), 'utf8')), port);
  assert.ok(existsSync(join(root, '.data', 'postgres', 'PG_VERSION')));

  const client = new pg.Client({ connectionString: up.databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ db: string }>('select current_database() as db');
    assert.equal(r.rows[0]?.db, 'pulse');
  } finally {
    await client.end();
  }

  const again = await ensurePostgres(settings);
  assert.equal(again.report.action, 'reused');
  assert.equal(again.databaseUrl, up.databaseUrl);
  assert.equal((await postgresStatus(settings)).running, true);

  const down = await postgresDown(settings);
  assert.equal(down.action, 'stopped');
  assert.equal(await postgresReachable(up.databaseUrl), false);
});
