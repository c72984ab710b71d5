import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CampaignRef, Plan } from '../contract/plan.ts';
import { type Harness, startHarness } from '../test/support/engine/harness.ts';
import { handPlan, testEvent } from '../test/support/engine/plans.ts';
import { createRouter, type DeployedCampaigns } from './router.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const campaign: CampaignRef = { clientId: 'client-p', campaignId: 'yearly', version: 1, pulse: 'yearly' };
const plan: Plan = handPlan([{ id: 'mark', kind: 'set', values: { ran: true } }], {
  trigger: {
    events: ['anniversary_due'],
    journey: { cat: [{ var: 'event.participant_id' }, ':', { var: 'period.year' }] },
  },
});
const deployed: DeployedCampaigns = {
  async forEvent(clientId, name) {
    return clientId === 'client-p' && name === 'anniversary_due' ? [{ campaign, plan }] : [];
  },
};
const due = (participant: string, receivedAt: string) =>
  testEvent('anniversary_due', {
    client_id: 'client-p',
    participant_id: participant,
    received_at: receivedAt,
  });

describe('journey keys with a period', () => {
  it('runs one journey per participant per year: a repeat in the year is skipped, next year runs', async () => {
    const router = createRouter({ client: h.env.client, taskQueue: h.taskQueue, campaigns: deployed });
    const [first] = await router.route(due('p-1', '2027-03-01T09:00:00Z'));
    assert.deepEqual(first, {
      campaignId: 'yearly',
      action: 'started',
      workflowId: 'pulse:client-p:yearly:p-1:2027',
    });
    const done = await h.env.client.workflow.getHandle(first!.workflowId!).result();
    assert.equal(done.vars.ran, true);

    // The same year again, after the journey finished: skipped (REJECT_DUPLICATE on the same id).
    const [again] = await router.route(due('p-1', '2027-11-30T09:00:00Z'));
    assert.equal(again?.action, 'skipped');
    assert.equal(again?.reason, 'journey already finished');

    // The next year is a new period, hence a new id: not skipped because last year's journey finished.
    const [next] = await router.route(due('p-1', '2028-03-01T09:00:00Z'));
    assert.deepEqual(next, {
      campaignId: 'yearly',
      action: 'started',
      workflowId: 'pulse:client-p:yearly:p-1:2028',
    });
    assert.equal((await h.env.client.workflow.getHandle(next!.workflowId!).result()).vars.ran, true);
  });

  it('takes the period from the server receipt time, not a backdated occurred_at', async () => {
    const router = createRouter({ client: h.env.client, taskQueue: h.taskQueue, campaigns: deployed });
    const [r] = await router.route(
      testEvent('anniversary_due', {
        client_id: 'client-p',
        participant_id: 'p-2',
        received_at: '2029-06-01T00:00:00Z',
        occurred_at: '2031-06-01T00:00:00Z',
      }),
    );
    assert.equal(r?.workflowId, 'pulse:client-p:yearly:p-2:2029');
  });
});
