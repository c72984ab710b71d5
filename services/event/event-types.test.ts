// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary response JSON
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fakeResolver, sampleEvent } from '../../test/support/event.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { createEventTypeRegistry, declareCampaignEvents } from './event-types.ts';
import { createEventApp } from './index.ts';
import { migrations } from './migrations/index.ts';

let tdb: TestDatabase;
let app: ReturnType<typeof createEventApp>;
const resolver = fakeResolver({
  sk_a: { clientId: 'cli_a', role: 'manager' },
  sk_a_viewer: { clientId: 'cli_a', role: 'viewer' },
  sk_b: { clientId: 'cli_b', role: 'owner' },
  pk_a: { clientId: 'cli_a' },
  pk_b: { clientId: 'cli_b' },
});

before(async () => {
  tdb = await createTestDatabase({ event: migrations });
  app = createEventApp({ db: tdb.db, resolver, hashSecret: 'test-hash-secret' });
});
after(() => tdb.drop());

const call = (method: string, path: string, key: string, body?: unknown) =>
  app.request(
    path,
    {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    },
    { incoming: { socket: { remoteAddress: '127.0.0.1' } } },
  );
const json = async (res: Response) => (await res.json()) as Record<string, any>;
const paths = (body: Record<string, any>) => (body.error?.details ?? []).map((d: { path: string }) => d.path);

const webinar = {
  description: 'A participant attended a webinar',
  properties: {
    type: 'object',
    required: ['webinar_id'],
    additionalProperties: false,
    properties: { webinar_id: { type: 'string', maxLength: 64 }, minutes: { type: 'integer', minimum: 0 } },
  },
};
const event = (name: string, properties?: unknown) =>
  sampleEvent({ event: name, participant_id: 'user_1', ...(properties === undefined ? {} : { properties }) });

describe('/v1/event-types', () => {
  test('PUT declares (201, version 1); the same again is 200 unchanged; a change is version 2', async () => {
    const r1 = await call('PUT', '/v1/event-types/custom_webinar_attended', 'sk_a', webinar);
    assert.equal(r1.status, 201);
    const b1 = await json(r1);
    assert.equal(b1.event_type.version, 1);
    assert.equal(b1.event_type.source, 'api');
    const r2 = await call('PUT', '/v1/event-types/custom_webinar_attended', 'sk_a', {
      // key order does not make a declaration different
      properties: { ...webinar.properties },
      description: webinar.description,
    });
    assert.equal(r2.status, 200);
    assert.equal((await json(r2)).event_type.version, 1);
    const changed = structuredClone(webinar);
    (changed.properties.properties as Record<string, unknown>).rating = {
      type: 'integer',
      minimum: 1,
      maximum: 5,
    };
    const r3 = await call('PUT', '/v1/event-types/custom_webinar_attended', 'sk_a', changed);
    assert.equal(r3.status, 201);
    assert.equal((await json(r3)).event_type.version, 2);
    const got = await json(await call('GET', '/v1/event-types/custom_webinar_attended', 'sk_a_viewer'));
    assert.equal(got.event_type.version, 2);
    assert.deepEqual(got.versions, [2, 1]);
    const v1 = await json(await call('GET', '/v1/event-types/custom_webinar_attended?version=1', 'sk_a'));
    assert.deepEqual(v1.event_type.properties, webinar.properties, 'old versions stay as they were');
  });

  test('bad names and bad schemas are 400 with the field path', async () => {
    const builtIn = await json(await call('PUT', '/v1/event-types/user_signed_up', 'sk_a', webinar));
    assert.equal(builtIn.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(paths(builtIn), ['name']);
    const long = await call('PUT', `/v1/event-types/custom_${'x'.repeat(60)}`, 'sk_a', webinar);
    assert.equal(long.status, 400);
    const res = await call('PUT', '/v1/event-types/custom_bad', 'sk_a', {
      properties: {
        type: 'object',
        properties: { a: { $ref: 'https://evil.example/x.json' }, b: { type: 'string', pattern: '(a+)+$' } },
      },
      extra: 1,
    });
    assert.equal(res.status, 400);
    const body = await json(res);
    assert.deepEqual(paths(body).sort(), [
      'extra',
      'properties.properties.a.$ref',
      'properties.properties.b.pattern',
    ]);
    assert.equal((await call('PUT', '/v1/event-types/custom_bad', 'sk_a', '{nope')).status, 400);
    assert.deepEqual(paths(await json(await call('PUT', '/v1/event-types/custom_bad', 'sk_a', {}))), [
      'properties',
    ]);
  });

  test('permissions: viewers read, managers declare, publishable keys do neither', async () => {
    assert.equal((await call('PUT', '/v1/event-types/custom_x_y', 'sk_a_viewer', webinar)).status, 403);
    assert.equal((await call('GET', '/v1/event-types', 'pk_a')).status, 403);
    assert.equal((await call('GET', '/v1/event-types', 'sk_a_viewer')).status, 200);
  });

  test('lists are paginated with limit / starting_after and scoped to the client', async () => {
    for (const n of ['custom_list_a', 'custom_list_b', 'custom_list_c'])
      assert.equal((await call('PUT', `/v1/event-types/${n}`, 'sk_b', webinar)).status, 201);
    const p1 = await json(await call('GET', '/v1/event-types?limit=2', 'sk_b'));
    assert.deepEqual(
      p1.data.map((t: { name: string }) => t.name),
      ['custom_list_a', 'custom_list_b'],
    );
    assert.equal(p1.has_more, true);
    const p2 = await json(
      await call('GET', `/v1/event-types?limit=2&starting_after=${p1.next_cursor}`, 'sk_b'),
    );
    assert.deepEqual(
      p2.data.map((t: { name: string }) => t.name),
      ['custom_list_c'],
    );
    assert.equal(p2.has_more, false);
    assert.equal(p2.next_cursor, null);
    const bad = await json(await call('GET', '/v1/event-types?starting_after=zzz', 'sk_b'));
    assert.deepEqual(paths(bad), ['starting_after']);
    // cli_a sees none of cli_b's names, and cannot read one
    const a = await json(await call('GET', '/v1/event-types?limit=100', 'sk_a'));
    assert.ok(!a.data.some((t: { name: string }) => t.name.startsWith('custom_list_')));
    assert.equal((await call('GET', '/v1/event-types/custom_list_a', 'sk_a')).status, 404);
    assert.equal((await call('DELETE', '/v1/event-types/custom_list_a', 'sk_a')).status, 404);
  });
});

describe('POST /v1/events with custom event types', () => {
  before(async () => {
    assert.equal((await call('PUT', '/v1/event-types/custom_trial_extended', 'sk_a', webinar)).status, 201);
  });

  test('a declared event with valid properties is accepted and stored', async () => {
    const res = await call(
      'POST',
      '/v1/events',
      'pk_a',
      event('custom_trial_extended', { webinar_id: 'w1', minutes: 5 }),
    );
    assert.equal(res.status, 202, JSON.stringify(await res.clone().json()));
    assert.equal((await json(res)).status, 'accepted');
  });

  test('invalid properties are 400 with paths under properties.', async () => {
    const res = await call(
      'POST',
      '/v1/events',
      'pk_a',
      event('custom_trial_extended', { minutes: -3, x: 1 }),
    );
    assert.equal(res.status, 400);
    assert.deepEqual(paths(await json(res)).sort(), [
      'properties.minutes',
      'properties.webinar_id',
      'properties.x',
    ]);
  });

  test('an undeclared custom type, or an unknown name, is 400 at event with "did you mean"', async () => {
    const res = await call('POST', '/v1/events', 'pk_a', event('custom_trial_extnded', { webinar_id: 'w1' }));
    assert.equal(res.status, 400);
    const body = await json(res);
    assert.deepEqual(paths(body), ['event']);
    assert.match(body.error.details[0].message, /not declared; did you mean "custom_trial_extended"/);
    const typo = await json(await call('POST', '/v1/events', 'pk_a', event('purchase_complete')));
    assert.deepEqual(paths(typo), ['event']);
    assert.match(typo.error.details[0].message, /did you mean "purchase_completed"/);
  });

  test('one client’s declarations never affect another’s', async () => {
    const res = await call(
      'POST',
      '/v1/events',
      'pk_b',
      event('custom_trial_extended', { webinar_id: 'w1' }),
    );
    assert.equal(res.status, 400);
    const body = await json(res);
    assert.match(body.error.details[0].message, /not declared/);
    assert.doesNotMatch(body.error.details[0].message, /did you mean "custom_trial_extended"/);
    // cli_b declares the same name with another schema: each client is checked against its own
    const other = {
      properties: { type: 'object', required: ['plan'], properties: { plan: { type: 'string' } } },
    };
    assert.equal((await call('PUT', '/v1/event-types/custom_trial_extended', 'sk_b', other)).status, 201);
    assert.equal(
      (await call('POST', '/v1/events', 'pk_b', event('custom_trial_extended', { plan: 'pro' }))).status,
      202,
    );
    assert.equal(
      (await call('POST', '/v1/events', 'pk_a', event('custom_trial_extended', { plan: 'pro' }))).status,
      400,
    );
    assert.equal(
      (await call('POST', '/v1/events', 'pk_a', event('custom_trial_extended', { webinar_id: 'w2' }))).status,
      202,
    );
  });

  test('a change applies at once in this process; an archived type is refused; declaring again revives it', async () => {
    const strict = structuredClone(webinar);
    strict.properties.required = ['webinar_id', 'minutes'];
    assert.equal((await call('PUT', '/v1/event-types/custom_trial_extended', 'sk_a', strict)).status, 201);
    const res = await call(
      'POST',
      '/v1/events',
      'pk_a',
      event('custom_trial_extended', { webinar_id: 'w3' }),
    );
    assert.deepEqual(paths(await json(res)), ['properties.minutes']);
    const del = await call('DELETE', '/v1/event-types/custom_trial_extended', 'sk_a');
    assert.equal(del.status, 200);
    assert.ok((await json(del)).event_type.archived_at);
    const archived = await json(
      await call(
        'POST',
        '/v1/events',
        'pk_a',
        event('custom_trial_extended', { webinar_id: 'w4', minutes: 1 }),
      ),
    );
    assert.match(archived.error.details[0].message, /archived/);
    assert.equal((await call('PUT', '/v1/event-types/custom_trial_extended', 'sk_a', strict)).status, 201);
    assert.equal(
      (
        await call(
          'POST',
          '/v1/events',
          'pk_a',
          event('custom_trial_extended', { webinar_id: 'w5', minutes: 1 }),
        )
      ).status,
      202,
    );
  });

  test('in a batch, each custom event is judged on its own', async () => {
    const res = await call('POST', '/v1/events/batch', 'pk_a', {
      events: [
        event('custom_trial_extended', { webinar_id: 'w6', minutes: 2 }),
        event('custom_trial_extended', { minutes: 'two' }),
        event('custom_nobody_declared'),
      ],
    });
    assert.equal(res.status, 202);
    const body = await json(res);
    assert.deepEqual(
      body.results.map((r: { status: string }) => r.status),
      ['accepted', 'rejected', 'rejected'],
    );
    assert.deepEqual(
      body.results[2].errors.map((d: { path: string }) => d.path),
      ['event'],
    );
  });
});

describe('a campaign file’s events: block at deploy', () => {
  const registry = () => createEventTypeRegistry(tdb.db, { cacheMs: 60_000 });
  const decl = (max: number) => ({
    properties: { type: 'object', properties: { score: { type: 'integer', maximum: max } } },
  });

  test('stored as the client’s type with the campaign as source; the same campaign may evolve it', async () => {
    const reg = registry();
    const input = { clientId: 'cli_c', campaignKey: 'nps', createdBy: 'key_x' };
    assert.deepEqual(
      await declareCampaignEvents(tdb.db, reg, { ...input, events: { custom_nps_answered: decl(10) } }),
      { custom_nps_answered: 1 },
    );
    // a redeploy of the same file changes nothing; a new schema from the same campaign is version 2
    assert.deepEqual(
      await declareCampaignEvents(tdb.db, reg, { ...input, events: { custom_nps_answered: decl(10) } }),
      { custom_nps_answered: 1 },
    );
    assert.deepEqual(
      await declareCampaignEvents(tdb.db, reg, { ...input, events: { custom_nps_answered: decl(11) } }),
      { custom_nps_answered: 2 },
    );
    const types = await reg.forClient('cli_c');
    assert.deepEqual(types.names, ['custom_nps_answered']);
    const current = types.get('custom_nps_answered');
    assert.ok(current && current !== 'archived');
    assert.equal(current.version, 2);
  });

  test('another campaign may not change it: 409 at events.<name>; the same schema is fine', async () => {
    const reg = registry();
    const other = { clientId: 'cli_c', campaignKey: 'other', createdBy: 'key_y' };
    await assert.rejects(
      declareCampaignEvents(tdb.db, reg, { ...other, events: { custom_nps_answered: decl(3) } }),
      (err: unknown) => {
        const e = err as { code: string; details: { path: string }[] };
        assert.equal(e.code, 'CONFLICT');
        assert.deepEqual(
          e.details.map((d) => d.path),
          ['events.custom_nps_answered'],
        );
        return true;
      },
    );
    assert.deepEqual(
      await declareCampaignEvents(tdb.db, reg, { ...other, events: { custom_nps_answered: decl(11) } }),
      { custom_nps_answered: 2 },
    );
  });
});
