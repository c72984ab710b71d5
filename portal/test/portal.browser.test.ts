import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensurePortal } from '../../scripts/build-portal.ts';
import { call, waitUntil } from '../../scripts/journey/http.ts';
import { createIdentityToken } from '../../sdk/node/index.ts';
import { type IsolatedPlatform, startIsolatedPlatform } from '../../test/support/isolated-platform.ts';
import { decodeQuotedPrintable } from '../../test/support/smtp.ts';
import { type AxeViolation, launchChromium, seriousViolations, settled, watchRequests } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'portal/screenshots');
const SIGNUP = await readFile(join(ROOT, 'campaigns/signup.pulse.yaml'), 'utf8');
const run = randomUUID().slice(0, 8);
const OWNER_EMAIL = `owner.${run}@example.test`;
const ADMIN_EMAIL = `admin.${run}@example.test`;

/**
 * The portal in Debian's Chromium against the whole platform on databases of its own: sign in, author a
 * campaign in the editor (the CLI's diagnostics, the flow, settings), simulate, deploy, follow the
 * journey an HTTP event starts, approve its reward, watch the funnel move; keys, invites, and an admin
 * suspending the client. Every page is checked with axe-core and photographed.
 */
describe('the portal in a browser', () => {
  let env: IsolatedPlatform;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let client: { id: string; sk: string; pk: string; signing: string };
  const a11y: Record<string, AxeViolation[]> = {};
  const consoleErrors: string[] = [];

  /** axe-core and a screenshot of the page as it is now. */
  const check = async (name: string) => {
    await settled(page);
    a11y[name] = await seriousViolations(page);
    if (a11y[name].length) console.log(`axe ${name}: ${JSON.stringify(a11y[name])}`);
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };
  /** The cursor to the end of a line, by keyboard from the top of the text. */
  const gotoLineEnd = async (line: number) => {
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+Home');
    for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
  };
  const go = async (path: string) => {
    await page.goto(`${base}${path}`);
    await page.locator('main h1').first().waitFor({ timeout: 20_000 });
  };

  before(async () => {
    await ensurePortal();
    await mkdir(SHOTS, { recursive: true });
    env = await startIsolatedPlatform({
      PULSE_ENV: 'development',
      PULSE_PLATFORM_ADMINS: ADMIN_EMAIL,
      PULSE_PORTAL_DIR: join(ROOT, 'portal/dist'),
      PULSE_TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
    });
    base = env.platform.runtime.url;
    const created = await call<{
      client: { id: string };
      keys: { publishable: { key: string }; secret: { key: string; signing_secret: string } };
    }>(base, 'POST', '/v1/admin/clients', { key: env.platform.adminKey, body: { name: `Acme ${run}` } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    client = {
      id: created.body.client.id,
      sk: created.body.keys.secret.key,
      pk: created.body.keys.publishable.key,
      signing: created.body.keys.secret.signing_secret,
    };
    // The person who signs in: the client's owner, a member.
    const owner = await call(base, 'POST', '/v1/members', {
      key: client.sk,
      body: { email: OWNER_EMAIL, role: 'owner' },
    });
    assert.equal(owner.status, 201, JSON.stringify(owner.body));
    browser = await launchChromium();
    // axe-core is injected as an inline script: the test context lets it past the page's CSP.
    context = await browser.newContext({ viewport: { width: 1360, height: 860 }, bypassCSP: true });
    page = await context.newPage();
    watchRequests(page);
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|404)/.test(m.text())) consoleErrors.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('serves the app at / and /admin with the right caching, and leaves the API its 404s', async () => {
    const index = await fetch(`${base}/campaigns/anything`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    const js = await fetch(`${base}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${base}/admin`)).status, 200);
    const api404 = await fetch(`${base}/v1/no-such-route`);
    assert.equal(api404.status, 404);
    assert.match(api404.headers.get('content-type') ?? '', /json/);
    assert.equal((await fetch(`${base}/assets/nope.js`)).status, 404);
  });

  it('signs in', async () => {
    await page.goto(base);
    await page.getByRole('heading', { name: /Pulse/ }).waitFor();
    await check('sign-in');
    await page.getByLabel(/Email/).fill(OWNER_EMAIL);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === 'pulse_session');
    assert.ok(session?.httpOnly, 'an HttpOnly session cookie');
    await page.getByText(OWNER_EMAIL).waitFor();
    await page.getByText('No campaign deployed yet.').waitFor();
    await check('campaigns-empty');
  });

  it('opens a pulse, shows the CLI diagnostic at the same line, and redraws the flow once fixed', async () => {
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('link', { name: /Signup Pulse/ }).waitFor();
    await check('new-campaign');
    await page.getByRole('link', { name: /Signup Pulse/ }).click();
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor({ timeout: 30_000 });
    const flow = page.getByTestId('flow');
    await flow.locator('svg g.node').first().waitFor({ timeout: 30_000 });
    assert.match((await flow.textContent()) ?? '', /trigger: user_signed_up/);
    await check('editor');

    // Type an error: the trigger's event name gets a stray letter.
    const lines = SIGNUP.split('\n');
    const at = lines.findIndex((l) => l.trim() === 'event: user_signed_up') + 1;
    assert.ok(at > 0);
    await gotoLineEnd(at);
    await page.keyboard.type('p');
    await page.keyboard.press('Escape');
    await page.getByTestId('validity').filter({ hasText: 'error' }).waitFor();
    await page.locator('.flow-svg.stale').waitFor();

    // The same file through `pulse validate --output json`.
    const dir = await mkdtemp(join(tmpdir(), 'pulse-portal-'));
    const file = join(dir, 'signup.pulse.yaml');
    await writeFile(
      file,
      `${lines.slice(0, at - 1).join('\n')}\n${lines[at - 1]}p\n${lines.slice(at).join('\n')}`,
    );
    const cli = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'app/cli.ts', 'validate', file, '--output', 'json'],
      {
        cwd: ROOT,
      },
    ).catch((e: { stdout: string }) => e);
    await rm(dir, { recursive: true, force: true });
    const cliDiagnostics =
      (
        JSON.parse(cli.stdout) as {
          files: { diagnostics: { code: string; line: number; column: number; severity: string }[] }[];
        }
      ).files[0]?.diagnostics ?? [];
    const cliErrors = cliDiagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => `${d.code}@${d.line}:${d.column}`);
    assert.ok(cliErrors.length > 0, cli.stdout);
    const shown = await page
      .locator('[data-testid="diagnostics"] li[data-severity="error"]')
      .evaluateAll((els) =>
        els.map(
          (e) =>
            `${e.getAttribute('data-code')}@${e.getAttribute('data-line')}:${e.getAttribute('data-column')}`,
        ),
      );
    assert.deepEqual(shown, cliErrors);
    assert.equal(cliErrors[0], `UNKNOWN_EVENT@${at}:${lines[at - 1]!.indexOf('user_signed_up') + 1}`);
    // Underlined in the text, on that line.
    await page.locator('.cm-lintRange-error').first().waitFor();
    await check('editor-error');

    // Click the diagnostic: the cursor jumps to it.
    await page.locator('[data-testid="diagnostics"] li button').first().click();
    assert.match((await page.locator('.cm-activeLine').textContent()) ?? '', /user_signed_upp/);

    // Fix it; the flow is drawn again.
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor();
    await page.locator('.flow-svg:not(.stale) svg g.node').first().waitFor();

    // Clicking a node of the flow selects its step in the YAML.
    await flow.locator('g.node', { hasText: 'attribute-referral' }).first().click();
    assert.match((await page.locator('.cm-activeLine').textContent()) ?? '', /id: attribute-referral/);
  });

  it('completes activity names from the catalogue and documents them on hover', async () => {
    const lines = SIGNUP.split('\n');
    const at = lines.findIndex((l) => l.includes('do: AttributeReferral')) + 1;
    await gotoLineEnd(at);
    for (let i = 0; i < 'AttributeReferral'.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('Attri');
    const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'AttributeReferral' }).first();
    await option.waitFor();
    await option.click();
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor();
    assert.match((await page.locator('.cm-activeLine').textContent()) ?? '', /do: AttributeReferral$/);
    // The editor renders only the lines in view: bring that step's line into view first.
    await gotoLineEnd(lines.findIndex((l) => l.includes('do: GenerateReferralAssets')) + 1);
    // Point at the word itself (the middle of its line may be past the text).
    const box = await page.evaluate(() => {
      const walker = document.createTreeWalker(
        document.querySelector('.cm-content') as Node,
        NodeFilter.SHOW_TEXT,
      );
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const i = n.textContent?.indexOf('GenerateReferralAssets') ?? -1;
        if (i < 0) continue;
        n.parentElement?.scrollIntoView({ block: 'center' });
        const range = document.createRange();
        range.setStart(n, i + 3);
        range.setEnd(n, i + 8);
        const r = range.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      }
      return null;
    });
    assert.ok(box, 'GenerateReferralAssets is on screen');
    await page.mouse.move(box.x, box.y);
    await page.locator('.cm-hover-doc').waitFor();
    assert.match(
      (await page.locator('.cm-hover-doc').textContent()) ?? '',
      /activity GenerateReferralAssets/,
    );
  });

  it('changes a setting in the generated form, simulates, then deploys showing what changes', async () => {
    // Rewards wait for a manager's approval: one line added to the reward rule, typed in the editor.
    const lines = SIGNUP.split('\n');
    const at = lines.findIndex((l) => l.trim() === 'type: double') + 1;
    await gotoLineEnd(at);
    await page.keyboard.press('Enter');
    await page.keyboard.type('fulfilment: approval');
    await page.keyboard.press('Escape');
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor();

    await page.getByRole('tab', { name: 'Settings' }).click();
    const auto = page.getByLabel(/Deliver rewards at once/);
    assert.equal(await auto.isChecked(), true);
    await auto.uncheck();
    await page.getByText('changed').first().waitFor();
    await check('editor-settings');

    await page.getByRole('tab', { name: 'Simulate' }).click();
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.getByTestId('sim-journey').first().waitFor({ timeout: 90_000 });
    assert.match((await page.getByTestId('sim-journey').first().textContent()) ?? '', /completed/);
    const timeline = (await page.getByTestId('sim-timeline').textContent()) ?? '';
    assert.match(timeline, /user_signed_up/);
    assert.match(timeline, /AllocateReward/);
    await check('editor-simulate');

    await page.getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/creates a new campaign/).waitFor();
    await dialog.getByText(/Running journeys stay on the version/).waitFor();
    await check('deploy-confirm');
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await dialog.getByText('Deployed as version 1.').waitFor();
    await dialog.getByRole('button', { name: 'Open the campaign' }).click();
    await page.getByRole('heading', { name: 'Versions' }).waitFor();
    await page.getByText(/Running journeys stay on the version they started with/).waitFor();
    const status = await page.locator('main p .badge').first().textContent();
    if (status === 'draft') {
      await page.getByRole('button', { name: 'Activate' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Activate' }).click();
      await page.locator('main p .badge', { hasText: 'active' }).waitFor();
    }
    await check('campaign');
  });

  let campaignId: string;
  const userA = `ann-${run}`;
  const userB = `bob-${run}`;
  // Signups come from the client's website: the publishable key, with the participant's identity token.
  const signup = (participant: string, extra: Record<string, unknown> = {}) =>
    call(base, 'POST', '/v1/events', {
      key: client.pk,
      headers: { 'x-pulse-identity': createIdentityToken(client.signing, participant) },
      body: {
        event: 'user_signed_up',
        event_id: randomUUID(),
        occurred_at: new Date().toISOString(),
        participant_id: participant,
        campaign_id: campaignId,
        traits: { email: `${participant}@example.test`, name: participant },
        ...extra,
      },
    });

  it('follows the journeys events over HTTP start', async () => {
    const list = await call<{ data: { id: string; pulse: string }[] }>(base, 'GET', '/v1/campaigns', {
      key: client.sk,
    });
    campaignId = list.body.data[0]!.id;
    await go('/dashboard');
    await page.locator('[data-step="Signed up"]').waitFor();
    const before = Number(await page.locator('[data-step="Signed up"]').textContent());

    assert.equal((await signup(userA)).status, 202);
    const mail = await env.platform.smtp.waitFor((m) => m.to.includes(`${userA}@example.test`), 60_000);
    const code = /\/r\/[^/\s]+\/([A-Z0-9]{8})/.exec(decodeQuotedPrintable(mail.raw))?.[1];
    assert.ok(code, 'the welcome email carries a referral link');
    assert.equal((await signup(userB, { properties: { referral_code: code } })).status, 202);

    await go(`/journeys?participant=${userB}`);
    await page
      .getByRole('link', { name: userB })
      .waitFor({ timeout: 60_000 })
      .catch(async () => {
        await page.reload();
        await page.getByRole('link', { name: userB }).waitFor({ timeout: 30_000 });
      });
    await check('journeys');
    await page.getByRole('link', { name: userB }).click();
    await page.getByRole('heading', { name: `Journey ${userB}` }).waitFor();
    await page.getByRole('link', { name: 'Open in Temporal UI' }).waitFor();
    await waitUntil(
      'the journey to show its rewards',
      async () => {
        await page.reload();
        await page.getByRole('heading', { name: 'Rewards' }).waitFor();
        return (await page.locator('section[aria-labelledby="rewards-h"] tbody tr').count()) > 0 || undefined;
      },
      60_000,
    );
    await check('journey');

    // The dashboard's funnel moves once the events reach ClickHouse.
    await waitUntil(
      'the funnel to count both signups',
      async () => {
        await go('/dashboard');
        await page.locator('[data-step="Signed up"]').waitFor();
        const now = Number(await page.locator('[data-step="Signed up"]').textContent());
        return now >= before + 1 || undefined;
      },
      60_000,
    );
    await page.locator('select').first().selectOption(campaignId);
    await page.locator('[data-step="Signed up"]').waitFor();
    await check('dashboard');
  });

  it('approves a pending reward from the queue, with its fraud review when scored', async () => {
    await go('/approvals');
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    const pending = await rows.count();
    assert.ok(pending >= 1, 'a reward waits for approval');
    await check('approvals');
    const participant = (await rows.first().locator('td').nth(2).textContent()) ?? '';
    await rows.first().getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/1 decided/).waitFor();
    await waitUntil(
      'the queue to shrink',
      async () => ((await rows.count()) < pending ? true : undefined),
      15_000,
    );
    const rewards = await call<{ data: { state: string }[] }>(
      base,
      'GET',
      `/v1/rewards?participant_id=${participant}`,
      {
        key: client.sk,
      },
    );
    assert.ok(
      rewards.body.data.some((r) => ['APPROVED', 'FULFILLED', 'REDEEMED'].includes(r.state)),
      JSON.stringify(rewards.body),
    );
    await go(`/rewards?participant=${participant}`);
    await page.locator('tbody tr a').first().click();
    await page.getByRole('heading', { name: 'State history' }).waitFor();
    await check('reward');
  });

  it('creates an API key shown once, then revokes it', async () => {
    await go('/settings/keys');
    await page.getByLabel('Name').fill(`backend ${run}`);
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('New key').inputValue();
    assert.match(key, /^sk_/);
    assert.equal((await call(base, 'GET', '/v1/campaigns', { key })).status, 200, 'the new key works');
    await check('settings-keys');
    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.locator('tr', { hasText: `backend ${run}` });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor();
    await waitUntil(
      'the revoked key to fail',
      async () => ((await call(base, 'GET', '/v1/campaigns', { key })).status === 401 ? true : undefined),
      10_000,
    );
  });

  it('invites a member', async () => {
    await go('/settings/members');
    await page.getByLabel('Email').fill(`new.${run}@example.test`);
    await page.getByLabel('Role').selectOption('analyst');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText(`Invited new.${run}@example.test.`).waitFor();
    await page
      .locator('tr', { hasText: `new.${run}@example.test` })
      .getByText('analyst')
      .waitFor();
    await check('settings-members');
    for (const tab of ['webhooks', 'templates', 'events', 'sdk']) {
      await go(`/settings/${tab}`);
      await check(`settings-${tab}`);
    }
  });

  it('lets a platform admin suspend the client', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel(/Email/).fill(ADMIN_EMAIL);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // A platform admin without a membership lands on the admin side.
    await page.getByRole('link', { name: 'Platform admin' }).first().click();
    await page.getByRole('heading', { name: 'Platform health' }).waitFor();
    await page.locator('.checks li').first().waitFor();
    const row = page.locator('tr', { hasText: client.id });
    await row.getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
    await row.getByText('suspended').waitFor();
    await check('admin');
    await waitUntil(
      'the suspended client to be refused',
      async () => {
        const r = await call<{ error?: { code: string } }>(base, 'GET', '/v1/campaigns', { key: client.sk });
        return r.status === 403 && r.body.error?.code === 'CLIENT_INACTIVE' ? true : undefined;
      },
      10_000,
    );
  });

  it('has no serious accessibility violation on any page, and no script error', () => {
    assert.ok(Object.keys(a11y).length >= 15, Object.keys(a11y).join(', '));
    const failing = Object.fromEntries(Object.entries(a11y).filter(([, v]) => v.length > 0));
    assert.deepEqual(failing, {}, JSON.stringify(failing, null, 2));
    assert.deepEqual(consoleErrors, []);
  });
});
