import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { JourneyEvent, JourneyOutcome, Plan } from '../../../contract/plan.ts';
import type { EngineInput, EngineOptions } from '../../../engine/interpreter/types.ts';
import { quietTemporalRuntime } from '../../../engine/quiet-runtime.ts';
import { eventSignal, RUN_CAMPAIGN } from '../../../engine/signals.ts';
import { createFakeActivities, type FakeActivities } from '../../../engine/simulation/fake-activities.ts';
import { createWorker } from '../../../engine/worker.ts';
import { createTimeSkippingEnv } from '../temporal.ts';
import { testCampaign, testEvent } from './plans.ts';

export type RunCampaign = (input: EngineInput) => Promise<JourneyOutcome>;

/** A time-skipping server, fake activities and one running worker, shared by the tests of one file. */
export interface Harness {
  env: TestWorkflowEnvironment;
  fakes: FakeActivities;
  taskQueue: string;
  /** Starts a journey of `plan` with a fresh workflow id (the trigger also arrives as a signal). */
  start(
    plan: Plan,
    opts?: { trigger?: JourneyEvent; options?: EngineOptions; workflowId?: string },
  ): Promise<WorkflowHandle<RunCampaign>>;
  close(): Promise<void>;
}

let journeys = 0;

export async function startHarness(): Promise<Harness> {
  quietTemporalRuntime();
  const env = await createTimeSkippingEnv();
  const fakes = createFakeActivities();
  const taskQueue = `engine-test-${process.pid}`;
  let worker: Worker;
  try {
    worker = await createWorker({
      connection: env.nativeConnection,
      taskQueue,
      activities: fakes.activities,
    });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  const running = worker.run();
  return {
    env,
    fakes,
    taskQueue,
    async start(plan, opts = {}) {
      journeys += 1;
      const trigger = opts.trigger ?? testEvent('test_started', { participant_id: `p-${journeys}` });
      const workflowId = opts.workflowId ?? `engine-test-${process.pid}-${journeys}`;
      const input: EngineInput = {
        plan,
        campaign: testCampaign,
        journeyKey: String(trigger.participant_id ?? journeys),
        trigger,
      };
      if (opts.options) input.options = opts.options;
      return env.client.workflow.signalWithStart<RunCampaign, [JourneyEvent]>(RUN_CAMPAIGN, {
        taskQueue,
        workflowId,
        args: [input],
        signal: eventSignal,
        signalArgs: [trigger],
      });
    },
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}
