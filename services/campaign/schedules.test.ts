import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import {
  type CampaignHooks,
  createCampaignApp,
  createCampaignSchedules,
  migrations,
  scheduleIdOf,
} from './index.ts';

/** A schedule-driven pulse: every Monday 09:00 Berlin time, one campaign-level journey. */
const weekly = (cron: string, timezone: string) => `pulse: weekly-digest
id: weekly-digest
version: 1
title: Weekly digest
trigger:
  schedule: { cron: "${cron}", timezone: ${timezone} }
steps:
  - id: stamp
    set: { fired_at: { var: journey.startedAt } }
  - id: done
    end: completed
`;

describe('campaign schedules on the real Temporal dev server', () => {
  let t: TestDatabase;
  let connection: Connection;
  let temporal: Client;
  let app: ReturnType<typeof createCampaignApp>;
  let key: string;
  let clientId: string;
  const taskQueue = `schedules-test-${randomUUID()}`;
  const cleanup: string[] = [];

  before(async () => {
    t = await createTestDatabase({ 'client-management': cmMigrations, campaign: migrations });
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    temporal = new Client({ connection, namespace: 'default' });
    const cm = createClientManagement(t.db, { hashSecret: 's', cacheMs: 0, secretBox: testSecretBox() });
    const a = await cm.createClient({ name: `sched-${randomUUID()}` });
    [key, clientId] = [a.secret.key, a.client.id];
    const schedules = createCampaignSchedules({ db: t.db, temporal, taskQueue });
    const hooks: CampaignHooks = {
      checkPlan: () => [],
      onDeployed: (d) => schedules.deployed(d),
      onStatusChanged: (s) => schedules.statusChanged(s),
    };
    app = createCampaignApp({ db: t.db, resolver: cm.resolver, internalToken: 'tok', hooks });
  });
  after(async () => {
    for (const id of cleanup)
      await temporal.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await connection?.close();
    await t?.drop();
  });

  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('creates the schedule on deploy, updates it on redeploy, pauses/resumes it, deletes it on end', async () => {
    const res = await post('/v1/campaigns/deploy', {
      source: weekly('0 9 * * MON', 'Europe/Berlin'),
      file: 'campaigns/weekly.pulse.yaml',
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { campaign_id: campaignId } = (await res.json()) as { campaign_id: string };
    const handle = temporal.schedule.getHandle(scheduleIdOf(clientId, campaignId));
    cleanup.push(handle.scheduleId);

    const d1 = await handle.describe();
    assert.equal(d1.spec.timezone, 'Europe/Berlin');
    assert.deepEqual(
      d1.spec.calendars?.map((c) => [c.hour, c.minute, c.dayOfWeek]),
      [
        [
          [{ start: 9, end: 9, step: 1 }],
          [{ start: 0, end: 0, step: 1 }],
          [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
        ],
      ],
    );
    assert.equal(d1.state.paused, false, 'a deployed campaign is active: its schedule runs');
    assert.equal(d1.action.type, 'startWorkflow');
    assert.equal(d1.action.type === 'startWorkflow' ? d1.action.workflowType : '', 'runCampaign');
    assert.equal(d1.action.type === 'startWorkflow' ? d1.action.taskQueue : '', taskQueue);
    // The next firings are Mondays 09:00 in Berlin (07:00 or 08:00 UTC with daylight saving).
    const next = d1.info.nextActionTimes.slice(0, 3);
    assert.equal(next.length, 3);
    for (const at of next) {
      const berlin = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(at);
      assert.equal(berlin, 'Mon 09:00');
    }

    // Redeploy with another cron and zone: the same schedule, new spec.
    const re = await post('/v1/campaigns/deploy', {
      source: weekly('30 18 1 * *', 'America/New_York'),
      file: 'campaigns/weekly.pulse.yaml',
    });
    assert.equal(re.status, 201);
    const d2 = await handle.describe();
    assert.equal(d2.spec.timezone, 'America/New_York');
    assert.deepEqual(d2.spec.calendars?.[0]?.dayOfMonth, [{ start: 1, end: 1, step: 1 }]);

    const pause = await post(`/v1/campaigns/${campaignId}/status`, { status: 'paused' });
    assert.equal(pause.status, 200, await pause.clone().text());
    assert.equal((await handle.describe()).state.paused, true);
    const resume = await post(`/v1/campaigns/${campaignId}/status`, { status: 'active' });
    assert.equal(resume.status, 200);
    assert.equal((await handle.describe()).state.paused, false);

    const end = await post(`/v1/campaigns/${campaignId}/status`, { status: 'ended' });
    assert.equal(end.status, 200);
    await assert.rejects(handle.describe(), ScheduleNotFoundError);
  });

  it('a firing starts one campaign-level runCampaign journey with the deployed plan', async () => {
    const res = await post('/v1/campaigns/deploy', {
      source: weekly('0 9 * * MON', 'UTC').replace('id: weekly-digest', 'id: weekly-digest-2'),
      file: 'campaigns/weekly2.pulse.yaml',
    });
    assert.equal(res.status, 201);
    const { campaign_id: campaignId } = (await res.json()) as { campaign_id: string };
    const handle = temporal.schedule.getHandle(scheduleIdOf(clientId, campaignId));
    cleanup.push(handle.scheduleId);
    await post(`/v1/campaigns/${campaignId}/status`, { status: 'active' });
    await handle.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i++) {
      workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(workflowId?.startsWith(`pulse:${clientId}:${campaignId}:schedule-`), String(workflowId));
    const run = temporal.workflow.getHandle(workflowId!);
    const described = await run.describe();
    assert.equal(described.type, 'runCampaign');
    assert.equal(described.taskQueue, taskQueue);
    await run.terminate('test: no worker on this queue');
    await post(`/v1/campaigns/${campaignId}/status`, { status: 'ended' });
    await assert.rejects(handle.describe(), ScheduleNotFoundError);
  });
  it('a redeploy without a schedule deletes the old one; event campaigns never call Temporal', async () => {
    const res = await post('/v1/campaigns/deploy', {
      source: weekly('0 9 * * MON', 'UTC').replace('id: weekly-digest', 'id: weekly-digest-3'),
      file: 'campaigns/weekly3.pulse.yaml',
    });
    assert.equal(res.status, 201);
    const { campaign_id: campaignId } = (await res.json()) as { campaign_id: string };
    const handle = temporal.schedule.getHandle(scheduleIdOf(clientId, campaignId));
    cleanup.push(handle.scheduleId);
    assert.equal((await handle.describe()).spec.timezone, 'UTC');
    const eventVersion = weekly('0 9 * * MON', 'UTC')
      .replace('id: weekly-digest', 'id: weekly-digest-3')
      .replace(/ {2}schedule: .*\n/, '  event: user_signed_up\n');
    const re = await post('/v1/campaigns/deploy', {
      source: eventVersion,
      file: 'campaigns/weekly3.pulse.yaml',
    });
    assert.equal(re.status, 201, await re.clone().text());
    await assert.rejects(handle.describe(), ScheduleNotFoundError);

    // Temporal unreachable: an event-triggered campaign still deploys and changes status.
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) });
    const schedules = createCampaignSchedules({ db: t.db, temporal: dead, taskQueue });
    const fresh = `fresh-${randomUUID()}`;
    await assert.doesNotReject(schedules.statusChanged({ clientId, campaignId: fresh, status: 'paused' }));
    await assert.doesNotReject(
      schedules.deployed({
        campaign: { clientId, campaignId: fresh, version: 1, pulse: 'x' },
        plan: { trigger: { events: ['user_signed_up'], journey: { var: 'event.participant_id' } } } as never,
        status: 'active',
      }),
    );
  });
});
