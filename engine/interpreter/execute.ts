/**
 * The dispatcher: one executor per step kind.
 *
 * REPLAY SAFETY — read before editing anything in this folder. Journeys run for weeks, and a worker
 * replays their recorded history through this code. Once histories exist (test/histories/), any change
 * that alters the commands a plan issues (activities, timers, children, signals, their order or their
 * options) or the values it computes from the same inputs must be guarded with
 * `if (patched('<kind>-<change>')) { new } else { old }` from @temporalio/workflow, and later retired
 * with deprecatePatch. `npm run histories:record` then adds histories of the new behaviour, and the
 * replay test (engine/replay.test.ts) proves old ones still replay.
 */
import { InternalError } from '../../contract/internal-error.ts';
import type { Step } from '../../contract/plan.ts';
import { executeApproval } from './approval.ts';
import { resumeMismatch } from './branch.ts';
import { executeCall } from './call.ts';
import { executeDo } from './do.ts';
import { executeEmit } from './emit.ts';
import { executeEnd } from './end.ts';
import type { Flow } from './flow.ts';
import { executeForEach } from './for-each.ts';
import { executeIf } from './if.ts';
import { executeParallel } from './parallel.ts';
import { executeRepeat } from './repeat.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import { executeRaise, executeTry } from './saga.ts';
import { executeSet } from './set.ts';
import { executeSleep } from './sleep.ts';
import { executeSwitch } from './switch.ts';
import type { ResumeFrame, RunSteps } from './types.ts';
import { executeWait } from './wait.ts';

/** Runs a step list; with a resume path, starts at the step it names and resumes inside it. */
export function runner(rt: Runtime): RunSteps {
  const runFrom = (steps: Step[], loc: Loc, from: number, inside: ResumeFrame[] | undefined): Flow => {
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      const stepLoc: Loc = {
        frames: loc.frames.concat({ step: i }),
        prefix: loc.prefix,
        inParallel: loc.inParallel,
      };
      const path = stepPath(stepLoc, step);
      enter(rt, step, path);
      const flow = dispatch(rt, step, stepLoc, run, i === from ? inside : undefined);
      // One continuation per pending step: it closes the step and runs the rest of the list.
      if (flow) {
        return flow.then(() => {
          exit(rt, step, path);
          return runFrom(steps, loc, i + 1, undefined);
        });
      }
      exit(rt, step, path);
    }
  };
  const run: RunSteps = (steps, loc, resume) => {
    if (!resume?.length) return runFrom(steps, loc, 0, undefined);
    const [head, ...rest] = resume;
    if (!head || !('step' in head) || head.step >= steps.length) throw resumeMismatch(loc.prefix);
    return runFrom(steps, loc, head.step, rest);
  };
  return run;
}

function enter(rt: Runtime, step: Step, path: string): void {
  rt.refreshNow();
  rt.currentStep = path;
  rt.trace('enter', path, step.id, { kind: step.kind });
}

function exit(rt: Runtime, step: Step, path: string): void {
  rt.madeProgress = true;
  rt.trace('exit', path, step.id);
}

function dispatch(rt: Runtime, step: Step, loc: Loc, run: RunSteps, resume: ResumeFrame[] | undefined): Flow {
  switch (step.kind) {
    case 'do':
      return executeDo(rt, step, loc);
    case 'if':
      return executeIf(rt, step, loc, run, resume);
    case 'switch':
      return executeSwitch(rt, step, loc, run, resume);
    case 'parallel':
      return executeParallel(rt, step, loc, run);
    case 'wait':
      return executeWait(rt, step, loc, run, resume);
    case 'sleep':
      return executeSleep(rt, step, loc);
    case 'repeat':
      return executeRepeat(rt, step, loc, run, resume);
    case 'for_each':
      return executeForEach(rt, step, loc, run, resume);
    case 'set':
      return executeSet(rt, step, loc);
    case 'emit':
      return executeEmit(rt, step, loc);
    case 'call':
      return executeCall(rt, step, loc);
    case 'end':
      return executeEnd(rt, step, loc);
    case 'try':
      return executeTry(rt, step, loc, run);
    case 'raise':
      return executeRaise(rt, step, loc);
    case 'approval':
      return executeApproval(rt, step, loc, run, resume);
    default:
      return unreachable(step);
  }
}

/** Adding a step kind to contract/plan.ts without an executor fails to compile here. */
function unreachable(step: never): never {
  throw new InternalError('UNREACHABLE', `no executor for step ${JSON.stringify(step)}`);
}
