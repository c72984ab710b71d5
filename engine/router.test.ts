import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { CampaignRef, JourneyEvent, Plan } from '../contract/plan.ts';
import { type Harness, startHarness } from '../test/support/engine/harness.ts';
import { handPlan, testEvent, waitStep } from '../test/support/engine/plans.ts';
import { createRouter, type DeployedCampaigns } from './router.ts';
import { statusQuery } from './signals.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const campaign: CampaignRef = {
  clientId: 'client-1',
  campaignId: 'signup-camp',
  version: 3,
  pulse: 'signup',
};
const plan: Plan = handPlan(
  [
    waitStep({
      id: 'first-purchase',
      events: ['purchase'],
      timeoutMs: '1d',
      as: 'first',
      onMatch: [waitStep({ id: 'second-purchase', events: ['purchase'], timeoutMs: '1h', as: 'second' })],
    }),
  ],
  {
    trigger: {
      events: ['signup'],
      when: { '==': [{ var: 'event.properties.plan' }, 'pro'] },
      journey: { var: 'event.participant_id' },
    },
  },
);

/** Campaigns indexed by client and event name, like the campaign service's deployment index. */
const deployed: DeployedCampaigns = {
  async forEvent(clientId, eventName) {
    if (clientId !== 'client-1') return [];
    const names = new Set([...plan.trigger.events, ...plan.waitsFor]);
    return names.has(eventName) ? [{ campaign, plan }] : [];
  },
};

const signup = (participant: string, extra: Partial<JourneyEvent> = {}) =>
  testEvent('signup', { participant_id: participant, properties: { plan: 'pro' }, ...extra });

describe('router', () => {
  it('starts exactly one journey with the deterministic id; duplicates and follow-ups reach it once', async () => {
    const router = createRouter({ client: h.env.client, taskQueue: h.taskQueue, campaigns: deployed });
    const trigger = signup('p-router-1');
    const [started] = await router.route(trigger);
    assert.deepEqual(started, {
      campaignId: 'signup-camp',
      action: 'started',
      workflowId: 'pulse:client-1:signup-camp:p-router-1',
    });
    const again = await router.route(trigger);
    assert.equal(again[0]?.action, 'started');
    const purchase = testEvent('purchase', { participant_id: 'p-router-1' });
    assert.deepEqual(await router.route(purchase), [
      { campaignId: 'signup-camp', action: 'signalled', workflowId: started?.workflowId },
    ]);
    await router.route(purchase);

    const handle = h.env.client.workflow.getHandle(started!.workflowId!);
    const outcome = await handle.result();
    assert.equal((outcome.vars.first as JourneyEvent).event_id, purchase.event_id);
    assert.equal(outcome.vars.second, undefined, 'the redelivered purchase was not counted twice');
    const history = await handle.fetchHistory();
    const starts = (history.events ?? []).filter((e) => e.workflowExecutionStartedEventAttributes);
    assert.equal(starts.length, 1);
  });

  it('a finished journey is not restarted by a duplicate trigger', async () => {
    const router = createRouter({ client: h.env.client, taskQueue: h.taskQueue, campaigns: deployed });
    const trigger = signup('p-router-2');
    const [started] = await router.route(trigger);
    await h.env.client.workflow.getHandle(started!.workflowId!).result();
    const [dup] = await router.route(trigger);
    assert.equal(dup?.action, 'skipped');
    assert.equal(dup?.reason, 'journey already finished');
  });

  it('skips without any Temporal call: unknown event, failing `when`, missing key, nobody waiting', async () => {
    // A client that cannot reach any server: any Temporal call would reject (after ~20 s of retries).
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 100 }) });
    const router = createRouter({ client: dead, taskQueue: h.taskQueue, campaigns: deployed });
    assert.deepEqual(await router.route(testEvent('page_view')), []);
    assert.deepEqual(await router.route(signup('p-x', { client_id: 'client-2' })), []);
    const [notPro] = await router.route(signup('p-x', { properties: { plan: 'free' } }));
    assert.deepEqual(notPro, {
      campaignId: 'signup-camp',
      action: 'skipped',
      reason: 'trigger condition not met',
    });
    const [noKey] = await router.route(signup(''));
    assert.deepEqual(noKey, {
      campaignId: 'signup-camp',
      action: 'skipped',
      reason: 'trigger yields no journey key',
    });
  });

  it('a waited-for event with no running journey is a no-op', async () => {
    const router = createRouter({ client: h.env.client, taskQueue: h.taskQueue, campaigns: deployed });
    const [result] = await router.route(testEvent('purchase', { participant_id: 'p-nobody' }));
    assert.deepEqual(result, {
      campaignId: 'signup-camp',
      action: 'skipped',
      reason: 'no running journey',
      workflowId: 'pulse:client-1:signup-camp:p-nobody',
    });
  });

  it('the running journey reports what it waits for', async () => {
    const router = createRouter({ client: h.env.client, taskQueue: h.taskQueue, campaigns: deployed });
    const [started] = await router.route(signup('p-router-3'));
    const handle = h.env.client.workflow.getHandle(started!.workflowId!);
    let status = await handle.query(statusQuery);
    for (let i = 0; i < 50 && status.state !== 'waiting'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = await handle.query(statusQuery);
    }
    assert.deepEqual(status.waitingFor, ['purchase']);
    await handle.terminate('test done');
  });
});
