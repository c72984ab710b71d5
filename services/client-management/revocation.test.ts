import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import {
  type ClientManagement,
  createClientManagement,
  createClientManagementApp,
  migrations,
} from './index.ts';

/** Polls until `check` holds; returns the milliseconds it took, or throws after `withinMs`. */
async function within(withinMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < withinMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not within ${withinMs} ms`);
}

describe('revocation reaches every process at once (LISTEN/NOTIFY)', () => {
  let t: TestDatabase;
  const box = testSecretBox();
  // Two "processes": separate resolvers and caches on one database; caches far longer than the test.
  let a: ClientManagement;
  let b: ClientManagement;
  const stops: { stop(): Promise<void> }[] = [];

  before(async () => {
    t = await createTestDatabase({ 'client-management': migrations });
    a = createClientManagement(t.db, { hashSecret: 'h', secretBox: box, cacheMs: 60_000 });
    b = createClientManagement(t.db, { hashSecret: 'h', secretBox: box, cacheMs: 60_000 });
    stops.push(await a.listen(t.url), await b.listen(t.url));
  });
  after(async () => {
    for (const s of stops) await s.stop();
    await t.drop();
  });

  it('a key revoked through one process is refused by the other within a second', async () => {
    const { publishable, secret } = await a.createClient({ name: 'Acme' });
    assert.ok(await b.resolver.resolve(publishable.key), 'cached in b');
    // A third process that does not listen keeps its cached answer: the cache really is in play.
    const deaf = createClientManagement(t.db, { hashSecret: 'h', secretBox: box, cacheMs: 60_000 });
    assert.ok(await deaf.resolver.resolve(publishable.key));

    const app = createClientManagementApp({ db: t.db, clientManagement: a });
    const res = await app.request(`/v1/api-keys/${publishable.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${secret.key}` },
    });
    assert.equal(res.status, 200);
    const ms = await within(1_000, async () => (await b.resolver.resolve(publishable.key)) === null);
    console.log(`revocation seen by the other process after ${ms} ms`);
    assert.equal(await a.resolver.resolve(publishable.key), null, 'and by the revoking one');
    assert.ok(await deaf.resolver.resolve(publishable.key), 'the non-listening cache is still stale');
  });

  it('a client suspended through one process is inactive in the other within a second', async () => {
    const { client, secret } = await a.createClient({ name: 'Beta' });
    assert.equal((await b.resolver.resolve(secret.key))?.clientStatus, 'active');
    await a.setStatus(client.id, 'suspended');
    const ms = await within(
      1_000,
      async () => (await b.resolver.resolve(secret.key))?.clientStatus === 'suspended',
    );
    console.log(`suspension seen by the other process after ${ms} ms`);
  });

  it('a lost listen connection never extends a key’s life: notices missed meanwhile still take effect', async () => {
    const { client, publishable } = await a.createClient({ name: 'Gamma' });
    assert.ok(await b.resolver.resolve(publishable.key));
    // Cut every LISTEN connection on this database, then revoke straight away in SQL (no notice at all).
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and query like 'LISTEN %' and pid <> pg_backend_pid()`.execute(t.db);
    await t.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', publishable.id)
      .execute();
    await within(1_000, async () => (await b.resolver.resolve(publishable.key)) === null);
    // And once reconnected, notices flow again.
    const { secret } = await a.issueKey(client.id, 'secret', 'viewer').then((k) => ({ secret: k }));
    await within(2_000, async () => {
      await b.resolver.resolve(secret.key);
      const n = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and query like 'LISTEN %'`.execute(t.db);
      return n.rows[0]?.n === 2;
    });
    assert.ok(await b.resolver.resolve(secret.key));
    await a.revokeKey({ ...(await a.resolver.resolve(secret.key))!, role: 'owner' }, secret.id);
    await within(1_000, async () => (await b.resolver.resolve(secret.key)) === null);
  });
});
