// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary stored JSON
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildSdk } from '../scripts/build-sdk.ts';
import { type SdkTestServer, startSdkTestServer } from '../test/support/sdk-server.ts';
import { createIdentityToken } from './node/index.ts';

// Real Chromium (Debian's /usr/bin/chromium) against the real event app over loopback HTTP.
let server: SdkTestServer;
let browser: Browser;

before(async () => {
  await buildSdk();
  server = await startSdkTestServer();
  browser = await chromium.launch({
    executablePath: process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function waitFor<T>(
  get: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const named = (name: string) => async () => (await server.events()).filter((e) => e.event === name);

async function withPage(fn: (page: Page, ctx: BrowserContext) => Promise<void>): Promise<void> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await fn(page, ctx);
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await ctx.close();
  }
}

test('a referral link visit is attributed through to the later signup event', async () => {
  await withPage(async (page) => {
    await page.goto(`${server.origin}/landing?ref=ALICE10&utm_source=newsletter&utm_medium=email&gclid=g123`);
    await page.evaluate(() => (window as any).Pulse.flush());
    const [visit] = await waitFor(named('referral_visit'), (v) => v.length === 1, 'referral_visit');
    assert.equal(visit?.properties.referral_code, 'ALICE10');
    const views = await waitFor(named('page_viewed'), (v) => v.length === 1, 'page_viewed');
    assert.equal(views[0]?.context.page.path, '/landing');
    assert.equal(views[0]?.context.device.browser, 'Chrome', 'user agent parsed server-side');

    await page.click('#to-signup');
    await page.waitForURL('**/signup');
    await page.click('#submit');
    const [signup] = await waitFor(named('user_signed_up'), (v) => v.length === 1, 'user_signed_up');
    assert.equal(signup?.participant_id, 'user_123');
    assert.equal(signup?.anonymous_id, visit?.anonymous_id, 'same browser, same anonymous id');
    assert.equal(signup?.context.referral.code, 'ALICE10');
    assert.equal(signup?.context.referral.first_touch.referral_code, 'ALICE10');
    assert.equal(signup?.context.referral.last_touch.landing_page.includes('/landing?ref=ALICE10'), true);
    assert.deepEqual(signup?.context.marketing.utm, { source: 'newsletter', medium: 'email' });
    assert.equal(signup?.context.marketing.gclid, 'g123');
    assert.equal(signup?.context.marketing.first_touch.channel, 'referral');
    assert.equal(signup?.source, 'sdk');
    assert.match(signup?.context.geo.ip_hash, /^[0-9a-f]{64}$/);
  });
});

test('offline: events are kept in localStorage and sent when the browser is back online', async () => {
  await withPage(async (page, ctx) => {
    await page.goto(`${server.origin}/app`);
    await page.waitForFunction(() => typeof (window as any).Pulse?.ids === 'function');
    const before = (await server.events()).length;
    await ctx.setOffline(true);
    await page.evaluate(() => {
      const P = (window as any).Pulse;
      for (let i = 0; i < 3; i++) P.track('feature_viewed', { feature: `f${i}` });
      return P.flush();
    });
    const stored = await page.evaluate(() =>
      Object.keys(localStorage)
        .filter((k) => k.startsWith('pulse:q:'))
        .flatMap((k) => JSON.parse(localStorage.getItem(k) ?? '[]')),
    );
    assert.ok(
      stored.filter((e: any) => e.event === 'feature_viewed').length === 3,
      'persisted while offline',
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await named('feature_viewed')()).length, 0, 'nothing sent while offline');
    await ctx.setOffline(false);
    await waitFor(named('feature_viewed'), (v) => v.length === 3, 'the three offline events');
    assert.ok((await server.events()).length >= before + 3);
  });
});

test('offline events left when the page closed are resent on the next load', async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(`${server.origin}/app`);
    await page.waitForFunction(() => typeof (window as any).Pulse?.ids === 'function');
    await ctx.setOffline(true);
    await page.evaluate(() => (window as any).Pulse.track('content_downloaded', { content_id: 'ebook-1' }));
    // The page closes as if its last beacon could not be handed over (a closed page's keepalive request
    // is not always held back by the emulated offline state), so what it leaves is the stored queue alone.
    await page.evaluate(() => {
      navigator.sendBeacon = () => false;
    });
    await page.close();
    await ctx.setOffline(false);
    assert.equal((await named('content_downloaded')()).length, 0);
    const next = await ctx.newPage();
    await next.goto(`${server.origin}/app`);
    await waitFor(named('content_downloaded'), (v) => v.length === 1, 'the event from the closed page');
  } finally {
    await ctx.close();
  }
});

test('hiding the page sends the queue with sendBeacon (key in the URL, text/plain)', async () => {
  await withPage(async (page) => {
    await page.goto(`${server.origin}/app`);
    await page.waitForFunction(() => typeof (window as any).Pulse?.ids === 'function');
    await page.evaluate(() => (window as any).Pulse.flush());
    const seenBefore = server.requests.length;
    await page.evaluate(() => {
      for (let i = 0; i < 3; i++) (window as any).Pulse.track('help_article_viewed', { article_id: `a${i}` });
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await named('help_article_viewed')()).length, 0, 'below flushAt and before the interval');
    await page.goto('about:blank'); // pagehide + visibilitychange
    await waitFor(named('help_article_viewed'), (v) => v.length === 3, 'the beaconed events');
    const beacon = server.requests
      .slice(seenBefore)
      .find((r) => r.path === '/v1/events/batch' && r.mode === 'no-cors');
    assert.ok(beacon, 'a no-cors (beacon) request');
    assert.match(beacon.query, /^\?key=pk_/);
    assert.match(beacon.contentType ?? '', /text\/plain/);
  });
});

test('the referral widget loads as a separate chunk, renders in a Shadow DOM and copies the link', async () => {
  await withPage(async (page, ctx) => {
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    const chunks: string[] = [];
    page.on('request', (r) => r.url().includes('/sdk/') && chunks.push(new URL(r.url()).pathname));
    await page.goto(`${server.origin}/app`);
    await page.waitForFunction(() => typeof (window as any).Pulse?.ids === 'function');
    assert.deepEqual(chunks, ['/sdk/pulse.iife.js'], 'the widget is not loaded up front');
    const token = createIdentityToken(server.signingSecret, 'user_rewarded');
    await page.evaluate((token) => {
      const P = (window as any).Pulse;
      P.identify('user_rewarded', undefined, { token });
      return P.showWidget({ code: 'ALICE10', target: document.getElementById('widget-slot') });
    }, token);
    assert.ok(chunks.includes('/sdk/pulse-widget.js'), 'widget chunk fetched on demand');
    const hasShadow = await page.evaluate(() => !!document.getElementById('widget-slot')?.shadowRoot);
    assert.ok(hasShadow);
    const input = page.locator('#widget-slot input');
    assert.equal(await input.inputValue(), `${server.origin}/?ref=ALICE10`);
    for (const label of ['Email', 'SMS', 'WhatsApp', 'X', 'LinkedIn', 'Facebook'])
      assert.equal(await page.locator('#widget-slot a.share', { hasText: label }).count(), 1, label);
    await page.locator('#widget-slot .list li').waitFor();
    assert.equal(
      await page.locator('#widget-slot .list li').first().textContent(),
      '$10.00 store credit (approved)',
    );
    await page.locator('#widget-slot button.copy').click();
    await page.locator('#widget-slot button.copy', { hasText: 'Copied!' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${server.origin}/?ref=ALICE10`);
    await page.evaluate(() => (window as any).Pulse.flush());
    const shared = await waitFor(named('referral_shared'), (v) => v.length === 1, 'share event');
    assert.equal(shared[0]?.properties.channel, 'copy_link');
    assert.equal(shared[0]?.properties.referral_code, 'ALICE10');
    // Each channel button shares the link with its channel, so the friend's visit says where it came from.
    const href = await page.locator('#widget-slot a.share', { hasText: 'WhatsApp' }).getAttribute('href');
    assert.ok(decodeURIComponent(href ?? '').includes('?ref=ALICE10&ch=whatsapp'), href ?? '');
    // pulse.share(channel): the canonical event with its channel; an unknown channel is sent as other.
    await page.evaluate(() => {
      const P = (window as any).Pulse;
      P.share('qr', { referral_code: 'ALICE10' });
      P.share('carrier_pigeon');
      return P.flush();
    });
    const all = await waitFor(named('referral_shared'), (v) => v.length === 3, 'share() events');
    assert.deepEqual(all.map((e) => e.properties.channel).sort(), ['copy_link', 'other', 'qr']);
  });
});

test('without an identity token the widget shows no rewards, and email traits are not sent on', async () => {
  await withPage(async (page) => {
    await page.goto(`${server.origin}/app`);
    await page.waitForFunction(() => typeof (window as any).Pulse?.ids === 'function');
    await page.evaluate(() => {
      const P = (window as any).Pulse;
      P.identify('user_rewarded', { email: 'forged@evil.test', plan: 'pro' });
      return P.showWidget({ code: 'ALICE10' });
    });
    await page.locator('.card .list', { hasText: 'Sign in to see your rewards.' }).waitFor();
    const token = createIdentityToken(server.signingSecret, 'user_verified');
    await page.evaluate((token) => {
      const P = (window as any).Pulse;
      P.identify('user_verified', { email: 'real@shop.test' }, { token });
      return P.flush();
    }, token);
    const mine = async () =>
      (await named('user_identified')()).filter(
        (e) => e.traits && ['user_rewarded', 'user_verified'].includes(e.participant_id),
      );
    const ids = await waitFor(mine, (v) => v.length === 2, 'both identify events with traits');
    const forged = ids.find((e) => e.participant_id === 'user_rewarded');
    const real = ids.find((e) => e.participant_id === 'user_verified');
    assert.deepEqual(forged?.traits, { plan: 'pro' }, 'the email was stripped');
    assert.equal(real?.traits.email, 'real@shop.test', 'kept with a token for that participant');
  });
});

test('the widget renders gracefully for a participant with no rewards yet', async () => {
  await withPage(async (page) => {
    await page.goto(`${server.origin}/app`);
    await page.waitForFunction(() => typeof (window as any).Pulse?.ids === 'function');
    await page.evaluate(() => {
      (window as any).Pulse.identify('user_without_rewards');
      return (window as any).Pulse.showWidget({ code: 'BOB' });
    });
    await page.locator('.card .list', { hasText: 'No rewards yet' }).waitFor();
  });
});

test('consent: nothing is sent while pending, queued events go once granted; opt-out stops tracking', async () => {
  await withPage(async (page) => {
    await page.goto(`${server.origin}/esm`);
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    await page.evaluate(() => {
      (window as any).Pulse.track('tutorial_started', { tutorial_id: 'onboarding' });
      return (window as any).Pulse.flush();
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await named('tutorial_started')()).length, 0, 'held while consent is pending');
    await page.evaluate(() => {
      (window as any).Pulse.setConsent('granted');
      return (window as any).Pulse.flush();
    });
    await waitFor(named('tutorial_started'), (v) => v.length === 1, 'the held event');
    await page.evaluate(() => {
      const P = (window as any).Pulse;
      P.optOut();
      P.track('tutorial_completed', { tutorial_id: 'onboarding' });
      P.optIn();
      P.track('tutorial_completed', { tutorial_id: 'after-opt-in' });
      return P.flush();
    });
    const done = await waitFor(named('tutorial_completed'), (v) => v.length >= 1, 'the post-opt-in event');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      (await named('tutorial_completed')()).map((e) => e.properties.tutorial_id),
      ['after-opt-in'],
      `opted-out event dropped (${done.length})`,
    );
  });
});
