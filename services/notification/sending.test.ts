import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { createSmtpMailer, type Mailer, migrations } from './index.ts';
import { messageIdFor, type SendInput, sendNotification } from './service.ts';

const messageIdOf = (raw: string) => /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1];

describe('email delivery survives a crash between SMTP accept and "sent"', () => {
  let t: TestDatabase;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  before(async () => {
    t = await createTestDatabase({ notification: migrations });
    smtp = await startTestSmtpServer();
    mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, from: 'Pulse <no-reply@pulse.test>' });
  });
  after(async () => {
    mailer.close();
    await smtp.close();
    await t.drop();
  });

  const input = (key: string, to: string): SendInput => ({
    clientId: 'cli_a',
    idempotencyKey: key,
    participantId: 'user-a',
    channel: 'email',
    template: 'welcome',
    to,
    data: { referral: { link: 'http://127.0.0.1/r/x/ABCD2345', code: 'ABCD2345' } },
  });
  const row = async (id: string) =>
    (
      await sql<{ status: string; message_id: string | null }>`
        select status, message_id from notifications where id = ${id}`.execute(t.db)
    ).rows[0];

  it('a send interrupted after SMTP accepted it is left `sending`; the retry resends with the same Message-ID', async () => {
    const to = 'crash@example.test';
    // The first worker hands the message to SMTP, then dies before recording anything: its send()
    // delivers for real and then never returns.
    let delivered!: () => void;
    const deliveredOnce = new Promise<void>((r) => {
      delivered = r;
    });
    const dying: Mailer = {
      async send(mail) {
        await mailer.send(mail);
        delivered();
        return new Promise(() => {});
      },
      close() {},
    };
    void sendNotification(t.db, dying, input('wf-crash/welcome', to));
    await deliveredOnce;
    const first = await smtp.waitFor((m) => m.to.includes(to));
    const id = (
      await sql<{
        id: string;
      }>`select id from notifications where idempotency_key = 'wf-crash/welcome'`.execute(t.db)
    ).rows[0]?.id as string;
    assert.deepEqual(await row(id), { status: 'sending', message_id: messageIdFor(id) });

    // The activity is retried on a restarted worker: same idempotency key, same row, same Message-ID.
    const r = await sendNotification(t.db, mailer, input('wf-crash/welcome', to));
    assert.deepEqual(r, { notification_id: id, status: 'sent' });
    await new Promise((res) => setTimeout(res, 200));
    const copies = smtp.messages.filter((m) => m.to.includes(to));
    assert.equal(copies.length, 2, 'resent once');
    assert.equal(messageIdOf(first.raw), `<${id}@pulse>`);
    assert.deepEqual(
      copies.map((m) => messageIdOf(m.raw)),
      [`<${id}@pulse>`, `<${id}@pulse>`],
      'recognisable as one message',
    );
    assert.equal((await row(id))?.status, 'sent');
    // Once sent, a further retry sends nothing.
    await sendNotification(t.db, mailer, input('wf-crash/welcome', to));
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(smtp.messages.filter((m) => m.to.includes(to)).length, 2);
  });

  it('a send that failed (relay down) is retried later with the same Message-ID', async () => {
    const to = 'retry@example.test';
    const hole = createServer((s: Socket) => s.on('error', () => {}).destroy());
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    const port = (hole.address() as { port: number }).port;
    const down = createSmtpMailer({ host: '127.0.0.1', port, from: 'x@pulse.test', log: () => {} });
    try {
      await assert.rejects(sendNotification(t.db, down, input('wf-retry/welcome', to)), {
        code: 'UPSTREAM_UNAVAILABLE',
      });
    } finally {
      down.close();
      await new Promise<void>((r) => hole.close(() => r()));
    }
    const id = (
      await sql<{
        id: string;
      }>`select id from notifications where idempotency_key = 'wf-retry/welcome'`.execute(t.db)
    ).rows[0]?.id as string;
    // Not final: the journey's retry policy will try again, so the row says `retrying`.
    assert.deepEqual(await row(id), { status: 'retrying', message_id: messageIdFor(id) });
    await sendNotification(t.db, mailer, input('wf-retry/welcome', to));
    const mail = await smtp.waitFor((m) => m.to.includes(to));
    assert.equal(messageIdOf(mail.raw), messageIdFor(id));
  });

  it('a relay that accepts TCP and never greets fails within the greeting timeout', async () => {
    const held: Socket[] = [];
    const silent = createServer((s) => {
      held.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const slow = createSmtpMailer({
      host: '127.0.0.1',
      port,
      from: 'x@pulse.test',
      timeouts: { connectionMs: 300, greetingMs: 300, socketMs: 300 },
      log: () => {},
    });
    try {
      const t0 = performance.now();
      await assert.rejects(
        slow.send({ to: 'x@example.test', subject: 's', text: 't', notificationId: 'ntf_x' }),
      );
      const ms = performance.now() - t0;
      console.log(`smtp silent relay: send failed after ${ms.toFixed(0)} ms`);
      assert.ok(ms < 2_000, `${ms.toFixed(0)} ms`);
    } finally {
      slow.close();
      for (const s of held) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
