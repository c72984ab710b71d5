import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensurePortal } from '../../scripts/build-portal.ts';
import { call, waitUntil } from '../../scripts/journey/http.ts';
import { createIdentityToken, createPulseServerClient } from '../../sdk/node/index.ts';
import { type IsolatedPlatform, startIsolatedPlatform } from '../../test/support/isolated-platform.ts';
import { decodeQuotedPrintable } from '../../test/support/smtp.ts';
import { decimal, pct, ratio } from '../src/charts/format.ts';
import { presetRange } from '../src/charts/range.ts';
import { type AxeViolation, launchChromium, seriousViolations, settled, watchRequests } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'portal/screenshots');
const run = randomUUID().slice(0, 8);
const OWNER_EMAIL = `dash.${run}@example.test`;
// The shipped signup pulse, with a leaderboard for the dashboard and a lower suspension threshold so two
// confirmed frauds suspend the referrer.
const SOURCE = `${(await readFile(join(ROOT, 'campaigns/signup.pulse.yaml'), 'utf8')).replace(
  'id: signup-default',
  `id: signup-dash-${run}`,
)}
fraud:
  suspend_after: 2
leaderboards:
  - id: top
    title: Top referrers
    metric: referrals
    period: campaign
`;

interface Report<T> {
  as_of: string;
  cached: boolean;
  definition: string;
  data: T;
}

/**
 * The dashboards and the fraud review queue in Debian's Chromium, on a platform of their own. The data
 * set goes in through the public HTTP API only (browser events with identity tokens, signed server
 * events), so it travels the real path: ingest, drainer, ClickHouse, journeys, the fraud engine, rewards.
 *
 * Ann signs up and shares three times (2 email, 1 whatsapp); visitors v1..v3 click; bob, cat and eve
 * sign up with her code (disposable e-mail addresses, so the fraud engine holds their rewards for review);
 * dan signs up on his own. Bob buys 100 EUR and cat 40 USD referred; dan buys 30 EUR.
 */
describe('the dashboards and the fraud review queue in a browser', () => {
  let env: IsolatedPlatform;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let client: { id: string; sk: string; pk: string; signing: string };
  let campaignId: string;
  const a11y: Record<string, AxeViolation[]> = {};
  const pageErrors: string[] = [];
  const ann = `ann-${run}`;
  const [bob, cat, eve, dan] = ['bob', 'cat', 'eve', 'dan'].map((n) => `${n}-${run}`) as [
    string,
    string,
    string,
    string,
  ];

  const check = async (name: string) => {
    await settled(page); // the live stream stays open: every other request has ended
    a11y[name] = await seriousViolations(page);
    if (a11y[name].length) console.log(`axe ${name}: ${JSON.stringify(a11y[name])}`);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const go = async (path: string) => {
    await page.goto(`${base}${path}`);
    await page.locator('main h1').first().waitFor({ timeout: 20_000 });
  };
  const api = async <T>(path: string) => {
    const r = await call<T>(base, 'GET', path, { key: client.sk });
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const report = <T>(name: string, q: Record<string, string>) =>
    api<Report<T>>(`/v1/analytics/reports/${name}?${new URLSearchParams(q)}`);
  const browserEvent = (participant: string | null, body: Record<string, unknown>) =>
    call(base, 'POST', '/v1/events', {
      key: client.pk,
      headers: participant ? { 'x-pulse-identity': createIdentityToken(client.signing, participant) } : {},
      body: {
        event_id: randomUUID(),
        occurred_at: new Date().toISOString(),
        campaign_id: campaignId,
        ...(participant ? { participant_id: participant } : {}),
        ...body,
      },
    });

  before(async () => {
    await ensurePortal();
    await mkdir(SHOTS, { recursive: true });
    env = await startIsolatedPlatform({
      PULSE_ENV: 'development',
      PULSE_PORTAL_DIR: join(ROOT, 'portal/dist'),
    });
    base = env.platform.runtime.url;
    const created = await call<{
      client: { id: string };
      keys: { publishable: { key: string }; secret: { key: string; signing_secret: string } };
    }>(base, 'POST', '/v1/admin/clients', { key: env.platform.adminKey, body: { name: `Dash ${run}` } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    client = {
      id: created.body.client.id,
      sk: created.body.keys.secret.key,
      pk: created.body.keys.publishable.key,
      signing: created.body.keys.secret.signing_secret,
    };
    const owner = await call(base, 'POST', '/v1/members', {
      key: client.sk,
      body: { email: OWNER_EMAIL, role: 'owner' },
    });
    assert.equal(owner.status, 201, JSON.stringify(owner.body));
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      bypassCSP: true,
      acceptDownloads: true,
    });
    page = await context.newPage();
    watchRequests(page);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('seeds a known data set through the HTTP API', async () => {
    const deployed = await call<{ campaign_id: string }>(base, 'POST', '/v1/campaigns/deploy', {
      key: client.sk,
      body: { source: SOURCE, file: 'signup.pulse.yaml' },
    });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    campaignId = deployed.body.campaign_id;

    const signup = (who: string, props: Record<string, unknown> = {}, email = `${who}@example.test`) =>
      browserEvent(who, { event: 'user_signed_up', traits: { email, name: who }, properties: props });
    assert.equal((await signup(ann, { plan: 'pro' })).status, 202);
    const mail = await env.platform.smtp.waitFor((m) => m.to.includes(`${ann}@example.test`), 60_000);
    const code = /\/r\/[^/\s]+\/([A-Z0-9]{8})/.exec(decodeQuotedPrintable(mail.raw))?.[1];
    assert.ok(code, 'the welcome email carries a referral code');

    for (const channel of ['email', 'email', 'whatsapp'])
      assert.equal(
        (await browserEvent(ann, { event: 'referral_shared', properties: { channel } })).status,
        202,
      );
    for (const [visitor, channel] of [
      ['v1', 'email'],
      ['v2', 'email'],
      ['v3', 'whatsapp'],
    ] as const)
      assert.equal(
        (
          await browserEvent(null, {
            event: 'referral_clicked',
            anonymous_id: `${visitor}-${run}`,
            properties: { referral_code: code, referrer_id: ann, channel },
          })
        ).status,
        202,
      );
    // Disposable addresses: the fraud engine's disposable_email rule (weight 50) holds these for review.
    for (const [who, channel, plan] of [
      [bob, 'email', 'pro'],
      [cat, 'email', 'free'],
      [eve, 'whatsapp', 'free'],
    ] as const)
      assert.equal(
        (await signup(who, { referral_code: code, referrer_id: ann, channel, plan }, `${who}@mailinator.com`))
          .status,
        202,
      );
    assert.equal((await signup(dan, { plan: 'free' })).status, 202);

    const server = createPulseServerClient({
      endpoint: base,
      secret_key: client.sk,
      signing_secret: client.signing,
      max_retries: 1,
    });
    await server.track({
      event: 'referred_made_purchase',
      participant_id: bob,
      campaign_id: campaignId,
      properties: { order_id: `o-bob-${run}`, amount: 100, currency: 'EUR', referrer_id: ann },
    });
    await server.track({
      event: 'referred_made_purchase',
      participant_id: cat,
      campaign_id: campaignId,
      properties: { order_id: `o-cat-${run}`, amount: 40, currency: 'USD', referrer_id: ann },
    });
    await server.track({
      event: 'purchase_completed',
      participant_id: dan,
      campaign_id: campaignId,
      properties: { order_id: `o-dan-${run}`, amount: 30, currency: 'EUR' },
    });

    // Once everything reached ClickHouse, the funnel counts what was sent: 1 sharer and 3 invites,
    // 3 clickers, 3 referred signups, 2 referred converters.
    const range = presetRange(30);
    const funnel = await waitUntil(
      'the funnel to count the data set',
      async () => {
        const r = await report<{ total: Record<string, number> }>('funnel', {
          from: range.from,
          to: range.to,
          campaign_id: campaignId,
          fresh: String(Date.now()), // a new cache key: the answer is computed now
        });
        const t = r.data.total;
        return t.shares === 3 && t.clickers === 3 && t.signups === 3 && t.conversions === 2 ? t : undefined;
      },
      90_000,
      1_000,
    );
    assert.equal(funnel.sharers, 1);
    // The referred signups' rewards are held for review: six (referrer and referee side, three referrals).
    await waitUntil(
      'the fraud engine to hold the referred rewards',
      async () => {
        const q = await api<{ data: unknown[] }>(`/v1/fraud-reviews?campaign_id=${campaignId}&limit=100`);
        return q.data.length === 6 ? true : undefined;
      },
      90_000,
      1_000,
    );
  });

  it('signs in', async () => {
    await page.goto(base);
    await page.getByLabel(/Email/).fill(OWNER_EMAIL);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
  });

  it('works the fraud review queue: scores and reasons, approve one, reject two in bulk, lift the suspension', async () => {
    await go('/approvals?tab=fraud');
    const table = page.getByTestId('fraud-queue');
    await table.waitFor();
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 6);
    // Every held reward shows its score and the rules that fired, with their weights.
    const bobRow = rows.filter({ hasText: bob });
    assert.equal(await bobRow.count(), 1, 'one referee-side reward per referee');
    assert.match((await bobRow.textContent()) ?? '', /score \d+/);
    await bobRow.locator('[data-rule="disposable_email"]').waitFor();
    assert.match((await bobRow.locator('[data-rule="disposable_email"]').textContent()) ?? '', /\+50/);
    await check('rewards-fraud-queue');

    await bobRow.getByRole('button', { name: /^Approve/ }).click();
    await page
      .getByRole('dialog')
      .getByLabel(/Reason/)
      .fill('known customer, checked by phone');
    await page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await page.getByText('1 decided').waitFor();
    await waitUntil(
      'the queue to drop the approved reward',
      async () => ((await rows.count()) === 5 ? true : undefined),
      15_000,
    );

    await rows.filter({ hasText: cat }).getByRole('checkbox').check();
    await rows.filter({ hasText: eve }).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Reject selected' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Reject 2 held reward(s)' }).waitFor();
    // The reason is required to reject: the form does not submit without one.
    await dialog.getByRole('button', { name: 'Reject' }).click();
    assert.equal(await rows.count(), 5);
    await dialog.getByLabel(/Reason/).fill('disposable addresses, same device');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await page.getByText('2 decided').waitFor();
    await waitUntil(
      'the queue to drop the rejected rewards',
      async () => ((await rows.count()) === 3 ? true : undefined),
      15_000,
    );

    const decided = await api<{
      data: { participant_id: string; decision: string; reason: string | null }[];
    }>('/v1/fraud-decisions');
    assert.deepEqual(
      decided.data.map((d) => `${d.participant_id}:${d.decision}:${d.reason}`).sort(),
      [
        `${bob}:approve:known customer, checked by phone`,
        `${cat}:reject:disposable addresses, same device`,
        `${eve}:reject:disposable addresses, same device`,
      ].sort(),
    );
    await go('/approvals?tab=decisions');
    const history = page.getByTestId('fraud-decisions').locator('tbody tr');
    await history.first().waitFor();
    assert.equal(await history.count(), 3);
    assert.match((await history.filter({ hasText: bob }).textContent()) ?? '', /approve.*known customer/);
    await check('rewards-fraud-decisions');

    // Two confirmed frauds (cat's and eve's referrals) reach the campaign's suspend_after: ann is suspended.
    await go('/approvals?tab=suspensions');
    const suspended = page.getByTestId('fraud-suspensions').locator('tbody tr', { hasText: ann });
    await suspended.waitFor();
    assert.match((await suspended.textContent()) ?? '', /2/);
    await check('rewards-fraud-suspensions');
    await suspended.getByRole('button', { name: /Lift/ }).click();
    await page
      .getByRole('dialog')
      .getByLabel(/Reason/)
      .fill('reviewed with the referrer');
    await page.getByRole('dialog').getByRole('button', { name: 'Lift suspension' }).click();
    await page.getByText('No referrer is suspended.').waitFor();
    const after = await api<{ data: unknown[] }>('/v1/fraud-suspensions');
    assert.equal(after.data.length, 0);
  });

  it('shows budget and cap usage per campaign, and the reward search still finds rewards', async () => {
    await go(`/rewards?participant=${bob}`);
    await page.getByTestId('reward-results').locator('tbody tr').first().waitFor();
    const budgets = page.getByTestId('campaign-budgets').locator('tbody tr', { hasText: campaignId });
    await budgets.locator('meter').first().waitFor();
    const b = await api<{ budget: { budget: number | null; allocated: number; currency: string | null } }>(
      `/v1/reward-budgets/${campaignId}`,
    );
    assert.equal(b.budget.budget, 10000);
    assert.match(
      (await budgets.textContent()) ?? '',
      new RegExp(`${b.budget.allocated.toLocaleString()} USD allocated`),
    );
    await check('rewards-search');
  });

  it('shows the API figures on the campaign dashboard: funnel, K-factor, CPA and ROI per currency', async () => {
    const range = presetRange(30);
    const q = { from: range.from, to: range.to, campaign_id: campaignId };
    // Bob's approved reward is delivered: its cost reaches ClickHouse as a reward fact. Wait for it, then
    // for the cached answer to be one computed after it (the page reads through the same cache).
    await waitUntil(
      'the delivered reward to cost 10 USD',
      async () => {
        const c = await report<{ currencies: { currency: string; reward_cost: number }[] }>('cost', {
          ...q,
          fresh: String(Date.now()),
        });
        return c.data.currencies.find((x) => x.currency === 'USD')?.reward_cost === 10 ? true : undefined;
      },
      90_000,
      1_000,
    );
    await go(`/dashboard?campaign=${encodeURIComponent(campaignId)}&range=30`);
    await page.locator('[data-card="cost"] [data-testid="cost-table"]').waitFor({ timeout: 30_000 });
    // Wait until the page's cost answer is one with the reward cost (the cache keeps an older one ≤ 30 s).
    await waitUntil(
      'the page to show the reward cost',
      async () => {
        const text =
          (await page.locator('[data-testid="cost-table"] tr', { hasText: 'USD' }).textContent()) ?? '';
        if (/USD10\.00/.test(text.replace(/\s/g, ''))) return true;
        await page.reload();
        await page.locator('[data-testid="cost-table"]').waitFor({ timeout: 20_000 });
        return undefined;
      },
      60_000,
      2_000,
    );

    const funnel = await report<{ total: Record<string, number | null> }>('funnel', q);
    for (const [step, key, rate] of [
      ['Shared', 'sharers', 'share_rate'],
      ['Clicked', 'clickers', 'click_through_rate'],
      ['Signed up', 'signups', 'signup_rate'],
      ['Converted', 'conversions', 'conversion_rate'],
    ] as const) {
      assert.equal(
        await page.locator(`[data-step="${step}"]`).textContent(),
        String(funnel.data.total[key]),
        step,
      );
      assert.equal(
        await page.locator(`[data-rate="${rate}"]`).textContent(),
        pct(funnel.data.total[rate]),
        rate,
      );
    }
    assert.equal(funnel.data.total.signups, 3);
    const channels = page.getByTestId('funnel-channels');
    assert.match((await channels.locator('tr', { hasText: 'whatsapp' }).textContent()) ?? '', /whatsapp/);

    const k = await report<{
      k_factor: number | null;
      invites_per_participant: number | null;
      invite_conversion: number | null;
      cohort: { k_factor: number | null };
    }>('k-factor', q);
    const shown = async (metric: string) => page.locator(`[data-metric="${metric}"]`).textContent();
    assert.equal(await shown('k_factor'), ratio(k.data.k_factor));
    assert.equal(await shown('invites_per_participant'), ratio(k.data.invites_per_participant));
    assert.equal(await shown('invite_conversion'), pct(k.data.invite_conversion));
    assert.equal(await shown('cohort_k_factor'), ratio(k.data.cohort.k_factor));
    // K = invites per participant × invite conversion; 3 referred signups out of 3 invites.
    assert.equal(k.data.invite_conversion, 1);
    assert.ok(k.data.k_factor !== null && k.data.invites_per_participant !== null);
    assert.ok(Math.abs(k.data.k_factor - k.data.invites_per_participant * 1) < 1e-9);

    const cost = await report<{
      referred_conversions: number;
      currencies: { currency: string; cpa: number | null; roi: number | null; referred_revenue: number }[];
    }>('cost', q);
    assert.equal(cost.data.referred_conversions, 2);
    const usd = cost.data.currencies.find((c) => c.currency === 'USD');
    const eur = cost.data.currencies.find((c) => c.currency === 'EUR');
    // USD: 10 of reward cost for 2 referred converters, 40 of referred revenue; EUR: 100 of revenue, no cost.
    assert.deepEqual([usd?.cpa, usd?.roi, usd?.referred_revenue], [5, 3, 40]);
    assert.equal(eur?.referred_revenue, 100);
    for (const c of cost.data.currencies) {
      const row = page.locator('[data-testid="cost-table"] tbody tr', { hasText: c.currency });
      assert.equal(await row.locator('[data-col="cpa"]').textContent(), decimal(c.cpa));
      assert.equal(
        await row.locator('[data-col="roi"]').textContent(),
        c.roi === null ? '—' : `${ratio(c.roi)}×`,
      );
    }

    // Each card says how fresh it is and links its definition.
    for (const card of ['funnel', 'k-factor', 'cost', 'ltv', 'cohorts', 'rewards', 'segments', 'referrers']) {
      const foot = page.locator(`[data-card="${card}"] .card-foot`);
      await foot.waitFor();
      assert.match((await foot.textContent()) ?? '', /as of/);
      assert.match(
        (await foot.getByRole('link', { name: /Definition/ }).getAttribute('href')) ?? '',
        /^\/docs\/metrics#/,
      );
    }
    const doc = await context.request.get(`${base}/docs/metrics`);
    assert.equal(doc.status(), 200);
    assert.match(await doc.text(), /k-factor/i);
    // The leaderboard the campaign declares, ranked as the API ranks it.
    const board = await api<{ standings: { participant_id: string; score: number }[] }>(
      `/v1/campaigns/${campaignId}/leaderboards/top?limit=10`,
    );
    assert.equal(board.standings[0]?.participant_id, ann);
    const first = page.locator('[data-board="top"] tbody tr').first();
    await first.waitFor();
    assert.match((await first.textContent()) ?? '', new RegExp(`${ann}${board.standings[0]?.score}`));
    // The live counters arrive over the event stream: five people signed up in the last minutes.
    await page
      .getByTestId('live-status')
      .filter({ hasText: /^live$/ })
      .waitFor({ timeout: 20_000 });
    assert.equal(await shown('live_signups'), '5');
    // The PDF report link answers a PDF (the session cookie rides it).
    const pdf = await context.request.get(
      `${base}${await page.getByRole('link', { name: 'PDF report' }).getAttribute('href')}`,
    );
    assert.equal(pdf.status(), 200);
    assert.match(pdf.headers()['content-type'] ?? '', /application\/pdf/);
    await check('dashboard-campaign');
  });

  it('keeps a custom date range in the URL, sends it to the API and refuses a bad one', async () => {
    const form = page.getByRole('form', { name: 'Custom date range' });
    // Over 731 days: refused before any request.
    await form.getByLabel('From').fill('2023-01-01');
    await form.getByLabel('To').fill('2026-12-01');
    await form.getByRole('button', { name: 'Apply' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: /at most 731 days/ })
      .waitFor();
    assert.doesNotMatch(page.url(), /range=custom/);
    await form.getByLabel('From').fill('2026-11-05');
    await form.getByLabel('To').fill('2026-11-01');
    await form.getByRole('button', { name: 'Apply' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: /end is before the start/ })
      .waitFor();

    const asked = page.waitForRequest((r) => r.url().includes('/v1/analytics/reports/k-factor?'));
    await form.getByLabel('From').fill('2026-10-01');
    await form.getByLabel('To').fill('2026-10-31');
    await form.getByRole('button', { name: 'Apply' }).click();
    const url = new URL((await asked).url());
    assert.equal(url.searchParams.get('from'), '2026-10-01');
    assert.equal(url.searchParams.get('to'), '2026-10-31');
    assert.equal(url.searchParams.get('campaign_id'), campaignId);
    const shared = new URL(page.url());
    assert.deepEqual(
      [shared.searchParams.get('range'), shared.searchParams.get('from'), shared.searchParams.get('to')],
      ['custom', '2026-10-01', '2026-10-31'],
    );
    await page.getByTestId('dash-scope').filter({ hasText: '2026-10-01 to 2026-10-31' }).waitFor();
    // A shared link opens the same view; in October nothing happened, so the cards say so.
    await page.goto(shared.toString());
    await page
      .locator('[data-card="funnel"]')
      .getByText('No share, click or signup in this range.')
      .waitFor({ timeout: 20_000 });
    await page.locator('[data-card="k-factor"]').getByText('No participant in this range.').waitFor();
    assert.equal(await page.locator('[data-step="Signed up"]').textContent(), '0');
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    assert.match(page.url(), /range=7/);
    assert.equal(await form.getByLabel('From').inputValue(), presetRange(7).from);
  });

  it('downloads a report as CSV', async () => {
    await go(`/dashboard?campaign=${encodeURIComponent(campaignId)}&range=30`);
    const link = page.locator('[data-card="funnel"]').getByRole('link', { name: /CSV/ });
    await link.waitFor({ timeout: 20_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const text = await readFile((await download.path()) as string, 'utf8');
    const [header, ...lines] = text.trim().split('\n');
    assert.match(header ?? '', /channel/);
    assert.match(header ?? '', /signups/);
    const cols = (header ?? '').split(',');
    const all = lines.map((l) => l.split(',')).find((c) => c[cols.indexOf('channel')] === '(all)');
    assert.equal(all?.[cols.indexOf('signups')], '3');
  });

  it('keeps a report the API refuses inside its card', async () => {
    await go(`/dashboard?campaign=${encodeURIComponent(campaignId)}&range=90`);
    const series = page.locator('[data-card="timeseries"]');
    await series.locator('.echart').waitFor({ timeout: 30_000 });
    // Hour buckets over 90 days: the API answers 400 at `to`; only this card says so.
    await series.getByLabel('Grain').selectOption('hour');
    const alert = series.getByRole('alert');
    await alert.waitFor({ timeout: 20_000 });
    assert.match((await alert.textContent()) ?? '', /at most 31 days.*VALIDATION_FAILED.*to/s);
    assert.equal(await page.locator('[data-step="Signed up"]').textContent(), '3');
    assert.equal(await page.locator('main [role="alert"]').count(), 1, 'no other card fails');
    await series.getByLabel('Grain').selectOption('week');
    await series.locator('.echart').waitFor({ timeout: 20_000 });
  });

  it('shows the client-wide dashboard at 1280 and 390 pixels without overflow', async () => {
    await go('/dashboard?range=30');
    await page.locator('[data-card="cohorts"] [data-testid="cohorts-table"]').waitFor({ timeout: 30_000 });
    await page
      .locator('[data-card="referrers"] [data-testid="referrers-table"]')
      .waitFor({ timeout: 30_000 });
    await check('dashboard-client');
    const overflow = () =>
      page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(await overflow(), 0, 'no horizontal scroll at 1280 px');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    assert.equal(await overflow(), 0, 'no horizontal scroll at 390 px');
    await check('dashboard-mobile');
    await go(`/dashboard?campaign=${encodeURIComponent(campaignId)}&range=30`);
    await page.locator('[data-card="timeseries"] .echart').waitFor({ timeout: 30_000 });
    assert.equal(await overflow(), 0, 'no horizontal scroll at 390 px (campaign)');
    await check('dashboard-campaign-mobile');
    await go('/approvals?tab=fraud');
    await page.getByTestId('fraud-queue').waitFor();
    await check('rewards-fraud-mobile');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('follows the live counters signed in with an API key, and shows a refusal without retrying', async () => {
    const issue = async (role: 'analyst' | 'viewer') => {
      const r = await call<{ key: { key: string } }>(base, 'POST', '/v1/api-keys', {
        key: client.sk,
        body: { kind: 'secret', role, name: `live ${role} ${run}` },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.key.key;
    };
    // A tab of its own, with no member session: only the key can authorise the stream.
    const signInWithKey = async (key: string) => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
      const p = await ctx.newPage();
      p.on('pageerror', (e) => pageErrors.push(e.message));
      await p.goto(base);
      await p.getByText('Sign in with an API key').click();
      await p.getByLabel('Secret or admin key').fill(key);
      await p.getByRole('button', { name: 'Use key' }).click();
      await p.getByRole('heading', { name: 'Campaigns' }).waitFor({ timeout: 20_000 });
      return { ctx, p };
    };
    const dashboard = `${base}/dashboard?campaign=${encodeURIComponent(campaignId)}&range=30`;
    const isLive = (url: string) => new URL(url).pathname === `/v1/analytics/campaigns/${campaignId}/live`;

    // An analyst key holds analytics.read: the stream answers it, and the card follows new events.
    const analyst = await issue('analyst');
    const { ctx, p } = await signInWithKey(analyst);
    try {
      const streamed = p.waitForRequest((r) => isLive(r.url()));
      await p.goto(dashboard);
      const sent = await streamed;
      assert.equal(sent.headers().authorization, `Bearer ${analyst}`, 'the stream carries the key');
      const status = p.getByTestId('live-status');
      await status.filter({ hasText: /^live$/ }).waitFor({ timeout: 20_000 });
      assert.equal(await status.getAttribute('role'), 'status');
      const events = p.locator('[data-metric="live_events"]');
      const before = Number(await events.textContent());
      assert.ok(before > 0, `the seeded events are in the last 15 minutes (${before})`);
      assert.equal(
        (await browserEvent(ann, { event: 'referral_shared', properties: { channel: 'email' } })).status,
        202,
      );
      await waitUntil(
        'the live card to count the new event',
        async () => (Number(await events.textContent()) > before ? true : undefined),
        60_000,
        500,
      );
      assert.equal(await status.textContent(), 'live');
      // The stream keeps the network busy, so wait for the slowest cards rather than for an idle network.
      for (const ready of ['[data-card="timeseries"] .echart', '[data-board="top"] tbody tr'])
        await p.locator(ready).first().waitFor({ timeout: 30_000 });
      a11y['dashboard-live-key'] = await seriousViolations(p);
      if (a11y['dashboard-live-key'].length)
        console.log(`axe dashboard-live-key: ${JSON.stringify(a11y['dashboard-live-key'])}`);
      await p.screenshot({ path: join(SHOTS, 'dashboard-live-key.png'), fullPage: true });
    } finally {
      await ctx.close();
    }

    // A viewer key does not: the card shows the API's reason and asks once, not again and again.
    const viewer = await signInWithKey(await issue('viewer'));
    try {
      let asked = 0;
      viewer.p.on('request', (r) => {
        if (isLive(r.url())) asked += 1;
      });
      await viewer.p.goto(dashboard);
      const card = viewer.p.locator('[data-card="live"]');
      const alert = card.getByRole('alert');
      await alert.waitFor({ timeout: 20_000 });
      assert.match(
        (await alert.textContent()) ?? '',
        /analytics\.read needs role analyst or above.*FORBIDDEN/s,
      );
      assert.equal(await card.getByTestId('live-status').textContent(), 'refused');
      // A retry would come after the first pause (1 s), another 2 s later: wait past both.
      await viewer.p.waitForTimeout(3_500);
      assert.equal(asked, 1, 'a refused stream is not asked for again');
    } finally {
      await viewer.ctx.close();
    }
  });

  it('has no serious accessibility violation and no page error', () => {
    const bad = Object.entries(a11y).filter(([, v]) => v.length > 0);
    assert.deepEqual(bad, []);
    assert.ok(Object.keys(a11y).length >= 8, Object.keys(a11y).join(', '));
    assert.deepEqual(pageErrors, []);
  });
});
