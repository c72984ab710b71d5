import { ApplicationFailure, condition, patched } from '@temporalio/workflow';
import {
  APPROVAL_ROLES,
  type ApprovalDecision,
  type ApprovalDecisionInput,
  type ApprovalRecord,
  type ApprovalStep,
  type ApprovalTaskView,
  type Step,
} from '../../contract/plan.ts';
import { resumeBranch, runBranch } from './branch.ts';
import { safePoint } from './continue-as-new.ts';
import { resolveDuration } from './durations.ts';
import type { Flow } from './flow.ts';
import { type Loc, type Runtime, stepPath } from './runtime.ts';
import type { ResumeFrame, RunSteps } from './types.ts';

/** Decided tasks kept for the `approvals` query and idempotent repeats (oldest dropped first). */
const DECIDED_LIMIT = 50;

/**
 * The approval tasks of one journey: open ones (at most one per running approval step) and the last
 * decided ones. A decision arrives through the `approval` update: `check` is its validator (it rejects
 * without touching history), `decide` its handler.
 */
export class Approvals {
  private readonly tasks = new Map<string, ApprovalTaskView>();

  constructor(decided: ApprovalTaskView[] = []) {
    for (const t of decided) this.tasks.set(t.task, t);
  }

  open(task: ApprovalTaskView): ApprovalTaskView {
    this.tasks.set(task.task, task);
    return task;
  }

  list(): ApprovalTaskView[] {
    return [...this.tasks.values()];
  }

  /** Decided tasks, the newest last, bounded: what continue-as-new carries. */
  decided(): ApprovalTaskView[] {
    return this.list()
      .filter((t) => t.state !== 'pending')
      .slice(-DECIDED_LIMIT);
  }

  /**
   * The update's validator. Throws (rejecting the update, nothing written to history):
   * NOT_FOUND for an unknown task, FORBIDDEN for a role below the task's, APPROVAL_ALREADY_DECIDED
   * when the same decision was already taken (the caller answers with the recorded one: a repeat is
   * harmless), CONFLICT when the task was decided otherwise or timed out.
   */
  check(input: ApprovalDecisionInput): void {
    const task = typeof input?.task === 'string' ? this.tasks.get(input.task) : undefined;
    if (!task)
      throw ApplicationFailure.nonRetryable(`no approval task "${String(input?.task)}"`, 'NOT_FOUND');
    if (input.decision !== 'approve' && input.decision !== 'reject')
      throw ApplicationFailure.nonRetryable('decision must be approve or reject', 'VALIDATION_FAILED');
    if (task.decision) {
      if (task.decision.decision === input.decision)
        throw ApplicationFailure.nonRetryable('already decided', 'APPROVAL_ALREADY_DECIDED', task);
      const what = task.state === 'timed_out' ? 'timed out' : `was already ${task.state}`;
      throw ApplicationFailure.nonRetryable(`approval task "${task.task}" ${what}`, 'CONFLICT', task);
    }
    if (!qualifies(input.role, task.roles))
      throw ApplicationFailure.nonRetryable(
        `deciding "${task.task}" needs role ${task.roles.join(' or ')} (or higher); the caller is ${String(input.role)}`,
        'FORBIDDEN',
      );
  }

  /** The update's handler (after `check`): records the decision; the waiting step wakes up. */
  decide(input: ApprovalDecisionInput): ApprovalTaskView {
    this.check(input);
    const task = this.tasks.get(input.task) as ApprovalTaskView;
    settle(task, input.decision, {
      decided_by: input.decidedBy,
      role: input.role,
      reason: typeof input.reason === 'string' && input.reason !== '' ? input.reason.slice(0, 1000) : null,
    });
    return task;
  }
}

function qualifies(role: unknown, roles: string[]): boolean {
  const ranks: readonly string[] = APPROVAL_ROLES;
  const rank = typeof role === 'string' ? ranks.indexOf(role) : -1;
  if (rank < 0) return false;
  // Highest first: a lower index is a higher role.
  return roles.some((r) => {
    const needed = ranks.indexOf(r);
    return needed >= 0 && rank <= needed;
  });
}

function settle(
  task: ApprovalTaskView,
  decision: ApprovalDecision | 'timeout',
  by: Pick<ApprovalRecord, 'decided_by' | 'role' | 'reason'>,
): ApprovalRecord {
  const record: ApprovalRecord = {
    task: task.task,
    decision,
    ...by,
    decided_at: new Date().toISOString(),
    escalated: task.escalated,
  };
  task.decision = record;
  task.state = decision === 'approve' ? 'approved' : decision === 'reject' ? 'rejected' : 'timed_out';
  task.deadline = null;
  return record;
}

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
