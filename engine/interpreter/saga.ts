import { ApplicationFailure, patched } from '@temporalio/workflow';
import { ANY_ERROR } from '../../contract/errors.ts';
import type { DoStep, RaiseStep, TryStep } from '../../contract/plan.ts';
import { callActivity } from './activity-call.ts';
import { andThen, type Flow } from './flow.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import type { Compensation, RunSteps } from './types.ts';

/**
 * Error handling and sagas: `try`/`catch`/`finally`, `raise`, and the compensations `do` steps declare.
 *
 * REPLAY SAFETY: plans compiled before these existed have no `try`, `raise`, `compensate` or `optional`
 * on containers, so none of this runs for them and no patch marker is written; the new commands
 * (compensating activities) are behind `patched('saga-compensation')`, the swallowed failures of
 * optional containers behind `patched('optional-steps')`.
 */

/** What a `catch` clause (`as: err`) and `last_error` receive. */
export interface CaughtError {
  code: string;
  message: string;
  step: string | null;
}

type Details = { path?: unknown; code?: unknown; message?: unknown; child?: unknown };

/**
 * The catchable view of a failure, or undefined for what no `catch` may stop: an `end` step
 * (JourneyEnd), continue-as-new, cancellation and engine faults that are not ApplicationFailures.
 */
export function caughtError(err: unknown): CaughtError | undefined {
  if (!(err instanceof ApplicationFailure)) return undefined;
  const d = (Array.isArray(err.details) ? err.details[0] : undefined) as Details | undefined;
  const step = typeof d?.path === 'string' ? d.path : null;
  if (err.type === 'STEP_FAILED') {
    // A failed required step carries the code of what failed: the activity's AppError code, or a child.
    if (typeof d?.child === 'string') {
      return { code: 'CHILD_FAILED', message: String(d.message ?? err.message), step };
    }
    const code = typeof d?.code === 'string' ? d.code : 'ACTIVITY_FAILED';
    return { code, message: typeof d?.message === 'string' ? d.message : err.message, step };
  }
  return { code: err.type ?? 'ACTIVITY_FAILED', message: err.message, step };
}

/** Registers the compensation of a `do` step that just completed (its `with` sees the step's result). */
export function registerCompensation(rt: Runtime, step: DoStep, path: string): void {
  if (!step.compensate) return;
  const input = rt.eval(step.compensate.with, path);
  rt.compensations.push({ path, stepId: step.id, activity: step.compensate.activity, input });
}

/**
 * Runs the compensations registered after `mark`, newest first, one at a time. A compensation that
 * fails after its retries is traced and skipped: the others still run, and the original failure stands.
 */
export function compensate(rt: Runtime, mark: number, reason: CaughtError | undefined): Flow {
  if (rt.compensations.length <= mark || !patched('saga-compensation')) return;
  const next = (): Flow => {
    if (rt.compensations.length <= mark) return;
    const c = rt.compensations.pop() as Compensation;
    const path = `${c.path}~compensate`;
    rt.trace('compensate', path, c.stepId, { activity: c.activity, because: reason?.code ?? null });
    return andThen(
      callActivity(rt, path, c.stepId, c.activity, c.input, {}, (result) => {
        if (!result.ok) rt.trace('activity-failed', path, c.stepId, { compensation: true, ...result.error });
      }),
      next,
    );
  };
  return next();
}

/** Runs `body`; a synchronous throw or a rejection goes to `onError`. */
export function attempt(body: () => Flow, onError: (err: unknown) => Flow): Flow {
  let flow: Flow;
  try {
    flow = body();
  } catch (err) {
    return onError(err);
  }
  return flow ? flow.then(undefined, onError) : flow;
}

/** Runs `fin` after `body` whatever happened, then rethrows the body's error if there was one. */
function always(body: () => Flow, fin: () => Flow): Flow {
  const rethrow = (err: unknown) => andThen(fin(), () => Promise.reject(err));
  let flow: Flow;
  try {
    flow = body();
  } catch (err) {
    return rethrow(err);
  }
  return flow ? flow.then(fin, rethrow) : fin();
}

/**
 * `try`: runs the body; a catchable error first undoes what the body completed (its compensations, in
 * reverse), then runs the first clause whose codes match, and the journey goes on after the step. An
 * unmatched error goes on up untouched (an outer `try`, or the journey root, compensates). Inside the
 * block there is no continue-as-new safe point (like a parallel branch): a handler is on the stack.
 */
export function executeTry(rt: Runtime, step: TryStep, loc: Loc, run: RunSteps): Flow {
  const path = stepPath(loc, step);
  const inner: Loc = { frames: loc.frames, prefix: loc.prefix, inParallel: true };
  const mark = rt.compensations.length;
  const onError = (err: unknown): Flow => {
    const caught = caughtError(err);
    if (!caught) throw err;
    const clause = step.catch.find((c) => c.errors.includes(ANY_ERROR) || c.errors.includes(caught.code));
    if (!clause) {
      rt.trace('uncaught', path, step.id, { ...caught });
      throw err;
    }
    rt.trace('caught', path, step.id, { ...caught });
    return andThen(compensate(rt, mark, caught), () => {
      if (clause.as) rt.vars[clause.as] = caught;
      return run(clause.steps, inner);
    });
  };
  const body = () => attempt(() => run(step.steps, inner), onError);
  const fin = step.finally;
  if (!fin || fin.length === 0) return body();
  return always(body, () => run(fin, inner));
}

/** `raise`: fails with the step's code (a `try` may catch it); the message is evaluated. */
export function executeRaise(rt: Runtime, step: RaiseStep, loc: Loc): never {
  const path = stepPath(loc, step);
  const value = step.message === undefined ? `raised by step ${path}` : rt.eval(step.message, path);
  const message = typeof value === 'string' ? value : JSON.stringify(value);
  rt.trace('raise', path, step.id, { code: step.code, message });
  throw ApplicationFailure.nonRetryable(message, step.code, { path, code: step.code, message });
}

/**
 * Wraps one branch or iteration of an `optional` container: a catchable failure is recorded as
 * `last_error` and traced, and the container goes on; anything else (end, continue-as-new) passes.
 */
export function swallow(rt: Runtime, path: string, stepId: string, body: () => Flow): Flow {
  return attempt(body, (err) => {
    const caught = caughtError(err);
    if (!caught || !patched('optional-steps')) throw err;
    rt.vars.last_error = caught;
    rt.trace('caught', path, stepId, { optional: true, ...caught });
  });
}
