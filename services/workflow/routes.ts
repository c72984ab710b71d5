import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import { journeyWorkflowId } from '../../contract/plan.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import { idParam } from '../platform/params.ts';
import { listJourneys, parseJourneyListQuery } from './list.ts';

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
  return (
    new Hono<{ Variables: AuthVariables }>()
      .use('*', authenticate(resolver, { permission: 'journey.read' }))
      /**
       * GET /v1/journeys: the caller's journeys, filtered by campaign_id, participant_id and status,
       * cursor-paginated (`limit`, `starting_after`). Read from Temporal's visibility store through the
       * journeys' search attributes; the query always filters by the caller's client.
       */
      .get('/', async (c) => {
        const query = parseJourneyListQuery((k) => c.req.query(k));
        return c.json(await listJourneys(temporal, cursorKey, c.get('principal').clientId, query));
      })
      .get('/:campaignId/:journeyKey', async (c) => {
        const workflowId = journeyWorkflowId(
          {
            clientId: c.get('principal').clientId,
            campaignId: idParam(c.req.param('campaignId'), 'campaignId'),
          },
          idParam(c.req.param('journeyKey'), 'journeyKey'),
        );
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
