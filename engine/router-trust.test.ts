import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { CampaignRef, JourneyEvent, Plan } from '../contract/plan.ts';
import { DEFAULT_CAMPAIGNS_DIR, loadCampaignFile } from '../dsl/index.ts';
import { type Harness, startHarness } from '../test/support/engine/harness.ts';
import { handPlan, testEvent, waitStep } from '../test/support/engine/plans.ts';
import { createRouter, type DeployedCampaigns } from './router.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const campaign: CampaignRef = { clientId: 'client-1', campaignId: 'trust-camp', version: 1, pulse: 'test' };
// A referral that pays on purchase: the trigger and the wait both require signed server events,
// the share wait only attributes (sdk).
const plan: Plan = handPlan(
  [
    waitStep({ id: 'share', events: ['referral_shared'], trust: 'sdk', timeoutMs: '1d' }),
    waitStep({ id: 'buy', events: ['purchase'], trust: 'server', timeoutMs: '1d' }),
  ],
  {
    trigger: { events: ['signup'], journey: { var: 'event.participant_id' }, trust: 'server' },
    waitTrust: { purchase: 'server', referral_shared: 'sdk' },
  },
);
const campaigns = (p: Plan): DeployedCampaigns => ({
  async forEvent(clientId, name) {
    return clientId === 'client-1' && [...p.trigger.events, ...p.waitsFor].includes(name)
      ? [{ campaign, plan: p }]
      : [];
  },
});
// Any Temporal call through this client would fail: a skip proves the router decided on its own.
const dead = () =>
  new Client({ connection: Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 100 }) });
const ev = (name: string, participant: string, trust?: JourneyEvent['trust']) =>
  testEvent(name, { participant_id: participant, ...(trust ? { trust } : {}) });

describe('router: trust', () => {
  it('a trigger below the requirement starts nothing, without calling Temporal', async () => {
    const router = createRouter({ client: dead(), taskQueue: 'none', campaigns: campaigns(plan) });
    for (const trust of [undefined, 'sdk'] as const) {
      assert.deepEqual(await router.route(ev('signup', 'p-forged', trust)), [
        { campaignId: 'trust-camp', action: 'skipped', reason: 'insufficient trust' },
      ]);
    }
  });

  it('does not signal a journey with an event no wait of the plan would take', async () => {
    const router = createRouter({ client: dead(), taskQueue: 'none', campaigns: campaigns(plan) });
    assert.deepEqual(await router.route(ev('purchase', 'p-1', 'sdk')), [
      { campaignId: 'trust-camp', action: 'skipped', reason: 'insufficient trust' },
    ]);
  });

  it('a signed trigger starts the journey; waits get what they accept', async () => {
    const router = createRouter({ client: h.env.client, taskQueue: h.taskQueue, campaigns: campaigns(plan) });
    const [started] = await router.route(ev('signup', 'p-trusted', 'server'));
    assert.equal(started?.action, 'started');
    const [share] = await router.route(ev('referral_shared', 'p-trusted', 'sdk'));
    assert.equal(share?.action, 'signalled');
    const [buy] = await router.route(ev('purchase', 'p-trusted', 'integration'));
    assert.equal(buy?.action, 'signalled');
    await h.env.client.workflow.getHandle(started!.workflowId!).terminate('test done');
  });

  it('a plan compiled before trust levels routes every event as before', async () => {
    const legacy: Plan = { ...plan, trigger: { ...plan.trigger }, steps: [] };
    delete legacy.trigger.trust;
    delete legacy.waitTrust;
    legacy.waitsFor = ['purchase'];
    const router = createRouter({
      client: h.env.client,
      taskQueue: h.taskQueue,
      campaigns: campaigns(legacy),
    });
    const [started] = await router.route(ev('signup', 'p-legacy', 'sdk'));
    assert.equal(started?.action, 'started');
    const [buy] = await router.route(ev('purchase', 'p-nobody-legacy', 'sdk'));
    assert.equal(buy?.reason, 'no running journey', 'reached Temporal: no trust pre-filter');
  });

  it('the shipped pulses: browser purchases and renewals start and reach nothing; browser signups do', async () => {
    const load = (name: string) => loadCampaignFile(`${DEFAULT_CAMPAIGNS_DIR}${name}.pulse.yaml`).plan!;
    const route = (p: Plan, event: JourneyEvent) =>
      createRouter({ client: dead(), taskQueue: 'none', campaigns: campaigns(p) }).route(event);
    const order = { order_id: 'o-1', amount: 120, currency: 'USD' };
    for (const name of ['purchase_completed', 'referred_made_purchase']) {
      const [r] = await route(load('conversion'), testEvent(name, { trust: 'sdk', properties: order }));
      assert.equal(r?.reason, 'insufficient trust', name);
    }
    const [renewed] = await route(load('renewal'), testEvent('subscription_renewed', { trust: 'sdk' }));
    assert.equal(renewed?.reason, 'insufficient trust');
    // Signup opts down on purpose: a browser signup starts its journey.
    const signup = createRouter({
      client: h.env.client,
      taskQueue: h.taskQueue,
      campaigns: campaigns(load('signup')),
    });
    const [started] = await signup.route(
      testEvent('user_signed_up', { participant_id: 'p-browser', trust: 'sdk' }),
    );
    assert.equal(started?.action, 'started');
    await h.env.client.workflow.getHandle(started!.workflowId!).terminate('test done');
  });
});
