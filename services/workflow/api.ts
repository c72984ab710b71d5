import { api, describe } from '../platform/openapi.ts';

/** The OpenAPI description of the journey status route (routes.ts). */
export const workflowApi = [
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
