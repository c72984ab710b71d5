import type { Step, SwitchStep } from '../../contract/plan.ts';
import { resumeBranch, resumeMismatch, runBranch } from './branch.ts';
import type { Flow } from './flow.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

/** `switch`: the first case whose `when` is truthy, in declared order; otherwise `default`. */
export function executeSwitch(
  rt: Runtime,
  step: SwitchStep,
  loc: Loc,
  run: RunSteps,
  resume?: ResumeFrame[],
): Flow {
  const path = stepPath(loc, step);
  const listOf = (branch: number | 'default'): Step[] => {
    if (branch === 'default') return step.default;
    const found = step.cases[branch];
    if (!found) throw resumeMismatch(path);
    return found.steps;
  };
  if (resume?.length) {
    const { branch, rest } = resumeBranch(resume, path);
    if (branch !== 'default' && typeof branch !== 'number') throw resumeMismatch(path);
    return runBranch(run, listOf(branch), loc, branch, rest);
  }
  const index = step.cases.findIndex((c) => rt.test(c.when, path));
  const branch = index < 0 ? 'default' : index;
  rt.trace('branch', path, step.id, { branch });
  return runBranch(run, listOf(branch), loc, branch);
}
