import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openTestPlatform, type TestPlatform } from '../../test/support/platform.ts';
import type { Platform } from '../app.ts';

/** RFC 4180 records (quoted fields, doubled quotes, newlines inside quotes) as objects keyed by the header. */
function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') endField();
    else if (ch === '\n') {
      endField();
      records.push(row);
      row = [];
    } else if (ch !== '\r') field += ch;
  }
  if (field || row.length) {
    endField();
    records.push(row);
  }
  const [header, ...rest] = records;
  return rest.map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i] ?? ''])));
}

/** The audit log on the composed platform: what is recorded, who sees it, and that it cannot change. */
describe('audit log', () => {
  let tp: TestPlatform;
  let platform: Platform;
  let admin: string;

  before(async () => {
    tp = await openTestPlatform();
    platform = tp.build();
    admin = (await platform.clientManagement.issueKey(null, 'admin')).key;
  });
  after(() => tp.close());

  const call = (method: string, path: string, key: string, body?: unknown) =>
    platform.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        'user-agent': 'audit-test/1.0',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  type Entry = {
    id: string;
    action: string;
    route: string;
    method: string;
    permission: string | null;
    actor: { kind: string; key_id: string | null };
    target: Record<string, unknown>;
    before: unknown;
    after: unknown;
    request_id: string;
    user_agent: string | null;
    ip_hash: string | null;
  };
  const page = async (key: string, q = '') => {
    const r = await call('GET', `/v1/audit${q}`, key);
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as { data: Entry[]; has_more: boolean; next_cursor: string | null };
  };

  it('records every successful change by keys and admins, with route, permission, target, request id and user agent', async () => {
    const created = await call('POST', '/v1/admin/clients', admin, { name: 'Audited' });
    assert.equal(created.status, 201);
    const { client, keys } = (await created.json()) as {
      client: { id: string };
      keys: { secret: { key: string; id: string } };
    };
    const owner = keys.secret.key;
    const issued = await call('POST', '/v1/api-keys', owner, { kind: 'secret', role: 'viewer', name: 'ci' });
    const requestId = issued.headers.get('x-request-id');
    const { key } = (await issued.json()) as { key: { id: string; key: string } };
    assert.equal((await call('DELETE', `/v1/api-keys/${key.id}`, owner)).status, 200);
    // Refused and failed requests and reads are not changes.
    assert.equal((await call('DELETE', `/v1/api-keys/${key.id}`, owner)).status, 404);
    assert.equal((await call('POST', '/v1/api-keys', owner, { kind: 'nope' })).status, 400);
    await call('GET', '/v1/api-keys', owner);
    // A platform admin's change to this client is this client's to see.
    assert.equal(
      (await call('PATCH', `/v1/admin/clients/${client.id}`, admin, { status: 'active' })).status,
      200,
    );

    const { data } = await page(owner);
    assert.deepEqual(
      data.map((e) => [e.action, e.method, e.route, e.actor.kind]),
      [
        ['client.status_changed', 'PATCH', '/v1/admin/clients/:id', 'admin'],
        ['key.revoked', 'DELETE', '/v1/api-keys/:id', 'key'],
        ['key.created', 'POST', '/v1/api-keys', 'key'],
        ['client.created', 'POST', '/v1/admin/clients', 'admin'],
      ],
    );
    const [status, revoked, createdKey] = data;
    assert.deepEqual([status?.before, status?.after], [{ status: 'active' }, { status: 'active' }]);
    assert.equal(revoked?.target.id, key.id);
    assert.equal(revoked?.permission, 'key.revoke');
    assert.equal(revoked?.actor.key_id, keys.secret.id);
    assert.equal(createdKey?.request_id, requestId);
    assert.equal(createdKey?.user_agent, 'audit-test/1.0');
    assert.deepEqual(createdKey?.after, { kind: 'secret', role: 'viewer', name: 'ci' });
    // Another client sees none of it.
    const other = await platform.clientManagement.createClient({ name: 'Other' });
    assert.deepEqual((await page(other.secret.key)).data, []);
  });

  it('filters, pages with a cursor, exports CSV and JSON lines; admins and owners only', async () => {
    const { client, secret } = await platform.clientManagement.createClient({ name: 'Paged' });
    for (let i = 0; i < 5; i++)
      await call('POST', '/v1/api-keys', secret.key, { kind: 'publishable', name: `k${i}` });
    await call('PATCH', `/v1/admin/clients/${client.id}`, admin, { status: 'active' });
    const first = await page(secret.key, '?limit=2&action=key.created');
    assert.equal(first.data.length, 2);
    assert.equal(first.has_more, true);
    const rest = await page(secret.key, `?limit=10&action=key.created&starting_after=${first.next_cursor}`);
    assert.equal(rest.data.length, 3);
    assert.ok(!rest.data.some((e) => first.data.some((f) => f.id === e.id)));
    assert.deepEqual(
      [...first.data, ...rest.data].map((e) => (e.after as { name: string }).name),
      ['k4', 'k3', 'k2', 'k1', 'k0'],
    );
    const bad = await call('GET', '/v1/audit?since=yesterday', secret.key);
    assert.equal(bad.status, 400);

    const csv = await call('GET', '/v1/audit/export.csv', secret.key);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const rows = parseCsv(await csv.text());
    assert.equal(rows.length, 6);
    assert.equal(rows[0]?.action, 'client.status_changed');
    assert.equal(rows[0]?.actor_kind, 'admin');
    const jsonl = await call('GET', '/v1/audit/export.jsonl?action=key.created', secret.key);
    const lines = (await jsonl.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Entry);
    assert.equal(lines.length, 5);

    const manager = await platform.clientManagement.issueKey(client.id, 'secret', 'manager');
    assert.equal((await call('GET', '/v1/audit', manager.key)).status, 403);
  });

  it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const db = tp.db.db;
    const n = await db
      .selectFrom('audit_log')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    assert.ok(n.n > 0);
    await assert.rejects(sql`update audit_log set action = 'forged'`.execute(db), /append-only/);
    await assert.rejects(sql`delete from audit_log`.execute(db), /append-only/);
    await assert.rejects(sql`truncate audit_log`.execute(db), /append-only/);
    const after = await db
      .selectFrom('audit_log')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(after.n, n.n);
    // No raw address is ever kept: only keyed hashes (or none, here: no socket).
    const ips = await db.selectFrom('audit_log').select('ip_hash').where('ip_hash', 'is not', null).execute();
    for (const r of ips) assert.match(r.ip_hash as string, /^[0-9a-f]{64}$/);
  });
});
