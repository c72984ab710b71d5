import type { EndStep } from '../../contract/plan.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import { JourneyEnd } from './types.ts';

/** `end`: stops the journey with a status and an evaluated reason (unwinds through every container). */
export function executeEnd(rt: Runtime, step: EndStep, loc: Loc): never {
  const path = stepPath(loc, step);
  const reason = step.reason === undefined ? undefined : rt.eval(step.reason, path);
  rt.trace('end', path, step.id, { status: step.status, reason: reason ?? null });
  throw new JourneyEnd(step.status, reason);
}
