// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary response JSON
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { periodOf } from '../../contract/period.ts';
import { call } from '../../scripts/journey/http.ts';
import type { LocalPlatform } from '../../scripts/journey/local-platform.ts';
import type { TestClickHouse } from '../support/clickhouse.ts';
import { startIsolatedPlatform } from '../support/isolated-platform.ts';
import type { TestDatabase } from '../support/postgres.ts';

/** The per-member pulse: one journey per member per ISO week (the key holds the period). */
const CHECK_IN = `
pulse: weekly-check-in
id: weekly-check-in
version: 1
title: Weekly check-in
trigger:
  event: custom_weekly_check_in_due
  journey: { cat: [{ var: event.participant_id }, ':', { var: period.week }] }
events:
  custom_weekly_check_in_due:
    description: The weekly schedule says a member is due for a check-in
    properties:
      type: object
      properties:
        fired_at: { type: string, maxLength: 40 }
steps:
  - id: note
    set: { fired_at: { var: event.properties.fired_at } }
  - id: done
    end: completed
`;

/** The schedule-driven pulse: every Monday 09:00 Berlin time, fan out to the members. */
const WEEKLY = `
pulse: weekly-fan-out
id: weekly-fan-out
version: 1
title: Weekly fan-out
trigger:
  schedule: { cron: "0 9 * * MON", timezone: Europe/Berlin }
steps:
  - id: members
    for_each: [ana, ben]
    as: member
    max_items: 2
    steps:
      - id: due
        do: EmitEvent
        with:
          event: custom_weekly_check_in_due
          participant_id: { var: member }
          properties: { fired_at: { var: journey.startedAt } }
  - id: done
    end: completed
`;

describe('a schedule-driven pulse, as YAML only, on the real stack', () => {
  let platform: LocalPlatform;
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let connection: Connection;
  let temporal: Client;
  let base: string;
  let sk: string;
  let clientId: string;

  before(async () => {
    ({ platform, pg, ch } = await startIsolatedPlatform());
    base = platform.runtime.url;
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    temporal = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    const created = await call<Record<string, any>>(base, 'POST', '/v1/admin/clients', {
      key: platform.adminKey,
      body: { name: 'Weekly Co' },
    });
    assert.equal(created.status, 201);
    sk = created.body.keys.secret.key;
    clientId = created.body.client.id;
  });
  after(async () => {
    await platform?.stop();
    await connection?.close();
    await ch?.drop();
    await pg?.drop();
  });

  it('deploys, fires through its Temporal Schedule, fans out once per member per week, and ends', async () => {
    const receiver = await call<Record<string, any>>(base, 'POST', '/v1/campaigns/deploy', {
      key: sk,
      body: { source: CHECK_IN, file: 'weekly-check-in.pulse.yaml' },
    });
    assert.equal(receiver.status, 201, JSON.stringify(receiver.body));
    const deployed = await call<Record<string, any>>(base, 'POST', '/v1/campaigns/deploy', {
      key: sk,
      body: { source: WEEKLY, file: 'weekly-fan-out.pulse.yaml' },
    });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    const campaignId = deployed.body.campaign_id as string;
    const schedule = temporal.schedule.getHandle(`pulse-schedule:${clientId}:${campaignId}`);
    const described = await schedule.describe();
    assert.equal(described.spec.timezone, 'Europe/Berlin');
    assert.equal(described.state.paused, false);

    // Fire now rather than wait for Monday: the same action the cron takes.
    await schedule.trigger();
    let runId: string | undefined;
    for (let i = 0; i < 150 && !runId; i++) {
      runId = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!runId) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(runId, 'the schedule started a journey');
    const fanOut = await temporal.workflow.getHandle(runId).result();
    assert.equal(fanOut.status, 'completed');
    const week = periodOf(Date.now()).week;

    for (const member of ['ana', 'ben']) {
      const id = `pulse:${clientId}:${receiver.body.campaign_id}:${member}:${week}`;
      let outcome: any;
      for (let i = 0; i < 150 && !outcome; i++) {
        outcome = await temporal.workflow
          .getHandle(id)
          .result()
          .catch(() => undefined);
        if (!outcome) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(outcome?.status, 'completed', `journey ${id}`);
      assert.ok(typeof outcome.vars.fired_at === 'string');
    }

    const ended = await call(base, 'POST', `/v1/campaigns/${campaignId}/status`, {
      key: sk,
      body: { status: 'ended' },
    });
    assert.equal(ended.status, 200);
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);
  });
});
