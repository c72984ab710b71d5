import type { Plan, Step } from '../../../contract/plan.ts';
import type { EngineOptions } from '../../../engine/interpreter/types.ts';
import type { SimulationScript } from '../../../engine/simulation/script.ts';
import { handPlan, ifStep, waitStep } from './plans.ts';

/**
 * Hand-written plans that together use every step kind and engine path (optional failure, retries,
 * early events, timeouts, loops, a child journey with forwarded events, continue-as-new). Their
 * recorded histories (engine/record-histories.ts) guard the interpreter against nondeterminism.
 */
export interface HandScenario {
  name: string;
  plan: Plan;
  script: SimulationScript;
  engineOptions?: EngineOptions;
}

const v = (path: string) => ({ var: path });
const trigger = (events: string[] = ['test_started']) => ({ events, journey: v('event.participant_id') });
const metric = (id: string, metrics: unknown = {}): Step => ({
  id,
  kind: 'do',
  activity: 'RecordWorkflowMetrics',
  with: { metrics },
});
const allocateWithUndo = (id: string): Step => ({
  id,
  kind: 'do',
  activity: 'AllocateReward',
  with: { participant_id: v('event.participant_id'), reward: 'welcome' },
  as: id,
  compensate: { activity: 'RevokeReward', with: { reward_id: v(`${id}.reward_id`) } },
});
const start = (who: string) => ({ event: { event: 'test_started', participant_id: who } });

const child = handPlan(
  [
    waitStep({
      id: 'child-wait',
      events: ['child_go'],
      timeoutMs: '2d',
      as: 'go',
      onMatch: [metric('child-went', { amount: v('input.amount') })],
      onTimeout: [{ id: 'child-late', kind: 'end', status: 'expired' }],
    }),
  ],
  { id: 'child-plan', pulse: 'child', trigger: trigger(['child_started']) },
);

/** A call step whose child waits for an event routed to the parent, which forwards it. */
function callScenario(name: string, who: string, amount: number): HandScenario {
  return {
    name,
    plan: handPlan(
      [{ id: 'sub', kind: 'call', plan: 'child-plan', input: { amount }, as: 'sub' }, metric('after-child')],
      { trigger: trigger(), children: { 'child-plan': child } },
    ),
    script: { events: [start(who), { at: '1d', event: { event: 'child_go', participant_id: who } }] },
  };
}

export const handScenarios: HandScenario[] = [
  {
    name: 'do-optional-retry',
    plan: handPlan(
      [
        {
          id: 'assets',
          kind: 'do',
          activity: 'GenerateReferralAssets',
          with: { participant_id: v('event.participant_id') },
          as: 'assets',
        },
        { id: 'hook', kind: 'do', activity: 'SendWebhook', with: { topic: 't' }, optional: true, as: 'hook' },
        {
          id: 'flaky',
          kind: 'do',
          activity: 'CheckFraud',
          with: { participant_id: v('event.participant_id') },
          retry: { maxAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2 },
          timeoutMs: 5000,
          as: 'fraud',
        },
      ],
      { trigger: trigger() },
    ),
    script: {
      events: [start('p-do')],
      activities: {
        SendWebhook: { fail: { code: 'UPSTREAM_UNAVAILABLE' } },
        CheckFraud: [
          { when: { '==': [v('call'), 1] }, fail: { code: 'UPSTREAM_UNAVAILABLE', retryable: true } },
        ],
      },
    },
  },
  {
    name: 'branches-set-end',
    plan: handPlan(
      [
        { id: 'vals', kind: 'set', values: { n: 7, doubled: { '*': [v('n'), 2] } } },
        ifStep('big', { '>': [v('n'), 5] }, [metric('was-big')], [metric('was-small')]),
        {
          id: 'pick',
          kind: 'switch',
          cases: [{ when: { '>': [v('doubled'), 100] }, steps: [metric('huge')] }],
          default: [metric('normal')],
        },
        ifStep('stop', true, [
          { id: 'reject', kind: 'end', status: 'rejected', reason: { cat: ['n=', v('n')] } },
        ]),
      ],
      { trigger: trigger() },
    ),
    script: { events: [start('p-branch')] },
  },
  {
    name: 'parallel-emit',
    plan: handPlan(
      [
        {
          id: 'notify',
          kind: 'parallel',
          branches: [
            {
              name: 'email',
              steps: [
                {
                  id: 'mail',
                  kind: 'do',
                  activity: 'SendNotification',
                  with: { template: 't', participant_id: 'p' },
                },
              ],
            },
            {
              name: 'hook',
              steps: [{ id: 'hook', kind: 'do', activity: 'SendWebhook', with: { topic: 'x' } }],
            },
            { name: 'nap', steps: [{ id: 'nap', kind: 'sleep', durationMs: '1h' }, metric('after-nap')] },
          ],
        },
        {
          id: 'tell',
          kind: 'emit',
          event: 'journey.notified',
          properties: { who: v('event.participant_id') },
        },
      ],
      { trigger: trigger() },
    ),
    script: { events: [start('p-par')] },
  },
  {
    name: 'wait-match-early-timeout',
    plan: handPlan(
      [
        { id: 'nap', kind: 'sleep', durationMs: '1h' },
        waitStep({
          id: 'purchase',
          events: ['purchase_completed'],
          match: { '>=': [v('event.properties.amount'), 50] },
          timeoutMs: '3d',
          as: 'purchase',
          onMatch: [metric('bought', { amount: v('purchase.properties.amount') })],
        }),
        waitStep({
          id: 'again',
          events: ['purchase_completed'],
          timeoutMs: '1d',
          onTimeout: [metric('no-second')],
        }),
      ],
      { trigger: trigger() },
    ),
    script: {
      events: [
        start('p-wait'),
        // Arrives during the first hour, before the wait starts; the small one never matches.
        {
          at: '10m',
          event: { event: 'purchase_completed', participant_id: 'p-wait', properties: { amount: 10 } },
        },
        {
          at: '20m',
          event: { event: 'purchase_completed', participant_id: 'p-wait', properties: { amount: 80 } },
        },
      ],
    },
  },
  {
    name: 'sleep-loops',
    plan: handPlan(
      [
        { id: 'pause', kind: 'sleep', durationMs: v('settings.pause') },
        { id: 'until', kind: 'sleep', until: { date_add: [v('journey.startedAt'), '3d'] } },
        { id: 'left', kind: 'set', values: { left: 2 } },
        {
          id: 'drain',
          kind: 'repeat',
          times: 5,
          maxIterations: 5,
          index: 'i',
          while: { '>': [v('left'), 0] },
          steps: [
            metric('tick', { i: v('i') }),
            { id: 'dec', kind: 'set', values: { left: { '-': [v('left'), 1] } } },
          ],
        },
        {
          id: 'each',
          kind: 'for_each',
          items: v('settings.days'),
          as: 'day',
          index: 'n',
          maxItems: 5,
          steps: [metric('remind', { day: v('day') }), { id: 'gap', kind: 'sleep', durationMs: '1d' }],
        },
      ],
      { trigger: trigger(), settings: { pause: '2d', days: [30, 14, 7] } },
    ),
    script: { events: [start('p-loop')] },
  },
  {
    // Calendar durations and anniversaries: timers measured from workflow time, replayed identically.
    name: 'calendar-sleep-anniversary',
    plan: handPlan(
      [
        { id: 'month', kind: 'sleep', durationMs: '1mo' },
        { id: 'yearly', kind: 'sleep', durationMs: v('settings.yearly') },
        {
          id: 'anniversary',
          kind: 'sleep',
          until: { next_anniversary: ['2024-02-29T09:00:00Z', v('now'), 'year', 'mar1'] },
        },
        metric('celebrated', { at: v('now') }),
        { id: 'until', kind: 'sleep', until: { date_add: [v('now'), 'P1M'] } },
      ],
      { trigger: trigger(), settings: { yearly: '1y' } },
    ),
    script: { events: [start('p-calendar')], horizon: '1200d' },
  },
  callScenario('call-child-forwarding', 'p-call', 42),
  // Recorded once the child starts with the journey's attributes (patched('child-attributes')).
  callScenario('call-child-attributes', 'p-call-attrs', 7),
  {
    name: 'continue-as-new',
    plan: handPlan(
      [
        { id: 'init', kind: 'set', values: { total: 0 } },
        {
          id: 'ticks',
          kind: 'repeat',
          times: 5,
          maxIterations: 5,
          index: 'i',
          steps: [
            metric('tick', { i: v('i') }),
            { id: 'add', kind: 'set', values: { total: { '+': [v('total'), 1] } } },
            waitStep({ id: 'nudge', events: ['nudge'], timeoutMs: '1h', as: 'nudged' }),
          ],
        },
      ],
      { trigger: trigger() },
    ),
    engineOptions: { historyThreshold: 12 },
    script: {
      events: [start('p-can'), { at: '90m', event: { event: 'nudge', participant_id: 'p-can' } }],
    },
  },
  {
    // Error handling and sagas: compensations undone by a catching `try` and at the root, an optional
    // loop that skips a raising item, then an uncaught raise that fails the journey.
    name: 'saga-try-compensate',
    plan: handPlan(
      [
        allocateWithUndo('grant'),
        {
          id: 'block',
          kind: 'try',
          steps: [
            allocateWithUndo('inner'),
            { id: 'boom', kind: 'do', activity: 'SendWebhook', with: { topic: 'boom' } },
          ],
          catch: [
            { errors: ['NOT_ELIGIBLE'], steps: [metric('wrong-clause')] },
            { errors: ['FORBIDDEN'], as: 'err', steps: [metric('recovered', { code: v('err.code') })] },
          ],
          finally: [metric('cleanup')],
        },
        {
          id: 'each',
          kind: 'for_each',
          items: ['a', 'b', 'c'],
          as: 'item',
          maxItems: 3,
          optional: true,
          steps: [
            ifStep('is-b', { '==': [v('item'), 'b'] }, [{ id: 'bad-item', kind: 'raise', code: 'BAD_ITEM' }]),
            metric('item'),
          ],
        },
        {
          id: 'stop',
          kind: 'raise',
          code: 'GIVE_UP',
          message: { cat: ['gave up after ', v('last_error.code')] },
        },
      ],
      { trigger: trigger() },
    ),
    script: {
      activities: { SendWebhook: { fail: { code: 'FORBIDDEN', message: 'refused' } } },
      events: [start('p-saga')],
    },
  },
  {
    // Human approval: one task approved through the `approval` update (a repeat and a reversal are
    // refused without history), one that escalates, times out and runs its timeout branch.
    name: 'approval-decide-escalate',
    plan: handPlan(
      [
        {
          id: 'review',
          kind: 'approval',
          title: 'Grant the bonus',
          details: v('event.participant_id'),
          roles: ['manager'],
          timeoutMs: '2d',
          timeoutDecision: 'reject',
          // biome-ignore lint/suspicious/noThenProperty: `then` is the branch name in the plan contract.
          then: [allocateWithUndo('grant')],
          onReject: [metric('refused')],
          onTimeout: [],
        },
        {
          id: 'second',
          kind: 'approval',
          title: 'Nobody answers this one',
          roles: ['admin'],
          timeoutMs: 3_600_000,
          escalate: { roles: ['owner'], timeoutMs: '30m' },
          as: 'second_decision',
          // biome-ignore lint/suspicious/noThenProperty: `then` is the branch name in the plan contract.
          then: [],
          onReject: [],
          onTimeout: [metric('expired', { decision: v('second_decision.decision') })],
        },
      ],
      { trigger: trigger() },
    ),
    script: {
      events: [start('p-approval')],
      decisions: [
        { at: '1h', task: 'review', decision: 'approve', by: 'member:m_1', role: 'manager', reason: 'ok' },
        { at: '2h', task: 'review', decision: 'approve', by: 'member:m_1', role: 'manager' },
        { at: '2h', task: 'review', decision: 'reject', by: 'member:m_2', role: 'owner' },
      ],
    },
  },
];
