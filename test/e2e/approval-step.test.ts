// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary response JSON
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { call, GiveUp, waitUntil } from '../../scripts/journey/http.ts';
import type { LocalPlatform } from '../../scripts/journey/local-platform.ts';
import { SIGNATURE_HEADER, signBody } from '../../services/event/signature.ts';
import type { TestClickHouse } from '../support/clickhouse.ts';
import { startIsolatedPlatform } from '../support/isolated-platform.ts';
import type { TestDatabase } from '../support/postgres.ts';

/** A bonus paid only once a manager approves it; a rejection ends the journey with the reason. */
const BONUS_PULSE = `
pulse: approved-bonus
id: approved-bonus
version: 1
title: Approved purchase bonus
trigger:
  event: purchase_completed
  journey: event.participant_id
rewards:
  big_bonus:
    type: single
    give: { category: store_credit, amount: 25, currency: USD }
steps:
  - id: review
    approval: Approve a 25 USD purchase bonus
    details: { participant: { var: event.participant_id } }
    roles: [manager]
    timeout: 7d
    on_timeout: reject
    then:
      - id: grant
        do: AllocateReward
        with: { participant_id: { var: event.participant_id }, reward: big_bonus }
        as: reward
      - id: pay
        do: FulfillReward
        with: { reward_id: { var: reward.reward_id } }
    on_reject:
      - id: refused
        end: cancelled
        reason: { var: approval.reason }
`;

describe('an approval step on the real stack: HTTP decision → journey goes on → reward fulfilled', () => {
  let platform: LocalPlatform;
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let base: string;
  let sk: string;
  let signing: string;
  let campaignId: string;

  before(async () => {
    ({ platform, pg, ch } = await startIsolatedPlatform());
    base = platform.runtime.url;
    const created = await call<{ keys: { secret: { key: string; signing_secret: string } } }>(
      base,
      'POST',
      '/v1/admin/clients',
      { key: platform.adminKey, body: { name: 'Bonus Co' } },
    );
    assert.equal(created.status, 201);
    sk = created.body.keys.secret.key;
    signing = created.body.keys.secret.signing_secret;
    const deployed = await call<Record<string, any>>(base, 'POST', '/v1/campaigns/deploy', {
      key: sk,
      body: { source: BONUS_PULSE, file: 'approved-bonus.pulse.yaml' },
    });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    campaignId = deployed.body.campaign_id as string;
  });
  after(async () => {
    await platform?.stop();
    await ch?.drop();
    await pg?.drop();
  });

  /** A server-side purchase (signed with the secret key, so it carries `server` trust). */
  const purchase = async (participant: string) => {
    const body = {
      event_id: randomUUID(),
      event: 'purchase_completed',
      occurred_at: new Date().toISOString(),
      participant_id: participant,
      properties: { order_id: `o-${participant}`, amount: 120, currency: 'USD' },
    };
    const signature = signBody(signing, JSON.stringify(body), Math.floor(Date.now() / 1000));
    const res = await call(base, 'POST', '/v1/events', {
      key: sk,
      body,
      headers: { [SIGNATURE_HEADER]: signature },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  };
  const approvals = (who: string) => `/v1/journeys/${campaignId}/${who}/approvals`;
  const openTask = (who: string) =>
    waitUntil(
      'the approval task to open',
      async () => {
        const r = await call<Record<string, any>>(base, 'GET', approvals(who), { key: sk });
        return r.status === 200 && r.body.data[0]?.state === 'pending' ? r.body.data[0] : undefined;
      },
      60_000,
    );
  const finished = (who: string) =>
    waitUntil(
      'the journey to finish',
      async () => {
        const r = await call<Record<string, any>>(base, 'GET', `/v1/journeys/${campaignId}/${who}`, {
          key: sk,
        });
        if (r.status !== 200) return undefined;
        if (['FAILED', 'TERMINATED', 'TIMED_OUT'].includes(r.body.execution_status))
          throw new GiveUp(`journey ended ${r.body.execution_status}: ${JSON.stringify(r.body.journey)}`);
        return r.body.execution_status === 'COMPLETED' ? r.body : undefined;
      },
      90_000,
    );

  it('an approval over HTTP continues the journey, which allocates and fulfils the reward; the decider is recorded', async () => {
    const who = `ann-${randomUUID().slice(0, 8)}`;
    await purchase(who);
    const task = await openTask(who);
    assert.equal(task.task, 'review');
    assert.deepEqual(task.roles, ['manager']);
    assert.deepEqual(task.details, { participant: who });
    // Nothing is allocated before the decision.
    const before = await call<{ data: unknown[] }>(base, 'GET', `/v1/rewards?participant_id=${who}`, {
      key: sk,
    });
    assert.deepEqual(before.body.data, []);

    const bad = await call<Record<string, any>>(base, 'POST', approvals(who), {
      key: sk,
      body: { task: 'review', decision: 'ok' },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.error.details.map((d: { path: string }) => d.path),
      ['decision'],
    );
    const unknown = await call<Record<string, any>>(base, 'POST', approvals(who), {
      key: sk,
      body: { task: 'nope', decision: 'approve' },
    });
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));

    const approved = await call<Record<string, any>>(base, 'POST', approvals(who), {
      key: sk,
      body: { task: 'review', decision: 'approve', reason: 'verified order' },
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.approval.state, 'approved');
    const decidedBy = approved.body.approval.decision.decided_by as string;
    assert.match(decidedBy, /^key:/);
    assert.equal(approved.body.approval.decision.reason, 'verified order');
    assert.equal(approved.body.approval.decision.role, 'owner');

    // A repeat is harmless (same record); a reversal is a conflict.
    const again = await call<Record<string, any>>(base, 'POST', approvals(who), {
      key: sk,
      body: { task: 'review', decision: 'approve' },
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body.approval.decision, approved.body.approval.decision);
    const reversal = await call<Record<string, any>>(base, 'POST', approvals(who), {
      key: sk,
      body: { task: 'review', decision: 'reject' },
    });
    assert.equal(reversal.status, 409, JSON.stringify(reversal.body));

    const done = await finished(who);
    assert.equal(done.journey.outcome.status, 'completed');
    assert.equal(done.journey.vars.approval.decided_by, decidedBy);
    const rewards = await waitUntil(
      'the reward to be fulfilled',
      async () => {
        const r = await call<{ data: { state: string; amount: unknown }[] }>(
          base,
          'GET',
          `/v1/rewards?participant_id=${who}`,
          { key: sk },
        );
        // Store credit is consumed on delivery: fulfilled, then redeemed at once.
        return r.body.data.length > 0 && r.body.data.every((x) => ['FULFILLED', 'REDEEMED'].includes(x.state))
          ? r.body.data
          : undefined;
      },
      30_000,
    );
    assert.equal(rewards.length, 1);
    assert.equal(rewards[0]?.amount, 25);
    // After the end, the decision is still answered from the journey: a repeat 200, a reversal 409.
    const late = await call<Record<string, any>>(base, 'POST', approvals(who), {
      key: sk,
      body: { task: 'review', decision: 'reject' },
    });
    assert.equal(late.status, 409, JSON.stringify(late.body));
  });

  it('a rejection over HTTP runs on_reject: the journey ends cancelled with the reason, nothing allocated', async () => {
    const who = `bob-${randomUUID().slice(0, 8)}`;
    await purchase(who);
    await openTask(who);
    const rejected = await call<Record<string, any>>(base, 'POST', approvals(who), {
      key: sk,
      body: { task: 'review', decision: 'reject', reason: 'duplicate order' },
    });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    const done = await finished(who);
    assert.equal(done.journey.outcome.status, 'cancelled');
    assert.equal(done.journey.outcome.reason, 'duplicate order');
    const rewards = await call<{ data: unknown[] }>(base, 'GET', `/v1/rewards?participant_id=${who}`, {
      key: sk,
    });
    assert.deepEqual(rewards.body.data, []);
    const approve = await call<Record<string, any>>(base, 'POST', approvals(who), {
      key: sk,
      body: { task: 'review', decision: 'approve' },
    });
    assert.equal(approve.status, 409, JSON.stringify(approve.body));
  });
});
