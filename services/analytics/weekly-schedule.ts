import { fileURLToPath } from 'node:url';
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { sendWeeklyReports, type WeeklyReportDeps } from './weekly-report.ts';

/**
 * One Temporal Schedule for every client, Mondays 06:00 UTC: its workflow scans the subscriptions
 * (weekly-report.ts). Temporal keeps the timing and the catch-up after an outage; nothing here loops.
 */
/** One schedule per deployment (its task queue), so deployments sharing a namespace never clobber it. */
export const weeklyScheduleId = (taskQueue: string): string => `analytics-weekly-report:${taskQueue}`;
export const WEEKLY_WORKFLOW = 'weeklyAnalyticsReportWorkflow';
export const WEEKLY_CRON = '0 6 * * 1';
export const weeklyTaskQueue = (taskQueue: string): string => `${taskQueue}-analytics`;
const WORKFLOWS = fileURLToPath(new URL('./weekly-workflow.ts', import.meta.url));

/** Creates the schedule, or brings an existing one to this spec and action (idempotent, at every boot). */
export async function ensureWeeklySchedule(temporal: Client, taskQueue: string): Promise<void> {
  const spec = { cronExpressions: [WEEKLY_CRON], timezone: 'UTC' };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: WEEKLY_WORKFLOW,
    workflowId: `${weeklyScheduleId(taskQueue)}:run`,
    taskQueue: weeklyTaskQueue(taskQueue),
    args: [{}],
  };
  try {
    await temporal.schedule.create({
      scheduleId: weeklyScheduleId(taskQueue),
      spec,
      action,
      // A missed Monday (server down) still sends within two days; two runs never overlap.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '2 days' },
      state: { note: 'weekly analytics report e-mails' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await temporal.schedule
      .getHandle(weeklyScheduleId(taskQueue))
      .update((prev) => ({ ...prev, spec, action }));
  }
}

/** The worker of the weekly workflow, on its own task queue (a small bundle of its own). */
export async function startWeeklyReportWorker(opts: {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: WeeklyReportDeps;
}): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: weeklyTaskQueue(opts.taskQueue),
    workflowsPath: WORKFLOWS,
    activities: {
      sendWeeklyReports: (i: { now: string }) => sendWeeklyReports(opts.deps, new Date(i.now)),
    },
  });
  const run = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run.catch(() => undefined);
      await connection.close();
    },
  };
}
