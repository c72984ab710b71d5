import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TraceRecord } from '../../../engine/interpreter/types.ts';
import type { SimulationTrace } from '../../../engine/simulation/trace.ts';
import { type Trace, traceRows } from './trace-rows.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const DAY = 86_400_000;
const WF = 'pulse:cl:renewal-default:ada';

/** A renewal-like journey: a reminder timer, a wait that times out, a second wait a purchase ends. */
const steps: TraceRecord[] = [
  { at: at(0), kind: 'enter', path: 'remind', step: 'remind' },
  { at: at(0), kind: 'timer', path: 'remind-in-3d', step: 'remind-in-3d', detail: { ms: 3 * DAY } },
  {
    at: at(3 * DAY),
    kind: 'wait',
    path: 'await-renewal',
    step: 'await-renewal',
    detail: { events: ['subscription_renewed'], timeoutMs: 7 * DAY },
  },
  {
    at: at(10 * DAY),
    kind: 'timeout',
    path: 'await-renewal',
    step: 'await-renewal',
    detail: { timeoutMs: 7 * DAY },
  },
  {
    at: at(10 * DAY),
    kind: 'wait',
    path: 'last-call',
    step: 'last-call',
    detail: { events: ['purchase_completed', 'subscription_renewed'], timeoutMs: null },
  },
  {
    at: at(11 * DAY),
    kind: 'matched',
    path: 'last-call',
    step: 'last-call',
    detail: { event: 'purchase_completed', event_id: 'e2' },
  },
  {
    at: at(11 * DAY),
    kind: 'activity',
    path: 'reward',
    step: 'reward',
    detail: { activity: 'AllocateReward' },
  },
  {
    at: at(11 * DAY),
    kind: 'activity',
    path: 'thanks',
    step: 'thanks',
    detail: { activity: 'SendNotification' },
  },
  {
    at: at(11 * DAY),
    kind: 'end',
    path: 'done',
    step: 'done',
    detail: { status: 'completed', reason: null },
  },
];

const trace: SimulationTrace = {
  pulse: 'renewal',
  startedAt: at(0),
  events: [
    {
      offsetMs: 0,
      at: at(0),
      event: { event: 'subscription_expiring', event_id: 'e1', participant_id: 'ada' } as never,
      routes: [{ action: 'started' } as never],
    },
    {
      offsetMs: 11 * DAY,
      at: at(11 * DAY),
      event: { event: 'purchase_completed', event_id: 'e2', participant_id: 'ada' } as never,
      routes: [{ action: 'signalled' } as never],
    },
  ],
  journeys: [{ workflowId: WF, unfinished: false, status: {} as never, steps }],
  activities: [
    {
      activity: 'SendNotification',
      input: { template: 'renewal-thanks', participant_id: 'ada', channel: 'email' },
      stepId: 'thanks',
      workflowId: WF,
      idempotencyKey: 'k',
      attempt: 1,
      scheduledAt: at(11 * DAY),
    },
  ],
  eligibility: [
    {
      workflowId: WF,
      stepId: 'reward',
      activity: 'AllocateReward',
      participantId: 'ada',
      reward: 'loyalty',
      eligible: false,
      reason: 'RULE_CONDITION_FAILED',
      segment: null,
      refusedBy: 'rewards.loyalty.when',
      scheduledAt: at(11 * DAY),
    },
  ],
};

describe('the simulation timeline', () => {
  it('shows timers, waits and what ended them, the refused reward with its rule, and the message', () => {
    const rows = traceRows(trace as unknown as Trace, (call) => ({
      subject: `Thanks ${String(call.input.participant_id)}`,
      text: 'x',
      locale: 'en',
    }));
    const lines = rows.map((r) => `${r.kind}${r.refused ? '!' : ''} ${r.text}`);
    assert.deepEqual(lines, [
      'event subscription_expiring (ada) → started',
      'sleep remind-in-3d sleeps 3d',
      'wait await-renewal waits for subscription_renewed, at most 7d',
      'wait await-renewal timed out after 7d',
      'wait last-call waits for purchase_completed or subscription_renewed',
      'event purchase_completed (ada) → signalled',
      'wait last-call received purchase_completed',
      'reward! reward AllocateReward: loyalty for ada — refused RULE_CONDITION_FAILED by rewards.loyalty.when',
      'message thanks: renewal-thanks to ada by email',
      'end done ends completed',
    ]);
    assert.deepEqual(rows.at(-2)?.message, { subject: 'Thanks ada', text: 'x', locale: 'en' });
    assert.equal(rows.find((r) => r.kind === 'wait')?.t, 3 * DAY);
  });
});
