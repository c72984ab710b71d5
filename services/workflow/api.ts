import { api, describe } from '../platform/openapi.ts';
import { JOURNEY_STATUS_NAMES } from './list.ts';

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
];
