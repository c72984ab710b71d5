import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEventValidator, EVENT_TYPES } from './schema.ts';
import { parseUserAgent } from './user-agent.ts';

const check = createEventValidator();
const base = { event_id: 'evt_12345678', anonymous_id: 'a1' };

test('every event type of the spec is accepted by name', () => {
  const spec = [
    'user_signed_up',
    'user_logged_in',
    'user_updated_profile',
    'user_became_inactive',
    'user_reactivated',
    'subscription_started',
    'subscription_upgraded',
    'subscription_downgraded',
    'subscription_ending_soon',
    'subscription_renewed',
    'subscription_cancelled',
    'referral_generated',
    'referral_shared',
    'referral_clicked',
    'referral_visit',
    'referred_signed_up',
    'referred_made_purchase',
    'widget_displayed',
    'widget_interacted',
    'widget_closed',
    'survey_displayed',
    'survey_started',
    'survey_completed',
    'feedback_submitted',
    'feature_viewed',
    'feature_adopted',
    'product_viewed',
    'cart_updated',
    'checkout_started',
    'purchase_completed',
    'purchase_refunded',
    'newsletter_subscribed',
    'newsletter_unsubscribed',
    'content_downloaded',
    'webinar_registered',
    'webinar_attended',
    'switchup_initiated',
    'switchup_data_imported',
    'switchup_completed',
    'tutorial_started',
    'tutorial_completed',
    'help_article_viewed',
    'support_ticket_created',
  ];
  for (const name of spec) assert.ok(EVENT_TYPES.includes(name), name);
  assert.ok(EVENT_TYPES.includes('referral_shared_whatsapp'), 'platform-specific share variants');
});

test('per-type property schemas', () => {
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['purchase_completed', { order_id: 'o', amount: 10, currency: 'USD' }, true],
    ['purchase_completed', { order_id: 'o', amount: -1, currency: 'USD' }, false],
    ['subscription_upgraded', { plan: 'pro' }, false],
    ['subscription_upgraded', { plan: 'pro', previous_plan: 'basic', interval: 'year' }, true],
    ['subscription_ending_soon', { plan: 'pro', ends_at: '2027-01-01T00:00:00Z', days_remaining: 14 }, true],
    ['feedback_submitted', { rating: 5, platform: 'g2', url: 'https://g2.com/r/1' }, true],
    ['feedback_submitted', { rating: 5, platform: 'myspace' }, false],
    ['referral_visit', { referral_code: 'ALICE' }, true],
    ['switchup_completed', {}, false],
  ];
  for (const [event, properties, ok] of cases) {
    assert.equal(check({ ...base, event, properties }).ok, ok, `${event} ${JSON.stringify(properties)}`);
  }
});

test('the full context structure validates', () => {
  const r = check({
    ...base,
    event: 'user_signed_up',
    occurred_at: '2026-01-01T10:00:00.000Z',
    campaign_id: 'camp_1',
    participant_id: 'u1',
    external_user_id_hash: 'h',
    session_id: 's',
    referral_id: 'r',
    invite_id: 'i',
    visit_id: 'v',
    traits: { plan: 'pro', country: 'DE', language: 'de', tier: 'gold', custom: { team: 3 } },
    context: {
      sdk: { name: 'pulse-browser', version: '1.0.0' },
      app: { platform: 'web', version: '2.3', build: '45' },
      device: {
        os: 'macOS',
        os_version: '14',
        browser: 'Chrome',
        user_agent: 'x',
        screen: '1920x1080',
        model: 'MacBook',
      },
      locale: { language: 'de-DE', timezone: 'Europe/Berlin' },
      page: { url: 'https://a.b/c', referrer: 'https://google.com', title: 'T', path: '/c' },
      geo: { country: 'DE', region: 'BE', city: 'Berlin' },
      marketing: {
        utm: { source: 's', medium: 'm', campaign: 'c', term: 't', content: 'x' },
        gclid: 'g',
        fbclid: 'f',
        msclkid: 'm',
        first_touch: {
          at: '2026-01-01T09:00:00.000Z',
          channel: 'referral',
          referrer: 'https://x.com',
          landing_page: '/l',
        },
      },
      referral: { code: 'ALICE', first_touch: { referral_code: 'ALICE', at: '2026-01-01T09:00:00.000Z' } },
      experiments: { checkout_v2: 'b' },
      participant: {
        plan: 'pro',
        plan_since: '2025-01-01T00:00:00Z',
        tier: 'gold',
        tier_since: '2025-06-01T00:00:00Z',
        metadata: {},
      },
    },
  });
  assert.deepEqual(r, { ok: true, event: r.ok ? r.event : null });
});

test('unknown context keys are rejected with their path', () => {
  const r = check({ ...base, event: 'page_viewed', context: { page: { colour: 'red' } } });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.details[0]?.path, 'context.page.colour');
});

test('user-agent parser: browser, os, device type', () => {
  const chrome = parseUserAgent(
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  );
  assert.deepEqual(chrome, {
    browser: 'Chrome',
    browser_version: '120',
    os: 'Windows',
    os_version: '10.0',
    type: 'desktop',
  });
  const edge = parseUserAgent(
    'Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0.1',
  );
  assert.equal(edge.browser, 'Edge');
  const android = parseUserAgent(
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
  );
  assert.deepEqual([android.os, android.type], ['Android', 'mobile']);
  const ipad = parseUserAgent(
    'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1',
  );
  assert.deepEqual([ipad.browser, ipad.os, ipad.os_version, ipad.type], ['Safari', 'iOS', '17.0', 'tablet']);
  assert.equal(parseUserAgent('Googlebot/2.1 (+http://www.google.com/bot.html)').type, 'bot');
  assert.equal(parseUserAgent('').type, 'unknown');
});
