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

/**
 * The call-step descendants of `journeyId` among `listed` (workflows whose id starts with its prefix): a
 * workflow counts only if its parent is the journey or a descendant counted already, and its id is its
 * parent's child id. A top-level journey whose key happens to hold `/call/` (`alice/call/x`) has no
 * parent, so neither it nor its own children are ever taken for the journey `alice`'s.
 */
export function descendantsOf(
  journeyId: string,
  listed: proto.api.workflow.v1.IWorkflowExecutionInfo[],
): string[] {
  const accepted = new Set([journeyId]);
  // Parents before children: a child's id is longer than its parent's.
  const byLength = [...listed].sort(
    (a, b) => (a.execution?.workflowId ?? '').length - (b.execution?.workflowId ?? '').length,
  );
  const out: string[] = [];
  for (const raw of byLength) {
    const id = raw.execution?.workflowId ?? '';
    const parent = raw.parentExecution?.workflowId ?? '';
    if (accepted.has(parent) && id.startsWith(childPrefix(parent))) {
      accepted.add(id);
      out.push(id);
    }
  }
  return out;
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

/** Whether `workflowId` is a call-step descendant of `journeyId`, by its parents (Temporal's record). */
export async function belongsTo(
  temporal: Client,
  deadline: number,
  journeyId: string,
  workflowId: string,
): Promise<boolean> {
  const d = await temporal.connection.withDeadline(deadline, () =>
    temporal.workflow.getHandle(workflowId).describe(),
  );
  const raw = {
    execution: { workflowId },
    parentExecution: { workflowId: d.parentExecution?.workflowId ?? '' },
  };
  return (await topJourney(temporal, deadline, raw)) === journeyId;
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
  return descendantsOf(journeyId, res.executions ?? []);
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
