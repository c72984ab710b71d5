// biome-ignore-all lint/suspicious/noExplicitAny: the snippet runs against a minimal fake DOM
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildSdk } from '../../scripts/build-sdk.ts';
import { VERSION } from '../../sdk/browser/pulse.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import { createEventApp, migrations } from './index.ts';
import { loadSdkBundle, type SdkBundle } from './sdk-files.ts';

// A build of its own: other tests rebuild dist/sdk/ concurrently.
const DIST = `${mkdtempSync(join(tmpdir(), 'pulse-sdk-'))}/`;
const PUBLIC = 'https://pulse.example';

describe('the platform serves the built SDK and the embed snippet', () => {
  let t: TestDatabase;
  let bundle: SdkBundle;
  let app: ReturnType<typeof createEventApp>;
  let bare: ReturnType<typeof createEventApp>;
  let acme: { pk: string; sk: string };
  let otherPk: string;

  before(async () => {
    await buildSdk(DIST);
    const loaded = await loadSdkBundle(DIST);
    assert.ok(loaded, 'the build yields a bundle');
    bundle = loaded;
    t = await createTestDatabase({ 'client-management': cmMigrations, event: migrations });
    const cm = createClientManagement(t.db, { hashSecret: 'x', cacheMs: 0, secretBox: testSecretBox() });
    const a = await cm.createClient({ name: 'Acme' });
    acme = { pk: a.publishable.key, sk: a.secret.key };
    otherPk = (await cm.createClient({ name: 'Other' })).publishable.key;
    const deps = { db: t.db, resolver: cm.resolver, hashSecret: 'x' };
    app = createEventApp({ ...deps, sdk: { bundle, publicBaseUrl: PUBLIC } });
    const empty = mkdtempSync(join(tmpdir(), 'pulse-no-sdk-'));
    try {
      assert.equal(await loadSdkBundle(empty), null, 'an unbuilt folder is no bundle');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    bare = createEventApp({ ...deps, sdk: { bundle: null, publicBaseUrl: PUBLIC } });
  });
  after(async () => {
    rmSync(DIST, { recursive: true, force: true });
    await t.drop();
  });

  it('serves each file under its version: immutable for a year, with an ETag and a JS content type', async () => {
    assert.equal(bundle.version, VERSION);
    for (const file of ['pulse.iife.js', 'pulse.esm.js', 'pulse-widget.js']) {
      const res = await app.request(`/sdk/v${VERSION}/${file}`);
      assert.equal(res.status, 200, file);
      assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const body = Buffer.from(await res.arrayBuffer());
      assert.ok(body.equals(readFileSync(join(DIST, file))), `${file}: the built bytes`);
      const etag = res.headers.get('etag') ?? '';
      assert.equal(etag, `"${createHash('sha256').update(body).digest('base64url')}"`);
      const again = await app.request(`/sdk/v${VERSION}/${file}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
    }
  });

  it('/sdk/latest/ serves the same bytes with a short cache', async () => {
    const latest = await app.request('/sdk/latest/pulse.iife.js');
    const pinned = await app.request(`/sdk/v${VERSION}/pulse.iife.js`);
    assert.equal(latest.status, 200);
    assert.equal(latest.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(latest.headers.get('etag'), pinned.headers.get('etag'));
  });

  it('404 for unknown versions and files, and no path leads out of the SDK folder', async () => {
    const paths = [
      '/sdk/v9.9.9/pulse.iife.js',
      `/sdk/${VERSION}/pulse.iife.js`,
      `/sdk/v${VERSION}/sizes.json`,
      `/sdk/v${VERSION}/manifest.json`,
      `/sdk/v${VERSION}/nope.js`,
      `/sdk/v${VERSION}/..%2F..%2F..%2Fpackage.json`,
      `/sdk/v${VERSION}/%2e%2e%2f%2e%2e%2fpackage.json`,
      '/sdk/latest/..%5C..%5Cpackage.json',
      `/sdk/v${VERSION}/pulse.iife.js%00.png`,
      `/sdk/v${VERSION}/x/../../../package.json`,
      '/sdk/latest/../../package.json',
      `/sdk/v${VERSION}/pulse.iife.js/extra`,
      '/sdk/pulse.iife.js',
    ];
    for (const path of paths) {
      const res = await app.request(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /"devDependencies"|"name": "pulse"/, path);
    }
    assert.equal((await bare.request(`/sdk/v${VERSION}/pulse.iife.js`)).status, 404, 'not built: 404');
  });

  it('GET /v1/sdk/snippet?key=pk_… points at the versioned file with its SRI hash', async () => {
    const res = await app.request(`/v1/sdk/snippet?key=${acme.pk}&campaign_id=signup-default`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as {
      snippet: string;
      sdk_url: string;
      integrity: string;
      version: string;
    };
    const url = `${PUBLIC}/sdk/v${VERSION}/pulse.iife.js`;
    assert.equal(body.sdk_url, url);
    assert.equal(body.version, VERSION);
    const served = Buffer.from(await (await app.request(`/sdk/v${VERSION}/pulse.iife.js`)).arrayBuffer());
    assert.equal(body.integrity, `sha384-${createHash('sha384').update(served).digest('base64')}`);
    // Run the snippet against a fake DOM: it loads that URL, with integrity and CORS.
    const added: any[] = [];
    const win: Record<string, any> = {};
    const doc = { createElement: () => ({}), head: { appendChild: (s: any) => added.push(s) } };
    new Function('window', 'document', body.snippet.replace(/^<script>|<\/script>$/g, ''))(win, doc);
    assert.deepEqual(
      { src: added[0]?.src, integrity: added[0]?.integrity, crossOrigin: added[0]?.crossOrigin },
      { src: url, integrity: body.integrity, crossOrigin: 'anonymous' },
    );
    assert.deepEqual(win.Pulse._c, { key: acme.pk, endpoint: PUBLIC, campaign: 'signup-default' });
  });

  it('the snippet key must be a live publishable key of the caller’s client', async () => {
    const withSecret = (q: string) =>
      app.request(`/v1/sdk/snippet${q}`, { headers: { authorization: `Bearer ${acme.sk}` } });
    assert.equal((await withSecret(`?key=${acme.pk}`)).status, 200, 'a secret key may ask for its pk');
    for (const q of ['', `?key=${otherPk}`, `?key=${acme.sk}`]) {
      const res = await withSecret(q);
      assert.equal(res.status, 400, q);
      const err = (await res.json()) as { error: { details: { path: string }[] } };
      assert.equal(err.error.details[0]?.path, 'key');
    }
    assert.equal((await app.request('/v1/sdk/snippet')).status, 401);
    assert.equal((await app.request('/v1/sdk/snippet?key=pk_unknown')).status, 401);
    assert.equal((await app.request(`/v1/sdk/snippet?key=${acme.sk}`)).status, 401, 'no secret key in a URL');
    assert.equal((await bare.request(`/v1/sdk/snippet?key=${acme.pk}`)).status, 503, 'SDK not built');
  });
});
