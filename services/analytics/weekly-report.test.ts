import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { serviceMigrations } from '../../app/migrations.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { createTestClickHouse, emptyEventRow, type TestClickHouse } from '../../test/support/clickhouse.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { createPlatform, type Platform } from '../app.ts';
import { deleteMember, setMemberRole } from '../client-management/members/repo.ts';
import type { EventRow } from '../event/events-table.ts';
import { createSmtpMailer } from '../notification/index.ts';
import { createPostgresBus } from '../platform/bus/postgres-bus.ts';
import { migrateClickHouse } from '../platform/clickhouse-migrate.ts';
import { loadConfig } from '../platform/config.ts';
import { reportWeeks } from './weekly-report.ts';
import {
  ensureWeeklySchedule,
  startWeeklyReportWorker,
  WEEKLY_WORKFLOW,
  weeklyScheduleId,
  weeklyTaskQueue,
} from './weekly-schedule.ts';

/**
 * The weekly report e-mail end to end on the real parts: members opt in over the API (session, CSRF),
 * the Temporal workflow of the weekly schedule runs its activity on a worker, the summary is read from
 * ClickHouse and the mail reaches a real SMTP server through the notification service, once per member
 * and week however often the run repeats. Also: custom reports are reads (CSRF-checked, never audited).
 */

const SERVICES = fileURLToPath(new URL('../', import.meta.url));
// Monday 30 November 2026, 06:00 UTC: the run reports 23–29 November beside 16–22 November.
const FIRED = '2026-11-30T06:00:00Z';

/** The text of a raw message, quoted-printable soft breaks and escapes undone. */
const textOf = (raw: string) =>
  raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

describe('weekly analytics report e-mail (Postgres, ClickHouse, Temporal, SMTP)', () => {
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let smtp: TestSmtpServer;
  let temporal: Client;
  let platform: Platform;
  let clientId: string;
  let betaId: string;
  let ownerKey: string;
  const sessions: Record<string, { cookie: string; csrf: string }> = {};
  const memberIds: Record<string, string> = {};
  const taskQueue = `weekly-test-${randomBytes(4).toString('hex')}`;
  let closeMailer = () => {};
  let temporalAddress = '';

  const call = async (
    method: string,
    path: string,
    who: { session?: string; csrf?: boolean; key?: string },
    body?: unknown,
  ) => {
    const s = who.session ? sessions[who.session] : undefined;
    const res = await platform.app.request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(who.key ? { authorization: `Bearer ${who.key}` } : {}),
        ...(s ? { cookie: s.cookie, ...(who.csrf === false ? {} : { 'x-csrf-token': s.csrf }) } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  before(async () => {
    pg = await createTestDatabase(serviceMigrations);
    ch = await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
    smtp = await startTestSmtpServer();
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: pg.url,
      CLICKHOUSE_DATABASE: ch.database,
      PULSE_ENV: 'development',
      PULSE_TASK_QUEUE: taskQueue,
    });
    temporalAddress = config.temporalAddress;
    temporal = await createTemporalClient(config.temporalAddress);
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, from: 'reports@pulse.test' });
    closeMailer = () => mailer.close();
    platform = createPlatform({
      config,
      db: pg.db,
      ch: ch.ch,
      bus: createPostgresBus({ db: pg.db }),
      mailer,
      temporal,
    });
    const acme = await platform.clientManagement.createClient({ name: 'Acme' });
    clientId = acme.client.id;
    ownerKey = acme.secret.key;
    betaId = (await platform.clientManagement.createClient({ name: 'Beta' })).client.id;
    // dee is demoted and Beta suspended after they opted in (last test).
    for (const [name, role, client] of [
      ['ann', 'analyst', clientId],
      ['bob', 'admin', clientId],
      ['cat', 'manager', clientId],
      ['vic', 'viewer', clientId],
      ['dee', 'analyst', clientId],
      ['bea', 'analyst', betaId],
    ] as const) {
      const { member } = await platform.clientManagement.addMember(client, `${name}@acme.test`, role);
      memberIds[name] = member.id;
      const res = await platform.app.request('/v1/auth/dev-login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${name}@acme.test`, client_id: client }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const cookie = /pulse_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? '';
      sessions[name] = { cookie, csrf: ((await res.json()) as { csrf_token: string }).csrf_token };
    }
    // 16–22 Nov: ann shares once, eve signs up through her. 23–29 Nov: ann shares twice, v1 clicks, cat
    // and dan sign up through her, cat buys for 40 EUR.
    let n = 0;
    const ev = (event: string, at: string, extra: Partial<EventRow> = {}) =>
      emptyEventRow({
        event_id: `w-${++n}`,
        event,
        client_id: clientId,
        campaign_id: 'c1',
        occurred_at: at,
        received_at: at,
        ...extra,
      });
    const by = { referrer_id: 'ann', referral_code: 'ANN' };
    await ch.ch.insert('events', [
      ev('referral_shared', '2026-11-17T10:00:00Z', { participant_id: 'ann' }),
      ev('referred_signed_up', '2026-11-18T10:00:00Z', { participant_id: 'eve', ...by }),
      ev('referral_shared', '2026-11-23T10:00:00Z', { participant_id: 'ann' }),
      ev('referral_shared', '2026-11-24T10:00:00Z', { participant_id: 'ann' }),
      ev('referral_clicked', '2026-11-24T11:00:00Z', { anonymous_id: 'v1', ...by }),
      ev('referred_signed_up', '2026-11-24T12:00:00Z', { participant_id: 'cat', ...by }),
      ev('referred_signed_up', '2026-11-25T12:00:00Z', { participant_id: 'dan', ...by }),
      ev('referred_made_purchase', '2026-11-26T12:00:00Z', {
        participant_id: 'cat',
        referral_id: 'ref-cat',
        value: 40,
        currency: 'EUR',
        ...by,
      }),
    ]);
  });
  after(async () => {
    await temporal.schedule
      .getHandle(weeklyScheduleId(taskQueue))
      .delete()
      .catch(() => undefined);
    await temporal.connection.close();
    closeMailer();
    await smtp.close();
    await ch.drop();
    await pg.drop();
  });

  it('the week reported is the ISO week that ended before the firing', () => {
    assert.deepEqual(reportWeeks(new Date(FIRED)), {
      week: { from: '2026-11-23', to: '2026-11-29' },
      previous: { from: '2026-11-16', to: '2026-11-22' },
    });
    assert.deepEqual(reportWeeks(new Date('2026-12-06T23:59:59Z')).week, {
      from: '2026-11-23',
      to: '2026-11-29',
    });
  });

  it('members opt in and out over the API; changes need the CSRF token and are audited', async () => {
    const me = '/v1/analytics/report-subscriptions/me';
    assert.deepEqual((await call('GET', me, { session: 'ann' })).body, {
      member_id: memberIds.ann,
      weekly: false,
      updated_at: null,
    });
    const noCsrf = await call('PUT', me, { session: 'ann', csrf: false }, { weekly: true });
    assert.equal(noCsrf.status, 403);
    assert.equal((noCsrf.body.error as { code: string }).code, 'CSRF_FAILED');
    const bad = await call('PUT', me, { session: 'ann' }, { weekly: 'yes' });
    assert.equal(bad.status, 400);
    assert.ok(
      (bad.body.error as { details: { path: string }[] }).details.some((d) => d.path === 'weekly'),
      JSON.stringify(bad.body),
    );
    for (const who of ['ann', 'bob', 'cat']) {
      const put = await call('PUT', me, { session: who }, { weekly: true });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.weekly, true);
    }
    assert.equal((await call('GET', me, { session: 'ann' })).body.weekly, true);
    const viewer = await call('PUT', me, { session: 'vic' }, { weekly: true });
    assert.equal(viewer.status, 403, 'viewers lack analytics.read');
    const key = await call('GET', me, { key: ownerKey });
    assert.equal(key.status, 403, 'a key not issued to a member has no one to send to');
    assert.equal((key.body.error as { code: string }).code, 'NOT_A_MEMBER');
    const audited = await pg.db
      .selectFrom('audit_log')
      .select(['action', 'actor_member_id'])
      .where('route', '=', me)
      .execute();
    assert.equal(audited.length, 3);
    assert.ok(audited.every((a) => a.action === 'analytics.report_subscription'));
  });

  it('custom reports are reads: CSRF-checked for sessions, never in the audit log', async () => {
    const body = { metrics: ['events'], grain: 'none', from: '2026-11-01', to: '2026-11-30' };
    const refused = await call('POST', '/v1/analytics/reports', { session: 'ann', csrf: false }, body);
    assert.equal(refused.status, 403);
    assert.equal((refused.body.error as { code: string }).code, 'CSRF_FAILED');
    const ok = await call('POST', '/v1/analytics/reports', { session: 'ann' }, body);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual((ok.body.data as { rows: unknown[] }).rows, [{ events: 8 }]);
    const byKey = await call('POST', '/v1/analytics/reports', { key: ownerKey }, body);
    assert.equal(byKey.status, 200);
    const rows = await pg.db
      .selectFrom('audit_log')
      .select('id')
      .where('route', '=', '/v1/analytics/reports')
      .execute();
    assert.equal(rows.length, 0);
  });

  it('the schedule fires Mondays 06:00 UTC and starts the weekly workflow on its queue', async () => {
    await ensureWeeklySchedule(temporal, taskQueue);
    await ensureWeeklySchedule(temporal, taskQueue); // at every boot: updates, never duplicates
    const d = await temporal.schedule.getHandle(weeklyScheduleId(taskQueue)).describe();
    assert.equal(d.action.type, 'startWorkflow');
    assert.equal(d.action.type === 'startWorkflow' ? d.action.workflowType : '', WEEKLY_WORKFLOW);
    assert.equal(d.action.type === 'startWorkflow' ? d.action.taskQueue : '', weeklyTaskQueue(taskQueue));
    assert.ok(d.info.nextActionTimes.every((t) => t.getUTCDay() === 1 && t.getUTCHours() === 6));
  });

  it('the workflow e-mails each subscribed member once per week; a removed or demoted member, or one of a suspended client, never', async () => {
    for (const who of ['dee', 'bea']) {
      const put = await call(
        'PUT',
        '/v1/analytics/report-subscriptions/me',
        { session: who },
        { weekly: true },
      );
      assert.equal(put.status, 200, JSON.stringify(put.body));
    }
    await deleteMember(pg.db, clientId, memberIds.cat ?? '');
    await setMemberRole(pg.db, clientId, memberIds.dee ?? '', 'viewer');
    await platform.clientManagement.setStatus(betaId, 'suspended');
    const worker = await startWeeklyReportWorker({
      address: temporalAddress,
      namespace: 'default',
      taskQueue,
      deps: platform.weeklyReports,
    });
    try {
      const run = (id: string) =>
        temporal.workflow.execute(WEEKLY_WORKFLOW, {
          taskQueue: weeklyTaskQueue(taskQueue),
          workflowId: `${taskQueue}-${id}`,
          args: [{ now: FIRED }],
          workflowExecutionTimeout: '2 minutes',
        });
      const result = {
        week: '2026-11-23',
        sent: 2,
        skipped: 3,
        skipped_because: { not_a_member: 1, lacks_analytics_read: 1, client_inactive: 1 },
      };
      assert.deepEqual(await run('first'), result);
      const ann = await smtp.waitFor((m) => m.to.includes('ann@acme.test'));
      await smtp.waitFor((m) => m.to.includes('bob@acme.test'));
      assert.equal(ann.subject, 'Your Pulse week: 2026-11-23 to 2026-11-29');
      const text = textOf(ann.raw);
      for (const line of [
        'Participants: 3 (before: 2, +1)',
        'Invites sent: 2 (before: 1, +1)',
        'People who clicked: 1 (before: 0, +1)',
        'Referred signups: 2 (before: 1, +1)',
        'Referred conversions: 1 (before: 0, +1)',
        'EUR: reward cost 0, referred revenue 40, CPA 0, ROI n/a',
        'ann: 2 signups, 1 conversions',
      ])
        assert.ok(text.includes(line), `${line} in:\n${text}`);
      for (const who of ['cat', 'dee', 'bea'])
        assert.ok(!smtp.messages.some((m) => m.to.includes(`${who}@acme.test`)), `${who} gets no figures`);
      // The same week again (a retried run, a schedule catching up): nothing new is sent.
      assert.deepEqual(await run('again'), result);
      // The run has completed, and the notification service sends within the request it answers: every
      // weekly notification is recorded as sent (none still sending), so the SMTP server has all there is.
      const sends = await pg.db
        .selectFrom('notifications')
        .select(['status'])
        .where('template', '=', 'analytics-weekly-report')
        .execute();
      assert.deepEqual(
        sends.map((n) => n.status),
        ['sent', 'sent'],
      );
      assert.equal(smtp.messages.length, 2, 'one e-mail per member and week');
    } finally {
      await worker.stop();
    }
  });
});
