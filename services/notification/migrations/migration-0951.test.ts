import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Migration, Migrator, sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { migrateService } from '../../platform/db.ts';
import { migrations } from './index.ts';

/** The migrations main shipped before webhook management (0951 and later left out). */
const beforeManagement: Record<string, Migration> = Object.fromEntries(
  Object.entries(migrations).filter(([name]) => name < '0951'),
);

const columnsOf = async (t: TestDatabase, table: string) =>
  (
    await sql<{ column_name: string }>`select column_name from information_schema.columns
      where table_name = ${table} order by column_name`.execute(t.db)
  ).rows.map((r) => r.column_name);

describe('migration 0951 on a delivery log written before it (a database migrated by main)', () => {
  let t: TestDatabase;
  const delivered = new Date('2026-03-04T05:06:07.000Z');

  before(async () => {
    t = await createTestDatabase({ notification: beforeManagement });
    await sql`insert into webhook_endpoints (id, client_id, url, secret, topics)
      values ('whe_old', 'cl_a', 'https://93.184.216.34/h', 'enc:v1:k:iv:ct', '{*}')`.execute(t.db);
    await sql`insert into webhook_deliveries (client_id, endpoint_id, idempotency_key, topic, status_code, delivered_at)
      values ('cl_a', 'whe_old', 'wf/ok', 't', 200, ${delivered}),
        ('cl_a', 'whe_old', 'wf/failed', 't', 500, null),
        ('cl_b', 'whe_old', 'wf/ok', 't', 200, ${delivered})`.execute(t.db);
  });
  after(() => t.drop());

  const rows = async () =>
    (
      await sql<{
        client_id: string;
        idempotency_key: string;
        id: string;
        created_at: Date;
        attempts: number;
      }>`select client_id, idempotency_key, id, created_at, attempts from webhook_deliveries
        order by client_id, idempotency_key`.execute(t.db)
    ).rows;

  it('gives old rows ids derived from their key and their delivery time as creation time', async () => {
    const started = Date.now();
    await migrateService(t.db, 'notification', migrations);
    const after = await rows();
    const expected = (client: string, key: string) =>
      `whd_${createHash('md5').update(`${client}/whe_old/${key}`).digest('hex').slice(0, 24)}`;
    assert.deepEqual(
      after.map((r) => r.id),
      [expected('cl_a', 'wf/failed'), expected('cl_a', 'wf/ok'), expected('cl_b', 'wf/ok')],
    );
    assert.equal(new Set(after.map((r) => r.id)).size, 3, 'the same key at two clients: two ids');
    const [failed, ok] = after;
    assert.equal(ok!.created_at.toISOString(), delivered.toISOString(), 'delivered: its delivery time');
    assert.ok(failed!.created_at.getTime() >= started - 5_000, 'failed, time unknown: the migration’s');
    assert.deepEqual(
      after.map((r) => r.attempts),
      [1, 1, 1],
    );
    // New rows still get their defaults, and an id is required.
    await sql`insert into webhook_deliveries (id, client_id, endpoint_id, idempotency_key, topic)
      values ('whd_new', 'cl_a', 'whe_old', 'wf/new', 't')`.execute(t.db);
    const fresh = await sql<{ created_at: Date }>`select created_at from webhook_deliveries
      where id = 'whd_new'`.execute(t.db);
    assert.ok(fresh.rows[0]!.created_at instanceof Date);
    await assert.rejects(
      sql`insert into webhook_deliveries (client_id, endpoint_id, idempotency_key, topic)
        values ('cl_a', 'whe_old', 'wf/no-id', 't')`.execute(t.db),
      /null value in column "id"/,
    );
  });

  it('goes down to the tables before it, and up again to the same ids', async () => {
    const ids = (await rows()).filter((r) => r.id !== 'whd_new');
    const migrator = new Migrator({
      db: t.db,
      provider: { getMigrations: async () => migrations },
      migrationTableName: 'migrations_notification',
      migrationLockTableName: 'migrations_notification_lock',
    });
    const down = await migrator.migrateTo('0004_delivery_log');
    assert.equal(down.error, undefined, String(down.error));
    assert.deepEqual(await columnsOf(t, 'webhook_deliveries'), [
      'client_id',
      'delivered_at',
      'endpoint_id',
      'idempotency_key',
      'status_code',
      'topic',
    ]);
    assert.ok(!(await columnsOf(t, 'webhook_endpoints')).includes('previous_secret'));
    await migrateService(t.db, 'notification', migrations);
    const again = (await rows()).filter((r) => r.idempotency_key !== 'wf/new');
    assert.deepEqual(
      again.map((r) => r.id),
      ids.map((r) => r.id),
      'deterministic: the same ids the first run gave',
    );
  });
});

describe('migration 0951 on a fresh database', () => {
  it('applies with an empty log', async () => {
    const t = await createTestDatabase({ notification: migrations });
    try {
      assert.ok((await columnsOf(t, 'webhook_deliveries')).includes('payload'));
      assert.ok((await columnsOf(t, 'webhook_endpoints')).includes('previous_secret_expires_at'));
    } finally {
      await t.drop();
    }
  });
});
