import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { serviceToken } from '../../test/support/service-token.ts';
import { decodeQuotedPrintable, startTestSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import { createNotificationApp, createSmtpMailer, migrations } from './index.ts';
import { renderSource } from './render.ts';

const TOKEN = 'internal-test-token';

describe('notification service', () => {
  let t: TestDatabase;
  let smtp: TestSmtpServer;
  let app: ReturnType<typeof createNotificationApp>;
  let mailer: ReturnType<typeof createSmtpMailer>;
  let secretKey: string;
  let clientId: string;

  before(async () => {
    t = await createTestDatabase({ 'client-management': cmMigrations, notification: migrations });
    smtp = await startTestSmtpServer();
    mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, from: 'Pulse <no-reply@pulse.test>' });
    const cm = createClientManagement(t.db, { hashSecret: 'x', cacheMs: 0, secretBox: testSecretBox() });
    const created = await cm.createClient({ name: 'Acme' });
    secretKey = created.secret.key;
    clientId = created.client.id;
    app = createNotificationApp({
      db: t.db,
      mailer,
      resolver: cm.resolver,
      internalToken: TOKEN,
      secretBox: testSecretBox(),
      // The webhook fake listens on loopback, which the default policy refuses.
      outbound: { allow: ['127.0.0.1/32'] },
    });
  });
  after(async () => {
    mailer.close();
    await smtp.close();
    await t.drop();
  });

  const internal = (path: string, body: unknown, token = serviceToken(TOKEN, 'notification')) =>
    app.request(`/internal/v1/notifications/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('renders placeholders, escapes HTML, and refuses missing values', async () => {
    const opts = { locale: 'en', builtIn: false };
    const html = await renderSource(
      't',
      { subject: 'S', text: 'x', html: 'Hi {{ user.name }}!' },
      { user: { name: '<b>Ann</b>' } },
      opts,
    );
    assert.equal(html.html, 'Hi &lt;b&gt;Ann&lt;/b&gt;!');
    const text = await renderSource(
      't',
      { subject: 'S', text: 'Hi {{ user.name | default: "there" }}' },
      {},
      opts,
    );
    assert.equal(text.text, 'Hi there');
    await assert.rejects(
      renderSource('t', { subject: 'S', text: '{{ referral.link }}' }, {}, opts),
      (err: unknown) => {
        assert.equal((err as { code?: string }).code, 'VALIDATION_FAILED');
        assert.deepEqual((err as { details?: { path: string }[] }).details?.[0]?.path, 'data.referral.link');
        return true;
      },
    );
  });

  it('sends an email over real SMTP exactly once per idempotency key', async () => {
    const body = {
      client_id: clientId,
      idempotency_key: 'wf-1/welcome',
      participant_id: 'user-a',
      channel: 'email',
      template: 'welcome',
      to: 'ann@example.test',
      data: { referral: { link: 'http://127.0.0.1/r/x/ABCD2345', code: 'ABCD2345' } },
    };
    const first = await internal('send', body);
    assert.equal(first.status, 200);
    const r1 = (await first.json()) as { notification_id: string; status: string };
    assert.equal(r1.status, 'sent');
    const r2 = (await (await internal('send', body)).json()) as { notification_id: string };
    assert.equal(r2.notification_id, r1.notification_id);
    const mail = await smtp.waitFor((m) => m.to.includes('ann@example.test'));
    assert.match(decodeQuotedPrintable(mail.raw), /ABCD2345/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(smtp.messages.filter((m) => m.to.includes('ann@example.test')).length, 1);
  });

  it('lists a participant’s messages, all of them or one campaign’s or one journey’s', async () => {
    const who = `user-msgs-${Date.now()}`;
    const send = async (key: string, extra: Record<string, string>) => {
      const res = await internal('send', {
        client_id: clientId,
        idempotency_key: key,
        participant_id: who,
        channel: 'email',
        template: 'welcome',
        to: 'msgs@example.test',
        data: { referral: { link: 'http://127.0.0.1/r/x/ABCD2345', code: 'ABCD2345' } },
        ...extra,
      });
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { notification_id: string }).notification_id;
    };
    const a1 = await send(`${who}/a1`, {
      campaign_id: 'camp-a',
      workflow_id: `pulse:${clientId}:camp-a:${who}`,
    });
    const a2 = await send(`${who}/a2`, {
      campaign_id: 'camp-a',
      workflow_id: `pulse:${clientId}:camp-a:${who}:2`,
    });
    const b1 = await send(`${who}/b1`, {
      campaign_id: 'camp-b',
      workflow_id: `pulse:${clientId}:camp-b:${who}`,
    });
    // A call step's child journey is part of its journey; a key merely sharing the prefix is not.
    const a3 = await send(`${who}/a3`, {
      campaign_id: 'camp-a',
      workflow_id: `pulse:${clientId}:camp-a:${who}/call/offer`,
    });
    const a4 = await send(`${who}/a4`, {
      campaign_id: 'camp-a',
      workflow_id: `pulse:${clientId}:camp-a:${who}_x`,
    });
    const list = async (query: string) => {
      const res = await app.request(`/v1/notifications/participants/${who}${query}`, {
        headers: { authorization: `Bearer ${secretKey}` },
      });
      const body = (await res.json()) as { data?: { id: string }[]; error?: { details: { path: string }[] } };
      return { status: res.status, ids: (body.data ?? []).map((m) => m.id).sort(), body };
    };
    assert.deepEqual((await list('')).ids, [a1, a2, a3, a4, b1].sort());
    assert.deepEqual((await list('?campaign_id=camp-a')).ids, [a1, a2, a3, a4].sort());
    assert.deepEqual(
      (await list(`?journey_id=${encodeURIComponent(`pulse:${clientId}:camp-a:${who}`)}`)).ids,
      [a1, a3].sort(),
    );
    assert.deepEqual((await list('?campaign_id=camp-b&journey_id=nope')).ids, []);
    const bad = await list(`?campaign_id=${'x'.repeat(300)}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.details[0]?.path, 'campaign_id');
  });

  it('uses a client template override, latest version first', async () => {
    const put = await app.request('/v1/notifications/templates/welcome', {
      method: 'PUT',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'Custom {{ referral.code }}', text: 'Link: {{ referral.link }}' }),
    });
    assert.equal(put.status, 201);
    const res = await internal('render', {
      client_id: clientId,
      template: 'welcome',
      data: { referral: { code: 'C1', link: 'L1' } },
    });
    assert.deepEqual(await res.json(), { subject: 'Custom C1', text: 'Link: L1' });
  });

  const manage = (path: string, init: { method?: string; body?: unknown } = {}) =>
    app.request(`/v1/notifications${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });

  it('publishes immutable versions and renders the one current at as_of (the journey start)', async () => {
    const v1 = await manage('/templates/pinned', {
      method: 'PUT',
      body: { subject: 'Old {{ n }}', text: 'v1' },
    });
    assert.deepEqual(await v1.json(), { name: 'pinned', version: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const journeyStart = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const v2 = await manage('/templates/pinned', {
      method: 'PUT',
      body: { subject: 'New {{ n }}', text: 'v2' },
    });
    assert.deepEqual(await v2.json(), { name: 'pinned', version: 2 });
    const render = async (extra: Record<string, unknown>) =>
      (await (
        await internal('render', { client_id: clientId, template: 'pinned', data: { n: 1 }, ...extra })
      ).json()) as {
        subject: string;
      };
    assert.equal(
      (await render({ as_of: journeyStart })).subject,
      'Old 1',
      'a journey started before v2 keeps v1',
    );
    assert.equal((await render({})).subject, 'New 1');
    assert.equal(
      (await internal('render', { client_id: clientId, template: 'pinned', as_of: 'soon' })).status,
      400,
    );
    // Before the first version the client had none: the name is unknown then.
    assert.equal(
      (await internal('render', { client_id: clientId, template: 'pinned', as_of: '2000-01-01T00:00:00Z' }))
        .status,
      404,
    );
    const versions = (await (await manage('/templates/pinned')).json()) as {
      versions: { version: number; subject: string }[];
      built_in_locales: string[];
    };
    assert.deepEqual(
      versions.versions.map((v) => [v.version, v.subject]),
      [
        [2, 'New {{ n }}'],
        [1, 'Old {{ n }}'],
      ],
    );
    assert.deepEqual(versions.built_in_locales, []);
    const list = (await (await manage('/templates?limit=100')).json()) as {
      data: { name: string; latest_version: number; built_in: boolean }[];
    };
    const pinned = list.data.find((t) => t.name === 'pinned');
    assert.equal(pinned?.latest_version, 2);
    assert.equal(pinned?.built_in, false);
    assert.equal(list.data.find((t) => t.name === 'welcome')?.built_in, true);
    const page = (await (await manage('/templates?limit=1')).json()) as {
      data: { name: string }[];
      next_cursor: string;
    };
    const next = (await (await manage(`/templates?limit=1&starting_after=${page.next_cursor}`)).json()) as {
      data: { name: string }[];
    };
    assert.ok((next.data[0]?.name ?? '') > (page.data[0]?.name ?? ''), 'the second page follows the first');
    const other = await (await manage('/templates/unknown-anywhere')).json();
    assert.equal((other as { error: { code: string } }).error.code, 'NOT_FOUND');
  });

  it('refuses a template that is not valid Liquid, at its part', async () => {
    const res = await manage('/templates/broken', {
      method: 'PUT',
      body: { subject: 'ok', text: '{% if %}' },
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    assert.equal(body.error.details[0]?.path, 'text');
    assert.equal((await manage('/templates/broken')).status, 404, 'nothing was saved');
  });

  it('falls back through locales: fr-CA → fr → campaign default → en, client templates first', async () => {
    await manage('/templates/greet', {
      method: 'PUT',
      body: { subject: 'Bonjour', text: 'fr', locale: 'fr' },
    });
    await manage('/templates/greet', { method: 'PUT', body: { subject: 'Hello', text: 'en' } });
    const subject = async (extra: Record<string, unknown>) =>
      (
        (await (await internal('render', { client_id: clientId, template: 'greet', ...extra })).json()) as {
          subject: string;
        }
      ).subject;
    assert.equal(await subject({ locale: 'fr-CA' }), 'Bonjour');
    assert.equal(await subject({ locale: 'de-DE' }), 'Hello');
    assert.equal(await subject({ locale: 'de-DE', default_locale: 'fr' }), 'Bonjour');
    // Built-ins too: signup-welcome ships in French.
    const fr = (await (
      await internal('render', {
        client_id: clientId,
        template: 'signup-welcome',
        locale: 'fr-CA',
        data: {
          participant: { id: 'p', name: '<img src=x onerror=alert(1)>' },
          referral_link: 'https://a.test/r',
          referral_code: 'AB12',
        },
      })
    ).json()) as { subject: string; html: string; text: string };
    assert.match(fr.subject, /Bienvenue/);
    assert.ok(fr.html.includes('&lt;img src=x onerror=alert(1)&gt;'), fr.html);
    assert.ok(!fr.html.includes('<img'));
    assert.doesNotMatch(fr.text, /none|undefined|null/);
  });

  it('answers 400 with the field path for missing template data and 404 for unknown templates', async () => {
    const missing = await internal('render', { client_id: clientId, template: 'referral-reward', data: {} });
    assert.equal(missing.status, 200, 'referral-reward has defaults for every value');
    const bad = await internal('render', { client_id: 'other', template: 'welcome', data: {} });
    assert.equal(bad.status, 400);
    const details = ((await bad.json()) as { error: { details: { path: string }[] } }).error.details.map(
      (d) => d.path,
    );
    assert.deepEqual(details.sort(), ['data.referral.code', 'data.referral.link']);
    assert.equal((await internal('render', { client_id: clientId, template: 'nope' })).status, 404);
  });

  it('refuses internal calls without the service token', async () => {
    assert.equal(
      (await internal('render', { client_id: clientId, template: 'welcome' }, 'wrong')).status,
      401,
    );
  });

  it('delivers signed webhooks once per key to subscribed endpoints only', async () => {
    const received: { body: string; headers: Record<string, string> }[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ body, headers: req.headers as Record<string, string> });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const created = await app.request('/v1/notifications/webhook-endpoints', {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url, topics: ['reward.allocated'] }),
      });
      const { id, secret } = (await created.json()) as { id: string; secret: string };
      const stored = await t.db
        .selectFrom('webhook_endpoints')
        .select('secret')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.match(stored.secret, /^enc:v1:test:/, 'the endpoint secret is stored encrypted');
      const send = (topic: string) =>
        internal('webhooks', {
          client_id: clientId,
          topic,
          payload: { amount: 10 },
          idempotency_key: 'wf/hook',
        });
      assert.deepEqual(await (await send('reward.allocated')).json(), { delivered: 1, refused: 0 });
      assert.deepEqual(await (await send('reward.allocated')).json(), { delivered: 1, refused: 0 });
      assert.deepEqual(await (await send('other.topic')).json(), { delivered: 0, refused: 0 });
      assert.equal(received.length, 1);
      const [delivery] = received;
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/, 'a Standard Webhooks secret');
      // The receiver's side: the standardwebhooks package, an implementation independent of ours.
      assert.deepEqual(
        new Webhook(secret).verify(delivery!.body, delivery!.headers),
        JSON.parse(delivery!.body),
      );
      assert.equal(delivery!.headers['webhook-id'], 'wf/hook', 'the message id is the idempotency key');
      assert.equal(delivery!.headers['x-pulse-signature'], undefined, 'the old header is gone');
      const other = new Webhook(Buffer.from('a'.repeat(24)).toString('base64'));
      assert.throws(() => other.verify(delivery!.body, delivery!.headers), /No matching signature/);
      assert.throws(
        () => new Webhook(secret).verify(`${delivery!.body} `, delivery!.headers),
        /No matching signature/,
        'a changed body fails',
      );
    } finally {
      server.close();
    }
  });
});

describe('contacts', () => {
  it('learns addresses from identifying events and mails by participant id', async () => {
    const { createPostgresBus } = await import('../platform/bus/postgres-bus.ts');
    const { busMigrations } = await import('../platform/bus/postgres-bus.ts');
    const { startContactTracking } = await import('./contacts.ts');
    const db = await createTestDatabase({ notification: migrations, bus: busMigrations });
    const smtp = await startTestSmtpServer();
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, from: 'p@pulse.test' });
    const bus = createPostgresBus({ db: db.db, pollMs: 50 });
    try {
      const subs = await startContactTracking(bus, db.db);
      await bus.publish('event.user_signed_up.cli_x.none', {
        client_id: 'cli_x',
        participant_id: 'ann',
        traits: { email: 'Ann@Example.test', name: 'Ann' },
      });
      const { findContact } = await import('./repo.ts');
      const deadline = Date.now() + 10_000;
      while (!(await findContact(db.db, 'cli_x', 'ann')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal((await findContact(db.db, 'cli_x', 'ann'))?.email, 'ann@example.test');
      const { sendNotification } = await import('./service.ts');
      const sent = await sendNotification(db.db, mailer, {
        clientId: 'cli_x',
        idempotencyKey: 'k1',
        participantId: 'ann',
        channel: 'email',
        template: 'reminder',
      });
      assert.equal(sent.status, 'sent');
      const mail = await smtp.waitFor((m) => m.to.includes('ann@example.test'));
      assert.match(mail.subject, /reminder/i);
      const nobody = await sendNotification(db.db, mailer, {
        clientId: 'cli_y',
        idempotencyKey: 'k1',
        participantId: 'ann',
        channel: 'email',
        template: 'reminder',
      });
      assert.equal(nobody.status, 'skipped_no_address', 'contacts are per client');
      for (const s of subs) await s.stop();
    } finally {
      await bus.close();
      mailer.close();
      await smtp.close();
      await db.drop();
    }
  });
});
