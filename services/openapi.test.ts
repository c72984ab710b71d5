import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSpecChecker, METHODS, operationsOf, refsIn, resolvePointer } from '../test/support/openapi.ts';
import { openTestPlatform, type TestPlatform } from '../test/support/platform.ts';
import { type createPlatform, SERVICE_NAMES } from './app.ts';
import { platformOpenApi, SERVICE_API } from './openapi.ts';
import { openApiPath } from './platform/openapi.ts';
import { PERMISSIONS } from './platform/permissions.ts';
import { PORTAL_SECTIONS } from './platform/portal.ts';

type Json = Record<string, unknown>;

/** Routes that are not the public API: service-to-service, probes, the description, the portal's pages. */
const NOT_PUBLIC = [
  /^\/internal\//,
  /^\/health/,
  /^\/metrics/,
  /^\/openapi\.json$/,
  /^\/docs/,
  /^\/$/,
  /^\/assets\//,
  new RegExp(`^/(${PORTAL_SECTIONS.join('|')})(/|$)`),
];

describe('the OpenAPI document', () => {
  let env: TestPlatform;
  let platform: ReturnType<typeof createPlatform>;
  const spec = platformOpenApi();

  before(async () => {
    env = await openTestPlatform();
    platform = env.build();
  });
  after(() => env.close());

  it('describes every public route, and every described route is mounted', () => {
    const mounted = new Set(
      platform.app.routes
        .filter((r) => (METHODS as readonly string[]).includes(r.method.toLowerCase()))
        .filter((r) => !NOT_PUBLIC.some((re) => re.test(r.path)))
        .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
    );
    const described = new Set(operationsOf(spec).map((o) => `${o.method} ${o.path}`));
    const undocumented = [...mounted].filter((r) => !described.has(r));
    const unmounted = [...described].filter((r) => !mounted.has(r));
    assert.deepEqual(undocumented, [], `routes missing from the spec: ${undocumented.join(', ')}`);
    assert.deepEqual(unmounted, [], `spec paths with no route: ${unmounted.join(', ')}`);
    assert.ok(mounted.size >= 40, `only ${mounted.size} public routes found`);
  });

  it('serves the same document at /openapi.json', async () => {
    const res = await platform.app.request('/openapi.json');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const served = (await res.json()) as Json;
    assert.deepEqual(Object.keys(served.paths as Json).sort(), Object.keys(spec.paths as Json).sort());
  });

  it('is structurally valid OpenAPI 3.1: refs resolve, ids unique, params declared', () => {
    assert.equal(spec.openapi, '3.1.0');
    const info = spec.info as Json;
    assert.ok(info.title && info.version);
    const dangling = refsIn(spec).filter(({ ref }) => resolvePointer(spec, ref) === undefined);
    assert.deepEqual(dangling, [], 'every $ref resolves inside the document');

    const ops = operationsOf(spec);
    const ids = ops.map((o) => o.operationId);
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      'operationIds are unique',
    );
    const schemes = Object.keys((spec.components as Json).securitySchemes as Json);
    const tags = ((spec.tags as Json[]) ?? []).map((tag) => tag.name);
    for (const { method, path, operationId, op } of ops) {
      const where = `${method.toUpperCase()} ${path} (${operationId})`;
      assert.match(operationId, /^[a-z][A-Za-z0-9]+$/, `${where}: operationId is camelCase`);
      assert.ok(typeof op.summary === 'string' && op.summary.length > 0, `${where}: summary`);
      assert.ok(Array.isArray(op.tags) && op.tags.length > 0, `${where}: tags`);
      for (const tag of op.tags as string[]) assert.ok(tags.includes(tag), `${where}: tag ${tag} declared`);
      for (const req of (op.security as Json[]) ?? [])
        for (const name of Object.keys(req)) assert.ok(schemes.includes(name), `${where}: scheme ${name}`);
      if (op['x-permission'] !== undefined)
        assert.ok(Object.hasOwn(PERMISSIONS, String(op['x-permission'])), `${where}: permission exists`);

      const params = ((op.parameters as Json[]) ?? []).map(
        (p) => (typeof p.$ref === 'string' ? resolvePointer(spec, p.$ref) : p) as Json,
      );
      const inPath = params.filter((p) => p.in === 'path').map((p) => p.name);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      assert.deepEqual([...inPath].sort(), [...templated].sort(), `${where}: path parameters`);
      const keys = params.map((p) => `${p.in}:${p.name}`);
      assert.equal(new Set(keys).size, keys.length, `${where}: no parameter twice`);
      for (const p of params) assert.ok(p.schema, `${where}: parameter ${p.name} has a schema`);

      const responses = op.responses as Json;
      const statuses = Object.keys(responses);
      assert.ok(
        statuses.some((s) => /^[23]\d\d$/.test(s)),
        `${where}: a success response`,
      );
      assert.ok(statuses.includes('400') && statuses.includes('429'), `${where}: 400 and 429`);
      if ((op.security as Json[]).length > 0)
        assert.ok(statuses.includes('401') && statuses.includes('403'), `${where}: 401 and 403`);
      if (method === 'post' && path.startsWith('/v1/') && !path.startsWith('/v1/events'))
        assert.ok(
          keys.includes('header:Idempotency-Key') || op.security === undefined,
          `${where}: Idempotency-Key`,
        );
    }
  });

  it('compiles every component schema, and each list answers the shared page shape', () => {
    // The checker compiles the components with the strict Ajv: an invalid JSON Schema throws here.
    const checker = createSpecChecker(spec);
    assert.ok(checker.find('GET', '/v1/campaigns'));
    const schemas = (spec.components as Json).schemas as Record<string, Json>;
    const paginated = operationsOf(spec).filter((o) =>
      ((o.op.parameters as Json[]) ?? []).some((p) => p.$ref === '#/components/parameters/StartingAfter'),
    );
    assert.ok(paginated.length >= 9, `${paginated.length} paginated lists`);
    for (const { operationId, op } of paginated) {
      const ok = ((op.responses as Json)['200'] as Json).content as Json;
      const ref = ((ok['application/json'] as Json).schema as Json).$ref as string;
      const props = (resolvePointer(spec, ref) as Json).properties as Json;
      for (const key of ['data', 'has_more', 'next_cursor'])
        assert.ok(Object.hasOwn(props, key), `${operationId}: page field ${key}`);
    }
    for (const [name, s] of Object.entries(schemas))
      assert.equal(JSON.stringify(s).includes('tsType'), false, `${name}: no codegen-only keywords`);
  });

  it('uses snake_case for every property and query parameter', () => {
    const camel: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${at}/${i}`);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const o = node as Json;
      if (o.properties && typeof o.properties === 'object')
        for (const k of Object.keys(o.properties as Json)) if (/[A-Z]/.test(k)) camel.push(`${at}.${k}`);
      for (const [k, v] of Object.entries(o)) walk(v, `${at}/${k}`);
    };
    walk((spec.components as Json).schemas, '#/components/schemas');
    for (const { operationId, op } of operationsOf(spec))
      for (const p of (op.parameters as Json[]) ?? [])
        if (p.in === 'query' && /[A-Z]/.test(String(p.name))) camel.push(`${operationId}?${p.name}`);
    // The event envelope, campaign plan and reward schemas are the DSL's and the SDK's formats; the API
    // bodies (api.schema.json) must be snake_case throughout.
    const ours = camel.filter((c) => !/schemas\/(event|plan|reward-http|activities|reward)_/.test(c));
    assert.deepEqual(ours, []);
  });

  it('covers every service, and a process describes only what it mounts', () => {
    assert.deepEqual(Object.keys(SERVICE_API).sort(), [...SERVICE_NAMES].sort());
    const events = operationsOf(platformOpenApi(['event'])).map((o) => o.operationId);
    assert.deepEqual(events.sort(), [
      'archiveEventType',
      'declareEventType',
      'discardDeadLetter',
      'getDeadLetter',
      'getEventType',
      'getSdkFile',
      'getSdkSnippet',
      'listDeadLetters',
      'listEventTypes',
      'retryDeadLetter',
      'sendEvent',
      'sendEventBatch',
    ]);
  });
});
