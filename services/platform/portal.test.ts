import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPortalRoutes, loadPortalBundle, type PortalBundle } from './portal.ts';

describe('portal routes', () => {
  let dir: string;
  let bundle: PortalBundle | null;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-portal-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<html><head><title>x</title></head><body></body></html>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'assets', 'notes.txt'), 'not served');
    bundle = await loadPortalBundle(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('answers index.html for its page paths, revalidated, under a CSP, with the Temporal UI handed over', async () => {
    const app = createPortalRoutes({ bundle, temporalUiUrl: 'http://127.0.0.1:8233"><script>' });
    for (const path of [
      '/',
      '/campaigns',
      '/campaigns/cmp_1/edit',
      '/admin',
      '/admin/clients',
      '/settings/keys',
    ]) {
      const res = await app.request(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      const html = await res.text();
      assert.match(
        html,
        /<meta name="pulse-temporal-ui" content="http:\/\/127\.0\.0\.1:8233&#34;&#62;&#60;script&#62;">/,
      );
    }
  });

  it('serves hashed assets for a year with an ETag, and nothing else of the folder', async () => {
    const app = createPortalRoutes({ bundle });
    const res = await app.request('/assets/index-abc123.js');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const etag = res.headers.get('etag') ?? '';
    assert.ok(etag);
    assert.equal(
      (await app.request('/assets/index-abc123.js', { headers: { 'if-none-match': etag } })).status,
      304,
    );
    for (const bad of ['/assets/notes.txt', '/assets/..%2Findex.html', '/assets/missing.js', '/index.html'])
      assert.equal((await app.request(bad)).status, 404, bad);
  });

  it('leaves every other path to the API, and says how to build when there is no build', async () => {
    const app = createPortalRoutes({ bundle });
    for (const path of ['/v1/campaigns', '/campaignsx', '/health'])
      assert.equal((await app.request(path)).status, 404, path);
    const none = createPortalRoutes({ bundle: await loadPortalBundle(join(dir, 'nothing')) });
    const res = await none.request('/');
    assert.equal(res.status, 404);
    assert.match(await res.text(), /npm run build:portal/);
  });
});
