import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { serviceToken } from '../../test/support/service-token.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import { createNotificationApp, createSmtpMailer, type Mailer, migrations } from './index.ts';
import { DeliveryFailure, type SmtpOptions } from './mailer.ts';

const USER = 'relay-user';
const PASSWORD = 'relay-password-7f3a9c';
const TOKEN = 'internal-test-token';

/** A throwaway self-signed certificate for 127.0.0.1, made with openssl for this run only. */
function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-smtp-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mail = (to: string) => ({
  to,
  subject: 'Hello',
  text: 'Body',
  notificationId: `ntf_${to.split('@')[0]}`,
});

describe('SMTP to a relay that requires STARTTLS and AUTH', () => {
  let relay: TestSmtpServer;
  let implicit: TestSmtpServer;
  let plain: TestSmtpServer;
  const mailers: Mailer[] = [];
  const mailer = (port: number, o: Partial<SmtpOptions>) => {
    const m = createSmtpMailer({
      host: '127.0.0.1',
      port,
      from: 'Acme <rewards@acme.test>',
      log: () => {},
      ...o,
    });
    mailers.push(m);
    return m;
  };
  const failureOf = async (p: Promise<unknown>): Promise<DeliveryFailure> => {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof DeliveryFailure, `a DeliveryFailure, got ${String(err)}`);
      return err;
    }
    assert.fail('the send should have failed');
  };

  before(async () => {
    const tls = selfSignedCert();
    relay = await startTestSmtpServer(0, { tls, auth: { user: USER, password: PASSWORD } });
    implicit = await startTestSmtpServer(0, {
      tls: { ...tls, implicit: true },
      auth: { user: USER, password: PASSWORD },
    });
    plain = await startTestSmtpServer();
  });
  after(async () => {
    for (const m of mailers) m.close();
    await Promise.all([relay.close(), implicit.close(), plain.close()]);
  });

  it('starttls + AUTH delivers over an encrypted, authenticated session', async () => {
    const m = mailer(relay.port, {
      security: 'starttls',
      auth: { user: USER, password: PASSWORD },
      tlsRejectUnauthorized: false,
    });
    await m.send(mail('ann@example.test'));
    const got = await relay.waitFor((x) => x.to.includes('ann@example.test'));
    assert.equal(got.secure, true);
    assert.equal(got.user, USER);
    assert.match(got.raw, /^From: Acme <rewards@acme\.test>/m);
  });

  it('tls (implicit, port-465 style) + AUTH delivers', async () => {
    const m = mailer(implicit.port, {
      security: 'tls',
      auth: { user: USER, password: PASSWORD },
      tlsRejectUnauthorized: false,
    });
    await m.send(mail('ben@example.test'));
    const got = await implicit.waitFor((x) => x.to.includes('ben@example.test'));
    assert.equal(got.secure, true);
    assert.equal(got.user, USER);
  });

  it('verifies the certificate by default: a self-signed relay is refused, with a reason saying so', async () => {
    const m = mailer(relay.port, { security: 'starttls', auth: { user: USER, password: PASSWORD } });
    const f = await failureOf(m.send(mail('cert@example.test')));
    assert.match(f.reason, /certificate not trusted/);
    assert.equal(f.permanent, false);
    assert.equal(relay.messages.filter((x) => x.to.includes('cert@example.test')).length, 0);
  });

  it('wrong credentials: refused, and the reason never carries them', async () => {
    const wrong = 'wrong-secret-b81c';
    const m = mailer(relay.port, {
      security: 'starttls',
      auth: { user: USER, password: wrong },
      tlsRejectUnauthorized: false,
    });
    const f = await failureOf(m.send(mail('auth@example.test')));
    assert.match(f.reason, /refused the credentials \(reply 535\)/);
    for (const s of [wrong, USER, PASSWORD]) assert.ok(!f.reason.includes(s), 'no credentials in the reason');
  });

  it('starttls is required, not hoped for: a relay without STARTTLS gets nothing; opportunistic sends in clear', async () => {
    const required = mailer(plain.port, { security: 'starttls' });
    const f = await failureOf(required.send(mail('req@example.test')));
    assert.match(f.reason, /TLS with SMTP relay 127\.0\.0\.1:\d+ failed/);
    assert.equal(plain.messages.filter((x) => x.to.includes('req@example.test')).length, 0);

    const opportunistic = mailer(plain.port, { security: 'opportunistic' });
    await opportunistic.send(mail('opp@example.test'));
    const got = await plain.waitFor((x) => x.to.includes('opp@example.test'));
    assert.equal(got.secure, false);
  });

  it('opportunistic upgrades when the relay offers STARTTLS', async () => {
    const m = mailer(relay.port, {
      security: 'opportunistic',
      auth: { user: USER, password: PASSWORD },
      tlsRejectUnauthorized: false,
    });
    await m.send(mail('up@example.test'));
    assert.equal((await relay.waitFor((x) => x.to.includes('up@example.test'))).secure, true);
  });
});

describe('a failed delivery is recorded with its journey and reason, and listed by the API', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createNotificationApp>;
  let down: Mailer;
  let hole: ReturnType<typeof createServer>;
  let secretKey: string;
  let otherKey: string;
  let clientId: string;

  before(async () => {
    t = await createTestDatabase({ 'client-management': cmMigrations, notification: migrations });
    // SMTP down: a port that accepts and at once drops every connection.
    hole = createServer((s) => s.on('error', () => {}).destroy());
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    const port = (hole.address() as { port: number }).port;
    down = createSmtpMailer({
      host: '127.0.0.1',
      port,
      from: 'x@pulse.test',
      auth: { user: USER, password: PASSWORD },
      log: () => {},
    });
    const cm = createClientManagement(t.db, { hashSecret: 'x', cacheMs: 0, secretBox: testSecretBox() });
    const acme = await cm.createClient({ name: 'Acme' });
    secretKey = acme.secret.key;
    clientId = acme.client.id;
    otherKey = (await cm.createClient({ name: 'Other' })).secret.key;
    app = createNotificationApp({
      db: t.db,
      mailer: down,
      resolver: cm.resolver,
      internalToken: TOKEN,
      secretBox: testSecretBox(),
    });
  });
  after(async () => {
    down.close();
    await new Promise<void>((r) => hole.close(() => r()));
    await t.drop();
  });

  const send = (workflowId: string, extra: Record<string, unknown> = {}) =>
    app.request('/internal/v1/notifications/send', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceToken(TOKEN, 'notification')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        client_id: clientId,
        campaign_id: 'signup-default',
        idempotency_key: `${workflowId}/welcome`,
        participant_id: 'user-a',
        channel: 'email',
        template: 'welcome',
        to: 'ann@example.test',
        workflow_id: workflowId,
        journey_key: 'user-a',
        data: { referral: { link: 'http://127.0.0.1/r/x/ABCD2345', code: 'ABCD2345' } },
        ...extra,
      }),
    });
  type Entry = {
    id: string;
    status: string;
    attempts: number;
    last_error: string | null;
    journey_id: string;
  };
  const list = async (key: string, query: string) => {
    const r = await app.request(`/v1/notifications?${query}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as { data: Entry[]; has_more: boolean; next_cursor: string | null };
  };

  it('SMTP down → the send fails (retryable) → retrying with the reason → final attempt → failed → listed', async () => {
    const wf = `pulse:${clientId}:signup-default:user-a`;
    const first = await send(wf);
    assert.equal(first.status, 503);
    const retrying = await list(secretKey, `status=retrying&journey_id=${encodeURIComponent(wf)}`);
    assert.equal(retrying.data.length, 1);
    assert.equal(retrying.data[0]?.attempts, 1);
    assert.match(retrying.data[0]?.last_error ?? '', /^SMTP relay 127\.0\.0\.1:\d+ unreachable/);

    const last = await send(wf, { final_attempt: true });
    assert.equal(last.status, 503);
    const failed = await list(secretKey, `status=failed&journey_id=${encodeURIComponent(wf)}`);
    assert.equal(failed.data.length, 1);
    const entry = failed.data[0]!;
    assert.equal(entry.id, retrying.data[0]?.id, 'the same notification, not a second one');
    assert.deepEqual(
      { status: entry.status, attempts: entry.attempts, journey_id: entry.journey_id },
      { status: 'failed', attempts: 2, journey_id: wf },
    );
    assert.ok(!JSON.stringify(failed).includes(PASSWORD), 'no SMTP credentials through the API');
    assert.ok(!JSON.stringify(failed).includes('ann@example.test'), 'no recipient address in the log');
    assert.equal((await list(secretKey, 'status=retrying')).data.length, 0);
  });

  it('is scoped to the caller’s client: another client sees nothing', async () => {
    assert.equal((await list(otherKey, 'status=failed')).data.length, 0);
  });

  it('paginates with a cursor; bad parameters are 400 naming the field', async () => {
    for (let i = 0; i < 3; i++) await send(`pulse:${clientId}:signup-default:p${i}`, { final_attempt: true });
    const one = await list(secretKey, 'status=failed&limit=2');
    assert.equal(one.data.length, 2);
    assert.equal(one.has_more, true);
    const two = await list(secretKey, `status=failed&limit=2&starting_after=${one.next_cursor}`);
    assert.equal(two.data.length, 2);
    assert.equal(two.has_more, false);
    assert.equal(two.next_cursor, null);
    const ids = [...one.data, ...two.data].map((e) => e.id);
    assert.equal(new Set(ids).size, 4, 'every failed notification once');
    for (const [q, path] of [
      ['status=lost', 'status'],
      ['limit=500', 'limit'],
      ['starting_after=not-a-cursor', 'starting_after'],
      // The shape of a cursor around an impossible time: refused before it reaches ::timestamptz.
      [
        `starting_after=${Buffer.from('2024-13-40T25:61:61.000000Z|ntf_x').toString('base64url')}`,
        'starting_after',
      ],
    ] as const) {
      const r = await app.request(`/v1/notifications?${q}`, {
        headers: { authorization: `Bearer ${secretKey}` },
      });
      assert.equal(r.status, 400, q);
      const body = (await r.json()) as { error: { details?: { path: string }[] } };
      assert.equal(body.error.details?.[0]?.path, path);
    }
    assert.equal((await app.request('/v1/notifications')).status, 401);
  });
});
