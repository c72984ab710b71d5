import { AppError, isAppError } from '../../../contract/errors.ts';
import { backoffDelay } from '../../platform/backoff.ts';
import { logger } from '../../platform/log.ts';
import { addDuration } from '../allocation/calculate.ts';
import type { RewardDeps } from '../deps.ts';
import { findReward, moveReward } from '../lifecycle/repo.ts';
import type { RewardRow } from '../tables.ts';
import { rewardValue } from './provider.ts';
import { claimJobs, findJob, finishJob, type Job, rescheduleJob } from './repo.ts';

/**
 * The fulfilment queue: APPROVED rewards have a job; workers claim due jobs (SKIP LOCKED, leased), call the
 * reward's provider, and move the reward to FULFILLED (then REDEEMED when it is consumed on delivery). A
 * transient failure is retried with exponential backoff and jitter; after the last attempt, or on a
 * permanent failure, the reward goes to FAILED (a manager can retry it: FAILED → APPROVED, fresh job).
 */

const LEASE_MS = 5 * 60_000;

export type JobOutcome = 'fulfilled' | 'retry' | 'failed' | 'skipped';

/** Delay before retry number `attempt` (1-based): base·2^(attempt−1), capped, ±20 % jitter. */
function retryDelayMs(deps: RewardDeps, attempt: number): number {
  const { baseDelayMs: baseMs, maxDelayMs: maxMs } = deps.fulfilment;
  return backoffDelay(attempt, { baseMs, maxMs, jitter: 0.2 });
}

async function processJob(deps: RewardDeps, job: Job): Promise<JobOutcome> {
  const reward = await findReward(deps.db, job.client_id, job.reward_id);
  if (reward?.state !== 'APPROVED') {
    await finishJob(deps.db, job.reward_id, 'done');
    return 'skipped';
  }
  try {
    const result = await deps.providers.forReward(reward).fulfil(reward);
    const onFulfil = reward.redeem_mode === 'on_fulfil';
    const validity = rewardValue(reward).expires_in;
    await moveReward(deps.db, {
      clientId: reward.client_id,
      rewardId: reward.id,
      from: ['APPROVED'],
      to: onFulfil ? ['FULFILLED', 'REDEEMED'] : 'FULFILLED',
      actor: `provider:${result.provider}`,
      reason: onFulfil ? 'consumed on delivery' : null,
      patch: {
        fulfilment: JSON.stringify({ ...result, fulfilled_at: deps.now().toISOString() }),
        expires_at: !onFulfil && validity ? addDuration(deps.now(), validity) : null,
      },
    });
    await finishJob(deps.db, job.reward_id, 'done');
    return 'fulfilled';
  } catch (err) {
    // A non-AppError here is ours (a database error, say): its text goes to the log, and the reward's
    // reason, which clients read, says only that the attempt failed.
    if (!isAppError(err))
      logger.error({ component: 'fulfilment', reward_id: job.reward_id, err }, 'fulfilment failed');
    const e = isAppError(err) ? err : new AppError('UPSTREAM_UNAVAILABLE', 'fulfilment attempt failed');
    const message = `${e.code}: ${e.message}`.slice(0, 500);
    if (e.retryable && job.attempts < job.max_attempts) {
      await rescheduleJob(
        deps.db,
        job.reward_id,
        new Date(deps.now().getTime() + retryDelayMs(deps, job.attempts)),
        message,
      );
      return 'retry';
    }
    await moveReward(deps.db, {
      clientId: reward.client_id,
      rewardId: reward.id,
      from: ['APPROVED'],
      to: 'FAILED',
      actor: 'fulfilment',
      reason: message,
    });
    await finishJob(deps.db, job.reward_id, 'dead', message);
    return 'failed';
  }
}

/** Processes up to `limit` due jobs of any client; returns how each ended. */
export async function runFulfilmentBatch(deps: RewardDeps, limit = 20): Promise<Record<JobOutcome, number>> {
  const counts: Record<JobOutcome, number> = { fulfilled: 0, retry: 0, failed: 0, skipped: 0 };
  const jobs = await claimJobs(deps.db, { limit, leaseMs: LEASE_MS });
  for (const job of jobs) counts[await processJob(deps, job)]++;
  return counts;
}

export interface FulfilmentStatus {
  state: RewardRow['state'];
  fulfilment: Record<string, unknown>;
}

/** Fulfils one reward now when its job is due (the FulfillReward activity), then reports where it stands. */
export async function fulfilNow(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
): Promise<FulfilmentStatus> {
  const [job] = await claimJobs(deps.db, { limit: 1, leaseMs: LEASE_MS, rewardId, clientId });
  if (job) await processJob(deps, job);
  return fulfilmentStatus(deps, clientId, rewardId);
}

export async function fulfilmentStatus(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
): Promise<FulfilmentStatus> {
  const reward = await findReward(deps.db, clientId, rewardId);
  if (!reward) throw new AppError('NOT_FOUND', `no reward ${rewardId}`);
  const delivered = (reward.fulfilment ?? {}) as Record<string, unknown>;
  switch (reward.state) {
    case 'FULFILLED':
    case 'REDEEMED':
      return { state: reward.state, fulfilment: { status: 'delivered', ...delivered } };
    case 'APPROVED': {
      const j = await findJob(deps.db, clientId, rewardId);
      return {
        state: reward.state,
        fulfilment: {
          status: j && j.attempts > 0 ? 'retrying' : 'queued',
          attempts: j?.attempts ?? 0,
          next_attempt_at: j ? new Date(j.run_at).toISOString() : null,
          last_error: j?.last_error ?? null,
        },
      };
    }
    case 'PENDING':
      return { state: reward.state, fulfilment: { status: 'awaiting_approval' } };
    case 'ELIGIBLE':
      return {
        state: reward.state,
        fulfilment: { status: 'awaiting_claim', expires_at: reward.expires_at?.toISOString() ?? null },
      };
    default:
      return {
        state: reward.state,
        fulfilment: { status: reward.state.toLowerCase(), reason: reward.reason },
      };
  }
}

/** Polls the queue until stopped; one batch at a time, sleeping `intervalMs` when the queue is empty. */
export function startFulfilmentWorker(
  deps: RewardDeps,
  opts: { intervalMs?: number; batch?: number } = {},
): { stop(): Promise<void> } {
  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      let worked = 0;
      try {
        const c = await runFulfilmentBatch(deps, opts.batch ?? 20);
        worked = c.fulfilled + c.retry + c.failed + c.skipped;
      } catch (err) {
        logger.error({ component: 'fulfilment', err }, 'fulfilment worker batch failed');
      }
      if (worked === 0 && running)
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, opts.intervalMs ?? 1_000);
        });
    }
  })();
  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
