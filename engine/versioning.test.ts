import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CampaignRef, JourneyEvent, Plan } from '../contract/plan.ts';
import { compileCampaignSource, formatDiagnostics } from '../dsl/index.ts';
import { type Harness, startHarness } from '../test/support/engine/harness.ts';
import { testEvent } from '../test/support/engine/plans.ts';
import { createRouter, type DeployedCampaigns } from './router.ts';

/**
 * Definition versions: a journey keeps the plan it started with (it travels in the workflow input), so
 * deploying v2 changes only journeys started afterwards.
 */
const source = (version: number, thanksSteps: string) => `
pulse: signup
id: versioned-signup
version: ${version}
title: Versioned signup
goal: Thank new users once they buy.
trigger:
  event: user_signed_up
  journey: event.participant_id
rewards:
  welcome:
    type: single
    side: participant
    give: { category: store_credit, amount: 5, currency: USD, label: "$5 credit" }
steps:
  - id: wait-for-purchase
    wait: purchase_completed
    timeout: 30d
    as: purchase
    on_timeout:
      - id: gave-up
        end: expired
${thanksSteps}
  - id: done
    end: completed
`;
const V1 = source(
  1,
  `  - id: thanks
    do: SendNotification
    with: { participant_id: { var: event.participant_id }, template: thanks-v1 }`,
);
const V2 = source(
  2,
  `  - id: reward
    do: AllocateReward
    with: { participant_id: { var: event.participant_id }, reward: welcome, side: participant }
  - id: thanks
    do: SendNotification
    with: { participant_id: { var: event.participant_id }, template: thanks-v2 }`,
);

function compile(text: string): Plan {
  const { plan, diagnostics } = compileCampaignSource(text, 'versioned.pulse.yaml');
  assert.ok(plan, formatDiagnostics(diagnostics));
  return plan;
}

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

describe('versioning', () => {
  it('running v1 journeys finish on v1 steps after v2 is deployed; new journeys run v2', async () => {
    const v1 = compile(V1);
    const v2 = compile(V2);
    assert.notEqual(v1.hash, v2.hash);
    let deployed: { campaign: CampaignRef; plan: Plan } = {
      campaign: { clientId: 'client-1', campaignId: 'versioned', version: 1, pulse: 'signup' },
      plan: v1,
    };
    const index: DeployedCampaigns = { forEvent: async () => [deployed] };
    const router = createRouter({ client: h.env.client, taskQueue: h.taskQueue, campaigns: index });
    // Signed server events: v2 pays a reward, so its trigger requires `server`; purchases always do.
    const signup = (who: string) => testEvent('user_signed_up', { participant_id: who, trust: 'server' });
    const purchase = (who: string): JourneyEvent =>
      testEvent('purchase_completed', { participant_id: who, trust: 'server' });

    const [a] = await router.route(signup('old-a'));
    const [b] = await router.route(signup('old-b'));
    // Deploy v2: the campaign service's index now serves the new plan.
    deployed = { campaign: { ...deployed.campaign, version: 2 }, plan: v2 };
    const [c] = await router.route(signup('new-c'));
    for (const who of ['old-a', 'old-b', 'new-c']) {
      const [signalled] = await router.route(purchase(who));
      assert.equal(signalled?.action, 'signalled');
    }

    const finished = async (workflowId: string | undefined) => {
      const handle = h.env.client.workflow.getHandle(workflowId!);
      const outcome = await handle.result();
      const calls = h.fakes.calls.filter((x) => x.workflowId === workflowId);
      return { outcome, calls };
    };
    for (const old of [a, b]) {
      const { outcome, calls } = await finished(old?.workflowId);
      assert.equal(outcome.status, 'completed');
      assert.deepEqual(
        calls.map((x) => `${x.activity}:${x.input.template ?? ''}`),
        ['SendNotification:thanks-v1'],
      );
      assert.ok(calls.every((x) => x.idempotencyKey.startsWith(old!.workflowId!)));
    }
    const fresh = await finished(c?.workflowId);
    assert.equal(fresh.outcome.status, 'completed');
    assert.deepEqual(
      fresh.calls.map((x) => `${x.activity}:${x.input.template ?? ''}`),
      ['AllocateReward:', 'SendNotification:thanks-v2'],
    );
  });
});
