import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Plan } from '../contract/plan.ts';
import { formatDiagnostics, loadCampaignFile } from '../dsl/index.ts';
import { handScenarios } from '../test/support/engine/hand-scenarios.ts';
import { handPlan, waitStep } from '../test/support/engine/plans.ts';
import { CAMPAIGNS_DIR } from '../test/support/engine/pulse-scenarios.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { formatTrace, simulate } from './simulate.ts';
import { loadSimulationScript, parseSimulationScript } from './simulation/script.ts';

let env: TestWorkflowEnvironment;
before(async () => {
  quietTemporalRuntime();
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

/** A referral journey: attribute the signup, wait up to 30 days for a qualifying purchase, reward. */
const plan: Plan = handPlan(
  [
    {
      id: 'attribute',
      kind: 'do',
      activity: 'AttributeReferral',
      with: { referee_id: { var: 'event.participant_id' }, referral_id: { var: 'event.referral_id' } },
      as: 'attribution',
    },
    waitStep({
      id: 'await-purchase',
      events: ['purchase_completed'],
      match: { '>=': [{ var: 'event.properties.amount' }, { var: 'settings.min_order' }] },
      timeoutMs: '30d',
      as: 'purchase',
      onMatch: [
        {
          id: 'reward',
          kind: 'do',
          activity: 'AllocateReward',
          with: {
            participant_id: { var: 'attribution.referrer_id' },
            reward: 'referrer',
            basis_value: { var: 'purchase.properties.amount' },
          },
          as: 'reward',
        },
      ],
      onTimeout: [{ id: 'expired', kind: 'end', status: 'expired', reason: 'no purchase in 30 days' }],
    }),
  ],
  {
    pulse: 'conversion',
    trigger: {
      events: ['user_signed_up'],
      when: { '!!': { var: 'event.referral_id' } },
      journey: { var: 'event.referral_id' },
    },
    settings: { min_order: 50 },
  },
);

describe('simulate', () => {
  it('delivers scripted events over virtual days and reports activities and outcome', async () => {
    const script = parseSimulationScript(`
events:
  - event: { event: user_signed_up, participant_id: friend-1, referral_id: ref-1 }
  - at: 2d
    event: { event: purchase_completed, participant_id: friend-1, referral_id: ref-1, properties: { amount: 20 } }
  - at: 5d
    event: { event: purchase_completed, participant_id: friend-1, referral_id: ref-1, properties: { amount: 80 } }
  - at: 6d
    event: { event: page_viewed, participant_id: friend-1 }
`);
    const printed: string[] = [];
    const trace = await simulate(plan, script, { env, print: (t) => printed.push(t) });
    assert.equal(trace.journeys.length, 1);
    const [journey] = trace.journeys;
    assert.equal(journey?.outcome?.status, 'completed');
    assert.deepEqual(
      trace.activities.map((a) => a.activity),
      ['AttributeReferral', 'AllocateReward'],
    );
    const reward = trace.activities[1]!;
    assert.deepEqual(reward.input, { participant_id: 'referrer-1', reward: 'referrer', basis_value: 80 });
    // The reward happened on day 5 of virtual time, when the qualifying purchase arrived.
    const day = (Date.parse(reward.scheduledAt) - Date.parse(trace.startedAt)) / 86_400_000;
    assert.ok(day >= 5 && day < 5.01, `reward on day ${day}`);
    assert.deepEqual(
      trace.events.map((e) => e.routes[0]?.action ?? 'none'),
      ['started', 'signalled', 'signalled', 'none'],
    );
    assert.match(printed[0] ?? '', /journey pulse:sim-client:sim-test-plan:ref-1: completed/);
    assert.match(formatTrace(trace), /\+5d\s+event purchase_completed/);
  });

  it('takes the timeout path, honours fake overrides and settings', async () => {
    const script = parseSimulationScript(`
settings: { min_order: 500 }
activities:
  AttributeReferral: { returns: { referrer_id: referrer-9 } }
events:
  - event: { event: user_signed_up, participant_id: friend-2, referral_id: ref-2 }
  - at: P3D
    event: { event: purchase_completed, participant_id: friend-2, referral_id: ref-2, properties: { amount: 80 } }
`);
    const trace = await simulate(plan, script, { env });
    const [journey] = trace.journeys;
    assert.equal(journey?.outcome?.status, 'expired');
    assert.equal(
      (journey?.outcome?.vars.attribution as { referrer_id?: string } | undefined)?.referrer_id,
      'referrer-9',
    );
    assert.ok(journey?.steps.some((s) => s.kind === 'timeout'));
    assert.equal(trace.activities.filter((a) => a.activity === 'AllocateReward').length, 0);
  });

  it('renders the real built-in template: a send missing the data it reads fails the journey', async () => {
    const sending = (data: Record<string, unknown>): Plan =>
      handPlan(
        [
          {
            id: 'welcome',
            kind: 'do',
            activity: 'SendNotification',
            with: { participant_id: { var: 'event.participant_id' }, template: 'signup-welcome', data },
          },
        ],
        {
          pulse: 'signup',
          trigger: { events: ['user_signed_up'], journey: { var: 'event.participant_id' } },
        },
      );
    const script = (who: string) =>
      parseSimulationScript(`
events:
  - event: { event: user_signed_up, participant_id: ${who} }
`);
    const good = await simulate(
      sending({ referral_code: 'AB12', referral_link: 'https://a.test/r/AB12' }),
      script('tpl-good'),
      {
        env,
      },
    );
    assert.equal(good.journeys[0]?.outcome?.status, 'completed');
    const bad = await simulate(sending({ referral_code: 'AB12' }), script('tpl-bad'), { env });
    assert.notEqual(bad.journeys[0]?.outcome?.status, 'completed');
    assert.match(formatTrace(bad), /SendNotification failed: VALIDATION_FAILED/);
  });

  it('runs a saga: a scripted failure is caught after the compensation, and the timeline shows both', async () => {
    const saga = loadCampaignFile(new URL('../dsl/fixtures/valid/saga.pulse.yaml', import.meta.url).pathname);
    assert.ok(saga.plan, formatDiagnostics(saga.diagnostics));
    const script = parseSimulationScript(`
activities:
  SendNotification: { fail: { code: FORBIDDEN, message: mail refused } }
events:
  - event: { event: user_signed_up, participant_id: saga-1, trust: server }
`);
    const trace = await simulate(saga.plan, script, { env });
    const [journey] = trace.journeys;
    assert.equal(journey?.outcome?.status, 'completed');
    assert.equal(journey?.outcome?.vars.failed, true);
    const order = trace.activities.map((a) => a.activity);
    assert.deepEqual(order.slice(0, 3), ['AllocateReward', 'SendNotification', 'RevokeReward']);
    const text = formatTrace(trace);
    assert.match(text, /↶ compensate allocate with RevokeReward/);
    assert.match(text, /⤷ caught FORBIDDEN/);
  });

  it('runs the hand scenarios behind the recorded histories to their expected ends', async () => {
    const expected: Record<string, [status: string, steps: string]> = {
      'do-optional-retry': ['completed', 'assets hook flaky flaky#2'],
      'branches-set-end': ['rejected', 'was-big normal'],
      'parallel-emit': ['completed', 'mail hook after-nap tell'],
      // The small purchase that did not match the first wait is still in the inbox for the second.
      'wait-match-early-timeout': ['completed', 'bought'],
      'sleep-loops': ['completed', 'tick tick remind remind remind'],
      // A month, a year, then the next Feb 29 anniversary (Mar 1 in common years), then one more month.
      'calendar-sleep-anniversary': ['completed', 'celebrated'],
      // The child waits for an event routed to the parent, which forwards it.
      'call-child-forwarding': ['completed', 'child-went after-child'],
      // The same once the child starts with the journey's attributes (patched('child-attributes')).
      'call-child-attributes': ['completed', 'child-went after-child'],
      'continue-as-new': ['completed', 'tick tick tick tick tick'],
      // inner is undone by the catching try; grant by the uncaught raise at the end (RevokeReward runs
      // under the step id of what it undoes).
      'saga-try-compensate': ['failed GIVE_UP', 'grant inner boom inner recovered cleanup item item grant'],
      // Approved by a scripted decision (its repeat and reversal refused), then an escalated timeout.
      'approval-decide-escalate': ['completed', 'grant expired'],
    };
    for (const s of handScenarios) {
      const opts = { env, ...(s.engineOptions ? { engineOptions: s.engineOptions } : {}) };
      const trace = await simulate(s.plan, s.script, opts);
      const journey = trace.journeys[0];
      const steps = trace.activities
        .map((a) => `${a.stepId}${a.attempt > 1 ? `#${a.attempt}` : ''}`)
        .sort()
        .join(' ');
      const end = journey?.outcome?.status ?? `failed ${journey?.failure?.type}`;
      assert.deepEqual(
        [end, steps],
        [expected[s.name]?.[0], expected[s.name]?.[1].split(' ').sort().join(' ')],
        s.name,
      );
      if (s.name === 'continue-as-new') assert.ok((journey?.status.generation ?? 0) >= 2, 'continued as new');
    }
  });

  it('runs the sample scripts in campaigns/scripts against their pulses', async () => {
    for (const pulse of ['signup', 'conversion']) {
      const { plan: compiled, diagnostics } = loadCampaignFile(`${CAMPAIGNS_DIR}${pulse}.pulse.yaml`);
      assert.ok(compiled, formatDiagnostics(diagnostics));
      const script = await loadSimulationScript(`${CAMPAIGNS_DIR}scripts/${pulse}.events.yaml`);
      const trace = await simulate(compiled, script, { env });
      assert.equal(trace.journeys.length, 1, pulse);
      assert.equal(trace.journeys[0]?.outcome?.status, 'completed', pulse);
      assert.ok(
        trace.activities.some((a) => a.activity === 'AllocateReward'),
        pulse,
      );
    }
  });

  it('rejects a malformed script with field paths', () => {
    assert.throws(
      () => parseSimulationScript('events: [{ at: soon, event: { event: x } }]'),
      /events\.0\.at/,
    );
    assert.throws(() => parseSimulationScript('events: []'), /events/);
  });
});
