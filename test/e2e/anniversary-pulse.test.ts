// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary response JSON
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { periodOf } from '../../contract/period.ts';
import { call, waitUntil } from '../../scripts/journey/http.ts';
import type { LocalPlatform } from '../../scripts/journey/local-platform.ts';
import { createIdentityToken } from '../../sdk/node/index.ts';
import type { TestClickHouse } from '../support/clickhouse.ts';
import { startIsolatedPlatform } from '../support/isolated-platform.ts';
import type { TestDatabase } from '../support/postgres.ts';

/**
 * A per-participant recurring date on the real stack (real Temporal, wall-clock time): every week on the
 * weekday of the member's `joined_on` trait, at a minute chosen to fall inside this test. The year-1 /
 * year-2 and leap-day cases, where months must pass, run on the time-skipping server
 * (engine/anniversary-trigger.test.ts).
 */
const pulse = (at: string, joinedOn: string) => ({
  source: `
pulse: weekly-anniversary
id: weekly-anniversary
version: 1
title: Weekly anniversary
trigger:
  event: user_logged_in
  anniversary: { of: { trait: joined_on }, every: week, at: "${at}", timezone: UTC }
steps:
  - id: note
    set:
      this_week: { var: period.week }
      n: { var: event.properties.n }
  - id: done
    end: completed
`,
  joinedOn,
});

describe('an anniversary pulse, as YAML only, on the real stack', () => {
  let platform: LocalPlatform;
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let connection: Connection;
  let temporal: Client;
  let base: string;
  let sk: string;
  let pk: string;
  let signing: string;
  let clientId: string;

  before(async () => {
    ({ platform, pg, ch } = await startIsolatedPlatform());
    base = platform.runtime.url;
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    temporal = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    const created = await call<Record<string, any>>(base, 'POST', '/v1/admin/clients', {
      key: platform.adminKey,
      body: { name: 'Anniversary Co' },
    });
    assert.equal(created.status, 201);
    sk = created.body.keys.secret.key;
    pk = created.body.keys.publishable.key;
    signing = created.body.keys.secret.signing_secret;
    clientId = created.body.client.id;
  });
  after(async () => {
    await platform?.stop();
    await connection?.close();
    await ch?.drop();
    await pg?.drop();
  });

  const login = (participant: string, joinedOn: string) =>
    call<Record<string, any>>(base, 'POST', '/v1/events', {
      key: pk,
      headers: { 'x-pulse-identity': createIdentityToken(signing, participant) },
      body: {
        event: 'user_logged_in',
        event_id: randomUUID(),
        occurred_at: new Date().toISOString(),
        participant_id: participant,
        traits: { joined_on: joinedOn },
      },
    });

  it('enrols on the event, starts that week’s journey at the local time, once', async () => {
    // The next whole minute at least 20 s away, and a join date a week before it (same weekday).
    const fireAt = Math.ceil((Date.now() + 20_000) / 60_000) * 60_000;
    const hhmm = new Date(fireAt).toISOString().slice(11, 16);
    const joinedOn = new Date(fireAt - 7 * 86_400_000).toISOString().slice(0, 10);
    const { source } = pulse(hhmm, joinedOn);
    const deployed = await call<Record<string, any>>(base, 'POST', '/v1/campaigns/deploy', {
      key: sk,
      body: { source, file: 'weekly-anniversary.pulse.yaml' },
    });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    const campaignId = deployed.body.campaign_id as string;

    const first = await login('mia', joinedOn);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const keeper = temporal.workflow.getHandle(`pulse-anniversary:${clientId}:${campaignId}:mia`);
    await waitUntil('the keeper workflow', async () =>
      (await keeper.describe().catch(() => undefined))?.status.name === 'RUNNING' ? true : undefined,
    );
    // A second login the same week enrols nothing new.
    assert.equal((await login('mia', joinedOn)).status, 202);

    const week = periodOf(fireAt).week;
    const journey = temporal.workflow.getHandle(`pulse:${clientId}:${campaignId}:mia:${week}`);
    const outcome = await waitUntil(
      `the ${week} journey`,
      () => journey.result().catch(() => undefined),
      fireAt - Date.now() + 30_000,
      500,
    );
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(outcome.vars, { this_week: week, n: 1 });
    const started = Date.parse((await journey.describe()).startTime.toISOString());
    assert.ok(started >= fireAt && started < fireAt + 15_000, `started ${new Date(started).toISOString()}`);
    // The keeper sleeps on to next week's date and has started this week's journey exactly once.
    const history = await keeper.fetchHistory();
    const children = (history.events ?? []).filter(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
    );
    assert.equal(children.length, 1);
    assert.equal((await keeper.describe()).status.name, 'RUNNING');
    await keeper.terminate('test done');
  });
});
