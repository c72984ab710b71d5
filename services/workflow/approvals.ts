import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { AppError } from '../../contract/errors.ts';
import {
  APPROVAL_UPDATE,
  APPROVALS_QUERY,
  type ApprovalDecisionInput,
  type ApprovalTaskView,
} from '../../contract/plan.ts';
import { asJourneyTask, belongsTo, descendantTasks, listDescendants, taskTarget } from './children.ts';

/** Bounded: a Temporal outage is a 503 within seconds, not a request hanging on gRPC retries. */
const DEADLINE_MS = 5_000;

const unavailable = () =>
  new AppError('UPSTREAM_UNAVAILABLE', 'workflow engine unavailable', [], { 'Retry-After': '5' });

/** The journey's approval tasks (its `approvals` query; it answers after the journey finished too). */
export async function listApprovals(temporal: Client, workflowId: string): Promise<ApprovalTaskView[]> {
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    return await temporal.connection.withDeadline(Date.now() + DEADLINE_MS, () =>
      handle.query<ApprovalTaskView[]>(APPROVALS_QUERY),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new AppError('NOT_FOUND', 'no such journey');
    throw unavailable();
  }
}

/**
 * The journey's approval tasks and those of its call-step children (their ids qualified, children.ts),
 * oldest first.
 */
export async function listJourneyApprovals(
  temporal: Client,
  clientId: string,
  journeyId: string,
): Promise<ApprovalTaskView[]> {
  const own = await listApprovals(temporal, journeyId);
  const deadline = Date.now() + DEADLINE_MS;
  let children: string[];
  try {
    children = await listDescendants(temporal, deadline, clientId, journeyId);
  } catch {
    throw unavailable();
  }
  if (children.length === 0) return own;
  const all = [...own, ...(await descendantTasks(temporal, deadline, journeyId, children))];
  return all.sort((a, b) => a.opened_at.localeCompare(b.opened_at));
}

/**
 * Sends a decision as the `approval` update of the workflow that holds the task (the journey, or the
 * call-step child a qualified task id names) and answers the task as the journey shows it. The workflow
 * decides (one thread, so a decision racing the timeout has one winner): a repeat of the recorded
 * decision answers the task unchanged, anything else it refuses maps to 403/404/409. A workflow that has
 * already finished answers from its recorded tasks.
 */
export async function decideApproval(
  temporal: Client,
  journeyId: string,
  input: ApprovalDecisionInput,
): Promise<ApprovalTaskView> {
  const target = taskTarget(journeyId, input.task);
  const noTask = () =>
    new AppError('NOT_FOUND', 'no such approval task', [{ path: 'task', message: 'not found' }]);
  if (target.workflowId !== journeyId) {
    // The id names a workflow under the journey's prefix; it must also be the journey's child by record
    // (a top-level journey keyed `<key>/call/…` is not).
    let ours: boolean;
    try {
      ours = await belongsTo(temporal, Date.now() + DEADLINE_MS, journeyId, target.workflowId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw noTask();
      throw unavailable();
    }
    if (!ours) throw noTask();
  }
  try {
    const task = await decideIn(temporal, target.workflowId, { ...input, task: target.task });
    return asJourneyTask(journeyId, target.workflowId, task);
  } catch (err) {
    // A qualified id naming no child of this journey: the task does not exist (the journey may).
    if (target.workflowId !== journeyId && err instanceof AppError && err.code === 'NOT_FOUND')
      throw noTask();
    throw err;
  }
}

async function decideIn(
  temporal: Client,
  workflowId: string,
  input: ApprovalDecisionInput,
): Promise<ApprovalTaskView> {
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    return await temporal.connection.withDeadline(Date.now() + DEADLINE_MS, () =>
      handle.executeUpdate<ApprovalTaskView, [ApprovalDecisionInput]>(APPROVAL_UPDATE, { args: [input] }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure)
      return refused(err.cause);
    if (err instanceof WorkflowNotFoundError || (await closed(temporal, workflowId)))
      return afterTheEnd(temporal, workflowId, input);
    throw unavailable();
  }
}

/** Whether the journey exists and has finished (an update to it fails with a server error). */
async function closed(temporal: Client, workflowId: string): Promise<boolean> {
  try {
    const d = await temporal.connection.withDeadline(Date.now() + DEADLINE_MS, () =>
      temporal.workflow.getHandle(workflowId).describe(),
    );
    return d.status.name !== 'RUNNING';
  } catch {
    return false;
  }
}

function refused(failure: ApplicationFailure): ApprovalTaskView {
  const task = failure.details?.[0] as ApprovalTaskView | undefined;
  switch (failure.type) {
    case 'APPROVAL_ALREADY_DECIDED':
      if (task) return task;
      break;
    case 'CONFLICT':
      throw new AppError('CONFLICT', failure.message, [{ path: 'decision', message: failure.message }]);
    case 'NOT_FOUND':
      throw new AppError('NOT_FOUND', failure.message, [{ path: 'task', message: 'no such approval task' }]);
    case 'FORBIDDEN':
      throw new AppError('FORBIDDEN', failure.message);
    case 'VALIDATION_FAILED':
      throw new AppError('VALIDATION_FAILED', failure.message, [
        { path: 'decision', message: failure.message },
      ]);
  }
  throw new AppError('CONFLICT', failure.message);
}

/** The journey has finished (or does not exist): answer from its recorded tasks. */
async function afterTheEnd(
  temporal: Client,
  workflowId: string,
  input: ApprovalDecisionInput,
): Promise<ApprovalTaskView> {
  const task = (await listApprovals(temporal, workflowId)).find((t) => t.task === input.task);
  if (!task)
    throw new AppError('NOT_FOUND', 'no such approval task', [{ path: 'task', message: 'not found' }]);
  if (task.decision && task.decision.decided_by !== 'timeout' && task.decision.decision === input.decision)
    return task;
  throw new AppError('CONFLICT', `approval task "${task.task}" is ${task.state.replace('_', ' ')}`, [
    { path: 'decision', message: 'the journey has finished' },
  ]);
}
