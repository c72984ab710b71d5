import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { buildSdk } from '../../scripts/build-sdk.ts';
import { VERSION } from '../../sdk/browser/pulse.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import { createEventApp, loadSdkBundle, migrations } from './index.ts';

const listen = (s: Server | ServerType) =>
  new Promise<number>((resolve) => {
    if (s.listening) resolve((s.address() as AddressInfo).port);
    else s.once('listening', () => resolve((s.address() as AddressInfo).port));
  });

// Real Chromium: a client's page on one origin pastes the snippet; the SDK comes from the platform on
// another, checked against its integrity hash.
describe('the embed snippet in a real browser', () => {
  let t: TestDatabase;
  let dir: string;
  let platform: ServerType;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  let pages: Record<string, string>;

  before(async () => {
    dir = `${mkdtempSync(join(tmpdir(), 'pulse-embed-sdk-'))}/`;
    await buildSdk(dir);
    t = await createTestDatabase({ 'client-management': cmMigrations, event: migrations });
    const cm = createClientManagement(t.db, { hashSecret: 'x', cacheMs: 0, secretBox: testSecretBox() });
    const pk = (await cm.createClient({ name: 'Acme' })).publishable.key;
    // The platform's address must be known before its snippet is rendered: bind first, then build.
    let fetchApp: (r: Request) => Response | Promise<Response> = () => new Response(null, { status: 503 });
    platform = serve({ fetch: (r) => fetchApp(r), port: 0, hostname: '127.0.0.1' });
    const base = `http://127.0.0.1:${await listen(platform)}`;
    const app = createEventApp({
      db: t.db,
      resolver: cm.resolver,
      hashSecret: 'x',
      sdk: { bundle: await loadSdkBundle(dir), publicBaseUrl: base },
    });
    fetchApp = (r) => app.fetch(r);
    const { snippet, integrity } = (await (await fetch(`${base}/v1/sdk/snippet?key=${pk}`)).json()) as {
      snippet: string;
      integrity: string;
    };
    const page = (s: string) => `<!doctype html><html><head>${s}</head><body>shop</body></html>`;
    pages = {
      '/good': page(snippet),
      // The same snippet with another file's hash: what a tampered CDN copy looks like to the browser.
      '/tampered': page(snippet.replace(integrity, `sha384-${Buffer.alloc(48, 7).toString('base64')}`)),
    };
    site = createServer((req, res) => {
      const body = pages[req.url ?? ''];
      res.writeHead(body ? 200 : 404, { 'content-type': 'text/html' }).end(body ?? '');
    }).listen(0, '127.0.0.1');
    siteUrl = `http://127.0.0.1:${await listen(site)}`;
    browser = await chromium.launch({
      executablePath: process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => site?.close(() => r()));
    await new Promise<void>((r) => platform?.close(() => r()));
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const visit = async (path: string) => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const console: string[] = [];
    page.on('console', (m) => console.push(m.text()));
    const sdkResponses: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/sdk/')) sdkResponses.push(r.status());
    });
    await page.goto(`${siteUrl}${path}`);
    await page.waitForTimeout(500);
    const version = await page.evaluate(
      () => (window as unknown as { Pulse?: { VERSION?: string } }).Pulse?.VERSION,
    );
    await ctx.close();
    return { version, console, sdkResponses };
  };

  it('loads the versioned SDK cross-origin with its integrity hash; the stub is replaced', async () => {
    const r = await visit('/good');
    assert.deepEqual(r.sdkResponses, [200]);
    assert.equal(r.version, VERSION, r.console.join('\n'));
  });

  it('a file that does not match the hash is refused by the browser', async () => {
    const r = await visit('/tampered');
    assert.equal(r.version, undefined, 'the SDK did not run');
    assert.ok(
      r.console.some((m) => /integrity/i.test(m)),
      `the browser names the integrity check: ${r.console.join('\n')}`,
    );
  });
});
