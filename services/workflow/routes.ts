import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { type Context, Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type { ApprovalDecisionBody } from '../../contract/generated/api.generated.ts';
import { journeyWorkflowId } from '../../contract/plan.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import { readBody } from '../platform/http.ts';
import { api } from '../platform/openapi.ts';
import { idParam } from '../platform/params.ts';
import { decideApproval, listJourneyApprovals } from './approvals.ts';
import { listInbox, parseInboxQuery } from './inbox.ts';
import { listJourneys, parseJourneyListQuery } from './list.ts';
import { parseTraceQuery, readTrace } from './trace.ts';

/** The journey's own status query, snake_case like every answer (`vars` are the campaign's names). */
interface JourneyStatus {
  state: string;
  currentStep: string | null;
  waitingFor: string[] | null;
  vars: Record<string, unknown>;
  outcome?: unknown;
  generation: number;
}
function journeyView(s: JourneyStatus) {
  return {
    state: s.state,
    current_step: s.currentStep,
    waiting_for: s.waitingFor,
    vars: s.vars,
    outcome: s.outcome ?? null,
    generation: s.generation,
  };
}

/**
 * Status monitoring of running journeys (the only part of orchestration exposed to portals). The workflow
 * id is derived from the caller's own client id, so a client can only ever address its own journeys.
 */
export function createWorkflowRoutes(temporal: Client, resolver: ApiKeyResolver, cursorKey: string) {
  const reader = authenticate(resolver, { permission: 'journey.read' });
  const decider = authenticate(resolver, { permission: 'approval.decide' });
  const workflowIdOf = (c: Context<{ Variables: AuthVariables }>) =>
    journeyWorkflowId(
      {
        clientId: c.get('principal').clientId,
        campaignId: idParam(c.req.param('campaignId'), 'campaignId'),
      },
      idParam(c.req.param('journeyKey'), 'journeyKey'),
    );
  return (
    new Hono<{ Variables: AuthVariables }>()
      /** The journey's approval tasks (open and recently decided), from the journey itself. */
      /**
       * The journey's trace, read from Temporal's event history (the interpreter is not asked): one
       * entry per activity, timer, event received, decision, child journey and the run's start and end.
       */
      .get('/:campaignId/:journeyKey/trace', reader, async (c) => {
        const query = parseTraceQuery((k) => c.req.query(k));
        return c.json(await readTrace(temporal, c.get('principal').clientId, workflowIdOf(c), query));
      })
      .get('/:campaignId/:journeyKey/approvals', reader, async (c) => {
        const data = await listJourneyApprovals(temporal, c.get('principal').clientId, workflowIdOf(c));
        return c.json({ data, has_more: false, next_cursor: null });
      })
      /**
       * A decision on one task, sent to the journey as the `approval` update. The decider is the calling
       * key and its role; a repeat of the recorded decision answers 200, a different one 409.
       */
      .post('/:campaignId/:journeyKey/approvals', decider, async (c) => {
        const workflowId = workflowIdOf(c);
        const body = await readBody<ApprovalDecisionBody>(
          c,
          api('approvalDecisionBody'),
          'approval decision',
        );
        const p = c.get('principal');
        const approval = await decideApproval(temporal, workflowId, {
          task: body.task,
          decision: body.decision,
          decidedBy: `key:${p.keyId}`,
          role: p.role ?? '',
          ...(body.reason !== undefined ? { reason: body.reason } : {}),
        });
        return c.json({ approval });
      })

      /**
       * GET /v1/journeys: the caller's journeys, filtered by campaign_id, participant_id and status,
       * cursor-paginated (`limit`, `starting_after`). Read from Temporal's visibility store through the
       * journeys' search attributes; the query always filters by the caller's client.
       */
      .get('/', reader, async (c) => {
        const query = parseJourneyListQuery((k) => c.req.query(k));
        return c.json(await listJourneys(temporal, cursorKey, c.get('principal').clientId, query));
      })
      .get('/:campaignId/:journeyKey', reader, async (c) => {
        const workflowId = workflowIdOf(c);
        const handle = temporal.workflow.getHandle(workflowId);
        try {
          // Bounded: a Temporal outage is a 503 within 2 s, not a request hanging on gRPC retries.
          const deadline = Date.now() + 2_000;
          const description = await temporal.connection.withDeadline(deadline, () => handle.describe());
          const status = await temporal.connection
            .withDeadline(deadline, () => handle.query<JourneyStatus>('status'))
            .catch(() => null);
          return c.json({
            workflow_id: workflowId,
            execution_status: description.status.name,
            started_at: description.startTime.toISOString(),
            closed_at: description.closeTime?.toISOString() ?? null,
            journey: status ? journeyView(status) : null,
          });
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new AppError('NOT_FOUND', 'no such journey');
          throw new AppError('UPSTREAM_UNAVAILABLE', 'workflow engine unavailable', [], {
            'Retry-After': '5',
          });
        }
      })
  );
}

/**
 * GET /v1/approvals: open approval tasks across the caller's running journeys (inbox.ts says how the
 * scan is narrowed and bounded). Mounted beside /v1/journeys; gated per route like the journey routes.
 */
export function createApprovalInboxRoutes(temporal: Client, resolver: ApiKeyResolver, cursorKey: string) {
  const reader = authenticate(resolver, { permission: 'journey.read' });
  return new Hono<{ Variables: AuthVariables }>().get('/', reader, async (c) => {
    const query = parseInboxQuery((k) => c.req.query(k));
    return c.json(await listInbox(temporal, cursorKey, c.get('principal').clientId, query));
  });
}
