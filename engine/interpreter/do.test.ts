import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type Harness, startHarness } from '../../test/support/engine/harness.ts';
import { handPlan } from '../../test/support/engine/plans.ts';
import { statusQuery } from '../signals.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

/** The ApplicationFailure a failed journey carries (WorkflowFailedError → cause). */
async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => assert.fail('journey should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
  return err.cause;
}

describe('do', () => {
  it('evaluates `with`, passes the activity context and stores the result under `as`', async () => {
    const plan = handPlan([
      {
        id: 'assets',
        kind: 'do',
        activity: 'GenerateReferralAssets',
        with: { participant_id: { var: 'event.participant_id' }, name: { cat: ['Ada', ' ', 'L'] } },
        as: 'assets',
      },
    ]);
    const handle = await h.start(plan);
    const outcome = await handle.result();
    assert.equal(outcome.status, 'completed');
    const [call] = h.fakes.callsOf('GenerateReferralAssets', handle.workflowId);
    assert.ok(call);
    assert.match(String(call.input.participant_id), /^p-\d+$/);
    assert.equal(call.input.name, 'Ada L');
    assert.equal(call.idempotencyKey, `${handle.workflowId}/assets`);
    assert.equal(call.stepId, 'assets');
    assert.deepEqual(outcome.vars.assets, {
      code: `REF-${String(call.input.participant_id).toUpperCase()}`,
      link: `https://pulse.test/r/REF-${String(call.input.participant_id).toUpperCase()}`,
    });
  });

  it('optional: a failure is recorded under `as` and the journey goes on', async () => {
    h.fakes.setOverrides({ SendWebhook: { fail: { code: 'UPSTREAM_UNAVAILABLE', message: 'down' } } });
    const plan = handPlan([
      { id: 'hook', kind: 'do', activity: 'SendWebhook', with: { topic: 't' }, as: 'hook', optional: true },
      { id: 'after', kind: 'set', values: { reached: true } },
    ]);
    const outcome = await (await h.start(plan)).result();
    h.fakes.setOverrides({});
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(outcome.vars.hook, { error: { code: 'UPSTREAM_UNAVAILABLE', message: 'down' } });
    assert.equal(outcome.vars.reached, true);
  });

  it('retries per the step policy, then fails the journey with STEP_FAILED', async () => {
    h.fakes.setOverrides({ SendWebhook: { fail: { code: 'UPSTREAM_UNAVAILABLE', retryable: true } } });
    const plan = handPlan([
      {
        id: 'hook',
        kind: 'do',
        activity: 'SendWebhook',
        with: { topic: 't' },
        retry: { maxAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2 },
        timeoutMs: 5000,
      },
    ]);
    const handle = await h.start(plan);
    const failure = await failureOf(handle.result());
    h.fakes.setOverrides({});
    assert.equal(failure.type, 'STEP_FAILED');
    assert.equal(h.fakes.callsOf('SendWebhook', handle.workflowId).length, 3);
    const status = await handle.query(statusQuery);
    assert.equal(status.state, 'finished');
    assert.equal(status.outcome?.status, 'failed');
  });

  it('does not retry codes listed as nonRetryable (nor AppError codes a retry cannot fix)', async () => {
    h.fakes.setOverrides({
      SendWebhook: { fail: { code: 'PROVIDER_REJECTED', retryable: true } },
      AllocateReward: { fail: { code: 'BUDGET_EXHAUSTED', retryable: true } },
    });
    const retry = {
      maxAttempts: 5,
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      nonRetryable: ['PROVIDER_REJECTED'],
    };
    const hook = await h.start(
      handPlan([{ id: 'hook', kind: 'do', activity: 'SendWebhook', with: { topic: 't' }, retry }]),
    );
    const reward = await h.start(
      handPlan([
        { id: 'rw', kind: 'do', activity: 'AllocateReward', with: { participant_id: 'p', reward: 'r' } },
      ]),
    );
    assert.equal((await failureOf(hook.result())).type, 'STEP_FAILED');
    assert.equal((await failureOf(reward.result())).type, 'STEP_FAILED');
    h.fakes.setOverrides({});
    assert.equal(h.fakes.callsOf('SendWebhook', hook.workflowId).length, 1);
    assert.equal(h.fakes.callsOf('AllocateReward', reward.workflowId).length, 1);
  });
});
