import type { EmitStep } from '../../contract/plan.ts';
import { callActivity, stepFailed } from './activity-call.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';

/** `emit`: publishes an event through the EmitEvent activity (idempotent by the step's key). */
export function executeEmit(rt: Runtime, step: EmitStep, loc: Loc): Promise<void> {
  const path = stepPath(loc, step);
  const input: { event: string; properties: unknown; participant_id?: string } = {
    event: step.event,
    properties: rt.eval(step.properties, path),
  };
  // The journey's participant, so the emitted event can itself trigger or advance journeys.
  const participant = rt.input.trigger.participant_id;
  if (typeof participant === 'string' && participant !== '') input.participant_id = participant;
  return callActivity(rt, path, step.id, 'EmitEvent', input, {}, (result) => {
    if (!result.ok) throw stepFailed(path, 'EmitEvent', result.error);
  });
}
