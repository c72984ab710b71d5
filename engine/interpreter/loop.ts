import type { Step } from '../../contract/plan.ts';
import { resumeMismatch } from './branch.ts';
import { safePoint } from './continue-as-new.ts';
import { andThen, type Flow } from './flow.ts';
import type { Loc, Runtime } from './runtime.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

type IterationFrame = Extract<ResumeFrame, { iteration: number }>;

export interface LoopSpec {
  id: string;
  path: string;
  steps: Step[];
  /** Frozen when the loop starts and carried through continue-as-new. */
  frame: Omit<IterationFrame, 'iteration'>;
  count: number;
  /** Sets loop variables; returns false to stop before the iteration (a `while` guard). */
  begin: (iteration: number) => boolean;
  /** Wraps each iteration's run (an `optional` for_each skips a failing item). */
  guard?: (iteration: number, body: () => Flow) => Flow;
}

/** Splits a resume path that must start with an iteration frame. */
export function resumeIteration(
  resume: ResumeFrame[],
  path: string,
): { frame: IterationFrame; rest: ResumeFrame[] } {
  const [head, ...rest] = resume;
  if (!head || !('iteration' in head)) throw resumeMismatch(path);
  return { frame: head, rest };
}

/**
 * Runs iterations `from`..count-1. Each iteration boundary is a safe point; iteration indexes enter
 * step paths (`loop#2/step`) so every iteration's activities get their own idempotency keys.
 */
export function runLoop(
  rt: Runtime,
  loop: LoopSpec,
  loc: Loc,
  run: RunSteps,
  from = 0,
  resumeInside?: ResumeFrame[],
): Flow {
  const guard = loop.guard;
  const guarded = (i: number, body: () => Flow): Flow => (guard ? guard(i, body) : body());
  const iterate = (i: number, inside: ResumeFrame[] | undefined): Flow => {
    for (; i < loop.count; i++) {
      const frames = [...loc.frames, { ...loop.frame, iteration: i }];
      const iterLoc: Loc = { frames, prefix: `${loop.path}#${i}/`, inParallel: loc.inParallel };
      let flow: Flow;
      if (inside?.length) {
        // Resuming in the middle of this iteration: its guard already passed before continue-as-new.
        loop.begin(i);
        const resumeAt = inside;
        flow = guarded(i, () => run(loop.steps, iterLoc, resumeAt));
        inside = undefined;
      } else {
        const moved = safePoint(rt, iterLoc, frames);
        if (moved) return moved;
        if (!loop.begin(i)) {
          rt.trace('exit', loop.path, loop.id, { stoppedAt: i });
          return;
        }
        flow = guarded(i, () => run(loop.steps, iterLoc));
      }
      const next = i + 1;
      if (flow) return andThen(flow, () => iterate(next, undefined));
    }
  };
  return iterate(from, resumeInside);
}
