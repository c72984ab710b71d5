import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { platformOpenApi } from '../openapi.ts';
import { createApiDocsRoutes } from './api-docs.ts';
import { withErrorHandling } from './http.ts';

const SCREENSHOT = new URL('../../.data/screenshots/docs.png', import.meta.url);

describe('GET /docs', () => {
  let server: ServerType;
  let base: string;
  let browser: Browser;

  before(async () => {
    const app = withErrorHandling(createApiDocsRoutes(platformOpenApi()));
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves its assets locally under a strict CSP, and nothing else of the package', async () => {
    const page = await fetch(`${base}/docs`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//, 'no CDN or other origin');
    assert.doesNotMatch(html, /<script>(?!<)/, 'no inline script');
    const js = await fetch(`${base}/docs/assets/swagger-ui-bundle.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    for (const bad of ['package.json', 'index.html', '..%2Fpackage.json', 'swagger-ui-bundle.js.map'])
      assert.equal((await fetch(`${base}/docs/assets/${bad}`)).status, 404, bad);
  });

  it('renders the operations in Chromium with no CSP violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${base}/docs`);
    // Tags start folded (docExpansion 'none'): every tag is listed, and opening one renders its operations.
    await page.locator('.opblock-tag').first().waitFor({ timeout: 20_000 });
    assert.ok((await page.locator('.opblock-tag').count()) >= 15);
    for (const tag of ['campaigns', 'analytics', 'notifications', 'account']) {
      await page.locator('.opblock-tag', { hasText: new RegExp(`^${tag}`) }).click();
    }
    const deploy = page.locator('.opblock-summary-path', { hasText: '/v1/campaigns/deploy' });
    await deploy.waitFor({ state: 'visible', timeout: 20_000 });
    await page.waitForFunction(() => document.querySelectorAll('.opblock').length >= 40, null, {
      timeout: 20_000,
    });
    await mkdir(new URL('.', SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: false });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
