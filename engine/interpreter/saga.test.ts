import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createAllocateReward } from '../../activities/allocate-reward.ts';
import { createRevokeReward } from '../../activities/revoke-reward.ts';
import { createServiceClient } from '../../activities/service-client.ts';
import type { ActivityContext } from '../../contract/activity-context.ts';
import type { Plan } from '../../contract/plan.ts';
import { formatDiagnostics } from '../../dsl/errors.ts';
import { compileCampaignSource } from '../../dsl/index.ts';
import { findReward } from '../../services/reward/lifecycle/repo.ts';
import { type Harness, startHarness } from '../../test/support/engine/harness.ts';
import { handPlan, testCampaign } from '../../test/support/engine/plans.ts';
import { createRewardFixture, INTERNAL_TOKEN } from '../../test/support/reward.ts';
import { statusQuery, traceQuery } from '../signals.ts';

// try/catch/finally, raise, compensation and optional containers, written in YAML, compiled by the real
// compiler and run by the real interpreter on the time-skipping server (activities are the fakes).
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

function yamlPlan(steps: string): Plan {
  const source = [
    'pulse: test',
    'id: saga-test',
    'version: 1',
    'title: Saga test',
    'trigger: { event: user_signed_up }',
    'rewards:',
    '  welcome:',
    '    type: single',
    '    give: { category: store_credit, amount: 5, currency: USD }',
    'steps:',
    steps,
  ].join('\n');
  const result = compileCampaignSource(source, 'saga-test.pulse.yaml');
  assert.ok(result.plan, formatDiagnostics(result.diagnostics));
  return result.plan;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => assert.fail('journey should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
  return err.cause;
}

const webhookTopics = (workflowId: string): unknown[] =>
  h.fakes.callsOf('SendWebhook', workflowId).map((c) => c.input.topic);

/** An AllocateReward step whose compensation revokes what it allocated, as YAML at `indent` spaces. */
function allocate(id: string, indent: number): string {
  const pad = ' '.repeat(indent);
  const v = id.replace(/-/g, '_');
  return [
    '',
    `${pad}- id: ${id}`,
    `${pad}  do: AllocateReward`,
    `${pad}  with: { participant_id: { var: event.participant_id }, reward: welcome }`,
    `${pad}  as: ${v}`,
    `${pad}  compensate:`,
    `${pad}    do: RevokeReward`,
    `${pad}    with: { reward_id: { var: ${v}.reward_id }, reason: undo ${id} }`,
  ].join('\n');
}

describe('try / catch', () => {
  it('the first clause whose codes match catches the error, binding { code, message, step }', async () => {
    h.fakes.setOverrides({
      AllocateReward: { fail: { code: 'BUDGET_EXHAUSTED', message: 'no money left' } },
    });
    const plan = yamlPlan(`
  - id: grant
    try:
      - id: allocate
        do: AllocateReward
        with: { participant_id: { var: event.participant_id }, reward: welcome }
      - id: not-reached
        set: { reached: true }
    catch:
      - errors: [NOT_ELIGIBLE]
        steps:
          - id: wrong-clause
            set: { wrong: true }
      - errors: [BUDGET_EXHAUSTED, NOT_FOUND]
        as: err
        steps:
          - id: handled
            set: { handled: { var: err.code } }
  - id: after
    set: { after: true }`);
    const outcome = await (await h.start(plan)).result();
    h.fakes.setOverrides({});
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(outcome.vars.err, {
      code: 'BUDGET_EXHAUSTED',
      message: 'no money left',
      step: 'allocate',
    });
    assert.equal(outcome.vars.handled, 'BUDGET_EXHAUSTED');
    assert.equal(outcome.vars.after, true);
    assert.equal(outcome.vars.reached, undefined);
    assert.equal(outcome.vars.wrong, undefined);
  });

  it('an error no clause lists fails the journey with its own failure, after `finally` ran', async () => {
    h.fakes.setOverrides({ AllocateReward: { fail: { code: 'BUDGET_EXHAUSTED' } } });
    const plan = yamlPlan(`
  - id: grant
    try:
      - id: allocate
        do: AllocateReward
        with: { participant_id: { var: event.participant_id }, reward: welcome }
    catch:
      - errors: [NOT_ELIGIBLE]
        steps: []
    finally:
      - id: cleanup
        do: SendWebhook
        with: { topic: cleanup }
  - id: after
    do: SendWebhook
    with: { topic: after }`);
    const handle = await h.start(plan);
    const failure = await failureOf(handle.result());
    h.fakes.setOverrides({});
    assert.equal(failure.type, 'STEP_FAILED');
    assert.match(failure.message, /BUDGET_EXHAUSTED/);
    assert.deepEqual(webhookTopics(handle.workflowId), ['cleanup']);
  });

  it('`errors: any` catches an expression error too; `finally` runs after the clause', async () => {
    const plan = yamlPlan(`
  - id: guarded
    try:
      - id: bad
        set: { x: { throw: oops } }
    catch:
      - errors: any
        as: e
        steps:
          - id: note
            do: SendWebhook
            with: { topic: { var: e.code } }
    finally:
      - id: cleanup
        do: SendWebhook
        with: { topic: cleanup }`);
    const handle = await h.start(plan);
    const outcome = await handle.result();
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(webhookTopics(handle.workflowId), ['EXPRESSION_FAILED', 'cleanup']);
  });

  it('an `end` inside a try is not an error: no clause runs, the journey ends', async () => {
    const plan = yamlPlan(`
  - id: guarded
    try:
      - id: stop
        end: rejected
        reason: done early
    catch:
      - errors: any
        steps:
          - id: caught
            set: { caught: true }`);
    const outcome = await (await h.start(plan)).result();
    assert.deepEqual(
      [outcome.status, outcome.reason, outcome.vars.caught],
      ['rejected', 'done early', undefined],
    );
  });
});

describe('raise', () => {
  it('caught: the clause sees the code, the evaluated message and the step', async () => {
    const plan = yamlPlan(`
  - id: guarded
    try:
      - id: check
        raise:
          code: ORDER_TOO_SMALL
          message: { cat: ["order of ", { var: event.participant_id }, " is too small"] }
    catch:
      - errors: [ORDER_TOO_SMALL]
        as: why
        steps: []`);
    const handle = await h.start(plan);
    const outcome = await handle.result();
    assert.equal(outcome.status, 'completed');
    const why = outcome.vars.why as { code: string; message: string; step: string };
    assert.equal(why.code, 'ORDER_TOO_SMALL');
    assert.match(why.message, /^order of p-\d+ is too small$/);
    assert.equal(why.step, 'check');
  });

  it('uncaught: the journey fails with the raised code and message', async () => {
    const plan = yamlPlan(`
  - id: check
    raise: { code: ORDER_TOO_SMALL, message: too small }`);
    const failure = await failureOf((await h.start(plan)).result());
    assert.equal(failure.type, 'ORDER_TOO_SMALL');
    assert.equal(failure.message, 'too small');
    assert.equal(failure.nonRetryable, true);
  });
});

describe('compensation (saga)', () => {
  it('3 steps, the 3rd fails: compensations of 2 then 1 run, then the journey fails', async () => {
    h.fakes.setOverrides({ SendWebhook: { fail: { code: 'FORBIDDEN', message: 'refused' } } });
    const plan = yamlPlan(
      `${allocate('first', 2)}${allocate('second', 2)}
  - id: third
    do: SendWebhook
    with: { topic: t }`,
    );
    const handle = await h.start(plan);
    const failure = await failureOf(handle.result());
    h.fakes.setOverrides({});
    assert.equal(failure.type, 'STEP_FAILED');
    const allocated = h.fakes.callsOf('AllocateReward', handle.workflowId).map((c) => c.stepId);
    assert.deepEqual(allocated, ['first', 'second']);
    const revokes = h.fakes.callsOf('RevokeReward', handle.workflowId);
    assert.deepEqual(
      revokes.map((c) => [c.stepId, c.input.reason]),
      [
        ['second', 'undo second'],
        ['first', 'undo first'],
      ],
    );
    // Each compensation got the reward id its own step allocated, under its own idempotency key.
    const trace = await handle.query(traceQuery);
    const ids = trace
      .filter((t) => t.kind === 'activity' && t.detail?.activity === 'AllocateReward')
      .map((t) => t.step);
    assert.deepEqual(ids, ['first', 'second']);
    assert.equal(revokes[0]?.idempotencyKey, `${handle.workflowId}/second~compensate`);
    assert.notEqual(revokes[0]?.input.reward_id, revokes[1]?.input.reward_id);
  });

  it('a try that catches undoes what its body completed (not what came before), then runs the clause', async () => {
    h.fakes.setOverrides({
      SendWebhook: { when: { '==': [{ var: 'input.topic' }, 'boom'] }, fail: { code: 'FORBIDDEN' } },
    });
    const plan = yamlPlan(
      `${allocate('before', 2)}
  - id: block
    try:${allocate('inside', 6)}
      - id: boom
        do: SendWebhook
        with: { topic: boom }
    catch:
      - errors: [FORBIDDEN]
        steps:
          - id: recovered
            do: SendWebhook
            with: { topic: recovered }`,
    );
    const handle = await h.start(plan);
    const outcome = await handle.result();
    h.fakes.setOverrides({});
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(
      h.fakes.callsOf('RevokeReward', handle.workflowId).map((c) => c.stepId),
      ['inside'],
    );
    assert.deepEqual(webhookTopics(handle.workflowId), ['boom', 'recovered']);
  });

  it('a compensation that fails is traced and the others still run; the original failure stands', async () => {
    h.fakes.setOverrides({
      RevokeReward: {
        when: { '==': [{ var: 'ctx.stepId' }, 'second'] },
        fail: { code: 'ILLEGAL_TRANSITION' },
      },
      SendWebhook: { fail: { code: 'FORBIDDEN' } },
    });
    const plan = yamlPlan(
      `${allocate('first', 2)}${allocate('second', 2)}
  - id: third
    do: SendWebhook
    with: { topic: t }`,
    );
    const handle = await h.start(plan);
    const failure = await failureOf(handle.result());
    h.fakes.setOverrides({});
    assert.equal(failure.type, 'STEP_FAILED');
    assert.match(failure.message, /FORBIDDEN/);
    assert.deepEqual(
      h.fakes.callsOf('RevokeReward', handle.workflowId).map((c) => c.stepId),
      ['second', 'first'],
    );
  });

  it('compensations registered before a continue-as-new still run in the new run', async () => {
    h.fakes.setOverrides({ SendWebhook: { fail: { code: 'FORBIDDEN' } } });
    const plan = yamlPlan(`${allocate('early', 2)}
  - id: naps
    repeat: 4
    max: 4
    steps:
      - id: nap
        sleep: 1h
  - id: late
    do: SendWebhook
    with: { topic: late }`);
    const handle = await h.start(plan, { options: { historyThreshold: 8 } });
    await failureOf(handle.result());
    h.fakes.setOverrides({});
    const status = await handle.query(statusQuery);
    assert.ok(status.generation >= 1, `the journey continued as new (generation ${status.generation})`);
    assert.deepEqual(
      h.fakes.callsOf('RevokeReward', handle.workflowId).map((c) => c.stepId),
      ['early'],
    );
  });

  it('a journey that completes runs no compensation', async () => {
    const plan = yamlPlan(`${allocate('only', 2)}`);
    const handle = await h.start(plan);
    assert.equal((await handle.result()).status, 'completed');
    assert.deepEqual(h.fakes.callsOf('RevokeReward', handle.workflowId), []);
  });
});

describe('compensation with the real reward service', () => {
  it('the 2nd step fails: the reward the 1st allocated ends REVOKED in the reward database', async () => {
    const f = await createRewardFixture();
    try {
      await f.register(testCampaign.clientId, testCampaign.campaignId, {
        welcome: { type: 'single', give: { category: 'store_credit', amount: 5, currency: 'USD' } },
      });
      const reward = createServiceClient({
        baseUrl: 'http://in-process',
        signingKey: INTERNAL_TOKEN,
        audience: 'reward',
        fetch: (r) => f.app.fetch(r),
      });
      const real = {
        AllocateReward: createAllocateReward({ reward }),
        RevokeReward: createRevokeReward({ reward }),
      };
      h.fakes.setOverrides({
        AllocateReward: (i, c: ActivityContext) => real.AllocateReward(i as never, c),
        RevokeReward: (i, c: ActivityContext) => real.RevokeReward(i as never, c),
        SendWebhook: { fail: { code: 'FORBIDDEN' } },
      });
      const plan = yamlPlan(`${allocate('grant', 2)}
  - id: announce
    do: SendWebhook
    with: { topic: granted }`);
      const handle = await h.start(plan);
      await failureOf(handle.result());
      const [call] = h.fakes.callsOf('RevokeReward', handle.workflowId);
      assert.ok(call);
      const row = await findReward(f.test.db, testCampaign.clientId, String(call.input.reward_id));
      assert.equal(row?.state, 'REVOKED');
      assert.equal(row?.participant_id, handle.workflowId.replace(/^engine-test-\d+-(\d+)$/, 'p-$1'));
    } finally {
      h.fakes.setOverrides({});
      await f.close();
    }
  });
});

describe('optional', () => {
  it('parallel: a failing branch neither fails the step nor stops its sibling', async () => {
    const plan = yamlPlan(`
  - id: fan
    optional: true
    parallel:
      broken:
        - id: boom
          raise: { code: BRANCH_BROKE, message: broke }
      fine:
        - id: pause
          sleep: 1h
        - id: fine-hook
          do: SendWebhook
          with: { topic: fine }
  - id: after
    set: { why: { var: last_error.code } }`);
    const handle = await h.start(plan);
    const outcome = await handle.result();
    assert.equal(outcome.status, 'completed');
    assert.equal(outcome.vars.why, 'BRANCH_BROKE');
    assert.deepEqual(webhookTopics(handle.workflowId), ['fine']);
  });

  it('for_each: a failing item is skipped and the loop goes on', async () => {
    h.fakes.setOverrides({
      SendWebhook: { when: { '==': [{ var: 'input.topic' }, 'b'] }, fail: { code: 'FORBIDDEN' } },
    });
    const plan = yamlPlan(`
  - id: each
    for_each: [a, b, c]
    as: item
    max_items: 5
    optional: true
    steps:
      - id: hook
        do: SendWebhook
        with: { topic: { var: item } }
  - id: after
    set: { failed_step: { var: last_error.step } }`);
    const handle = await h.start(plan);
    const outcome = await handle.result();
    h.fakes.setOverrides({});
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(webhookTopics(handle.workflowId), ['a', 'b', 'c']);
    assert.equal(outcome.vars.failed_step, 'each#1/hook');
  });

  it('for_each without optional: the failing item fails the journey', async () => {
    h.fakes.setOverrides({
      SendWebhook: { when: { '==': [{ var: 'input.topic' }, 'b'] }, fail: { code: 'FORBIDDEN' } },
    });
    const plan = yamlPlan(`
  - id: each
    for_each: [a, b, c]
    as: item
    max_items: 5
    steps:
      - id: hook
        do: SendWebhook
        with: { topic: { var: item } }`);
    const handle = await h.start(plan);
    await failureOf(handle.result());
    h.fakes.setOverrides({});
    assert.deepEqual(webhookTopics(handle.workflowId), ['a', 'b']);
  });

  it('call: a failed child journey is recorded under `as` and the parent goes on', async () => {
    const child = handPlan([{ id: 'boom', kind: 'raise', code: 'CHILD_BROKE', message: 'child broke' }], {
      id: 'breaking-child',
    });
    const parent = handPlan(
      [
        { id: 'sub', kind: 'call', plan: 'breaking-child', input: {}, as: 'sub', optional: true },
        { id: 'after', kind: 'set', values: { code: { var: 'last_error.code' } } },
      ],
      { children: { 'breaking-child': child } },
    );
    const outcome = await (await h.start(parent)).result();
    assert.equal(outcome.status, 'completed');
    assert.equal(outcome.vars.code, 'CHILD_FAILED');
    const sub = outcome.vars.sub as { status: string; reason: { code: string; message: string } };
    assert.equal(sub.status, 'failed');
    assert.match(sub.reason.message, /child broke/);
  });
});
