import type { SetStep } from '../../contract/plan.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';

/** `set`: assigns in declared order, so a later value may read an earlier one. */
export function executeSet(rt: Runtime, step: SetStep, loc: Loc): void {
  const path = stepPath(loc, step);
  for (const [name, expr] of Object.entries(step.values)) rt.vars[name] = rt.eval(expr, path);
}
