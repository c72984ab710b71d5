import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { serviceMigrations } from '../../app/migrations.ts';
import { ERROR_STATUS, type ErrorCode, errorDocAnchor, isRetryableCode } from '../../contract/errors.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { createPlatform } from '../app.ts';
import { createSmtpMailer } from '../notification/index.ts';
import { createPostgresBus } from './bus/postgres-bus.ts';
import { createClickHouse } from './clickhouse.ts';
import { loadConfig } from './config.ts';
import { ERROR_DOCS_FILE, renderMarkdown } from './error-docs.ts';

const PUBLIC_URL = 'https://pulse.example.test';
const from = (ip: string) => ({ incoming: { socket: { remoteAddress: ip } } });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('docs/errors.md', () => {
  const md = readFileSync(ERROR_DOCS_FILE, 'utf8');
  const sections = new Map<string, string>();
  for (const part of md.split(/^## /m).slice(1)) {
    const [title = '', ...rest] = part.split('\n');
    sections.set(title.trim(), rest.join('\n'));
  }

  it('has one section per error code, stating its status and whether it is retryable', () => {
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
      const text = sections.get(errorDocAnchor(code));
      assert.ok(text, `no section "## ${errorDocAnchor(code)}" for ${code}`);
      assert.match(text, new RegExp(`\\*\\*${code}\\*\\* · HTTP ${ERROR_STATUS[code]} · `), code);
      const says = /· retryable\b/.test(text) ? true : /· not retryable\b/.test(text) ? false : null;
      assert.equal(says, isRetryableCode(code), `${code}: retryable stated wrongly`);
      assert.ok(text.trim().split('\n').length >= 3, `${code}: section says what to do`);
    }
    const known = new Set((Object.keys(ERROR_STATUS) as ErrorCode[]).map(errorDocAnchor));
    for (const title of sections.keys()) assert.ok(known.has(title), `section ${title} names no code`);
  });

  it('renders every section with an id equal to its anchor, and escapes markup', () => {
    const html = renderMarkdown(md);
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[])
      assert.ok(html.includes(`<h2 id="${errorDocAnchor(code)}">`), code);
    assert.equal(renderMarkdown('a <b> & `x<y>`'), '<p>a &lt;b&gt; &amp; <code>x&lt;y&gt;</code></p>');
  });
});

describe('one error shape on every failure', () => {
  let t: TestDatabase;
  let temporal: Client;
  let build: (env?: Record<string, string>) => ReturnType<typeof createPlatform>;

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    const base = loadConfig({ ...process.env, DATABASE_URL: t.url });
    temporal = await createTemporalClient(base.temporalAddress);
    const ch = createClickHouse(base.clickhouseUrl, base.clickhouseDatabase);
    const bus = createPostgresBus({ db: t.db });
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'x@pulse.test' });
    build = (env = {}) =>
      createPlatform({
        config: loadConfig({ ...process.env, DATABASE_URL: t.url, PULSE_PUBLIC_URL: PUBLIC_URL, ...env }),
        db: t.db,
        ch,
        bus,
        mailer,
        temporal,
      });
  });
  after(async () => {
    await temporal.connection.close();
    await t.drop();
  });

  /** Checks the shape and that doc_url resolves to a section of the served page. */
  async function expectError(
    app: ReturnType<typeof createPlatform>['app'],
    res: Response,
    status: number,
    code: ErrorCode,
  ): Promise<{ code: string; message: string; details?: { path?: string }[] }> {
    const text = await res.text();
    assert.equal(res.status, status, text);
    const body = JSON.parse(text) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body), ['error'], 'nothing beside "error" at the top level');
    const e = body.error as { code: string; message: string; request_id: string; doc_url: string };
    assert.equal(e.code, code);
    assert.equal(typeof e.message, 'string');
    assert.match(e.request_id, /^req_[a-z2-7]{20}$/);
    assert.equal(res.headers.get('X-Request-Id'), e.request_id, 'the body names the request of the header');
    assert.equal(e.doc_url, `${PUBLIC_URL}/docs/errors#${code.toLowerCase()}`);
    const url = new URL(e.doc_url);
    const page = await app.request(url.pathname);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.ok((await page.text()).includes(`id="${url.hash.slice(1)}"`), `anchor ${url.hash} resolves`);
    if ('details' in e) assert.ok(Array.isArray(e.details) && e.details.length > 0, 'details only when any');
    return e;
  }

  it('404, 401, 403, 400 with field paths, a batch of only bad events, and a 500 that leaks nothing', async () => {
    const platform = build();
    const { app, clientManagement } = platform;
    // A route that fails the way a database fault does (added before the router is built).
    app.get('/v1/zz-fault', () => {
      throw new Error('relation "secret_table" does not exist');
    });
    const { publishable } = await clientManagement.createClient({ name: 'Shapes' });
    const ip = from('192.0.2.10');
    await expectError(app, await app.request('/v1/no-such-route', {}, ip), 404, 'NOT_FOUND');
    await expectError(app, await app.request('/v1/campaigns', {}, ip), 401, 'UNAUTHORIZED');
    const unknown = await app.request('/v1/campaigns', { headers: bearer('sk_nope') }, ip);
    await expectError(app, unknown, 401, 'UNAUTHORIZED');
    const wrongKind = await app.request('/v1/campaigns', { headers: bearer(publishable.key) }, ip);
    await expectError(app, wrongKind, 403, 'FORBIDDEN');
    const bad = await app.request(
      '/v1/events',
      { method: 'POST', headers: bearer(publishable.key), body: JSON.stringify({ type: 'purchase' }) },
      ip,
    );
    const badError = await expectError(app, bad, 400, 'VALIDATION_FAILED');
    assert.ok(
      badError.details?.some((d) => typeof d.path === 'string'),
      'a field path',
    );
    const batch = await app.request(
      '/v1/events/batch',
      {
        method: 'POST',
        headers: bearer(publishable.key),
        body: JSON.stringify({ events: [{ type: 'purchase' }, { nope: 1 }] }),
      },
      ip,
    );
    const batchError = await expectError(app, batch, 400, 'VALIDATION_FAILED');
    const paths = (batchError.details ?? []).map((d) => d.path ?? '');
    assert.ok(
      paths.some((p) => p.startsWith('events.0')) && paths.some((p) => p.startsWith('events.1')),
      paths.join(),
    );
    await expectError(
      app,
      await app.request('/v1/events', { method: 'POST', headers: bearer(publishable.key), body: '{' }, ip),
      400,
      'BAD_REQUEST',
    );

    const fault = await app.request('/v1/zz-fault', {}, ip);
    const faultError = await expectError(app, fault, 500, 'INTERNAL');
    assert.doesNotMatch(faultError.message, /secret_table/);
  });

  it('a rate-limit refusal from the middleware has the same shape, with Retry-After', async () => {
    const { app } = build({ PULSE_RATE_ANONYMOUS: '2/0.01' });
    const ip = from('192.0.2.20');
    await app.request('/health', {}, ip);
    await app.request('/health', {}, ip);
    const refused = await app.request('/health', {}, ip);
    await expectError(app, refused, 429, 'RATE_LIMITED');
    assert.ok(Number(refused.headers.get('Retry-After')) >= 1);
  });

  it('without PULSE_PUBLIC_URL set on the request, a service app alone still links its own origin', async () => {
    const { apps } = build();
    const res = await (apps.campaign as NonNullable<typeof apps.campaign>).request(
      'http://svc.local/v1/campaigns',
    );
    const body = (await res.json()) as { error: { request_id: string; doc_url: string } };
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('X-Request-Id'), body.error.request_id);
    assert.equal(body.error.doc_url, 'http://svc.local/docs/errors#unauthorized');
  });
});
