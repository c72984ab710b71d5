import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createClientManagement } from '../../services/client-management/index.ts';
import { loadConfig } from '../../services/platform/config.ts';
import { createDb, dropDatabase } from '../../services/platform/db.ts';
import { keyedHash } from '../../services/platform/ids.ts';
import { createSecretBox } from '../../services/platform/secret-box.ts';
import { jsonOf, pulseIn, pulseSpawned } from '../../test/support/cli.ts';

const BASE = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pulse';

/** A database name nobody has created yet: admin init must migrate it from nothing. */
function freshDatabaseUrl(): string {
  const url = new URL(BASE);
  url.pathname = `/pulse_cli_init_${randomBytes(5).toString('hex')}`;
  return url.toString();
}

interface Init {
  key: { id: string; kind: string; key: string; name?: string };
  existing: number;
}

describe('pulse admin init (real Postgres)', () => {
  const databaseUrl = freshDatabaseUrl();
  const env = { PULSE_DATABASE_URL: databaseUrl, PULSE_HASH_SECRET: 'cli-test-hash-secret' };
  after(async () => {
    await dropDatabase(databaseUrl);
  });

  it('migrates an empty database, stores only the hash of a new admin key and prints the key once', async () => {
    const run = await pulseIn(['admin', 'init', '-o', 'json'], env);
    assert.equal(run.code, 0, run.stderr);
    const { key, existing } = jsonOf<Init>(run);
    assert.equal(existing, 0);
    assert.equal(key.kind, 'admin');
    assert.match(key.key, /^ak_[A-Za-z0-9_-]{20,}$/);
    assert.equal(run.stdout.split(key.key).length - 1, 1, 'the secret appears once on stdout');
    assert.ok(!run.stderr.includes(key.key), 'the secret is not on stderr');
    assert.match(run.stderr, /shown this once/);
    assert.match(run.stderr, /migrations/);

    const db = createDb(databaseUrl, 1);
    try {
      const rows = await db.selectFrom('api_keys').selectAll().execute();
      assert.equal(rows.length, 1);
      const row = rows[0] as { id: string; key_hash: string; kind: string; client_id: string | null };
      assert.equal(row.id, key.id);
      assert.equal(row.kind, 'admin');
      assert.equal(row.client_id, null);
      assert.equal(row.key_hash, keyedHash('cli-test-hash-secret', key.key));
      const raw = await sql<{ t: string }>`select row_to_json(k)::text as t from api_keys k`.execute(db);
      assert.ok(!raw.rows[0]!.t.includes(key.key), 'the raw key is stored nowhere in the row');
      // The server, configured alike, accepts the key as a platform admin.
      const config = loadConfig({ DATABASE_URL: databaseUrl, PULSE_HASH_SECRET: 'cli-test-hash-secret' });
      const cm = createClientManagement(db, {
        hashSecret: config.hashSecret,
        secretBox: createSecretBox(config.encryptionKeys),
      });
      const principal = await cm.resolver.resolve(key.key);
      assert.equal(principal?.keyKind, 'admin');
    } finally {
      await db.destroy();
    }
  });

  it('in text mode prints the secret once, on the line to paste into a shell', async () => {
    const run = await pulseIn(['admin', 'init', '--force-new', '--name', 'text mode'], env);
    assert.equal(run.code, 0, run.stderr);
    const key = /^export PULSE_API_KEY=(ak_\S+)$/m.exec(run.stdout)?.[1];
    assert.ok(key, run.stdout);
    assert.equal(`${run.stdout}\n${run.stderr}`.split(key).length - 1, 1);
    assert.match(run.stdout, /^platform-admin key key_\S+ "text mode"$/m);
  });

  it('refuses a second run without printing any secret, and adds another admin with --force-new', async () => {
    const again = await pulseIn(['admin', 'init'], env);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /a platform admin already exists .*2 live admin key/);
    assert.match(again.stderr, /--force-new/);
    assert.doesNotMatch(again.stderr, /ak_[A-Za-z0-9_-]{20,}/);

    const forced = await pulseIn(
      ['admin', 'init', '--force-new', '--name', 'second operator', '-o', 'json'],
      env,
    );
    assert.equal(forced.code, 0, forced.stderr);
    const second = jsonOf<Init>(forced);
    assert.equal(second.existing, 2);
    assert.equal(second.key.name, 'second operator');

    const db = createDb(databaseUrl, 1);
    try {
      const rows = await db
        .selectFrom('api_keys')
        .select(['id', 'name'])
        .where('kind', '=', 'admin')
        .execute();
      assert.equal(rows.length, 3);
      assert.ok(rows.some((r) => r.id === second.key.id && r.name === 'second operator'));
    } finally {
      await db.destroy();
    }
  });

  it('concurrent first runs on a fresh database create exactly one admin', async () => {
    const url = freshDatabaseUrl();
    try {
      const runs = await Promise.all(
        [0, 1, 2].map(() => pulseIn(['admin', 'init', '--database-url', url, '-o', 'json'], {})),
      );
      assert.deepEqual(runs.map((r) => r.code).sort(), [0, 1, 1], runs.map((r) => r.stderr).join('\n---\n'));
    } finally {
      await dropDatabase(url);
    }
  });

  it('is a usage error to pass an unknown flag (spawned, exit 2, usage printed)', async () => {
    const run = await pulseSpawned(['admin', 'init', '--force'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option '--force'/);
    assert.match(run.stderr, /Usage: pulse admin init/);
  });
});
