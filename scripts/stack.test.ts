import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { stackUp } from './stack.ts';

// Shares the stack with every other test file: it brings it up but never takes it down.
test('stackUp twice: the second call starts nothing, and every part answers', async () => {
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
  };
  const first = await stackUp({ log });
  const second = await stackUp({ log });

  assert.deepEqual(
    second.services.filter((s) => s.action === 'started').map((s) => s.name),
    [],
    `second up started something:\n${lines.join('\n')}`,
  );
  assert.equal(second.venvInstalled, false);
  for (const part of second.services) {
    assert.equal(part.running, true, `${part.name} is not running`);
    const before = first.services.find((s) => s.name === part.name);
    assert.equal(part.pid, before?.pid, `${part.name} changed pid between the two calls`);
  }
  assert.deepEqual(second.services.map((s) => s.name).sort(), [
    'clickhouse',
    'mailbox',
    'postgres',
    'temporal',
  ]);
  for (const bin of [second.testServerPath, second.motoServerPath, second.venvPython]) {
    assert.ok(existsSync(bin), `${bin} missing`);
  }

  const ch = await fetch(`${second.clickhouseUrl}/`, { method: 'POST', body: 'SELECT 1' });
  assert.equal(ch.status, 200);
  assert.equal((await ch.text()).trim(), '1');
  const dbs = await fetch(`${second.clickhouseUrl}/`, { method: 'POST', body: 'SHOW DATABASES' });
  assert.match(await dbs.text(), /^pulse$/m);

  const connection = await Connection.connect({ address: second.temporalAddress });
  try {
    const health = await connection.healthService.check({});
    assert.equal(health.status, 1, 'Temporal health service is not SERVING');
    const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
    assert.equal(ns.namespaceInfo?.name, 'default');
  } finally {
    await connection.close();
  }

  const client = new pg.Client({ connectionString: second.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ ok: number }>('select 1 as ok');
    assert.equal(rows[0]?.ok, 1);
  } finally {
    await client.end();
  }
});
