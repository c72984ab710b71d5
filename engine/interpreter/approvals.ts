import { ApplicationFailure } from '@temporalio/workflow';
import {
  APPROVAL_ROLES,
  type ApprovalDecision,
  type ApprovalDecisionInput,
  type ApprovalRecord,
  type ApprovalTaskView,
} from '../../contract/plan.ts';

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
    this.tasks.delete(task.task);
    this.tasks.set(task.task, task);
    // Bounded like the trace: a loop of approvals keeps the open tasks and the last decided ones.
    const decided = [...this.tasks.values()].filter((t) => t.state !== 'pending');
    for (const old of decided.slice(0, Math.max(0, decided.length - DECIDED_LIMIT)))
      this.tasks.delete(old.task);
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
      const byTimeout = task.decision.decided_by === 'timeout';
      if (!byTimeout && task.decision.decision === input.decision)
        throw ApplicationFailure.nonRetryable('already decided', 'APPROVAL_ALREADY_DECIDED', task);
      const what = byTimeout ? `timed out (${task.state.replace('_', ' ')})` : `was already ${task.state}`;
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

export function settle(
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
