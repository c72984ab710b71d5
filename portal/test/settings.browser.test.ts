import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { ensurePortal } from '../../scripts/build-portal.ts';
import { call, waitUntil } from '../../scripts/journey/http.ts';
import { emptyEventRow } from '../../test/support/clickhouse.ts';
import { type IsolatedPlatform, startIsolatedPlatform } from '../../test/support/isolated-platform.ts';
import { serviceToken } from '../../test/support/service-token.ts';
import { type AxeViolation, launchChromium, seriousViolations } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'portal/screenshots');
const run = randomUUID().slice(0, 8);
const OWNER_EMAIL = `owner.${run}@example.test`;
const MANAGER_EMAIL = `manager.${run}@example.test`;
const ADMIN_EMAIL = `admin.${run}@example.test`;
const INTERNAL_KEY = randomBytes(32).toString('hex');

/**
 * Settings and admin in Debian's Chromium against the whole platform on databases of its own: key
 * rotation with its overlap, member role change and removal (the last-owner refusal shown), a webhook
 * endpoint from creation through a failed delivery, its redelivery and deletion, template preview per
 * locale, usage near a limit, the audit log, and the admin's usage column and dead letters. Every page
 * is checked with axe-core and photographed.
 */
describe('settings and admin in a browser', () => {
  let env: IsolatedPlatform;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let client: { id: string; sk: string; pk: string };
  const a11y: Record<string, AxeViolation[]> = {};
  const consoleErrors: string[] = [];
  // The webhook receiver: answers what `answer` says, keeps what it got.
  let answer = 500;
  const received: { body: string; headers: Record<string, string> }[] = [];
  let receiver: Server;
  let hookUrl: string;

  // Requests still open, so a page that never goes quiet names what it waits for.
  const inflight = new Set<string>();
  /**
   * axe and a screenshot. `idle: false` for a page showing a sandboxed srcdoc frame: with no request open,
   * Chromium's network-idle event sometimes never comes once the frame is replaced, so such a page waits
   * for its rendered parts (the caller does) and for no open request instead.
   */
  const check = async (name: string, opts: { idle?: boolean } = {}) => {
    if (opts.idle === false)
      await waitUntil(
        `${name}: no request open`,
        async () => (inflight.size === 0 ? true : undefined),
        10_000,
      );
    else
      await page.waitForLoadState('networkidle').catch((err: unknown) => {
        throw new Error(
          `${name}: the network never went idle; open: ${[...inflight].join(', ')} (${String(err)})`,
        );
      });
    a11y[name] = await seriousViolations(page);
    if (a11y[name].length) console.log(`axe ${name}: ${JSON.stringify(a11y[name])}`);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const go = async (path: string) => {
    await page.goto(`${base}${path}`);
    await page.locator('main h1').first().waitFor({ timeout: 20_000 });
  };
  const signIn = async (email: string) => {
    await page.goto(base);
    await page.getByLabel(/Email/).fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  before(async () => {
    await ensurePortal();
    await mkdir(SHOTS, { recursive: true });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ body, headers: req.headers as Record<string, string> });
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/${run}`;
    env = await startIsolatedPlatform({
      PULSE_ENV: 'development',
      PULSE_PLATFORM_ADMINS: ADMIN_EMAIL,
      PULSE_PORTAL_DIR: join(ROOT, 'portal/dist'),
      // The receiver listens on loopback, which the outbound guard refuses by default.
      PULSE_OUTBOUND_ALLOW: '127.0.0.1/32',
      PULSE_INTERNAL_SIGNING_KEY: INTERNAL_KEY,
    });
    base = env.platform.runtime.url;
    const created = await call<{
      client: { id: string };
      keys: { publishable: { key: string }; secret: { key: string } };
    }>(base, 'POST', '/v1/admin/clients', { key: env.platform.adminKey, body: { name: `Settings ${run}` } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    client = {
      id: created.body.client.id,
      sk: created.body.keys.secret.key,
      pk: created.body.keys.publishable.key,
    };
    for (const [email, role] of [
      [OWNER_EMAIL, 'owner'],
      [MANAGER_EMAIL, 'manager'],
    ]) {
      const m = await call(base, 'POST', '/v1/members', { key: client.sk, body: { email, role } });
      assert.equal(m.status, 201, JSON.stringify(m.body));
    }
    // 4,100 active participants this month (of the starter plan's 5,000): past the 80% warning. Written
    // straight into ClickHouse's events table, where the meter counts them.
    const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
    await env.ch.ch.insert(
      'events',
      Array.from({ length: 4_100 }, (_, i) =>
        emptyEventRow({
          event_id: `${run}-${i}`,
          event: 'page_viewed',
          client_id: client.id,
          occurred_at: now,
          received_at: now,
          participant_id: `p-${i}`,
        }),
      ),
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1360, height: 860 }, bypassCSP: true });
    page = await context.newPage();
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => inflight.add(`${r.method()} ${r.url()}`));
    const settled = (r: Request) => inflight.delete(`${r.method()} ${r.url()}`);
    page.on('requestfinished', settled);
    page.on('requestfailed', settled);
    page.on('console', (m) => {
      // Refusals the pages show (the last owner's 409, the preview's 400) are expected answers.
      if (m.type() === 'error' && !/status of (400|401|404|409)/.test(m.text())) consoleErrors.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    await env?.stop();
    receiver?.close();
  });

  it('signs in as the owner', async () => {
    await signIn(OWNER_EMAIL);
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
  });

  it('rotates a key: the new one is shown once with the overlap, and both work until it ends', async () => {
    await go('/settings/keys');
    await page.getByLabel('Name').fill(`rot ${run}`);
    await page.getByRole('button', { name: 'Create key' }).click();
    const oldKey = await page.getByLabel('New key').inputValue();
    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.locator('tr', { hasText: `rot ${run}` });
    await row.getByRole('button', { name: 'Rotate' }).click();
    await page.getByLabel('Old key stays valid for').selectOption('3600');
    await page.getByRole('button', { name: 'Rotate key' }).click();
    const overlap = page.getByTestId('overlap');
    await overlap.waitFor();
    assert.match((await overlap.textContent()) ?? '', /keeps working until/);
    const newKey = await page.getByLabel('New key').inputValue();
    assert.match(newKey, /^sk_/);
    assert.notEqual(newKey, oldKey);
    for (const key of [oldKey, newKey])
      assert.equal(
        (await call(base, 'GET', '/v1/campaigns', { key })).status,
        200,
        'both keys work in the overlap',
      );
    const keys = await call<{ data: { overlap_until: string | null; name: string | null }[] }>(
      base,
      'GET',
      '/v1/api-keys?limit=100',
      { key: client.sk },
    );
    const rotated = keys.body.data.find((k) => k.name === `rot ${run}` && k.overlap_until);
    assert.ok(rotated, 'the old key is marked rotated');
    const hours = (Date.parse(rotated.overlap_until ?? '') - Date.now()) / 3_600_000;
    assert.ok(hours > 0.9 && hours <= 1.01, `overlap of the chosen hour, got ${hours}`);
    await page.locator('tr', { hasText: 'rotated: valid until' }).first().waitFor();
    await check('settings-keys-rotated');
  });

  it('changes a member’s role, explains the last-owner refusal, and removes a member', async () => {
    await go('/settings/members');
    await page.locator('tr', { hasText: MANAGER_EMAIL }).getByRole('button', { name: 'Change role' }).click();
    await page.getByLabel('New role').selectOption('analyst');
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.getByText(`${MANAGER_EMAIL} is now analyst.`).waitFor();
    await page.locator('tr', { hasText: MANAGER_EMAIL }).getByRole('cell', { name: 'analyst' }).waitFor();

    // The only owner demoting themselves: the API's 409 LAST_OWNER, said in words.
    await page.locator('tr', { hasText: OWNER_EMAIL }).getByRole('button', { name: 'Change role' }).click();
    await page.getByLabel('New role').selectOption('admin');
    await page.getByRole('button', { name: 'Save role' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /last owner.*LAST_OWNER/s);
    await check('settings-members-last-owner');

    await page.getByRole('button', { name: `Remove ${MANAGER_EMAIL}` }).click();
    await page.getByRole('button', { name: 'Remove member' }).click();
    await page.getByText(`${MANAGER_EMAIL} was removed`).waitFor();
    await page.locator('tr', { hasText: MANAGER_EMAIL }).waitFor({ state: 'detached' });
    const members = await call<{ data: { email: string; role: string }[] }>(base, 'GET', '/v1/members', {
      key: client.sk,
    });
    assert.deepEqual(
      members.body.data.map((m) => `${m.email}:${m.role}`),
      [`${OWNER_EMAIL}:owner`],
    );
    await check('settings-members-removed');
  });

  it('adds a webhook endpoint, shows a failed delivery in its log, redelivers it, then deletes it', async () => {
    await go('/settings/webhooks');
    await page.getByLabel('URL').fill(hookUrl);
    await page.getByLabel(/Topics/).fill('reward.allocated');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await page.getByLabel('Signing secret').inputValue();
    assert.match(secret, /^whsec_/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('endpoints').getByText(hookUrl).waitFor();

    // A journey's webhook step, through the service's internal route: the receiver answers 500.
    const sent = await call(base, 'POST', '/internal/v1/notifications/webhooks', {
      key: serviceToken(INTERNAL_KEY, 'notification'),
      body: {
        client_id: client.id,
        topic: 'reward.allocated',
        payload: { reward_id: `rwd_${run}` },
        idempotency_key: `wf-${run}/hook`,
      },
    });
    assert.equal(sent.status, 503, JSON.stringify(sent.body));
    assert.equal(received.length, 1);

    await page.getByRole('button', { name: `Delivery log of ${hookUrl}` }).click();
    const entry = page.getByTestId('deliveries').locator('tr', { hasText: `wf-${run}/hook` });
    await entry.getByText('HTTP 500').waitFor();
    assert.match((await entry.textContent()) ?? '', /failed/);
    await check('settings-webhooks-log');

    answer = 200;
    await entry.getByRole('button', { name: `Redeliver wf-${run}/hook` }).click();
    await entry.getByText('delivered').waitFor();
    assert.match((await entry.textContent()) ?? '', /200/);
    assert.equal(received.length, 2);
    const again = received[1]!;
    assert.equal(again.body, received[0]!.body, 'the same message');
    assert.equal(again.headers['webhook-id'], `wf-${run}/hook`);
    // The receiver verifies it with the secret the page showed once.
    assert.deepEqual(new Webhook(secret).verify(again.body, again.headers), JSON.parse(again.body));
    await check('settings-webhooks-redelivered');

    await page.getByRole('button', { name: `Delete ${hookUrl}` }).click();
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByText('No endpoint yet.', { exact: false }).waitFor();
    const left = await call<{ data: unknown[] }>(base, 'GET', '/v1/notifications/webhook-endpoints', {
      key: client.sk,
    });
    assert.deepEqual(left.body.data, []);
  });

  it('previews a template per locale with sample data, and shows a draft’s syntax error at its position', async () => {
    await go('/settings/templates');
    await page.getByRole('button', { name: 'Preview signup-welcome' }).click();
    const subject = page.getByTestId('rendered-subject');
    await subject.waitFor();
    const english = (await subject.textContent()) ?? '';
    await page.getByTestId('template-preview').getByLabel('Locale').selectOption('fr');
    await page.getByTestId('rendered-text').filter({ hasText: 'Votre lien de parrainage' }).waitFor();
    assert.notEqual(await subject.textContent(), english, 'the French subject');
    const frame = page.getByTitle('signup-welcome fr HTML preview');
    assert.equal(await frame.getAttribute('sandbox'), '', 'no script, no same origin for the mail');
    // The HTML part as the mail shows it: the shared layout around the French body, values escaped.
    await page
      .frameLocator('iframe[title="signup-welcome fr HTML preview"]')
      .getByRole('link', { name: 'Votre lien de parrainage' })
      .waitFor();
    await check('settings-templates-preview', { idle: false });

    await page.getByRole('button', { name: 'Edit a draft' }).click();
    await page.getByLabel('Text part').fill('Bonjour {{ participant.name | default: "vous" }}');
    await page.getByLabel('Subject (Liquid)').fill('Salut {{ participant.name');
    const problem = page.getByRole('alert');
    await problem.filter({ hasText: 'source.subject' }).waitFor();
    assert.match((await problem.textContent()) ?? '', /line 1, column \d+/);
    await check('settings-templates-draft-error', { idle: false });
    await page.getByLabel('Subject (Liquid)').fill('Salut {{ participant.name }}');
    await subject.filter({ hasText: 'Salut [participant.name]' }).waitFor();
    await page.getByRole('button', { name: 'Discard draft' }).click();
  });

  it('shows usage against the plan with the 80% warning', async () => {
    await go('/settings/usage');
    const map = page.getByTestId('usage-monthly_active_participants');
    await map.waitFor();
    assert.match((await map.textContent()) ?? '', /4,100 of 5,000 \(82%\)/);
    await map.getByText('over 80%').waitFor();
    await page.getByRole('alert').filter({ hasText: 'Monthly active participants 82%' }).waitFor();
    await check('settings-usage');
  });

  it('lists the audit log with filters and export links', async () => {
    await go('/settings/audit');
    const table = page.getByTestId('audit-table');
    await table.getByText('key.created').first().waitFor();
    await page.getByLabel('Action').fill('webhook_endpoint.deleted');
    await page.getByRole('button', { name: 'Filter' }).click();
    await table.locator('tbody tr').first().waitFor();
    const rows = await table.locator('tbody tr').allTextContents();
    assert.ok(rows.length >= 1 && rows.every((r) => r.includes('webhook_endpoint.deleted')), rows.join('\n'));
    const csv = await page.getByRole('link', { name: 'CSV' }).getAttribute('href');
    assert.equal(csv, '/v1/audit/export.csv?action=webhook_endpoint.deleted');
    const exported = await page.evaluate(
      async (href) => (await fetch(href, { credentials: 'same-origin' })).text(),
      csv,
    );
    assert.match(exported, /webhook_endpoint\.deleted/);
    await check('settings-audit');
    for (const [tab, shot] of [
      ['events', 'settings-custom-events'],
      ['sdk', 'settings-sdk-snippet'],
    ] as const) {
      await go(`/settings/${tab}`);
      await check(shot);
    }
  });

  it('lets a platform admin see usage per client and retry or discard dead-lettered events', async () => {
    // Two events accepted and drained, then parked as a sink's refusal would park them.
    for (const n of [1, 2]) {
      const r = await call(base, 'POST', '/v1/events', {
        key: client.pk,
        // Participants already counted, so the admin's usage column reads the 4,100 seeded.
        body: { event: 'page_viewed', event_id: `dlq-${run}-${n}`, participant_id: `p-${n}` },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    }
    const db = env.pg.db;
    await waitUntil(
      'the events in the outbox',
      async () => {
        const r = await sql<{ n: number }>`select count(*)::int as n from event_outbox
          where client_id = ${client.id} and event_id like ${`dlq-${run}-%`}`.execute(db);
        return r.rows[0]?.n === 2 ? true : undefined;
      },
      10_000,
    );
    await sql`insert into event_dead_letters (sink, client_id, event_id, event, outbox_seq, payload, error, attempts)
      select 'clickhouse', client_id, event_id, event, seq, payload, 'Code: 241. Memory limit exceeded', 3
      from event_outbox where client_id = ${client.id} and event_id like ${`dlq-${run}-%`}`.execute(db);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ADMIN_EMAIL);
    await page.getByRole('link', { name: 'Platform admin' }).first().click();
    await page.getByRole('heading', { name: 'Platform health' }).waitFor();
    const usage = page.getByTestId(`usage-${client.id}`);
    await usage.waitFor({ timeout: 20_000 });
    assert.match((await usage.textContent()) ?? '', /MAP 4,100 \/ 5,000/);
    const counts = page.getByTestId('dlq-counts').locator('tr', { hasText: client.id });
    await counts.waitFor();
    assert.match((await counts.textContent()) ?? '', /clickhouse.*2/);
    await check('admin-dead-letters');

    await page.getByRole('button', { name: `Retry dlq-${run}-1` }).click();
    await page.getByText(`Event dlq-${run}-1 is back in the outbox`).waitFor();
    await page.getByRole('button', { name: `Discard dlq-${run}-2` }).click();
    await page.getByRole('button', { name: 'Discard event' }).click();
    await page.getByText(`Event dlq-${run}-2 was discarded.`).waitFor();
    await page
      .getByTestId('dlq')
      .locator('tr', { hasText: `dlq-${run}-` })
      .waitFor({ state: 'detached' });
    const parked = await sql<{ n: number }>`select count(*)::int as n from event_dead_letters
      where client_id = ${client.id}`.execute(db);
    assert.equal(parked.rows[0]?.n, 0);
    // The retried event is in the outbox again, after both sinks' cursors: the drainer takes it anew.
    await waitUntil(
      'the retried row drained again',
      async () => {
        const r = await sql<{
          n: number;
        }>`select count(*)::int as n from event_outbox o, event_outbox_cursors c
          where o.client_id = ${client.id} and o.event_id = ${`dlq-${run}-1`} and (o.txid, o.seq) <= (c.txid, c.seq)`.execute(
          db,
        );
        return r.rows[0]?.n === 2 ? true : undefined;
      },
      20_000,
    );
    const audit = await call<{ data: { action: string; client_id: string }[] }>(
      base,
      'GET',
      '/v1/audit?action=dead_letter.retried',
      { key: client.sk },
    );
    assert.equal(audit.body.data.length, 1, 'the retry is in the client’s audit log');
    await check('admin-after-retry');
  });

  it('has no serious accessibility violation on any page, and no script error', () => {
    assert.ok(Object.keys(a11y).length >= 12, Object.keys(a11y).join(', '));
    const failing = Object.fromEntries(Object.entries(a11y).filter(([, v]) => v.length > 0));
    assert.deepEqual(failing, {}, JSON.stringify(failing, null, 2));
    assert.deepEqual(consoleErrors, []);
  });
});
