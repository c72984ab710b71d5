import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { migrateService } from '../platform/db.ts';
import { createSecretBox } from '../platform/secret-box.ts';
import { createClientManagement, migrations, reencryptSigningSecrets } from './index.ts';

describe('signing secrets at rest: one-time encryption of old rows, rotation', () => {
  let t: TestDatabase;
  const k0 = { kid: 'k0', key: randomBytes(32) };
  const k1 = { kid: 'k1', key: randomBytes(32) };

  before(async () => {
    // The database as it was before encryption: only the first migration, secrets in plaintext.
    const first = Object.fromEntries(Object.entries(migrations).slice(0, 1));
    t = await createTestDatabase({ 'client-management': first });
    await t.db.insertInto('clients').values({ id: 'cli_old', name: 'Old', plan: 'starter' }).execute();
    for (const n of [1, 2])
      await t.db
        .insertInto('api_keys')
        .values({
          id: `key_${n}`,
          client_id: 'cli_old',
          kind: 'secret',
          role: 'owner',
          key_hash: `hash_${n}`,
          key_prefix: 'sk_xxxx',
          signing_secret: `whsec_plain_${n}`,
        })
        .execute();
    await migrateService(t.db, 'client-management', migrations);
  });
  after(() => t.drop());

  const stored = async () =>
    (await t.db.selectFrom('api_keys').select(['id', 'signing_secret']).orderBy('id').execute()).map(
      (r) => r.signing_secret ?? '',
    );

  it('encrypts plaintext rows once, then validates the encrypted-only constraint', async () => {
    const box = createSecretBox([k0]);
    assert.equal(await reencryptSigningSecrets(t.db, box), 2);
    const rows = await stored();
    assert.ok(rows.every((v) => v.startsWith('enc:v1:k0:')));
    assert.deepEqual(
      rows.map((v) => box.decrypt(v)),
      ['whsec_plain_1', 'whsec_plain_2'],
    );
    assert.equal(await reencryptSigningSecrets(t.db, box), 0, 'idempotent');
    const validated = await t.db
      .selectFrom('pg_constraint' as never)
      .select('convalidated' as never)
      .where('conname' as never, '=', 'api_keys_signing_secret_encrypted' as never)
      .executeTakeFirstOrThrow();
    assert.equal((validated as { convalidated: boolean }).convalidated, true);
  });

  it('rotates: with a new key first, old rows are re-encrypted under it and keys keep resolving', async () => {
    const rotated = createSecretBox([k1, k0]);
    assert.equal(await reencryptSigningSecrets(t.db, rotated), 2);
    const rows = await stored();
    assert.ok(rows.every((v) => v.startsWith('enc:v1:k1:')));
    const onlyNew = createSecretBox([k1]);
    assert.deepEqual(
      rows.map((v) => onlyNew.decrypt(v)),
      ['whsec_plain_1', 'whsec_plain_2'],
      'the retired key is no longer needed',
    );
    const cm = createClientManagement(t.db, { hashSecret: 'h', secretBox: onlyNew, cacheMs: 0 });
    const { secret } = await cm.createClient({ name: 'New' });
    assert.equal((await cm.resolver.resolve(secret.key))?.signingSecret, secret.signing_secret);
  });
});
