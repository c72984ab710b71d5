import { ApplicationFailure, ChildWorkflowFailure, patched, startChild } from '@temporalio/workflow';
import type { CallStep, JourneyOutcome } from '../../contract/plan.ts';
import { RUN_CAMPAIGN } from '../signals.ts';
import { inheritedStartOptions } from './journey-attributes.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import type { EngineInput } from './types.ts';

/**
 * `call`: runs a child journey of a plan inlined in `plan.children` and waits for its outcome. The child
 * id derives from the parent id and step path, so a replay or retry finds the same child; the child
 * sees the parent's trigger as `event` and the evaluated `input` as `input`. While it runs, events the
 * child waits for are forwarded to it (the router only knows the parent's id). Behind
 * `patched('child-attributes')` the child carries the parent's journey search attributes and correlation
 * memo, so the journey list can tell it apart and the approval inbox finds its tasks.
 */
export async function executeCall(rt: Runtime, step: CallStep, loc: Loc): Promise<void> {
  const path = stepPath(loc, step);
  const plan = rt.plan.children[step.plan];
  if (!plan) {
    throw ApplicationFailure.nonRetryable(`step ${path}: no child plan ${step.plan}`, 'UNKNOWN_CHILD_PLAN', {
      path,
    });
  }
  const input: EngineInput = {
    plan,
    campaign: rt.input.campaign,
    journeyKey: rt.input.journeyKey,
    trigger: rt.input.trigger,
    vars: { input: rt.eval(step.input, path) },
  };
  if (rt.input.options) input.options = rt.input.options;
  const workflowId = `${rt.workflowId}/call/${path}`;
  rt.trace('child', path, step.id, { workflowId, plan: step.plan });
  const handle = await startChild<(i: EngineInput) => Promise<JourneyOutcome>>(RUN_CAMPAIGN, {
    workflowId,
    args: [input],
    ...(patched('child-attributes') ? inheritedStartOptions() : {}),
  });
  const forward = { handle, waitsFor: new Set(plan.waitsFor) };
  rt.children.add(forward);
  try {
    const outcome = await handle.result();
    if (step.as) rt.vars[step.as] = outcome;
  } catch (err) {
    if (err instanceof ChildWorkflowFailure) {
      const message = err.cause?.message ?? err.message;
      if (step.optional && patched('optional-steps')) {
        const caught = { code: 'CHILD_FAILED', message, step: path };
        rt.vars.last_error = caught;
        if (step.as) rt.vars[step.as] = { status: 'failed', reason: { code: caught.code, message } };
        rt.trace('caught', path, step.id, { optional: true, ...caught });
        return;
      }
      throw ApplicationFailure.nonRetryable(`step ${path}: child journey failed`, 'STEP_FAILED', {
        path,
        child: workflowId,
        message: err.cause?.message ?? err.message,
      });
    }
    throw err;
  } finally {
    rt.children.delete(forward);
  }
}
