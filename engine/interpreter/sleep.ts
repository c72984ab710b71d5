import { sleep } from '@temporalio/workflow';
import type { SleepStep } from '../../contract/plan.ts';
import { safePoint } from './continue-as-new.ts';
import { resolveDuration, resolveInstant } from './durations.ts';
import type { Flow } from './flow.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';

/** `sleep`: a durable timer for `durationMs`, or until `until` (no timer when that is already past). */
export function executeSleep(rt: Runtime, step: SleepStep, loc: Loc): Flow {
  const path = stepPath(loc, step);
  const moved = safePoint(rt, loc);
  if (moved) return moved;
  const ms =
    step.durationMs !== undefined
      ? resolveDuration(rt, step.durationMs, path)
      : step.until !== undefined
        ? resolveInstant(rt, step.until, path) - Date.now()
        : 0;
  rt.trace('timer', path, step.id, { ms: Math.max(ms, 0) });
  if (ms <= 0) return;
  rt.state = 'sleeping';
  return sleep(ms).then(() => {
    rt.state = 'running';
  });
}
