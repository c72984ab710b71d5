import { api, describe } from '../platform/openapi.ts';
import { JOURNEY_STATUS_NAMES } from './list.ts';

const JOURNEY = [
  { name: 'campaignId', description: 'The campaign id.' },
  { name: 'journeyKey', description: 'The journey key (usually the participant id).' },
];

/** The OpenAPI description of the journey routes (routes.ts). */
export const workflowApi = [
  describe({
    method: 'get',
    path: '/v1/journeys',
    operationId: 'listJourneys',
    summary: 'List journeys',
    description:
      'The caller’s journeys from Temporal’s visibility store, newest first, filtered by the journeys’ search attributes (always the caller’s client).',
    tags: ['journeys'],
    permission: 'journey.read',
    query: [
      { name: 'campaign_id', description: 'Only this campaign’s journeys.' },
      { name: 'participant_id', description: 'Only this participant’s journeys.' },
      {
        name: 'status',
        description: 'Only journeys in this state.',
        schema: { type: 'string', enum: JOURNEY_STATUS_NAMES },
      },
    ],
    paginated: true,
    responses: { 200: api('journeyList') },
    errors: [503],
  }),
  describe({
    method: 'get',
    path: '/v1/journeys/:campaignId/:journeyKey',
    operationId: 'getJourney',
    summary: 'A journey’s status',
    description: 'The journey of one participant (its key) in one of the caller’s campaigns.',
    tags: ['journeys'],
    permission: 'journey.read',
    pathParams: [
      { name: 'campaignId', description: 'The campaign id.' },
      { name: 'journeyKey', description: 'The journey key (usually the participant id).' },
    ],
    responses: { 200: api('journey') },
    errors: [404, 503],
  }),
  describe({
    method: 'get',
    path: '/v1/journeys/:campaignId/:journeyKey/trace',
    operationId: 'getJourneyTrace',
    summary: 'A journey’s trace',
    description:
      'What the journey did, read from Temporal’s event history, oldest first: its start (campaign version, trigger), each activity (catalogue name, step id and path from the activity’s input, scheduled → completed or failed, the attempt that ended it, duration, a redacted result summary), timers with their fire time, events routed into it, approval decisions, child journeys, continue-as-new and its end. Timers and received events carry `step: null`: the history does not say which step set or took them. The latest run unless `run_id` names an earlier one (`continued_from_run_id`).',
    tags: ['journeys'],
    permission: 'journey.read',
    pathParams: JOURNEY,
    query: [
      {
        name: 'run_id',
        description:
          'Read this run of the journey (an earlier run after continue-as-new); default the latest.',
        schema: { type: 'string', format: 'uuid' },
      },
    ],
    paginated: true,
    responses: { 200: api('journeyTrace') },
    errors: [404, 503],
  }),
  describe({
    method: 'get',
    path: '/v1/journeys/:campaignId/:journeyKey/approvals',
    operationId: 'listJourneyApprovals',
    summary: 'A journey’s approval tasks',
    description:
      'The tasks of the journey’s `approval` steps: the open one with its roles and deadline, and the last 50 decided with who decided, the reason and when. Answered by the journey itself, also after it finished.',
    tags: ['journeys', 'approvals'],
    permission: 'journey.read',
    pathParams: JOURNEY,
    responses: { 200: api('approvalTaskList') },
    errors: [404, 503],
  }),
  describe({
    method: 'post',
    path: '/v1/journeys/:campaignId/:journeyKey/approvals',
    operationId: 'decideJourneyApproval',
    summary: 'Approve or reject a journey’s approval task',
    description:
      'Sends the decision to the journey, which goes on through the step’s `then` (approve) or `on_reject` (reject). The decider is the calling key and its role, which must be one of the task’s roles or higher (403 otherwise). Repeating the recorded decision answers 200 with the task unchanged; a different decision, or one after the task timed out, is 409.',
    tags: ['journeys', 'approvals'],
    permission: 'approval.decide',
    pathParams: JOURNEY,
    body: api('approvalDecisionBody'),
    responses: { 200: api('approvalTaskEnvelope') },
    errors: [403, 404, 409, 503],
  }),
  describe({
    method: 'get',
    path: '/v1/approvals',
    operationId: 'listApprovalInbox',
    summary: 'Open approval tasks across journeys',
    description:
      'The pending tasks of `approval` steps across the caller’s running journeys, filtered by `campaign_id`. Each page scans up to `limit` running journeys that have opened an approval task (Temporal visibility: `TemporalChangeVersion` holds the engine’s `approval-step` patch) and asks each one for its tasks within one deadline, so a page may hold fewer tasks than `limit` (or none) and still have more; journeys that did not answer in time are listed in `unanswered`. Decide a task with POST /v1/journeys/{campaignId}/{journeyKey}/approvals.',
    tags: ['approvals'],
    permission: 'journey.read',
    query: [{ name: 'campaign_id', description: 'Only this campaign’s journeys.' }],
    paginated: true,
    responses: { 200: api('approvalInbox') },
    errors: [503],
  }),
];
