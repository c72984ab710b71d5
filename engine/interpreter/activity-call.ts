import {
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  proxyActivities,
  type RetryPolicy as TemporalRetryPolicy,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityContext } from '../../contract/activity-context.ts';
import { NON_RETRYABLE_CODES } from '../../contract/errors.ts';
import type { RetryPolicy } from '../../contract/plan.ts';
import type { Runtime } from './runtime.ts';

const DEFAULT_TIMEOUT_MS = 30_000;

const DEFAULT_RETRY: TemporalRetryPolicy = {
  maximumAttempts: 5,
  initialInterval: 1_000,
  backoffCoefficient: 2,
  maximumInterval: 60_000,
  nonRetryableErrorTypes: [...NON_RETRYABLE_CODES],
};

export function toTemporalRetry(retry: RetryPolicy | undefined): TemporalRetryPolicy {
  if (!retry) return DEFAULT_RETRY;
  const policy: TemporalRetryPolicy = {
    maximumAttempts: retry.maxAttempts,
    initialInterval: retry.initialIntervalMs,
    backoffCoefficient: retry.backoffCoefficient,
    nonRetryableErrorTypes: [...NON_RETRYABLE_CODES, ...(retry.nonRetryable ?? [])],
  };
  if (retry.maxIntervalMs !== undefined) policy.maximumInterval = retry.maxIntervalMs;
  return policy;
}

type UntypedActivity = (input: unknown, ctx: ActivityContext) => Promise<unknown>;
type Proxy = Record<string, UntypedActivity>;

/**
 * One proxy per (retry policy object, timeout): plan objects are stable for the whole run, so identity
 * is a cheap key, and a plan holds only a handful of distinct option sets.
 */
const proxies = new WeakMap<object, Map<number, Proxy>>();
const DEFAULT_KEY = {};

function proxyFor(opts: CallOptions): Proxy {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policyKey = opts.retry ?? DEFAULT_KEY;
  let byTimeout = proxies.get(policyKey);
  if (!byTimeout) {
    byTimeout = new Map();
    proxies.set(policyKey, byTimeout);
  }
  let proxy = byTimeout.get(timeout);
  if (!proxy) {
    const options: ActivityOptions = { startToCloseTimeout: timeout, retry: toTemporalRetry(opts.retry) };
    proxy = proxyActivities<Proxy>(options);
    byTimeout.set(timeout, proxy);
  }
  return proxy;
}

export interface CallOptions {
  timeoutMs?: number;
  retry?: RetryPolicy;
}

export interface ActivityError {
  code: string;
  message: string;
}

/** The stable code of a failed activity: the AppError code carried as `ApplicationFailure.type`. */
export function describeFailure(err: ActivityFailure): ActivityError {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    return { code: cause.type ?? 'ACTIVITY_FAILED', message: cause.message };
  }
  if (cause instanceof TimeoutFailure) return { code: 'TIMEOUT', message: cause.message };
  return { code: 'ACTIVITY_FAILED', message: cause?.message ?? err.message };
}

export type ActivityResult = { ok: true; value: unknown } | { ok: false; error: ActivityError };

/**
 * Calls a catalogue activity by name with the deterministic ActivityContext and hands the result (or the
 * failure) to `settle`, in one `.then` (see flow.ts for why not async/await). The idempotency key is
 * `${workflowId}/${stepPath}`: the same on every retry and replay, distinct per loop iteration/branch.
 */
export function callActivity(
  rt: Runtime,
  path: string,
  stepId: string,
  activity: string,
  input: unknown,
  opts: CallOptions,
  settle: (result: ActivityResult) => void,
): Promise<void> {
  const ctx: ActivityContext = {
    campaign: rt.input.campaign,
    workflowId: rt.workflowId,
    journeyKey: rt.input.journeyKey,
    stepId,
    idempotencyKey: `${rt.workflowId}/${path}`,
    planHash: rt.plan.hash,
    journeyStartedAt: workflowInfo().startTime.toISOString(),
  };
  // Part of the activity's input payload only (not of any command): recorded histories replay unchanged.
  if (rt.plan.locale !== undefined) ctx.defaultLocale = rt.plan.locale;
  const fn = proxyFor(opts)[activity];
  if (!fn) throw ApplicationFailure.nonRetryable(`no activity ${activity}`, 'UNKNOWN_ACTIVITY', { path });
  rt.trace('activity', path, stepId, { activity, input, idempotencyKey: ctx.idempotencyKey });
  return fn(input, ctx).then(
    (value) => settle({ ok: true, value }),
    (err: unknown) => {
      if (!(err instanceof ActivityFailure)) throw err;
      const error = describeFailure(err);
      rt.trace('activity-failed', path, stepId, { activity, ...error });
      settle({ ok: false, error });
    },
  );
}

/** Fails the journey for a required step whose activity failed after its retries. */
export function stepFailed(path: string, activity: string, error: ActivityError): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `step ${path} (${activity}) failed: ${error.code}: ${error.message}`,
    'STEP_FAILED',
    { path, activity, code: error.code, message: error.message },
  );
}
