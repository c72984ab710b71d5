import { ApplicationFailure, setHandler, workflowInfo } from '@temporalio/workflow';
import { type EndStatus, type JourneyOutcome, PLAN_VERSION } from '../contract/plan.ts';
import { Approvals } from './interpreter/approvals.ts';
import { runner } from './interpreter/execute.ts';
import { Inbox } from './interpreter/inbox.ts';
import { ROOT, Runtime } from './interpreter/runtime.ts';
import { caughtError, compensate } from './interpreter/saga.ts';
import { type EngineInput, JourneyEnd, type ResumeState } from './interpreter/types.ts';
import { approvalsQuery, approvalUpdate, eventSignal, statusQuery, traceQuery } from './signals.ts';

/**
 * THE workflow: interprets any compiled campaign plan. The plan travels in the input, so each journey
 * is pinned to the definition it started with; redeploying a campaign only affects new journeys.
 * Returns the journey outcome; a failed required step fails the workflow with a coded ApplicationFailure.
 */
export async function runCampaign(input: EngineInput): Promise<JourneyOutcome> {
  if (input.plan?.planVersion !== PLAN_VERSION) {
    throw ApplicationFailure.nonRetryable(
      `plan version ${String(input.plan?.planVersion)} is not supported (engine knows ${PLAN_VERSION})`,
      'UNKNOWN_PLAN_VERSION',
    );
  }
  const resume = input.resume as ResumeState | undefined;
  const inbox = new Inbox(new Set(input.plan.waitsFor), resume?.inbox, resume?.seen);
  // The router delivers the trigger both as input and as a signal (signalWithStart); mark it seen
  // before the handler is installed, because buffered signals are delivered on installation.
  inbox.markSeen(input.trigger.event_id);
  const rt = new Runtime(
    input,
    workflowInfo().workflowId,
    inbox,
    resume?.startedAt ?? new Date().toISOString(),
    resume?.vars ?? { ...input.vars },
    resume?.generation ?? 0,
  );
  if (resume?.compensations) rt.compensations.push(...resume.compensations);
  setHandler(eventSignal, (event) => rt.receive(event));
  setHandler(statusQuery, () => rt.status());
  setHandler(traceQuery, () => rt.traceRecords());
  if (resume?.approvals) rt.approvals = new Approvals(resume.approvals);
  setHandler(approvalsQuery, () => rt.approvals.list());
  setHandler(approvalUpdate, (decision) => rt.approvals.decide(decision), {
    validator: (decision) => rt.approvals.check(decision),
  });

  try {
    await runner(rt)(input.plan.steps, ROOT, resume?.path);
    return finish(rt, 'completed', undefined);
  } catch (err) {
    if (err instanceof JourneyEnd) return finish(rt, err.status, err.reason);
    if (err instanceof ApplicationFailure) {
      // Saga: nothing caught the failure, so every completed step's compensation runs, newest first.
      if (rt.compensations.length > 0) await compensate(rt, 0, caughtError(err));
      rt.state = 'finished';
      rt.outcome = { status: 'failed', reason: { code: err.type, message: err.message }, vars: rt.vars };
    }
    throw err;
  }
}

function finish(rt: Runtime, status: EndStatus, reason: unknown): JourneyOutcome {
  const outcome: JourneyOutcome = { status, vars: rt.vars };
  if (reason !== undefined) outcome.reason = reason;
  rt.state = 'finished';
  rt.currentStep = null;
  rt.outcome = outcome;
  return outcome;
}
