import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { correlationInterceptor, currentCorrelationId } from '../activities/correlation.ts';
import { CORRELATION_MEMO_KEY } from '../contract/correlation.ts';
import type { LogFields, StructuredLogger } from '../contract/logging.ts';
import type { CampaignRef, Plan } from '../contract/plan.ts';
import { handPlan, testEvent } from '../test/support/engine/plans.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { createRouter, type DeployedCampaigns } from './router.ts';
import { createFakeActivities } from './simulation/fake-activities.ts';
import { createWorker } from './worker.ts';

/** A logger that keeps what it is given, with its bindings merged in. */
function recordingLogger(lines: LogFields[], bindings: LogFields = {}): StructuredLogger {
  const at =
    (level: string) =>
    (a: LogFields | string, b?: string): void => {
      lines.push(
        typeof a === 'string' ? { ...bindings, level, msg: a } : { ...bindings, ...a, level, msg: b },
      );
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

const campaign: CampaignRef = { clientId: 'client-1', campaignId: 'corr-camp', version: 1, pulse: 'signup' };
const plan: Plan = handPlan(
  [
    { id: 'hook', kind: 'do', activity: 'SendWebhook', with: { topic: 'x' } },
    { id: 'score', kind: 'do', activity: 'ScoreParticipant', with: {} },
  ],
  { trigger: { events: ['signup'], journey: { var: 'event.participant_id' } } },
);
const deployed: DeployedCampaigns = {
  forEvent: async (_client, name) => (name === 'signup' ? [{ campaign, plan }] : []),
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `correlation-test-${process.pid}`;
const logLines: LogFields[] = [];
const seenInActivities: (string | undefined)[] = [];
const finished: [string, string][] = [];
const startedPulses: string[] = [];

before(async () => {
  quietTemporalRuntime();
  env = await createTimeSkippingEnv();
  const fakes = createFakeActivities({
    SendWebhook: () => {
      seenInActivities.push(currentCorrelationId());
      return {};
    },
    ScoreParticipant: () => {
      seenInActivities.push(currentCorrelationId());
      return { score: 0 };
    },
  });
  worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: fakes.activities,
    activityInterceptors: [correlationInterceptor(recordingLogger(logLines))],
    onJourneyStarted: (pulse) => startedPulses.push(pulse),
    onJourneyFinished: (pulse, status) => finished.push([pulse, status]),
  });
  running = worker.run();
});

after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('correlation id from the bus message to the activities', () => {
  it('goes into the memo, the activity headers and the activities; the journey end reaches the sink', async () => {
    const routerLines: LogFields[] = [];
    const router = createRouter({
      client: env.client,
      taskQueue,
      campaigns: deployed,
      log: recordingLogger(routerLines),
    });
    const [started] = await router.route(testEvent('signup', { participant_id: 'p-corr-1' }), {
      correlationId: 'corr-abc-1',
    });
    assert.equal(started?.action, 'started');
    const handle = env.client.workflow.getHandle(started!.workflowId!);
    await handle.result();
    const described = await handle.describe();
    assert.equal(described.memo?.[CORRELATION_MEMO_KEY], 'corr-abc-1');
    assert.deepEqual(seenInActivities, ['corr-abc-1', 'corr-abc-1']);
    const activityLines = logLines.filter((l) => l.correlation_id === 'corr-abc-1');
    assert.deepEqual(
      activityLines.map((l) => `${l.msg}:${l.activity}`),
      [
        'activity started:SendWebhook',
        'activity completed:SendWebhook',
        'activity started:ScoreParticipant',
        'activity completed:ScoreParticipant',
      ],
    );
    assert.equal(activityLines[0]?.workflow_id, started?.workflowId);
    const routed = routerLines.find((l) => l.msg === 'journey started');
    assert.equal(routed?.correlation_id, 'corr-abc-1');
    assert.equal(routed?.pulse, 'signup');
    assert.deepEqual(startedPulses, ['signup']);
    assert.deepEqual(finished, [['signup', 'completed']]);
  });

  it('a journey started without a correlation id runs unchanged, with no id in its activities', async () => {
    seenInActivities.length = 0;
    const router = createRouter({ client: env.client, taskQueue, campaigns: deployed });
    const [started] = await router.route(testEvent('signup', { participant_id: 'p-corr-2' }));
    const handle = env.client.workflow.getHandle(started!.workflowId!);
    await handle.result();
    assert.equal((await handle.describe()).memo?.[CORRELATION_MEMO_KEY], undefined);
    assert.deepEqual(seenInActivities, [undefined, undefined]);
  });
});
