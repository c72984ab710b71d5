import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { type Harness, startHarness } from '../../test/support/engine/harness.ts';
import { handPlan, ifStep } from '../../test/support/engine/plans.ts';
import { statusQuery } from '../signals.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const mark = (id: string, value: unknown) => ({ id, kind: 'set' as const, values: { [id]: value } });

describe('if / switch', () => {
  it('takes then/else on JSON-Logic truthiness', async () => {
    const plan = handPlan([
      { id: 'set-n', kind: 'set', values: { n: 7, empty: [] } },
      ifStep('big', { '>': [{ var: 'n' }, 5] }, [mark('was-big', true)], [mark('was-small', true)]),
      ifStep('list', { var: 'empty' }, [mark('had-items', true)], [mark('no-items', true)]),
    ]);
    const { vars } = await (await h.start(plan)).result();
    assert.equal(vars['was-big'], true);
    assert.equal(vars['was-small'], undefined);
    assert.equal(vars['no-items'], true);
  });

  it('switch picks the first matching case, else default', async () => {
    const cases = [
      { when: { '>=': [{ var: 'score' }, 80] }, steps: [mark('level', 'high')] },
      { when: { '>=': [{ var: 'score' }, 40] }, steps: [mark('level', 'medium')] },
      { when: { '>=': [{ var: 'score' }, 0] }, steps: [mark('level', 'never-reached-for-50')] },
    ];
    const run = async (score: number) => {
      const plan = handPlan([
        { id: 'score', kind: 'set', values: { score } },
        { id: 'pick', kind: 'switch', cases, default: [mark('level', 'none')] },
      ]);
      return (await (await h.start(plan)).result()).vars.level;
    };
    assert.equal(await run(90), 'high');
    assert.equal(await run(50), 'medium');
    assert.equal(await run(-1), 'none');
  });
});

describe('set', () => {
  it('assigns in order, later values reading earlier ones, with trigger and settings in scope', async () => {
    const plan = handPlan(
      [
        {
          id: 'calc',
          kind: 'set',
          values: {
            base: { var: 'settings.base' },
            doubled: { '*': [{ var: 'base' }, 2] },
            who: { var: 'event.participant_id' },
            campaign: { var: 'campaign.campaignId' },
            journeyKey: { var: 'journey.key' },
            hasNow: { '!!': { var: 'now' } },
          },
        },
      ],
      { settings: { base: 21 } },
    );
    const { vars } = await (await h.start(plan)).result();
    assert.equal(vars.doubled, 42);
    assert.match(String(vars.who), /^p-/);
    assert.equal(vars.journeyKey, vars.who);
    assert.equal(vars.campaign, 'camp-1');
    assert.equal(vars.hasNow, true);
  });
});

describe('parallel', () => {
  it('schedules branches in declared order, joins, and keys each branch apart', async () => {
    const plan = handPlan([
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
          {
            name: 'metrics',
            steps: [{ id: 'metrics', kind: 'do', activity: 'RecordWorkflowMetrics', with: {} }],
          },
        ],
      },
      mark('joined', true),
    ]);
    const handle = await h.start(plan);
    const { vars } = await handle.result();
    assert.equal(vars.joined, true);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    assert.deepEqual(scheduled, ['SendNotification', 'SendWebhook', 'RecordWorkflowMetrics']);
    assert.deepEqual(
      h.fakes.calls
        .filter((c) => c.workflowId === handle.workflowId)
        .map((c) => c.idempotencyKey)
        .sort(),
      [
        `${handle.workflowId}/notify.email/mail`,
        `${handle.workflowId}/notify.hook/hook`,
        `${handle.workflowId}/notify.metrics/metrics`,
      ],
    );
  });

  it('a failing branch fails the step (and the journey)', async () => {
    h.fakes.setOverrides({ SendWebhook: { fail: { code: 'NOT_FOUND' } } });
    const plan = handPlan([
      {
        id: 'notify',
        kind: 'parallel',
        branches: [
          { name: 'ok', steps: [mark('fine', true)] },
          { name: 'bad', steps: [{ id: 'hook', kind: 'do', activity: 'SendWebhook', with: { topic: 'x' } }] },
        ],
      },
    ]);
    const err = await (await h.start(plan)).result().catch((e: unknown) => e);
    h.fakes.setOverrides({});
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String(err.cause?.message), /notify\.bad\/hook/);
  });
});

describe('emit / end / call', () => {
  it('emit calls EmitEvent with the event name and evaluated properties', async () => {
    const plan = handPlan([
      {
        id: 'tell',
        kind: 'emit',
        event: 'reward.granted',
        properties: { amount: { '+': [1, 2] }, to: { var: 'event.participant_id' } },
      },
    ]);
    const handle = await h.start(plan);
    await handle.result();
    const [call] = h.fakes.callsOf('EmitEvent', handle.workflowId);
    assert.equal(call?.input.event, 'reward.granted');
    assert.deepEqual(call?.input.properties, { amount: 3, to: call?.input.participant_id });
    assert.equal(call?.idempotencyKey, `${handle.workflowId}/tell`);
  });

  it('end stops with its status and evaluated reason; falling off the end completes', async () => {
    const plan = handPlan([
      { id: 'r', kind: 'set', values: { why: 'too_small' } },
      ifStep('stop', true, [{ id: 'reject', kind: 'end', status: 'rejected', reason: { var: 'why' } }]),
      mark('unreached', true),
    ]);
    const handle = await h.start(plan);
    const outcome = await handle.result();
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.reason, 'too_small');
    assert.equal(outcome.vars.unreached, undefined);
    const status = await handle.query(statusQuery);
    assert.equal(status.state, 'finished');
    assert.equal(status.outcome?.status, 'rejected');
  });

  it('end inside a parallel branch ends the whole journey', async () => {
    const plan = handPlan([
      {
        id: 'race',
        kind: 'parallel',
        branches: [
          { name: 'slow', steps: [{ id: 'nap', kind: 'sleep', durationMs: '1d' }, mark('slow-done', true)] },
          { name: 'quit', steps: [{ id: 'quit-now', kind: 'end', status: 'cancelled' }] },
        ],
      },
    ]);
    const outcome = await (await h.start(plan)).result();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.vars['slow-done'], undefined);
  });

  it('call runs a child journey with a deterministic id and stores its outcome', async () => {
    const child = handPlan(
      [
        {
          id: 'child-set',
          kind: 'set',
          values: { got: { var: 'input.amount' }, who: { var: 'event.participant_id' } },
        },
        {
          id: 'child-mail',
          kind: 'do',
          activity: 'SendNotification',
          with: { template: 'child', participant_id: { var: 'who' } },
        },
        { id: 'child-end', kind: 'end', status: 'completed', reason: 'child done' },
      ],
      { id: 'child-plan' },
    );
    const plan = handPlan(
      [{ id: 'sub', kind: 'call', plan: 'child-plan', input: { amount: { '+': [40, 2] } }, as: 'sub' }],
      {
        children: { 'child-plan': child },
      },
    );
    const handle = await h.start(plan);
    const { vars } = await handle.result();
    const sub = vars.sub as { status: string; reason: string; vars: Record<string, unknown> };
    assert.equal(sub.status, 'completed');
    assert.equal(sub.reason, 'child done');
    assert.equal(sub.vars.got, 42);
    const [mail] = h.fakes.callsOf('SendNotification', `${handle.workflowId}/call/sub`);
    assert.ok(mail, 'child activity ran under the deterministic child id');
    assert.equal(mail.idempotencyKey, `${handle.workflowId}/call/sub/child-mail`);
  });
});
