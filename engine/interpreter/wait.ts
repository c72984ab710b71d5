import { condition, patched } from '@temporalio/workflow';
import { eventTrust, type JourneyEvent, meetsTrust, type WaitStep } from '../../contract/plan.ts';
import { resumeBranch, runBranch } from './branch.ts';
import { safePoint } from './continue-as-new.ts';
import { resolveDuration } from './durations.ts';
import type { Flow } from './flow.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

/**
 * `wait`: pause until an inbox event of one of `events` satisfies `match`, or the timeout fires. The
 * inbox keeps events that arrived earlier (a fast follow-up is never lost), and the matched event is
 * consumed, so two waits never take the same event.
 *
 * Trust (patch `wait-trust`): an event below the step's `trust` is ignored, neither matched nor
 * consumed; it stays in the inbox for a wait that accepts it. Plans compiled before trust levels have
 * no `trust` (nor does an `sdk` requirement filter anything), and then no patch marker is written at
 * all, so their recorded histories replay unchanged.
 */
export function executeWait(
  rt: Runtime,
  step: WaitStep,
  loc: Loc,
  run: RunSteps,
  resume?: ResumeFrame[],
): Flow {
  const path = stepPath(loc, step);
  if (resume?.length) {
    const { branch, rest } = resumeBranch(resume, path);
    return runBranch(run, branch === 'then' ? step.then : step.onTimeout, loc, branch, rest);
  }
  const moved = safePoint(rt, loc);
  if (moved) return moved;
  const timeoutMs = step.timeoutMs === undefined ? undefined : resolveDuration(rt, step.timeoutMs, path);
  const names = new Set(step.events);
  const required =
    step.trust !== undefined && step.trust !== 'sdk' && patched('wait-trust') ? step.trust : undefined;
  const matches = (event: JourneyEvent): boolean =>
    names.has(event.event) &&
    meetsTrust(eventTrust(event), required) &&
    (step.match === undefined || rt.test(step.match, path, { ...rt.scope(), event }));

  // The predicate consumes the event it matches: conditions are checked in a deterministic order, so
  // two waits in parallel branches can never both take one event. An expression error is rethrown
  // after the condition settles rather than from inside Temporal's condition loop.
  let matched: JourneyEvent | undefined;
  let failure: unknown;
  const found = (): boolean => {
    if (matched || failure) return true;
    try {
      matched = rt.inbox.take(matches);
    } catch (err) {
      failure = err;
    }
    return matched !== undefined || failure !== undefined;
  };

  rt.state = 'waiting';
  rt.waitingFor = step.events;
  rt.trace('wait', path, step.id, { events: step.events, timeoutMs: timeoutMs ?? null });
  const settle = (): Flow => {
    rt.state = 'running';
    rt.waitingFor = null;
    if (failure) throw failure;
    if (matched) {
      rt.vars[step.as ?? 'last_event'] = matched;
      rt.trace('matched', path, step.id, { event: matched.event, event_id: matched.event_id });
      return runBranch(run, step.then, loc, 'then');
    }
    rt.trace('timeout', path, step.id, { timeoutMs: timeoutMs ?? null });
    return runBranch(run, step.onTimeout, loc, 'onTimeout');
  };
  // An event already in the inbox (or an elapsed deadline) settles at once, without a timer command.
  // condition() would also treat a zero timeout as "no timeout" and wait forever.
  if (found() || (timeoutMs !== undefined && timeoutMs <= 0)) return settle();
  return (timeoutMs === undefined ? condition(found) : condition(found, timeoutMs)).then(settle);
}
