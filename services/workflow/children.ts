import type { Client } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';
import { APPROVALS_QUERY, type ApprovalTaskView } from '../../contract/plan.ts';
import { queryLiteral } from './list.ts';

/**
 * Child journeys. A `call` step runs its child as `<parent id>/call/<step path>`
 * (engine/interpreter/call.ts), so every descendant of a journey, however deep, has an id that starts
 * with `<journey id>/call/`, and carries the journey's search attributes. Their approval tasks belong to
 * the journey a client sees: they are listed and decided through it, their task id qualified by the
 * child's place as `<step path>><task>` (for example `offer>review`; nested: `offer/call/check>review`).
 * `>` appears in no step path, so the last one splits a qualified id unambiguously.
 */

const SEPARATOR = '>';
const childPrefix = (journeyId: string) => `${journeyId}/call/`;

/** Whether `raw` is a call-step descendant of `journeyId` (its parent is the journey or one of them). */
export function isDescendant(journeyId: string, raw: proto.api.workflow.v1.IWorkflowExecutionInfo): boolean {
  const id = raw.execution?.workflowId ?? '';
  const parent = raw.parentExecution?.workflowId ?? '';
  const prefix = childPrefix(journeyId);
  // A top-level journey whose key happens to hold `/call/` has no parent: never taken for a child.
  return id.startsWith(prefix) && (parent === journeyId || parent.startsWith(prefix));
}

/** The task id as the journey shows it: the child's place, then the child's own task id. */
export function qualifiedTask(journeyId: string, childId: string, task: string): string {
  return `${childId.slice(childPrefix(journeyId).length)}${SEPARATOR}${task}`;
}

/** Where a (possibly qualified) task id of the journey lives: the workflow to ask, and its own task id. */
export function taskTarget(journeyId: string, task: string): { workflowId: string; task: string } {
  const at = task.lastIndexOf(SEPARATOR);
  if (at < 0) return { workflowId: journeyId, task };
  return { workflowId: `${childPrefix(journeyId)}${task.slice(0, at)}`, task: task.slice(at + 1) };
}

/** The task as the journey shows it (its id qualified when it lives in a child). */
export function asJourneyTask(journeyId: string, workflowId: string, t: ApprovalTaskView): ApprovalTaskView {
  return workflowId === journeyId ? t : { ...t, task: qualifiedTask(journeyId, workflowId, t.task) };
}

/**
 * The top journey of a call-step child: its parent while the id says it is the parent's child (a
 * nested child's parent is asked for its own parent). Null for a workflow that is no call child.
 */
export async function topJourney(
  temporal: Client,
  deadline: number,
  raw: proto.api.workflow.v1.IWorkflowExecutionInfo,
): Promise<string | null> {
  let id = raw.execution?.workflowId ?? '';
  let parent = raw.parentExecution?.workflowId ?? '';
  let top: string | null = null;
  while (parent && id.startsWith(childPrefix(parent))) {
    top = parent;
    // Only an id holding `/call/` can itself be a child: the common one-level case asks nothing more.
    if (!parent.includes('/call/')) break;
    const d = await temporal.connection.withDeadline(deadline, () =>
      temporal.workflow.getHandle(parent).describe(),
    );
    id = parent;
    parent = d.parentExecution?.workflowId ?? '';
  }
  return top;
}

/** Up to 50 call-step descendants of the caller's journey, from visibility (any status). */
export async function listDescendants(
  temporal: Client,
  deadline: number,
  clientId: string,
  journeyId: string,
): Promise<string[]> {
  const res = await temporal.connection.withDeadline(deadline, () =>
    temporal.workflowService.listWorkflowExecutions({
      namespace: temporal.options.namespace,
      pageSize: 50,
      query: `client_id = ${queryLiteral(clientId)} AND WorkflowId STARTS_WITH ${queryLiteral(childPrefix(journeyId))}`,
    }),
  );
  return (res.executions ?? [])
    .filter((raw) => isDescendant(journeyId, raw))
    .map((raw) => raw.execution?.workflowId ?? '');
}

/** The approval tasks of the journey's children, as the journey shows them; a child not answering is left out. */
export async function descendantTasks(
  temporal: Client,
  deadline: number,
  journeyId: string,
  childIds: string[],
): Promise<ApprovalTaskView[]> {
  const lists = await Promise.all(
    childIds.map((id) =>
      temporal.connection
        .withDeadline(deadline, () =>
          temporal.workflow.getHandle(id).query<ApprovalTaskView[]>(APPROVALS_QUERY),
        )
        .then((tasks) => tasks.map((t) => asJourneyTask(journeyId, id, t)))
        .catch(() => [] as ApprovalTaskView[]),
    ),
  );
  return lists.flat();
}
