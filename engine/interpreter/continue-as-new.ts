import { continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { JourneyOutcome } from '../../contract/plan.ts';
import type { Loc, Runtime } from './runtime.ts';
import type { EngineInput, ResumeFrame, ResumeState } from './types.ts';

const DEFAULT_HISTORY_THRESHOLD = 10_000;

/**
 * A safe point: just before a wait or sleep starts, or at a loop iteration boundary, nothing is in
 * flight (outside a parallel step), so the whole journey is its resume path plus scope and inbox.
 * When Temporal suggests it (or the history passed the threshold) the journey continues as new from
 * exactly here: the returned promise never resolves (it rejects with Temporal's ContinueAsNew), so
 * callers return it. A freshly resumed run must make progress first, so a tiny threshold cannot loop.
 */
export function safePoint(
  rt: Runtime,
  loc: Loc,
  frames: ResumeFrame[] = loc.frames,
): Promise<never> | undefined {
  if (loc.inParallel || !rt.madeProgress) return undefined;
  const info = workflowInfo();
  const threshold = rt.input.options?.historyThreshold ?? DEFAULT_HISTORY_THRESHOLD;
  if (!info.continueAsNewSuggested && info.historyLength < threshold) return undefined;
  const resume: ResumeState = {
    path: frames,
    vars: rt.vars,
    inbox: rt.inbox.items,
    seen: rt.inbox.seen(),
    startedAt: rt.startedAt,
    generation: rt.generation + 1,
  };
  if (rt.compensations.length > 0) resume.compensations = rt.compensations;
  const decided = rt.approvals.decided();
  if (decided.length > 0) resume.approvals = decided;
  rt.trace('continue-as-new', loc.prefix, undefined, { historyLength: info.historyLength });
  return continueAsNew<(input: EngineInput) => Promise<JourneyOutcome>>({ ...rt.input, resume });
}
