import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ensurePortal } from '../../scripts/build-portal.ts';
import { call } from '../../scripts/journey/http.ts';
import { type IsolatedPlatform, startIsolatedPlatform } from '../../test/support/isolated-platform.ts';
import { type AxeViolation, launchChromium, seriousViolations } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'portal/screenshots');
const run = randomUUID().slice(0, 8);
const OWNER_EMAIL = `owner.${run}@example.test`;

interface EndpointView {
  id: string;
  previous_secret_expires_at: string | null;
}

/**
 * Rotating a webhook secret in the portal asks first, and a rotation refused because another one's
 * overlap still runs (409) shows the server's reason in the dialog, with the way out (end it now).
 */
describe('webhook secret rotation in a browser', () => {
  let env: IsolatedPlatform;
  let base: string;
  let browser: Browser;
  let page: Page;
  let sk: string;
  const a11y: Record<string, AxeViolation[]> = {};
  const pageErrors: string[] = [];

  const check = async (name: string) => {
    await page.waitForLoadState('networkidle');
    a11y[name] = await seriousViolations(page);
    await page.screenshot({ path: join(SHOTS, `fixnotif-${name}.png`), fullPage: true });
  };
  const addEndpoint = async (n: number) => {
    const r = await call<{ id: string; secret: string }>(
      base,
      'POST',
      '/v1/notifications/webhook-endpoints',
      {
        key: sk,
        body: { url: `https://93.184.216.34/hooks/${run}/${n}` },
      },
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const endpoint = async (id: string) =>
    (await call<EndpointView>(base, 'GET', `/v1/notifications/webhook-endpoints/${id}`, { key: sk })).body;

  before(async () => {
    await ensurePortal();
    await mkdir(SHOTS, { recursive: true });
    env = await startIsolatedPlatform({
      PULSE_ENV: 'development',
      PULSE_PORTAL_DIR: join(ROOT, 'portal/dist'),
    });
    base = env.platform.runtime.url;
    const created = await call<{ keys: { secret: { key: string } } }>(base, 'POST', '/v1/admin/clients', {
      key: env.platform.adminKey,
      body: { name: `Rotation ${run}` },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    sk = created.body.keys.secret.key;
    const m = await call(base, 'POST', '/v1/members', {
      key: sk,
      body: { email: OWNER_EMAIL, role: 'owner' },
    });
    assert.equal(m.status, 201, JSON.stringify(m.body));
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, bypassCSP: true });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(base);
    await page.getByLabel(/Email/).fill(OWNER_EMAIL);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('asks before rotating, then shows the new secret once', async () => {
    const ep = await addEndpoint(1);
    await page.goto(`${base}/settings/webhooks`);
    await page.getByRole('button', { name: `Rotate secret of https://93.184.216.34/hooks/${run}/1` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('For a day, deliveries carry signatures by both secrets').waitFor();
    assert.equal((await endpoint(ep.id)).previous_secret_expires_at, null, 'nothing rotated by opening it');
    await check('rotate-confirm');
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const shown = await page.getByLabel('Signing secret').inputValue();
    assert.match(shown, /^whsec_/);
    assert.notEqual(shown, ep.secret);
    assert.ok((await endpoint(ep.id)).previous_secret_expires_at, 'the overlap runs');
    await page.getByRole('button', { name: 'Done' }).click();
    // The list now knows the overlap: the dialog says so and only offers to end it.
    await page.getByRole('button', { name: `Rotate secret of https://93.184.216.34/hooks/${run}/1` }).click();
    await dialog.getByText('A rotation is in progress').waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Rotate secret' }).count(), 0);
    await check('rotate-in-progress');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('shows the 409 reason when another rotation began meanwhile, and can end the old secret now', async () => {
    const ep = await addEndpoint(2);
    await page.goto(`${base}/settings/webhooks`);
    const button = page.getByRole('button', {
      name: `Rotate secret of https://93.184.216.34/hooks/${run}/2`,
    });
    await button.waitFor();
    // Someone else rotates it behind the page's back: the page still thinks no overlap runs.
    const other = await call(base, 'POST', `/v1/notifications/webhook-endpoints/${ep.id}/rotate-secret`, {
      key: sk,
      body: {},
    });
    assert.equal(other.status, 200);
    const firstOverlap = (await endpoint(ep.id)).previous_secret_expires_at;
    await button.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const alert = dialog.getByRole('alert');
    await alert.getByText('a rotation is in progress').waitFor();
    assert.match((await alert.textContent()) ?? '', /CONFLICT/);
    assert.match((await alert.textContent()) ?? '', /overlap_seconds/);
    assert.equal(
      (await endpoint(ep.id)).previous_secret_expires_at,
      firstOverlap,
      'the refusal changed nothing',
    );
    await check('rotate-409');
    await dialog.getByRole('button', { name: 'End the old secret now and rotate' }).click();
    assert.match(await page.getByLabel('Signing secret').inputValue(), /^whsec_/);
    assert.equal((await endpoint(ep.id)).previous_secret_expires_at, null, 'the old secret ended');
    await check('rotate-ended');
  });

  it('has no serious accessibility violation and no script error', () => {
    assert.equal(Object.keys(a11y).length, 4);
    const failing = Object.fromEntries(Object.entries(a11y).filter(([, v]) => v.length > 0));
    assert.deepEqual(failing, {}, JSON.stringify(failing, null, 2));
    assert.deepEqual(pageErrors, []);
  });
});
