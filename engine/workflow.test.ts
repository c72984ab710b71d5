import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { Plan } from '../contract/plan.ts';
import { type Harness, type RunCampaign, startHarness } from '../test/support/engine/harness.ts';
import { handPlan } from '../test/support/engine/plans.ts';
import type { JourneyStatus, TraceRecord } from './interpreter/types.ts';
import { statusQuery, traceQuery } from './signals.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

async function statusWhen(
  handle: WorkflowHandle<RunCampaign>,
  ok: (s: JourneyStatus) => boolean,
): Promise<JourneyStatus> {
  for (let i = 0; i < 100; i++) {
    const status = await handle.query(statusQuery);
    if (ok(status)) return status;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('status never reached the expected state');
}

describe('runCampaign', () => {
  it('refuses a plan version it does not know, without retrying', async () => {
    const plan = { ...handPlan([]), planVersion: 2 } as unknown as Plan;
    const err = await (await h.start(plan)).result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.equal((err.cause as { type?: string }).type, 'UNKNOWN_PLAN_VERSION');
  });

  it('reports sleeping with the current step and vars, then finished with the outcome', async () => {
    const plan = handPlan([
      { id: 'first', kind: 'set', values: { phase: 'one' } },
      { id: 'nap', kind: 'sleep', durationMs: '3d' },
    ]);
    const handle = await h.start(plan);
    const sleeping = await statusWhen(handle, (s) => s.state === 'sleeping');
    assert.equal(sleeping.currentStep, 'nap');
    assert.deepEqual(sleeping.vars, { phase: 'one' });
    assert.equal(sleeping.outcome, undefined);
    await handle.result();
    const done = await handle.query(statusQuery);
    assert.equal(done.state, 'finished');
    assert.deepEqual(done.outcome, { status: 'completed', vars: { phase: 'one' } });
  });

  it('traces steps entered and left, timers and activities', async () => {
    const plan = handPlan([
      { id: 'nap', kind: 'sleep', durationMs: 1000 },
      { id: 'hook', kind: 'do', activity: 'SendWebhook', with: { topic: 'x' } },
    ]);
    const handle = await h.start(plan);
    await handle.result();
    const trace: TraceRecord[] = await handle.query(traceQuery);
    assert.deepEqual(
      trace.map((r) => `${r.kind}:${r.path}`),
      ['enter:nap', 'timer:nap', 'exit:nap', 'enter:hook', 'activity:hook', 'exit:hook'],
    );
    assert.deepEqual(trace[1]?.detail, { ms: 1000 });
  });
});
