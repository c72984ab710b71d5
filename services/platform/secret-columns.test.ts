import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { createSecretBox } from './secret-box.ts';
import { encryptedOnly, reencryptColumn, type SecretColumn } from './secret-columns.ts';

const SPEC: SecretColumn = {
  table: 'hooks',
  keys: ['tenant', 'id'],
  column: 'secret',
  constraint: 'hooks_enc',
};

describe('encrypted secret columns: migration, one-time re-encryption, rotation', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
    await sql`create table hooks (tenant text, id int, secret text, primary key (tenant, id))`.execute(t.db);
    await sql`insert into hooks values ('a', 1, 'plain-1'), ('b', 1, 'plain-2'), ('a', 2, null)`.execute(
      t.db,
    );
    await (encryptedOnly(SPEC).up as (db: unknown) => Promise<void>)(t.db);
  });
  after(() => t.drop());

  const values = async () =>
    (
      await sql<{ secret: string | null }>`select secret from hooks order by tenant, id`.execute(t.db)
    ).rows.map((r) => r.secret);

  it('after the migration, new plaintext is refused while old rows wait for re-encryption', async () => {
    await assert.rejects(sql`insert into hooks values ('c', 1, 'plain')`.execute(t.db), /hooks_enc/);
    assert.deepEqual(await values(), ['plain-1', null, 'plain-2']);
  });

  it('re-encrypts old rows once, validates the constraint, and rotates to a new first key', async () => {
    const k0 = { kid: 'k0', key: randomBytes(32) };
    const k1 = { kid: 'k1', key: randomBytes(32) };
    const old = createSecretBox([k0]);
    assert.equal(await reencryptColumn(t.db, old, SPEC), 2);
    assert.equal(await reencryptColumn(t.db, old, SPEC), 0);
    const once = await values();
    assert.deepEqual(
      once.map((v) => (v ? old.decrypt(v) : v)),
      ['plain-1', null, 'plain-2'],
    );
    const valid = await sql<{
      v: boolean;
    }>`select convalidated as v from pg_constraint where conname = 'hooks_enc'`.execute(t.db);
    assert.equal(valid.rows[0]?.v, true);
    const rotated = createSecretBox([k1, k0]);
    assert.equal(await reencryptColumn(t.db, rotated, SPEC), 2);
    const onlyNew = createSecretBox([k1]);
    assert.deepEqual(
      (await values()).map((v) => (v ? onlyNew.decrypt(v) : v)),
      ['plain-1', null, 'plain-2'],
    );
  });
});
