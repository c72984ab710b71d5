import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../services/platform/config.ts';
import { jsonOf, pulseIn, pulseSpawned } from '../../test/support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { serviceMigrations } from '../migrations.ts';
import { type Runtime, startRuntime } from '../runtime.ts';

const HASH_SECRET = 'cli-platform-test-hash-secret';

interface Key {
  id: string;
  kind: string;
  role: string | null;
  key: string;
  name?: string;
  signing_secret?: string;
}

/**
 * The API commands against a real platform: client management, campaign and workflow services on a
 * real HTTP port over a fresh Postgres database, the admin key bootstrapped by `pulse admin init`.
 */
describe('pulse CLI against a running platform', () => {
  let pg: TestDatabase;
  let runtime: Runtime;
  let admin: Record<string, string>;
  let url: string;
  let clientId: string;
  let owner: Record<string, string>;

  before(async () => {
    pg = await createTestDatabase(serviceMigrations);
    const config = loadConfig({ ...process.env, DATABASE_URL: pg.url, PULSE_HASH_SECRET: HASH_SECRET });
    runtime = await startRuntime({
      config,
      port: 0,
      only: ['client-management', 'campaign', 'workflow'],
      worker: false,
    });
    url = runtime.url;
    const init = await pulseIn(['admin', 'init', '-o', 'json'], {
      PULSE_DATABASE_URL: pg.url,
      PULSE_HASH_SECRET: HASH_SECRET,
    });
    assert.equal(init.code, 0, init.stderr);
    admin = { PULSE_URL: url, PULSE_API_KEY: jsonOf<{ key: Key }>(init).key.key };
  });
  after(async () => {
    await runtime?.stop();
    await pg?.drop();
  });

  it('client create prints the client and its two keys once; client list shows it', async () => {
    const run = await pulseIn(['client', 'create', 'Acme Shop', '--plan', 'growth', '-o', 'json'], admin);
    assert.equal(run.code, 0, run.stderr);
    const created = jsonOf<{
      client: { id: string; name: string; plan: string; status: string };
      keys: { publishable: Key; secret: Key };
    }>(run);
    assert.equal(created.client.name, 'Acme Shop');
    assert.equal(created.client.plan, 'growth');
    assert.match(created.keys.publishable.key, /^pk_/);
    assert.match(created.keys.secret.key, /^sk_/);
    assert.equal(created.keys.secret.role, 'owner');
    assert.match(run.stderr, /shown this once/);
    clientId = created.client.id;
    owner = { PULSE_URL: url, PULSE_API_KEY: created.keys.secret.key };

    const text = await pulseIn(['client', 'list'], admin);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ID +NAME +PLAN +STATUS +CREATED_AT$/m);
    assert.match(text.stdout, new RegExp(`^${clientId} +Acme Shop +growth +active `, 'm'));
    const json = jsonOf<{ data: { id: string }[] }>(await pulseIn(['client', 'list', '-o', 'json'], admin));
    assert.deepEqual(
      json.data.map((c) => c.id),
      [clientId],
    );
  });

  it('a bad plan is refused by the server with its field path and request id', async () => {
    const run = await pulseIn(['client', 'create', 'Bad Plan Inc', '--plan', 'Not A Plan!'], admin);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^create client failed: HTTP 400 VALIDATION_FAILED: client is invalid\n {2}at plan: /m,
    );
    assert.match(run.stderr, /^ {2}at plan: must match pattern/m);
    assert.match(run.stderr, /^ {2}request_id \S+$/m);
  });

  it('key create: the admin issues keys for the client; the client issues its own; key list and revoke', async () => {
    const byAdmin = await pulseIn(
      [
        'key',
        'create',
        '--client',
        clientId,
        '--type',
        'secret',
        '--role',
        'manager',
        '--name',
        'CI deploys',
        '-o',
        'json',
      ],
      admin,
    );
    assert.equal(byAdmin.code, 0, byAdmin.stderr);
    const manager = jsonOf<{ key: Key }>(byAdmin).key;
    assert.equal(manager.role, 'manager');
    assert.equal(manager.name, 'CI deploys');
    assert.match(manager.signing_secret ?? '', /^whsec_/);

    const publishable = await pulseIn(['key', 'create', '--type', 'publishable', '-o', 'json'], owner);
    assert.equal(publishable.code, 0, publishable.stderr);
    const pk = jsonOf<{ key: Key }>(publishable).key;
    assert.match(pk.key, /^pk_/);

    const adminNeedsClient = await pulseIn(['key', 'create', '--type', 'publishable'], admin);
    assert.equal(adminNeedsClient.code, 2);
    assert.match(adminNeedsClient.stderr, /--client <id> is required/);
    const otherClient = await pulseIn(
      ['key', 'create', '--client', 'cli_other', '--type', 'publishable'],
      owner,
    );
    assert.equal(otherClient.code, 2);
    assert.match(otherClient.stderr, new RegExp(`belongs to client ${clientId}, not cli_other`));

    const listed = jsonOf<{ data: { id: string; name: string | null; key_prefix: string }[] }>(
      await pulseIn(['key', 'list', '--client', clientId, '-o', 'json'], admin),
    );
    assert.equal(listed.data.length, 4, JSON.stringify(listed)); // owner, publishable, manager, pk
    assert.ok(listed.data.some((k) => k.id === manager.id && k.name === 'CI deploys'));
    assert.ok(!JSON.stringify(listed).includes(manager.key), 'lists never show a key');

    const revoked = await pulseIn(['key', 'revoke', manager.id], owner);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `key ${manager.id} revoked`);
    const useRevoked = await pulseIn(['campaign', 'list'], { PULSE_URL: url, PULSE_API_KEY: manager.key });
    assert.equal(useRevoked.code, 1);
    assert.match(useRevoked.stderr, /list campaigns failed: HTTP 401/);
    const second = jsonOf<{ key: Key }>(
      await pulseIn(
        ['key', 'create', '--client', clientId, '--type', 'secret', '--role', 'owner', '-o', 'json'],
        admin,
      ),
    ).key;
    const adminRevokes = await pulseIn(['key', 'revoke', second.id, '--client', clientId], admin);
    assert.equal(adminRevokes.code, 0, adminRevokes.stderr);
    const again = await pulseIn(['key', 'revoke', second.id, '--client', clientId], admin);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /HTTP 404 NOT_FOUND: no such active key for this client/);
    assert.equal(
      (await pulseIn(['campaign', 'list'], { PULSE_URL: url, PULSE_API_KEY: second.key })).code,
      1,
    );
    const textList = await pulseIn(['key', 'list'], owner);
    assert.match(
      textList.stdout,
      new RegExp(`^${manager.id} +secret +manager +CI deploys +sk_\\S+ +\\d{4}-`, 'm'),
    );
  });

  it('key create --scope --expires, and key rotate with an overlap', async () => {
    const run = await pulseIn(
      [
        'key',
        'create',
        '--type',
        'secret',
        '--role',
        'viewer',
        '--scope',
        'campaign.read',
        'member.read',
        '--expires',
        '30d',
        '-o',
        'json',
      ],
      owner,
    );
    assert.equal(run.code, 0, run.stderr);
    const scoped = jsonOf<{ key: Key & { scopes: string[]; expires_at: string } }>(run).key;
    assert.deepEqual(scoped.scopes, ['campaign.read', 'member.read']);
    const days = (Date.parse(scoped.expires_at) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
    const asScoped = { PULSE_URL: url, PULSE_API_KEY: scoped.key };
    assert.equal((await pulseIn(['campaign', 'list'], asScoped)).code, 0);
    const beyond = await pulseIn(
      ['key', 'create', '--type', 'secret', '--role', 'viewer', '--scope', 'campaign.deploy'],
      owner,
    );
    assert.equal(beyond.code, 1);
    assert.match(beyond.stderr, /HTTP 400 VALIDATION_FAILED[\s\S]*at scopes\.0/);
    const badExpiry = await pulseIn(['key', 'create', '--type', 'publishable', '--expires', 'soon'], owner);
    assert.equal(badExpiry.code, 2);

    const rotated = await pulseIn(['key', 'rotate', scoped.id, '--overlap', '0s', '-o', 'json'], owner);
    assert.equal(rotated.code, 0, rotated.stderr);
    const r = jsonOf<{ key: Key & { scopes: string[] }; previous: { id: string } }>(rotated);
    assert.equal(r.previous.id, scoped.id);
    assert.deepEqual(r.key.scopes, ['campaign.read', 'member.read']);
    assert.match(rotated.stderr, /shown this once/);
    // No overlap: the old key is refused at once, the new one works.
    assert.equal((await pulseIn(['campaign', 'list'], asScoped)).code, 1);
    assert.equal((await pulseIn(['campaign', 'list'], { PULSE_URL: url, PULSE_API_KEY: r.key.key })).code, 0);
    const adminRotate = await pulseIn(['key', 'rotate', r.key.id], admin);
    assert.equal(adminRotate.code, 2);
  });

  it('campaign deploy / list / show / pause / resume / archive, spawned with PULSE_URL and PULSE_API_KEY', async () => {
    const deploy = await pulseSpawned(
      ['campaign', 'deploy', 'campaigns/signup.pulse.yaml', '-o', 'json', '--settings', 'double_sided=true'],
      owner,
    );
    assert.equal(deploy.code, 0, deploy.stderr);
    const deployed = jsonOf<{ campaign_id: string; version: number; created: boolean; pulse: string }>(
      deploy,
    );
    assert.equal(deployed.pulse, 'signup');
    assert.equal(deployed.version, 1);
    assert.match(deploy.stderr, new RegExp(`deploying campaigns/signup.pulse.yaml to ${url}`));
    const id = deployed.campaign_id;

    const list = await pulseIn(['campaign', 'list'], owner);
    assert.match(list.stdout, new RegExp(`^${id} +signup +Signup Pulse +active +1 `, 'm'));
    const show = jsonOf<{ campaign: { id: string; status: string }; versions: { version: number }[] }>(
      await pulseIn(['campaign', 'show', id, '-o', 'json'], owner),
    );
    assert.equal(show.campaign.id, id);
    assert.deepEqual(
      show.versions.map((v) => v.version),
      [1],
    );
    for (const [verb, status] of [
      ['pause', 'paused'],
      ['resume', 'active'],
      ['archive', 'ended'],
    ]) {
      const r = await pulseIn(['campaign', verb!, id], owner);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `campaign ${id} is now ${status}`);
    }
    const missing = await pulseIn(['campaign', 'show', 'cmp_nope'], owner);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /show campaign cmp_nope failed: HTTP 404 NOT_FOUND: no such campaign/);
  });

  it('journey show answers 404 for an unknown journey; journey list filters and checks its choices', async () => {
    const show = await pulseIn(['journey', 'show', 'cmp_none', 'nobody'], owner);
    assert.equal(show.code, 1);
    assert.match(show.stderr, /show journey cmp_none\/nobody failed: HTTP 404 NOT_FOUND/);
    const list = await pulseIn(['journey', 'list', '--participant', 'nobody', '-o', 'json'], owner);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(jsonOf<{ data: unknown[] }>(list).data, []);
    const badStatus = await pulseIn(['journey', 'list', '--status', 'sleeping'], owner);
    assert.equal(badStatus.code, 2);
    assert.match(badStatus.stderr, /Allowed choices are running, completed/);
  });

  it('client suspend stops the client key at once; resume brings it back', async () => {
    const suspended = await pulseIn(['client', 'suspend', clientId], admin);
    assert.equal(suspended.code, 0, suspended.stderr);
    assert.equal(suspended.stdout, `client ${clientId} is now suspended`);
    const refused = await pulseIn(['campaign', 'list'], owner);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /HTTP 403 CLIENT_INACTIVE/);
    const resumed = await pulseIn(['client', 'resume', clientId, '-o', 'json'], admin);
    assert.equal(jsonOf<{ client: { status: string } }>(resumed).client.status, 'active');
    assert.equal((await pulseIn(['campaign', 'list'], owner)).code, 0);
    const asClient = await pulseIn(['client', 'list'], owner);
    assert.equal(asClient.code, 2);
    assert.match(asClient.stderr, /client list needs a platform-admin key/);
  });
});
