import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import type { ApiKeyResolver } from '../platform/auth.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createApprovalInboxRoutes, createWorkflowRoutes } from './routes.ts';

/**
 * Workflow orchestration's HTTP face: journey status, traces and approvals for portals. The orchestration itself (router,
 * the generic runCampaign workflow, the worker) lives in engine/ and runs in the worker process.
 */
export function createWorkflowApp(deps: {
  temporal: Client;
  resolver: ApiKeyResolver;
  /** Secret that signs the journey list's cursors (the deployment's hash secret). */
  cursorKey: string;
}) {
  return withErrorHandling(
    new Hono()
      .route('/v1/journeys', createWorkflowRoutes(deps.temporal, deps.resolver, deps.cursorKey))
      .route('/v1/approvals', createApprovalInboxRoutes(deps.temporal, deps.resolver, deps.cursorKey)),
  );
}
export { JOURNEY_STATUS_NAMES, type JourneyStatus } from './list.ts';
