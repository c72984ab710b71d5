/**
 * Each periodic board has a Temporal Schedule firing at every period start (ISO week: Monday 00:00;
 * month: the 1st, 00:00) in the board's time zone; a firing starts the settlement workflow, which pays
 * the period that just ended (and any earlier one left unpaid). Temporal keeps the timing, time zones
 * and catch-up; nothing here loops. A campaign that ends starts one settlement per board at once.
 */
import { fileURLToPath } from 'node:url';
import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Leaderboards } from './leaderboards.ts';
import { PERIOD_CRON } from './periods.ts';
import type { BoardRow } from './store.ts';
import type { SettleInput } from './workflows.ts';

export const SETTLE_WORKFLOW = 'settleLeaderboardWorkflow';
export const leaderboardTaskQueue = (taskQueue: string): string => `${taskQueue}-leaderboards`;
export const settleScheduleId = (b: SettleInput): string =>
  `leaderboard:${b.clientId}:${b.campaignId}:${b.boardId}`;
const WORKFLOWS = fileURLToPath(new URL('./workflows.ts', import.meta.url));

export interface LeaderboardSchedules {
  /** After a deploy: a schedule per periodic board (paused unless the campaign is active). */
  deployed(boards: BoardRow[], removed: SettleInput[]): Promise<void>;
  /** After a status change: pause / unpause; `ended` deletes the schedules and settles every board now. */
  statusChanged(boards: BoardRow[], status: string): Promise<void>;
}

export function createLeaderboardSchedules(temporal: Client, taskQueue: string): LeaderboardSchedules {
  const queue = leaderboardTaskQueue(taskQueue);
  const input = (b: BoardRow): SettleInput => ({
    clientId: b.clientId,
    campaignId: b.campaignId,
    boardId: b.boardId,
  });
  const remove = async (ref: SettleInput) => {
    try {
      await temporal.schedule.getHandle(settleScheduleId(ref)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  };
  return {
    async deployed(boards, removed) {
      for (const r of removed) await remove(r);
      for (const b of boards) {
        if (b.config.period === 'campaign') {
          await remove(input(b));
          continue;
        }
        const spec = {
          cronExpressions: [PERIOD_CRON[b.config.period]],
          timezone: b.config.timezone ?? 'UTC',
        };
        const action = {
          type: 'startWorkflow' as const,
          workflowType: SETTLE_WORKFLOW,
          workflowId: `${settleScheduleId(input(b))}:settle`,
          taskQueue: queue,
          args: [input(b)],
        };
        const paused = b.campaignStatus !== 'active';
        try {
          await temporal.schedule.create({
            scheduleId: settleScheduleId(input(b)),
            spec,
            action,
            // A missed firing (server down at midnight) still settles within a day.
            policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
            state: { paused, note: `leaderboard ${b.boardId} (${b.config.period})` },
          });
        } catch (err) {
          if (!(err instanceof ScheduleAlreadyRunning)) throw err;
          await temporal.schedule.getHandle(settleScheduleId(input(b))).update((prev) => ({
            ...prev,
            spec,
            action,
            state: { ...prev.state, paused },
          }));
        }
      }
    },
    async statusChanged(boards, status) {
      for (const b of boards) {
        if (status === 'ended') {
          await remove(input(b));
          try {
            await temporal.workflow.start(SETTLE_WORKFLOW, {
              taskQueue: queue,
              workflowId: `${settleScheduleId(input(b))}:final`,
              args: [input(b)],
            });
          } catch (err) {
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          }
          continue;
        }
        if (b.config.period === 'campaign') continue;
        const handle = temporal.schedule.getHandle(settleScheduleId(input(b)));
        try {
          if (status === 'active') await handle.unpause('campaign active');
          else await handle.pause(`campaign ${status}`);
        } catch (err) {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
        }
      }
    },
  };
}

/**
 * The worker of the settlement workflow: its own small bundle, on the leaderboard task queue. Bundling
 * costs seconds, so it starts with the first board this process knows of (`ensure()`: at boot when
 * boards exist, or on the first deploy that declares one); schedules that fire before simply wait in
 * the task queue.
 */
export function createSettlementWorker(opts: {
  address: string;
  namespace: string;
  taskQueue: string;
  boards: Leaderboards;
  onError?: (err: unknown) => void;
}): { ensure(): Promise<void>; stop(): Promise<void> } {
  let started: Promise<{ worker: Worker; connection: NativeConnection; run: Promise<void> }> | undefined;
  const start = async () => {
    const connection = await NativeConnection.connect({ address: opts.address });
    const worker = await Worker.create({
      connection,
      namespace: opts.namespace,
      taskQueue: leaderboardTaskQueue(opts.taskQueue),
      workflowsPath: WORKFLOWS,
      activities: { settleLeaderboard: (i: SettleInput) => opts.boards.settle(i) },
    });
    const run = worker.run();
    run.catch((err: unknown) => opts.onError?.(err));
    return { worker, connection, run };
  };
  return {
    ensure() {
      if (!started) {
        started = start();
        started.catch((err: unknown) => {
          started = undefined;
          opts.onError?.(err);
        });
      }
      return started.then(() => undefined);
    },
    async stop() {
      const s = await started?.catch(() => undefined);
      if (!s) return;
      if (s.worker.getState() === 'RUNNING') s.worker.shutdown();
      await s.run.catch(() => undefined);
      await s.connection.close();
    },
  };
}

/** A settlement worker started at once (tests, a dedicated process). */
export async function startSettlementWorker(opts: {
  address: string;
  namespace: string;
  taskQueue: string;
  boards: Leaderboards;
}): Promise<{ stop(): Promise<void> }> {
  const w = createSettlementWorker(opts);
  await w.ensure();
  return w;
}
