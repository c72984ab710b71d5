import type { ParallelStep } from '../../contract/plan.ts';
import type { Flow } from './flow.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import { swallow } from './saga.ts';
import type { RunSteps } from './types.ts';

/**
 * `parallel`: every branch starts in declared order (so commands are issued in the same order on every
 * replay) and all must finish; the first failing branch fails the step. Branch names enter step paths,
 * which keeps idempotency keys distinct when two branches call the same activity.
 */
export function executeParallel(rt: Runtime, step: ParallelStep, loc: Loc, run: RunSteps): Flow {
  const path = stepPath(loc, step);
  rt.trace('branch', path, step.id, { branches: step.branches.map((b) => b.name) });
  const pending: Promise<unknown>[] = [];
  for (const branch of step.branches) {
    let flow: Flow;
    const branchLoc = { frames: loc.frames, prefix: `${path}.${branch.name}/`, inParallel: true };
    try {
      flow = step.optional
        ? swallow(rt, `${path}.${branch.name}`, step.id, () => run(branch.steps, branchLoc))
        : run(branch.steps, branchLoc);
    } catch (err) {
      // A branch that ended or failed at once: the journey stops, and what the started branches do
      // later must not surface as an unhandled rejection.
      for (const p of pending) p.catch(() => undefined);
      throw err;
    }
    if (flow) pending.push(flow);
  }
  if (pending.length === 0) return;
  if (pending.length === 1) return pending[0];
  return Promise.all(pending);
}
