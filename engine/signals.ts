import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  APPROVAL_UPDATE,
  APPROVALS_QUERY,
  type ApprovalDecisionInput,
  type ApprovalTaskView,
  type JourneyEvent,
} from '../contract/plan.ts';
import type { JourneyStatus, TraceRecord } from './interpreter/types.ts';

/** The one signal a journey receives: a bus event (the trigger included, deduplicated by `event_id`). */
export const eventSignal = defineSignal<[JourneyEvent]>('event');

/** Where a journey is: running, waiting for which events, sleeping, or finished with which outcome. */
export const statusQuery = defineQuery<JourneyStatus>('status');

/** The bounded list of what the interpreter did (steps entered and left, waits, timers, activities). */
export const traceQuery = defineQuery<TraceRecord[]>('trace');

/** Workflow type name registered by the worker; the router and `call` steps start journeys by it. */
export const RUN_CAMPAIGN = 'runCampaign';

/**
 * A decision on one of the journey's approval tasks. Its validator rejects unknown tasks, roles below
 * the task's, repeats (APPROVAL_ALREADY_DECIDED: the caller answers with the recorded decision) and
 * conflicting decisions (CONFLICT) without writing history; an accepted decision answers the task.
 */
export const approvalUpdate = defineUpdate<ApprovalTaskView, [ApprovalDecisionInput]>(APPROVAL_UPDATE);

/** The journey's approval tasks, open and (recently) decided. */
export const approvalsQuery = defineQuery<ApprovalTaskView[]>(APPROVALS_QUERY);

/** Workflow type of a participant's anniversary keeper (engine/anniversaries.ts). */
export const RUN_ANNIVERSARIES = 'runAnniversaries';

/** A later enrolling event's origin date: the keeper moves its next occurrence to it. */
export const anniversaryOriginSignal = defineSignal<[string]>('anniversary-origin');

/** The period journeys an anniversary keeper started (workflow ids, newest last, bounded). */
export const anniversaryJourneysQuery = defineQuery<string[]>('anniversary-journeys');
