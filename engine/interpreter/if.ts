import type { IfStep } from '../../contract/plan.ts';
import { resumeBranch, runBranch } from './branch.ts';
import type { Flow } from './flow.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

/** `if`: `then` when the condition is truthy (JSON-Logic truthiness), else `else`. */
export function executeIf(rt: Runtime, step: IfStep, loc: Loc, run: RunSteps, resume?: ResumeFrame[]): Flow {
  const path = stepPath(loc, step);
  if (resume?.length) {
    const { branch, rest } = resumeBranch(resume, path);
    return runBranch(run, branch === 'then' ? step.then : step.else, loc, branch, rest);
  }
  const branch = rt.test(step.cond, path) ? 'then' : 'else';
  rt.trace('branch', path, step.id, { branch });
  return runBranch(run, branch === 'then' ? step.then : step.else, loc, branch);
}
