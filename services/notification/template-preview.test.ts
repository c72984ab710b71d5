import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import { createNotificationApp, createSmtpMailer, migrations } from './index.ts';
import { sampleData } from './preview.ts';

interface Preview {
  name: string;
  locale: string;
  source: string;
  version: number | null;
  subject: string;
  text: string;
  html: string | null;
  variables: string[];
  data: Record<string, unknown>;
}
interface Problem {
  error: { code: string; details: { path: string; message: string }[] };
}

describe('template preview', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createNotificationApp>;
  let mailer: ReturnType<typeof createSmtpMailer>;
  let key: string;
  let manager: string;
  let otherKey: string;
  let publishable: string;

  before(async () => {
    t = await createTestDatabase({ 'client-management': cmMigrations, notification: migrations });
    mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'p@pulse.test' });
    const cm = createClientManagement(t.db, { hashSecret: 'x', cacheMs: 0, secretBox: testSecretBox() });
    const acme = await cm.createClient({ name: 'Acme' });
    key = (await cm.issueKey(acme.client.id, 'secret', 'viewer')).key;
    manager = (await cm.issueKey(acme.client.id, 'secret', 'manager')).key;
    publishable = acme.publishable.key;
    otherKey = (await cm.createClient({ name: 'Other' })).secret.key;
    app = createNotificationApp({
      db: t.db,
      mailer,
      resolver: cm.resolver,
      internalToken: 'x',
      secretBox: testSecretBox(),
    });
    const put = await app.request('/v1/notifications/templates/promo', {
      method: 'PUT',
      headers: { authorization: `Bearer ${acme.secret.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        subject: 'Hi {{ participant.name }}',
        text: 'You earned {{ reward.amount | money: reward.currency }} until {{ reward.expires_at | date_local }}',
        html: '<p>{{ participant.name }}</p>',
        locale: 'fr',
      }),
    });
    assert.equal(put.status, 201);
  });
  after(async () => {
    mailer.close();
    await t.drop();
  });

  const preview = (name: string, body: unknown, k = key) =>
    app.request(`/v1/notifications/templates/${name}/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('renders a built-in per locale with a sample derived from its variables', async () => {
    const fr = await preview('signup-welcome', { locale: 'fr' });
    assert.equal(fr.status, 200);
    const p = (await fr.json()) as Preview;
    assert.equal(p.source, 'built_in');
    assert.equal(p.locale, 'fr');
    assert.match(p.text, /Votre lien de parrainage : https:\/\/example\.com\/referral_link/);
    assert.ok(p.variables.includes('referral_code'), p.variables.join());
    assert.match(p.html ?? '', /<div style=/, 'the shared layout frames the HTML part');
    const en = (await (await preview('signup-welcome', { locale: 'en-GB' })).json()) as Preview;
    assert.equal(en.locale, 'en', 'en-GB falls back to en, as the sender does');
    assert.notEqual(en.subject, p.subject);
  });

  it('renders the client version with the caller’s data, through the same filters as the sender', async () => {
    const res = await preview('promo', {
      locale: 'fr-CA',
      data: {
        participant: { name: '<Ann>' },
        reward: { amount: 12.5, currency: 'EUR', expires_at: '2026-03-01' },
      },
    });
    assert.equal(res.status, 200);
    const p = (await res.json()) as Preview;
    assert.equal(p.source, 'client');
    assert.equal(p.version, 1);
    assert.equal(p.locale, 'fr');
    assert.equal(p.subject, 'Hi <Ann>');
    assert.equal(p.html, '<p>&lt;Ann&gt;</p>', 'HTML output is escaped as in a sent mail');
    assert.match(p.text, /12,50\s€/, 'money formats in the rendered locale');
    assert.match(p.text, /1 mars 2026/);
    const sample = (await (await preview('promo', { locale: 'fr' })).json()) as Preview;
    assert.deepEqual(sample.data, {
      participant: { name: '[participant.name]' },
      reward: { amount: 25, currency: 'USD', expires_at: '2026-01-15T12:00:00.000Z' },
    });
  });

  it('answers 400 at the part with line and column for a draft that does not parse, and at data for a bad value', async () => {
    const broken = await preview(
      'promo',
      {
        source: { subject: 'S', text: 'line one\nHi {{ participant.name }' },
      },
      manager,
    );
    assert.equal(broken.status, 400);
    const b = (await broken.json()) as Problem;
    assert.equal(b.error.details[0]!.path, 'source.text');
    assert.match(b.error.details[0]!.message, /line 2, column 4/);
    const money = await preview(
      'promo',
      {
        source: { subject: 'S', text: '{{ amount | money: "USD" }}' },
        data: { amount: 'lots' },
      },
      manager,
    );
    assert.equal(money.status, 400);
    assert.equal(((await money.json()) as Problem).error.details[0]!.path, 'data');
    const missing = await preview(
      'promo',
      { source: { subject: 'S', text: '{{ a.b }}' }, data: {} },
      manager,
    );
    assert.equal(((await missing.json()) as Problem).error.details[0]!.path, 'data.a.b');
    const draft = (await (
      await preview('anything-new', { source: { subject: 'New {{ x }}', text: 't' } }, manager)
    ).json()) as Preview;
    assert.equal(draft.source, 'draft');
    assert.equal(draft.subject, 'New [x]');
    const bad = await preview('promo', { source: { text: 'no subject' } }, manager);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /subject/);
    assert.equal((await preview('promo', { channel: 'fax' })).status, 400);
  });

  it('is scoped to the caller: another client has no "promo", a publishable key may not preview', async () => {
    assert.equal((await preview('promo', {}, otherKey)).status, 404);
    assert.equal((await preview('no-such-template', {})).status, 404);
    assert.equal((await preview('promo', {}, publishable)).status, 403);
  });

  it('lets a viewer preview stored templates but not a draft: rendering arbitrary Liquid needs manage', async () => {
    assert.equal((await preview('promo', { locale: 'fr' })).status, 200, 'the client version');
    assert.equal((await preview('signup-welcome', {})).status, 200, 'a built-in');
    const draft = { source: { subject: 'S', text: '{% for i in (1..100) %}{{ i }}{% endfor %}' } };
    const refused = await preview('promo', draft);
    assert.equal(refused.status, 403);
    const p = (await refused.json()) as Problem;
    assert.equal(p.error.code, 'FORBIDDEN');
    assert.equal(p.error.details[0]!.path, 'source');
    assert.match(p.error.details[0]!.message, /notification\.manage/);
    const allowed = await preview('promo', draft, manager);
    assert.equal(allowed.status, 200);
    assert.equal(((await allowed.json()) as Preview).source, 'draft');
  });

  it('builds nested samples and never writes through __proto__', () => {
    const d = sampleData([['reward', 'amount'], ['reward'], ['__proto__', 'x'], ['link']]);
    assert.deepEqual(d, { reward: { amount: 25 }, link: 'https://example.com/link' });
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});
