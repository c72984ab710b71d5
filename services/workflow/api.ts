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
];
