import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ensurePortal } from '../../scripts/build-portal.ts';
import { call, waitUntil } from '../../scripts/journey/http.ts';
import { SIGNATURE_HEADER, signBody } from '../../services/event/signature.ts';
import { type IsolatedPlatform, startIsolatedPlatform } from '../../test/support/isolated-platform.ts';
import { type AxeViolation, launchChromium, seriousViolations } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'portal/screenshots');
const run = randomUUID().slice(0, 8);
const OWNER_EMAIL = `owner.${run}@example.test`;

/** A welcome reward and e-mail, a manager's approval, then a wait for the first purchase. */
const TOUR = `
pulse: journey-tour
id: journey-tour
version: 1
title: Journey tour
goal: Welcome a new user, hold a bonus for a manager's approval, then wait for the first order.
trigger:
  event: user_signed_up
  journey: event.participant_id
rewards:
  welcome:
    type: single
    give: { category: store_credit, amount: 5, currency: USD, label: "$5 welcome credit" }
steps:
  - id: grant
    do: AllocateReward
    with: { participant_id: { var: event.participant_id }, reward: welcome, reason: signed up }
    as: reward
  - id: assets
    do: GenerateReferralAssets
    with: { participant_id: { var: event.participant_id } }
    as: assets
  - id: welcome-email
    do: SendNotification
    with:
      participant_id: { var: event.participant_id }
      channel: email
      template: welcome
      data:
        referral: { code: { var: assets.code }, link: { var: assets.link } }
  - id: review
    approval: Approve a first-order bonus
    details: { participant: { var: event.participant_id } }
    roles: [manager]
    timeout: 7d
    on_timeout: reject
    then:
      - id: first-order
        wait: purchase_completed
        timeout: 30d
        as: order
    on_reject:
      - id: refused
        end: cancelled
        reason: { var: approval.reason }
`;

/**
 * The journey page in Debian's Chromium against the whole platform on databases of its own: a campaign
 * deployed over the API, a journey started by a signed HTTP event, its trace timeline (from Temporal's
 * history), rewards, messages, the Temporal UI link, and its approval decided in the page, after which
 * a routed purchase finishes it. Checked with axe-core and photographed.
 */
describe('the journey page in a browser', () => {
  let env: IsolatedPlatform;
  let base: string;
  let browser: Browser;
  let page: Page;
  let sk: string;
  let signing: string;
  let campaignId: string;
  const who = `ann-${run}`;
  const a11y: Record<string, AxeViolation[]> = {};
  const errors: string[] = [];

  const check = async (name: string) => {
    await page.waitForLoadState('networkidle');
    a11y[name] = await seriousViolations(page);
    if (a11y[name].length) console.log(`axe ${name}: ${JSON.stringify(a11y[name])}`);
    // The whole page at once, by a viewport as tall as the page: Chromium's fullPage capture paints
    // the content of scrolling boxes (the variables) past their edge.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: 1360, height: Math.min(Math.max(height, 900), 4000) });
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
    await page.setViewportSize({ width: 1360, height: 900 });
  };
  const go = async (path: string) => {
    await page.goto(`${base}${path}`);
    await page.locator('main h1').first().waitFor({ timeout: 20_000 });
  };
  /** A server event signed with the secret key (`server` trust), as the client's backend sends it. */
  const send = async (event: string, fields: Record<string, unknown>) => {
    const body = {
      event_id: randomUUID(),
      event,
      occurred_at: new Date().toISOString(),
      participant_id: who,
      ...fields,
    };
    const signature = signBody(signing, JSON.stringify(body), Math.floor(Date.now() / 1000));
    const res = await call(base, 'POST', '/v1/events', {
      key: sk,
      body,
      headers: { [SIGNATURE_HEADER]: signature },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  };

  before(async () => {
    await ensurePortal();
    await mkdir(SHOTS, { recursive: true });
    // No PULSE_TEMPORAL_UI_URL: on loopback the page links the local stack's UI by default.
    env = await startIsolatedPlatform({
      PULSE_ENV: 'development',
      PULSE_PORTAL_DIR: join(ROOT, 'portal/dist'),
    });
    base = env.platform.runtime.url;
    const created = await call<{ keys: { secret: { key: string; signing_secret: string } } }>(
      base,
      'POST',
      '/v1/admin/clients',
      { key: env.platform.adminKey, body: { name: `Journeys ${run}` } },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    sk = created.body.keys.secret.key;
    signing = created.body.keys.secret.signing_secret;
    const owner = await call(base, 'POST', '/v1/members', {
      key: sk,
      body: { email: OWNER_EMAIL, role: 'owner' },
    });
    assert.equal(owner.status, 201, JSON.stringify(owner.body));
    const deployed = await call<{ campaign_id: string; status?: string }>(
      base,
      'POST',
      '/v1/campaigns/deploy',
      {
        key: sk,
        body: { source: TOUR, file: 'journey-tour.pulse.yaml' },
      },
    );
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    campaignId = deployed.body.campaign_id;
    const detail = await call<{ campaign: { status: string } }>(base, 'GET', `/v1/campaigns/${campaignId}`, {
      key: sk,
    });
    if (detail.body.campaign.status !== 'active') {
      const activated = await call(base, 'POST', `/v1/campaigns/${campaignId}/status`, {
        key: sk,
        body: { status: 'active' },
      });
      assert.equal(activated.status, 200, JSON.stringify(activated.body));
    }
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, bypassCSP: true });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|404)/.test(m.text())) errors.push(m.text());
    });
    await page.goto(base);
    await page.getByLabel(/Email/).fill(OWNER_EMAIL);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('an HTTP event starts a journey the list finds by participant and by journey id', async () => {
    await send('user_signed_up', { traits: { email: `${who}@example.test`, name: 'Ann' } });
    await waitUntil(
      'the journey in the list',
      async () => {
        await go(`/journeys?participant=${who}`);
        await page.locator('table, .state.empty').first().waitFor();
        return (await page.getByRole('link', { name: who }).count()) > 0 || undefined;
      },
      60_000,
    );
    const row = page.locator('tbody tr').filter({ hasText: who });
    assert.equal(await row.count(), 1);
    await row.locator('.badge', { hasText: 'running' }).waitFor();
    await check('journeys-list');

    // A journey id typed into the search opens the journey itself.
    await go('/journeys');
    await page.getByLabel('Participant or journey id').fill(`pulse:someone:${campaignId}:${who}`);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: `Journey ${who}` }).waitFor();
  });

  it('the journey page shows its status, the step it waits on, the trace, rewards, messages and the Temporal link', async () => {
    await waitUntil(
      'the journey to wait for its approval with its message sent',
      async () => {
        await go(`/journeys/${campaignId}/${who}?participant=${who}`);
        await page.getByTestId('trace').waitFor({ timeout: 20_000 });
        const waiting = (await page.getByTestId('waiting-on').textContent()) ?? '';
        const messages = await page.getByTestId('journey-messages').locator('tbody tr').count();
        return (waiting.includes('a decision on review') && messages > 0) || undefined;
      },
      60_000,
    );
    await page.getByRole('heading', { name: `Journey ${who}` }).waitFor();
    assert.match((await page.getByTestId('waiting-on').textContent()) ?? '', /step review/);
    assert.equal(await page.getByTestId('journey-version').textContent(), 'v1');
    await page
      .getByText('Running journeys stay on the version they started with: this one runs version 1')
      .waitFor();

    // The timeline, read from Temporal's history: start, the trigger, three activities with their steps.
    const entries = page.getByTestId('trace').locator('li');
    const texts = await entries.allTextContents();
    assert.match(texts[0] ?? '', /Journey started by user_signed_up/);
    for (const [activity, step] of [
      ['AllocateReward', 'grant'],
      ['GenerateReferralAssets', 'assets'],
      ['SendNotification', 'welcome-email'],
    ] as const) {
      const li = entries.filter({ hasText: activity });
      assert.equal(await li.count(), 1, `${activity} in ${JSON.stringify(texts)}`);
      assert.match((await li.textContent()) ?? '', new RegExp(`step ${step}.*completed`));
      assert.equal(await li.getAttribute('data-status'), 'completed');
    }
    assert.equal(await entries.filter({ hasText: 'Event user_signed_up received' }).count(), 1);
    // The approval's 7-day timer, set and running.
    const timer = entries.filter({ hasText: 'Timer of 7.0 d set, until' });
    assert.equal(await timer.count(), 1, JSON.stringify(texts));
    assert.doesNotMatch(texts.join('\n'), new RegExp(`${who}@example\\.test`), 'no e-mail in the trace');
    for (const t of await page.getByTestId('trace').locator('time').all())
      assert.match((await t.getAttribute('datetime')) ?? '', /^\d{4}-\d{2}-\d{2}T/);

    const rewards = page.getByTestId('journey-rewards').locator('tbody tr');
    assert.equal(await rewards.count(), 1);
    assert.match((await rewards.first().textContent()) ?? '', /\$5 welcome credit/);
    const messages = page.getByTestId('journey-messages').locator('tbody tr');
    assert.match((await messages.first().textContent()) ?? '', /welcome/);

    const temporal = page.getByRole('link', { name: 'Open in Temporal UI' });
    const href = (await temporal.getAttribute('href')) ?? '';
    assert.ok(
      href.startsWith(`http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(`pulse:`)}`),
      href,
    );
    assert.match(href, /\/[0-9a-f-]{36}\/history$/);
    await page.getByTestId('open-approval').waitFor();
    await check('journeys-detail');

    // The same task in the approvals page's journey inbox, which links back to the journey.
    await go('/approvals?tab=journeys');
    const row = page.getByTestId('journey-tasks').locator('tbody tr', { hasText: who });
    await row.waitFor({ timeout: 20_000 });
    assert.match((await row.textContent()) ?? '', /Approve a first-order bonus.*review.*manager/);
    await check('approvals-journey-tasks');
    await row.getByRole('link', { name: 'Open journey' }).click();
    await page.getByRole('heading', { name: `Journey ${who}` }).waitFor();
    await page.getByTestId('open-approval').waitFor();
  });

  it('approving in the page moves the journey on; a routed purchase finishes it and the trace shows both', async () => {
    const task = page.getByTestId('open-approval');
    await task.getByLabel('Reason (optional)').fill('first order expected');
    await task.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('No task waits for a decision.').waitFor();
    await page.getByRole('table', { name: 'Decided approval tasks' }).getByText('approved').waitFor();
    await waitUntil(
      'the journey to wait for the purchase',
      async () => {
        await page.reload();
        await page.getByTestId('trace').waitFor();
        return ((await page.getByTestId('waiting-on').textContent()) ?? '').includes(
          'event purchase_completed',
        )
          ? true
          : undefined;
      },
      30_000,
    );
    await send('purchase_completed', { properties: { order_id: `o-${run}`, amount: 40, currency: 'USD' } });
    await waitUntil(
      'the journey to complete',
      async () => {
        await page.reload();
        await page.getByTestId('trace').waitFor();
        return (await page.getByTestId('trace').locator('li', { hasText: 'Journey completed' }).count()) > 0
          ? true
          : undefined;
      },
      60_000,
    );
    // The facts agree with the trace: the page reads the status again once the trace shows the end.
    await page.locator('.facts dd', { hasText: '(completed)' }).waitFor();
    const entries = page.getByTestId('trace').locator('li');
    const approval = entries.filter({ hasText: 'Approval approved by' });
    assert.equal(await approval.count(), 1);
    assert.match((await approval.textContent()) ?? '', /step review/);
    assert.equal(await entries.filter({ hasText: 'Event purchase_completed received' }).count(), 1);
    // The approval's timer and the wait's timer were both cancelled by what came first.
    assert.equal(await entries.filter({ hasText: /Timer of (7|30)\.0 d cancelled/ }).count(), 2);
    await check('journeys-completed');
  });

  it('an unknown journey says so; every page passed axe-core with no serious violation', async () => {
    await go(`/journeys/${campaignId}/nobody-${run}`);
    await page.getByText(`No journey nobody-${run} in campaign`).waitFor();
    await check('journeys-unknown');
    assert.deepEqual(
      Object.entries(a11y).filter(([, v]) => v.length > 0),
      [],
    );
    assert.deepEqual(errors, []);
  });
});
