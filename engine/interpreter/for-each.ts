import { ApplicationFailure } from '@temporalio/workflow';
import type { ForEachStep } from '../../contract/plan.ts';
import type { Flow } from './flow.ts';
import { resumeIteration, runLoop } from './loop.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import { swallow } from './saga.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

/** `for_each`: the body once per item, sequentially; more than maxItems items fails the journey. */
export function executeForEach(
  rt: Runtime,
  step: ForEachStep,
  loc: Loc,
  run: RunSteps,
  resume?: ResumeFrame[],
): Flow {
  const path = stepPath(loc, step);
  let items: unknown[];
  let from = 0;
  let inside: ResumeFrame[] | undefined;
  if (resume?.length) {
    const { frame, rest } = resumeIteration(resume, path);
    items = frame.items ?? [];
    from = frame.iteration;
    inside = rest;
  } else {
    const value = rt.eval(step.items, path);
    if (!Array.isArray(value)) {
      throw ApplicationFailure.nonRetryable(`step ${path}: items is not a list`, 'INVALID_ITEMS', { path });
    }
    if (value.length > step.maxItems) {
      throw ApplicationFailure.nonRetryable(
        `step ${path}: ${value.length} items exceed maxItems ${step.maxItems}`,
        'MAX_ITEMS_EXCEEDED',
        { path, items: value.length, maxItems: step.maxItems },
      );
    }
    items = value;
  }
  const begin = (i: number): boolean => {
    rt.vars[step.as] = items[i];
    if (step.index) rt.vars[step.index] = i;
    return true;
  };
  return runLoop(
    rt,
    {
      id: step.id,
      path,
      steps: step.steps,
      frame: { items },
      count: items.length,
      begin,
      ...(step.optional
        ? { guard: (i: number, body: () => Flow) => swallow(rt, `${path}#${i}`, step.id, body) }
        : {}),
    },
    loc,
    run,
    from,
    inside,
  );
}
