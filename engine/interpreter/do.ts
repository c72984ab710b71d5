import type { DoStep } from '../../contract/plan.ts';
import { callActivity, stepFailed } from './activity-call.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import { registerCompensation } from './saga.ts';

/** `do`: one catalogue activity; its result (or, when optional, its error) lands under `as`. */
export function executeDo(rt: Runtime, step: DoStep, loc: Loc): Promise<void> {
  const path = stepPath(loc, step);
  const input = rt.eval(step.with, path);
  const opts: { timeoutMs?: number; retry?: DoStep['retry'] } = {};
  if (step.timeoutMs !== undefined) opts.timeoutMs = step.timeoutMs;
  if (step.retry !== undefined) opts.retry = step.retry;
  return callActivity(rt, path, step.id, step.activity, input, opts, (result) => {
    if (result.ok) {
      if (step.as) rt.vars[step.as] = result.value;
      registerCompensation(rt, step, path);
      return;
    }
    if (!step.optional) throw stepFailed(path, step.activity, result.error);
    if (step.as) rt.vars[step.as] = { error: result.error };
  });
}
