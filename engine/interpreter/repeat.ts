import { ApplicationFailure } from '@temporalio/workflow';
import type { RepeatStep } from '../../contract/plan.ts';
import type { Flow } from './flow.ts';
import { resumeIteration, runLoop } from './loop.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

/** `repeat`: `times` iterations (never more than maxIterations) while the optional guard holds. */
export function executeRepeat(
  rt: Runtime,
  step: RepeatStep,
  loc: Loc,
  run: RunSteps,
  resume?: ResumeFrame[],
): Flow {
  const path = stepPath(loc, step);
  let count: number;
  let from = 0;
  let inside: ResumeFrame[] | undefined;
  if (resume?.length) {
    const { frame, rest } = resumeIteration(resume, path);
    count = frame.count ?? 0;
    from = frame.iteration;
    inside = rest;
  } else {
    const times = Number(rt.eval(step.times, path));
    if (!Number.isFinite(times) || times < 0) {
      throw ApplicationFailure.nonRetryable(
        `step ${path}: times must be a number ≥ 0`,
        'INVALID_ITERATIONS',
        { path },
      );
    }
    count = Math.min(Math.floor(times), step.maxIterations);
  }
  const begin = (i: number): boolean => {
    rt.vars[step.index] = i;
    return step.while === undefined || rt.test(step.while, path);
  };
  return runLoop(
    rt,
    { id: step.id, path, steps: step.steps, frame: { count }, count, begin },
    loc,
    run,
    from,
    inside,
  );
}
