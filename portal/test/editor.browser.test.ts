import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ensurePortal } from '../../scripts/build-portal.ts';
import { call } from '../../scripts/journey/http.ts';
import { type IsolatedPlatform, startIsolatedPlatform } from '../../test/support/isolated-platform.ts';
import { type AxeViolation, launchChromium, settled, watchRequests } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'portal/screenshots');
const SIGNUP = await readFile(join(ROOT, 'campaigns/signup.pulse.yaml'), 'utf8');
const AXE = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const run = randomUUID().slice(0, 8);
const OWNER_EMAIL = `editor.${run}@example.test`;
const CUSTOM_EVENT = 'custom_webinar_attended';
const PUBLISHED = `acme-thanks-${run}`;

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

/**
 * The campaign editor under the portal's real Content-Security-Policy (no bypass, unlike the portal
 * walk-through): it validates as `pulse validate` does with validators precompiled at build time, so
 * no page needs eval. Completion and hover know the client's declared events and published templates;
 * a flow node selects its YAML; a simulation runs from a file of recorded events and its timeline shows
 * the reward decisions (with the rule that refused) and the rendered messages.
 */
describe('the campaign editor under the strict CSP', () => {
  let env: IsolatedPlatform;
  let base: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const a11y: Record<string, AxeViolation[]> = {};

  /** What the page recorded: CSP violations (the init script's listener) since the last call. */
  const violations = async (): Promise<Violation[]> =>
    page.evaluate(() => {
      const w = window as unknown as { __csp?: Violation[] };
      const out = w.__csp ?? [];
      w.__csp = [];
      return out;
    });
  /**
   * axe-core, evaluated through the DevTools protocol rather than injected as an inline script (which
   * the CSP would rightly refuse), and a screenshot.
   */
  const check = async (name: string) => {
    await settled(page);
    await page.evaluate(await AXE);
    const result = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run(
              ctx: Document,
              o: object,
            ): Promise<{ violations: (AxeViolation & { nodes: { target: string[] }[] })[] }>;
          };
        }
      ).axe;
      return axe.run(document, { resultTypes: ['violations'] });
    });
    a11y[name] = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })),
      }));
    if (a11y[name].length) console.log(`axe ${name}: ${JSON.stringify(a11y[name])}`);
    await page.screenshot({ path: join(SHOTS, `editor2-${name}.png`) });
  };
  const gotoLine = async (line: number) => {
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+Home');
    for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
  };
  /** The on-screen middle of `word` in the first rendered line holding `within` (default: the word). */
  const wordBox = (word: string, within = word) =>
    page.evaluate(
      ([w, ctx]) => {
        for (const line of document.querySelectorAll('.cm-content .cm-line')) {
          const c = line.textContent?.indexOf(ctx) ?? -1;
          if (c < 0) continue;
          // The word's offset in the line, then the text node (highlighting splits lines) holding it.
          let at = c + ctx.indexOf(w) + 1;
          const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const len = n.textContent?.length ?? 0;
            if (at >= len) {
              at -= len;
              continue;
            }
            n.parentElement?.scrollIntoView({ block: 'center' });
            // A whole line may have been scrolled sideways into view; the words sought sit near its start.
            const scroller = document.querySelector('.cm-scroller');
            if (scroller) scroller.scrollLeft = 0;
            const range = document.createRange();
            range.setStart(n, at);
            range.setEnd(n, Math.min(len, at + 1));
            const r = range.getBoundingClientRect();
            return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
          }
        }
        return null;
      },
      [word, within] as const,
    );

  before(async () => {
    await ensurePortal();
    await mkdir(SHOTS, { recursive: true });
    env = await startIsolatedPlatform({
      PULSE_ENV: 'development',
      PULSE_PORTAL_DIR: join(ROOT, 'portal/dist'),
    });
    base = env.platform.runtime.url;
    const created = await call<{ client: { id: string }; keys: { secret: { key: string } } }>(
      base,
      'POST',
      '/v1/admin/clients',
      { key: env.platform.adminKey, body: { name: `Editor ${run}` } },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sk = created.body.keys.secret.key;
    const owner = await call(base, 'POST', '/v1/members', {
      key: sk,
      body: { email: OWNER_EMAIL, role: 'owner' },
    });
    assert.equal(owner.status, 201, JSON.stringify(owner.body));
    // What the editor learns from the API: a declared custom event and a published template.
    const declared = await call(base, 'PUT', `/v1/event-types/${CUSTOM_EVENT}`, {
      key: sk,
      body: {
        description: 'A participant attended a webinar',
        properties: { type: 'object', properties: { webinar_id: { type: 'string' } } },
      },
    });
    assert.ok([200, 201].includes(declared.status), JSON.stringify(declared.body));
    const published = await call(base, 'PUT', `/v1/notifications/templates/${PUBLISHED}`, {
      key: sk,
      body: { subject: 'Thanks from Acme', text: 'Hello {{ participant.id }}, thank you.' },
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));

    browser = await launchChromium();
    // No bypassCSP: the page runs under the header the platform sends.
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    await context.addInitScript(() => {
      const w = window as unknown as { __csp: Violation[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        w.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
      });
    });
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

  it('serves the portal with a script policy of its own files only: no eval, no inline script', async () => {
    const res = await fetch(`${base}/campaigns/new`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline'?\s*;?\s*script/);
  });

  it('signs in and opens a pulse: valid, the flow drawn, and no CSP violation', async () => {
    await page.goto(base);
    await page.getByLabel(/Email/).fill(OWNER_EMAIL);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await page.getByRole('link', { name: 'New campaign' }).click();
    // The gallery: the nine pulses to start from.
    await page.getByRole('link', { name: /Signup Pulse/ }).waitFor();
    assert.equal(await page.locator('ul.pulses li').count(), 9);
    await page.getByRole('link', { name: /Signup Pulse/ }).click();
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('flow').locator('svg g.node').first().waitFor({ timeout: 30_000 });
    await check('editor');
    assert.deepEqual(await violations(), []);

    // The listener does see what the policy refuses: an inline script is blocked and reported.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
    });
    await page.waitForFunction(() => ((window as unknown as { __csp: unknown[] }).__csp ?? []).length > 0);
    const seen = await violations();
    assert.match(seen[0]?.directive ?? '', /^script-src/);
    assert.equal(
      await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan),
      undefined,
    );
    // Its console message is the probe's, not the app's.
    const isProbe = (m: string) => /inline script/.test(m);
    for (let i = 0; i < 20 && !consoleErrors.some(isProbe); i++) await page.waitForTimeout(100);
    const probe = consoleErrors.findIndex(isProbe);
    if (probe >= 0) consoleErrors.splice(probe, 1);
  });

  it('finds a schema error as you type, with the precompiled validators, on the line typed', async () => {
    // A schema error (an unknown property of the trigger) is found by the precompiled validator.
    const lines = SIGNUP.split('\n');
    const at = lines.findIndex((l) => l.trim() === 'event: user_signed_up') + 1;
    await gotoLine(at);
    // Inserted as one input (no key events, so no completion popup can take a keystroke).
    await page.keyboard.insertText('\n  colour: red');
    const item = page.locator('[data-testid="diagnostics"] li[data-severity="error"]').first();
    await item.waitFor();
    assert.equal(await item.getAttribute('data-line'), String(at + 1));
    assert.match((await item.textContent()) ?? '', /colour/);
    await page.keyboard.press('Control+z');
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor();
    assert.deepEqual(await violations(), []);
  });

  it('completes the client’s declared custom event and published template, and previews templates on hover', async () => {
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('event: custom_web');
    const eventOption = page.locator('.cm-tooltip-autocomplete li', { hasText: CUSTOM_EVENT }).first();
    await eventOption.waitFor();
    assert.match((await eventOption.textContent()) ?? '', /custom event/);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('template: acme');
    const templateOption = page.locator('.cm-tooltip-autocomplete li', { hasText: PUBLISHED }).first();
    await templateOption.waitFor();
    assert.match((await templateOption.textContent()) ?? '', /published template/);
    await check('completion');
    await templateOption.click();

    await page.keyboard.press('Escape');

    // Inside a `do` step: that kind's other keys, not the ones it already has.
    const asLine = SIGNUP.split('\n').findIndex((l) => l.trim() === 'as: eligibility') + 1;
    await gotoLine(asLine);
    await page.keyboard.insertText('\n    ');
    await page.keyboard.type('r');
    const retry = page.locator('.cm-tooltip-autocomplete li', { hasText: 'retry' }).first();
    await retry.waitFor();
    const offered = await page.locator('.cm-tooltip-autocomplete li').allTextContents();
    assert.ok(!offered.some((o) => /^as\b/.test(o)), `"as" is already there: ${offered.join(', ')}`);
    await page.keyboard.press('Escape');
    // Take the line out again: from the end of the line above to the end of this one.
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+ArrowUp');
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('Backspace');
    assert.match((await page.locator('.cm-activeLine').textContent()) ?? '', /^\s*as: eligibility$/);
    await page.keyboard.press('Control+End');

    // Hover the published name: the newest version's subject, fetched from the API.
    const box = await wordBox(PUBLISHED);
    assert.ok(box, 'the template name is on screen');
    await page.mouse.move(box.x, box.y);
    const doc = page.locator('.cm-hover-doc', { hasText: `template ${PUBLISHED}` });
    await doc.waitFor();
    assert.match((await doc.textContent()) ?? '', /published.*Subject: Thanks from Acme/s);
    await page.mouse.move(5, 5);
    // Take the scratch line out again.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor();

    // A shipped template named in the settings: its subject as written. (The editor renders only the
    // lines in view: bring that line into view first.)
    await gotoLine(SIGNUP.split('\n').findIndex((l) => l.includes('default: signup-welcome')) + 1);
    await page.locator('.cm-scroller').evaluate((e) => {
      e.scrollLeft = 0;
    });
    const shipped = await wordBox('signup-welcome');
    assert.ok(shipped, 'signup-welcome is on screen');
    await page.mouse.move(shipped.x, shipped.y);
    const shippedDoc = page.locator('.cm-hover-doc', { hasText: 'template signup-welcome' });
    await shippedDoc.waitFor();
    assert.match((await shippedDoc.textContent()) ?? '', /A shipped template, in .*en.*Subject: /s);
    await check('hover');
    await page.mouse.move(5, 5);

    // An activity's input under `with:`, and a setting a step reads: documented from their sources.
    const lines = SIGNUP.split('\n');
    const hoverDoc = async (word: string, within: string, line: number, title: string) => {
      await gotoLine(line);
      await page.locator('.cm-scroller').evaluate((e) => {
        e.scrollLeft = 0;
      });
      const b = await wordBox(word, within);
      assert.ok(b, `${within} is on screen`);
      await page.mouse.move(b.x, b.y);
      const tip = page.locator('.cm-hover-doc', { hasText: title });
      await tip.waitFor();
      const text = (await tip.textContent()) ?? '';
      await page.mouse.move(5, 5);
      return text;
    };
    const side = await hoverDoc(
      'side',
      'side: referee',
      lines.findIndex((l) => l.trim() === 'side: referee') + 1,
      'CheckEligibility input side',
    );
    assert.ok(side.length > 'CheckEligibility input side'.length, side);
    const setting = await hoverDoc(
      'welcome_template',
      'settings.welcome_template',
      lines.findIndex((l) => l.includes('var: settings.welcome_template')) + 1,
      'setting welcome_template',
    );
    assert.match(setting, /Email template of the welcome message.*string, default "signup-welcome"/s);
    assert.deepEqual(await violations(), []);
  });

  it('selects a step’s YAML when its node in the flow is clicked', async () => {
    await page.getByTestId('flow').locator('g.node', { hasText: 'referral-assets' }).first().click();
    assert.match((await page.locator('.cm-activeLine').textContent()) ?? '', /id: referral-assets/);
  });

  it('simulates a file of recorded events: the trace shows the refusal, its rule, and the rendered messages', async () => {
    // Only pro-plan users earn: typed into the campaign-wide constraints.
    const lines = SIGNUP.split('\n');
    const at = lines.findIndex((l) => l.includes('per_referrer_limit: { count: 20 }')) + 1;
    await gotoLine(at);
    await page.keyboard.insertText('\n    eligibility: { plans: [pro] }');
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor();

    await page.getByRole('tab', { name: 'Simulate' }).click();
    // The client's own log: SDK envelopes (one a line), and a row of a participant export's events.jsonl.
    const recorded = [
      {
        event: 'user_signed_up',
        participant_id: 'ada',
        occurred_at: '2026-05-01T09:00:00Z',
        traits: { plan: 'free' },
      },
      {
        event: 'user_signed_up',
        participant_id: 'bob',
        referral_id: 'ref-grace-bob',
        occurred_at: '2026-05-01T10:00:00Z',
        properties: { referral_code: 'GRACE20' },
        traits: { plan: 'pro' },
      },
      {
        event_id: 'e1',
        event: 'page_viewed',
        client_id: 'cl_elsewhere',
        participant_id: 'bob',
        occurred_at: '2026-05-01 10:05:00',
        received_at: '2026-05-01 10:05:01',
        source: 'sdk',
        properties: '{"path":"/pricing"}',
        context: '{}',
      },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n');
    await page.getByTestId('sim-import').setInputFiles({
      name: 'signups.jsonl',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(recorded),
    });
    await page.getByTestId('sim-imported').filter({ hasText: '3 event(s) imported' }).waitFor();
    const script = await page.locator('#sim-script').inputValue();
    assert.match(script, /# 3 recorded event\(s\) from signups\.jsonl/);
    assert.match(script, /at: 3600000/);

    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.getByTestId('sim-journey').nth(1).waitFor({ timeout: 90_000 });
    const outcomes = await page.getByTestId('sim-journey').allTextContents();
    assert.ok(
      outcomes.some((o) => /ada.*ineligible/.test(o)),
      outcomes.join(' | '),
    );
    assert.ok(
      outcomes.some((o) => /bob.*completed/.test(o)),
      outcomes.join(' | '),
    );
    const timeline = page.getByTestId('sim-timeline');
    // Ada's refusal names the reason and the part of the file that refused.
    const refused = timeline.locator('li.refused', { hasText: 'ada' }).first();
    assert.match(
      (await refused.textContent()) ?? '',
      /new-user-eligibility CheckEligibility.*refused PLAN_MISMATCH by rewards\.constraints\.eligibility\.plans/,
    );
    // Bob's welcome message, rendered from the shipped template with his referral link.
    const message = timeline.locator('li[data-kind="message"]', { hasText: 'signup-welcome to bob' });
    await message.locator('summary').click();
    assert.match((await message.textContent()) ?? '', /Subject: /);
    assert.match((await message.locator('pre').textContent()) ?? '', /REF-|\/r\//);
    // Both events of the day arrived an hour apart; the page view matched no campaign.
    assert.match((await timeline.textContent()) ?? '', /\+1h.*user_signed_up \(bob\)/s);
    await check('simulate-message');
    await page.getByRole('heading', { name: 'Outcome' }).evaluate((e) => e.scrollIntoView());
    await check('simulate');
    assert.deepEqual(await violations(), []);
  });

  it('deploys, shows the diff against the live version on the next deploy, and lists who deployed when', async () => {
    await page.getByRole('button', { name: 'Deploy…' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByText(/creates a new campaign/).waitFor();
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await dialog.getByText('Deployed as version 1.').waitFor();
    await dialog.getByRole('button', { name: 'Keep editing' }).click();

    // One more constraint: the next deploy shows exactly that line added.
    const lines = SIGNUP.split('\n');
    const at = lines.findIndex((l) => l.includes('per_referrer_limit: { count: 20 }')) + 2;
    await gotoLine(at);
    await page.keyboard.insertText('\n    max_winners: 100');
    await page.getByTestId('validity').filter({ hasText: 'valid' }).waitFor();
    await page.getByRole('button', { name: 'Deploy…' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByText(/Live: version 1 \((draft|active)\)\. Changes against it:/).waitFor();
    const added = await dialog.locator('[data-testid="deploy-diff"] .dadd').allTextContents();
    assert.deepEqual(added, ['+     max_winners: 100']);
    // The settings were left at their defaults both times: no settings change is claimed.
    assert.equal(await dialog.getByText(/^Settings:/).count(), 0);
    await dialog.getByText(/Running journeys stay on the version they started with/).waitFor();
    await check('deploy-diff');
    await dialog.getByRole('button', { name: 'Deploy version 2' }).click();
    await dialog.getByText('Deployed as version 2.').waitFor();
    await dialog.getByRole('button', { name: 'Open the campaign' }).click();

    // The versions, newest first, with who deployed them and when; the live one marked.
    const versions = page.getByTestId('versions');
    await versions.waitFor();
    const rows = await versions.locator('tbody tr').allTextContents();
    assert.equal(rows.length, 2);
    assert.match(rows[0] ?? '', /^v2live/);
    assert.match(rows[1] ?? '', /^v1/);
    assert.ok(
      (await versions.locator('td[data-col="by"]').allTextContents()).every((by) => by.includes('@')),
      'each version names the member who deployed it (by e-mail)',
    );
    await page.getByText(/Each journey runs the version it started on/).waitFor();
    // Activate (a new campaign may start as a draft), pause, resume: each confirmed, each shown.
    const draft = (await page.locator('main p .badge').first().textContent()) === 'draft';
    for (const [button, status] of [
      ...(draft ? ([['Activate', 'active']] as const) : []),
      ['Pause', 'paused'],
      ['Resume', 'active'],
    ] as const) {
      await page.locator('main').getByRole('button', { name: button, exact: true }).click();
      await page.getByRole('dialog').getByRole('button', { name: button, exact: true }).click();
      await page.locator('main p .badge', { hasText: status }).waitFor();
    }
    await check('versions');
    assert.deepEqual(await violations(), []);
  });

  it('draws the dashboard (ECharts) with no CSP violation either', async () => {
    // The campaign deployed above (the page is still on it): its time series draws every empty bucket,
    // so an SVG there means ECharts ran under the policy.
    const campaign = decodeURIComponent(new URL(page.url()).pathname.split('/')[2] ?? '');
    assert.match(campaign, /^cmp_/);
    await page.goto(`${base}/dashboard?campaign=${encodeURIComponent(campaign)}`);
    await page.locator('main h1').first().waitFor({ timeout: 20_000 });
    await page.locator('section[data-card="timeseries"] svg').first().waitFor({ timeout: 30_000 });
    await check('dashboard');
    assert.deepEqual(await violations(), []);
  });

  it('had no serious accessibility violation and no console error on any page', () => {
    assert.deepEqual(
      Object.entries(a11y).filter(([, v]) => v.length > 0),
      [],
    );
    assert.deepEqual(consoleErrors, []);
  });
});
