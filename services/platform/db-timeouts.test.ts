import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { createDb } from './db.ts';

describe('postgres pool: bounded waits and an error listener', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
  });
  after(() => t.drop());

  test('a server that accepts and never answers fails the query within the connection timeout', async () => {
    const held: Socket[] = [];
    const hole = createServer((s) => {
      held.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    const port = (hole.address() as { port: number }).port;
    const db = createDb(`postgres://postgres@127.0.0.1:${port}/x`, 2, { connectionTimeoutMs: 300 });
    try {
      const t0 = performance.now();
      await assert.rejects(sql`select 1`.execute(db));
      const ms = performance.now() - t0;
      console.log(`postgres silent server: query failed after ${ms.toFixed(0)} ms`);
      assert.ok(ms < 2_000, `${ms.toFixed(0)} ms`);
    } finally {
      await db.destroy();
      for (const s of held) s.destroy();
      await new Promise<void>((r) => hole.close(() => r()));
    }
  });

  test('a statement running past statement_timeout is cancelled by the server', async () => {
    const db = createDb(t.url, 1, { statementTimeoutMs: 200 });
    try {
      const t0 = performance.now();
      await assert.rejects(sql`select pg_sleep(3)`.execute(db), (err: { code?: string }) => {
        assert.equal(err.code, '57014', 'query_canceled');
        return true;
      });
      assert.ok(performance.now() - t0 < 2_000);
    } finally {
      await db.destroy();
    }
  });

  test('an idle connection killed by the server is logged, not an uncaught error; the pool recovers', async () => {
    const logs: string[] = [];
    const db = createDb(t.url, 1, { log: (m) => logs.push(m) });
    try {
      const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid;
      await sql`select pg_terminate_backend(${pid})`.execute(t.db);
      for (let i = 0; i < 50 && logs.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(logs.length, 1, JSON.stringify(logs));
      assert.doesNotMatch(logs[0] ?? '', /postgres:\/\//, 'no connection string in the log');
      assert.equal((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]?.one, 1);
    } finally {
      await db.destroy();
    }
  });
});
