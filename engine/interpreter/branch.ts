import { ApplicationFailure } from '@temporalio/workflow';
import type { Step } from '../../contract/plan.ts';
import type { Flow } from './flow.ts';
import type { Loc } from './runtime.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

type BranchName = Extract<ResumeFrame, { branch: unknown }>['branch'];

/** Splits a resume path that must start with a branch frame (if/switch/wait resuming inside a list). */
export function resumeBranch(
  resume: ResumeFrame[],
  path: string,
): { branch: BranchName; rest: ResumeFrame[] } {
  const [head, ...rest] = resume;
  if (!head || !('branch' in head)) throw resumeMismatch(path);
  return { branch: head.branch, rest };
}

/** Runs one list of a branching step; its frame records which list, for continue-as-new. */
export function runBranch(
  run: RunSteps,
  steps: Step[],
  loc: Loc,
  branch: BranchName,
  resume?: ResumeFrame[],
): Flow {
  return run(
    steps,
    { frames: loc.frames.concat({ branch }), prefix: loc.prefix, inParallel: loc.inParallel },
    resume,
  );
}

/** A resume path that does not fit the plan: only possible if a plan changed under a running journey. */
export function resumeMismatch(path: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `cannot resume at ${path}: path does not fit the plan`,
    'BAD_RESUME',
    {
      path,
    },
  );
}
