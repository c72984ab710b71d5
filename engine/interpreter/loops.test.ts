import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { Step } from '../../contract/plan.ts';
import { type Harness, startHarness } from '../../test/support/engine/harness.ts';
import { handPlan, testEvent, waitStep } from '../../test/support/engine/plans.ts';
import { eventSignal, statusQuery } from '../signals.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const metric = (id: string, metrics: unknown = {}): Step => ({
  id,
  kind: 'do',
  activity: 'RecordWorkflowMetrics',
  with: { metrics },
});

describe('repeat', () => {
  it('never runs more than maxIterations, keys each iteration apart', async () => {
    const plan = handPlan([
      {
        id: 'offers',
        kind: 'repeat',
        times: 10,
        maxIterations: 3,
        index: 'i',
        steps: [metric('offer', { i: { var: 'i' } })],
      },
    ]);
    const handle = await h.start(plan);
    await handle.result();
    const calls = h.fakes.callsOf('RecordWorkflowMetrics', handle.workflowId);
    assert.deepEqual(
      calls.map((c) => c.idempotencyKey).sort(),
      [0, 1, 2].map((i) => `${handle.workflowId}/offers#${i}/offer`),
    );
    assert.deepEqual(calls.map((c) => (c.input.metrics as { i: number }).i).sort(), [0, 1, 2]);
  });

  it('stops when the while guard turns falsy', async () => {
    const plan = handPlan([
      { id: 'init', kind: 'set', values: { left: 2 } },
      {
        id: 'drain',
        kind: 'repeat',
        times: 5,
        maxIterations: 5,
        index: 'i',
        while: { '>': [{ var: 'left' }, 0] },
        steps: [{ id: 'dec', kind: 'set', values: { left: { '-': [{ var: 'left' }, 1] } } }],
      },
    ]);
    const { vars } = await (await h.start(plan)).result();
    assert.equal(vars.left, 0);
    assert.equal(vars.i, 2);
  });
});

describe('for_each', () => {
  it('runs the body per item with item and index variables', async () => {
    const plan = handPlan(
      [
        {
          id: 'each',
          kind: 'for_each',
          items: { var: 'settings.days' },
          as: 'day',
          index: 'n',
          maxItems: 5,
          steps: [metric('remind', { day: { var: 'day' }, n: { var: 'n' } })],
        },
      ],
      { settings: { days: [30, 14, 7] } },
    );
    const handle = await h.start(plan);
    await handle.result();
    const calls = h.fakes.callsOf('RecordWorkflowMetrics', handle.workflowId);
    assert.deepEqual(
      calls.map((c) => c.input.metrics).sort((a, b) => (a as { n: number }).n - (b as { n: number }).n),
      [
        { day: 30, n: 0 },
        { day: 14, n: 1 },
        { day: 7, n: 2 },
      ],
    );
    assert.ok(calls.every((c) => /\/each#\d\/remind$/.test(c.idempotencyKey)));
  });

  it('fails the journey with MAX_ITEMS_EXCEEDED when items exceed maxItems', async () => {
    const plan = handPlan([
      { id: 'each', kind: 'for_each', items: [1, 2, 3, 4], as: 'x', maxItems: 3, steps: [metric('m')] },
    ]);
    const err = await (await h.start(plan)).result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.equal((err.cause as { type?: string }).type, 'MAX_ITEMS_EXCEEDED');
  });
});

describe('continue-as-new', () => {
  it('resumes a loop at the right iteration with vars intact and stable idempotency keys', async () => {
    const plan = handPlan([
      { id: 'init', kind: 'set', values: { total: 0 } },
      {
        id: 'ticks',
        kind: 'repeat',
        times: 6,
        maxIterations: 6,
        index: 'i',
        steps: [
          metric('tick', { i: { var: 'i' } }),
          { id: 'add', kind: 'set', values: { total: { '+': [{ var: 'total' }, 1] } } },
          { id: 'nap', kind: 'sleep', durationMs: '1h' },
        ],
      },
    ]);
    const handle = await h.start(plan, { options: { historyThreshold: 12 } });
    const outcome = await handle.result();
    assert.equal(outcome.status, 'completed');
    assert.equal(outcome.vars.total, 6);
    const keys = h.fakes.callsOf('RecordWorkflowMetrics', handle.workflowId).map((c) => c.idempotencyKey);
    assert.deepEqual(
      keys.sort(),
      [0, 1, 2, 3, 4, 5].map((i) => `${handle.workflowId}/ticks#${i}/tick`),
    );
    const status = await handle.query(statusQuery);
    assert.ok(status.generation >= 2, `continued as new ${status.generation} times`);
  });

  it('resumes inside a wait branch and keeps un-consumed inbox events', async () => {
    const plan = handPlan([
      metric('a'),
      metric('b'),
      metric('c'),
      waitStep({
        id: 'gate',
        events: ['go'],
        timeoutMs: '1d',
        onMatch: [
          metric('d'),
          waitStep({
            id: 'second',
            events: ['go-again'],
            timeoutMs: '1d',
            as: 'again',
            onMatch: [metric('e')],
            onTimeout: [{ id: 'late', kind: 'end', status: 'expired' }],
          }),
        ],
        onTimeout: [{ id: 'never', kind: 'end', status: 'expired' }],
      }),
    ]);
    const handle = await h.start(plan, { options: { historyThreshold: 10 } });
    await handle.signal(eventSignal, testEvent('go-again'));
    await handle.signal(eventSignal, testEvent('go'));
    const outcome = await handle.result();
    assert.equal(outcome.status, 'completed');
    assert.equal((outcome.vars.again as { event: string }).event, 'go-again');
    const steps = h.fakes.callsOf('RecordWorkflowMetrics', handle.workflowId).map((c) => c.stepId);
    assert.deepEqual(steps, ['a', 'b', 'c', 'd', 'e']);
    const status = await handle.query(statusQuery);
    assert.ok(status.generation >= 1);
  });
});
