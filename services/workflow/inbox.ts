import type { Client } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';
import { AppError } from '../../contract/errors.ts';
import type { ApprovalInbox, ApprovalInboxItem } from '../../contract/generated/api.generated.ts';
import { APPROVALS_QUERY, type ApprovalTaskView } from '../../contract/plan.ts';
import { intParam, optionalIdParam } from '../platform/params.ts';
import { asJourneyTask, topJourney } from './children.ts';
import { decodeCursor, encodeCursor, keyword, queryLiteral } from './list.ts';

/**
 * The cross-journey approval inbox. The engine keeps a journey's tasks in the journey itself (its
 * `approvals` query), and no search attribute says "waiting for approval" — but the engine opens the
 * first task of a run behind `patched('approval-step')`, and the Temporal SDK records every patch it
 * applies in the system search attribute `TemporalChangeVersion`. So visibility narrows the scan to the
 * caller's running journeys that have opened an approval task, and only those are asked, a page at a
 * time (`limit` journeys, a few at once, one deadline for the page). Running journeys whose worker does
 * not answer in time are named in `unanswered` rather than failing the page. A call step's child journey
 * carries its journey's attributes and opens its own tasks: they are listed under the journey that
 * called it, with qualified task ids (children.ts), so deciding goes through that journey like any task.
 */

const DEADLINE_MS = 5_000;
const LISTING_MS = 2_000;
/** Queries in flight at once: a page asks up to `limit` journeys without piling onto the worker. */
const CONCURRENCY = 8;

export interface InboxQuery {
  campaignId?: string;
  limit: number;
  cursor?: string;
}

export function parseInboxQuery(q: (k: string) => string | undefined): InboxQuery {
  const query: InboxQuery = { limit: intParam(q('limit'), 'limit', { min: 1, max: 100, fallback: 20 }) };
  const campaignId = optionalIdParam(q('campaign_id'), 'campaign_id');
  if (campaignId) query.campaignId = campaignId;
  const after = q('starting_after');
  if (after !== undefined && after !== '') {
    if (after.length > 4096 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(after))
      throw new AppError('VALIDATION_FAILED', 'invalid query parameter', [
        {
          path: 'starting_after',
          message: 'not a cursor of this listing',
          expected: 'the next_cursor of a previous page with the same filters',
        },
      ]);
    query.cursor = after;
  }
  return query;
}

/** Running journeys of the client (and campaign) that have opened an approval task in this run. */
export function inboxVisibilityQuery(clientId: string, campaignId?: string): string {
  const terms = [`client_id = ${queryLiteral(clientId)}`];
  if (campaignId) terms.push(`campaign_id = ${queryLiteral(campaignId)}`);
  terms.push('ExecutionStatus = "Running"', 'TemporalChangeVersion = "approval-step"');
  return terms.join(' AND ');
}

const unavailable = () =>
  new AppError('UPSTREAM_UNAVAILABLE', 'workflow engine unavailable', [], { 'Retry-After': '5' });

/** Runs `fn` over `items` with at most `n` at once, in order. */
async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  return out;
}

export async function listInbox(
  temporal: Client,
  cursorKey: string,
  clientId: string,
  q: InboxQuery,
): Promise<ApprovalInbox> {
  const query = inboxVisibilityQuery(clientId, q.campaignId);
  const token = q.cursor ? decodeCursor(cursorKey, query, q.cursor) : undefined;
  const deadline = Date.now() + DEADLINE_MS;
  let res: proto.api.workflowservice.v1.IListWorkflowExecutionsResponse;
  try {
    // Bounded like the journey list: an outage is a 503 within 2 s; the journeys' queries share the rest.
    res = await temporal.connection.withDeadline(Date.now() + LISTING_MS, () =>
      temporal.workflowService.listWorkflowExecutions({
        namespace: temporal.options.namespace,
        pageSize: q.limit,
        query,
        ...(token ? { nextPageToken: token } : {}),
      }),
    );
  } catch {
    throw unavailable();
  }
  const executions = res.executions ?? [];
  const unanswered: string[] = [];
  const answers = await pool(executions, CONCURRENCY, async (raw) => {
    const workflowId = raw.execution?.workflowId ?? '';
    const campaignId = keyword(raw, 'campaign_id');
    const prefix = `pulse:${clientId}:${campaignId}:`;
    // Defence in depth: the visibility query names the client; the id must name it too.
    if (!campaignId || !workflowId.startsWith(prefix)) return [];
    try {
      const tasks = await temporal.connection.withDeadline(deadline, () =>
        temporal.workflow.getHandle(workflowId).query<ApprovalTaskView[]>(APPROVALS_QUERY),
      );
      const pending = tasks.filter((t) => t.state === 'pending');
      if (pending.length === 0) return [];
      const journeyId = (await topJourney(temporal, deadline, raw)) ?? workflowId;
      if (!journeyId.startsWith(prefix)) return [];
      return pending.map(
        (t): ApprovalInboxItem => ({
          workflow_id: journeyId,
          campaign_id: campaignId,
          journey_key: journeyId.slice(prefix.length),
          participant_id: keyword(raw, 'participant_id'),
          pulse: keyword(raw, 'pulse'),
          // The journey's own view is the schema's approvalTask (`details` is any JSON there).
          approval: asJourneyTask(journeyId, workflowId, t) as ApprovalInboxItem['approval'],
        }),
      );
    } catch {
      // Finished since the listing, or no worker answering: the page still answers for the others.
      unanswered.push(workflowId);
      return [];
    }
  });
  const next = res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken) : null;
  return {
    data: answers.flat(),
    scanned: executions.length,
    unanswered,
    has_more: next !== null,
    next_cursor: next ? encodeCursor(cursorKey, query, next) : null,
  };
}
