import { ApplicationFailure, condition, patched } from '@temporalio/workflow';
import type { ApprovalRecord, ApprovalStep, Step } from '../../contract/plan.ts';
import { settle } from './approvals.ts';
import { resumeBranch, runBranch } from './branch.ts';
import { safePoint } from './continue-as-new.ts';
import { resolveDuration } from './durations.ts';
import type { Flow } from './flow.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

type ApprovalBranch = 'then' | 'onReject' | 'onTimeout';

function branchOf(step: ApprovalStep, branch: ApprovalBranch): Step[] {
  return branch === 'then' ? step.then : branch === 'onReject' ? step.onReject : step.onTimeout;
}

/**
 * `approval`: opens a task (the step path is its id), waits for the `approval` update up to the
 * timeout, reassigns it once to `escalate.roles` for `escalate.timeoutMs` if asked, and then lets the
 * timeout decide (`timeoutDecision`) or runs `onTimeout`. The decision (who, role, reason, when) goes
 * into `as` (default `approval`) and stays listed by the `approvals` query.
 *
 * New behaviour (patch `approval-step`): a plan without approval steps never reaches this code, so no
 * recorded history changes; the marker is written when a journey opens its first task.
 */
export function executeApproval(
  rt: Runtime,
  step: ApprovalStep,
  loc: Loc,
  run: RunSteps,
  resume?: ResumeFrame[],
): Flow {
  const path = stepPath(loc, step);
  if (resume?.length) {
    const { branch, rest } = resumeBranch(resume, path);
    return runBranch(run, branchOf(step, branch as ApprovalBranch), loc, branch, rest);
  }
  const moved = safePoint(rt, loc);
  if (moved) return moved;
  if (!patched('approval-step')) {
    throw ApplicationFailure.nonRetryable(
      `step ${path}: approval steps need a newer worker`,
      'UNKNOWN_STEP_KIND',
    );
  }
  const timeoutMs = resolveDuration(rt, step.timeoutMs, path);
  const escalateMs = step.escalate ? resolveDuration(rt, step.escalate.timeoutMs, path) : undefined;
  const details = step.details === undefined ? null : rt.eval(step.details, path);
  const deadline = (ms: number) => new Date(Date.now() + ms).toISOString();
  const task = rt.approvals.open({
    task: path,
    step: step.id,
    title: step.title,
    details,
    roles: [...step.roles],
    state: 'pending',
    opened_at: new Date().toISOString(),
    deadline: deadline(timeoutMs),
    escalated: false,
    decision: null,
  });

  rt.state = 'waiting';
  rt.waitingFor = [`approval:${path}`];
  rt.trace('approval', path, step.id, { roles: task.roles, timeoutMs });
  const decided = () => task.decision !== null;
  // condition() treats a zero timeout as none: an elapsed (expression) timeout settles at once.
  const waitFor = (ms: number): Promise<boolean> =>
    ms <= 0 ? Promise.resolve(decided()) : condition(decided, ms);

  const finish = (): Flow => {
    rt.state = 'running';
    rt.waitingFor = null;
    const record = task.decision as ApprovalRecord;
    rt.vars[step.as ?? 'approval'] = record;
    rt.trace('decided', path, step.id, {
      decision: record.decision,
      decided_by: record.decided_by,
      role: record.role,
    });
    const branch: ApprovalBranch =
      record.decision === 'approve' ? 'then' : record.decision === 'reject' ? 'onReject' : 'onTimeout';
    return runBranch(run, branchOf(step, branch), loc, branch);
  };
  const timedOut = (): Flow => {
    settle(task, step.timeoutDecision ?? 'timeout', { decided_by: 'timeout', role: null, reason: null });
    return finish();
  };
  const escalate = (): Flow => {
    if (!step.escalate || escalateMs === undefined) return timedOut();
    task.roles = [...step.escalate.roles];
    task.escalated = true;
    task.deadline = deadline(escalateMs);
    rt.trace('escalated', path, step.id, { roles: task.roles, timeoutMs: escalateMs });
    return waitFor(escalateMs).then((ok) => (ok ? finish() : timedOut()));
  };
  return waitFor(timeoutMs).then((ok) => (ok ? finish() : escalate()));
}
