import { api, describe } from '../platform/openapi.ts';

const ID = { name: 'id', description: 'The campaign id.' };

/** The OpenAPI description of every public campaign route (routes.ts). */
export const campaignApi = [
  describe({
    method: 'post',
    path: '/v1/campaigns/deploy',
    operationId: 'deployCampaign',
    summary: 'Deploy a campaign',
    description:
      'Validates and compiles the YAML, then creates the campaign or appends a version (201); the exact plan already current is a no-op (200). Every diagnostic is a `details` entry with its path.',
    tags: ['campaigns'],
    permission: 'campaign.deploy',
    body: api('campaignDeployBody'),
    responses: {
      200: { description: 'The plan was already current', schema: api('campaignDeployed') },
      201: { description: 'A new version', schema: api('campaignDeployed') },
    },
    errors: [409, 413],
  }),
  describe({
    method: 'post',
    path: '/v1/campaigns/simulate',
    operationId: 'simulateCampaign',
    summary: 'Simulate a campaign',
    description:
      "Validates and compiles the YAML as a deploy does, then runs it on a time-skipping test server with fake activities: the script's events go through the real router and weeks of waits take milliseconds. Nothing is stored. One simulation at a time per server (429 while another runs); at most 30 s of wall time.",
    tags: ['campaigns'],
    permission: 'campaign.deploy',
    body: api('campaignSimulateBody'),
    responses: { 200: api('campaignSimulation') },
    errors: [413, 429, 503],
  }),
  describe({
    method: 'get',
    path: '/v1/campaigns',
    operationId: 'listCampaigns',
    summary: 'List campaigns',
    tags: ['campaigns'],
    permission: 'campaign.read',
    paginated: true,
    responses: { 200: api('campaignList') },
  }),
  describe({
    method: 'get',
    path: '/v1/campaigns/:id',
    operationId: 'getCampaign',
    summary: 'A campaign and its versions',
    tags: ['campaigns'],
    permission: 'campaign.read',
    pathParams: [ID],
    responses: { 200: api('campaignDetail') },
    errors: [404],
  }),
  describe({
    method: 'get',
    path: '/v1/campaigns/:id/versions/:version',
    operationId: 'getCampaignVersion',
    summary: 'One deployed version (source and compiled plan)',
    tags: ['campaigns'],
    permission: 'campaign.read',
    pathParams: [ID, { name: 'version', schema: { type: 'integer', minimum: 1, maximum: 2147483647 } }],
    responses: { 200: api('campaignVersionEnvelope') },
    errors: [404],
  }),
  describe({
    method: 'post',
    path: '/v1/campaigns/:id/status',
    operationId: 'setCampaignStatus',
    summary: 'Activate, pause or end a campaign',
    tags: ['campaigns'],
    permission: 'campaign.status',
    pathParams: [ID],
    body: api('campaignStatusBody'),
    responses: { 200: api('campaignEnvelope') },
    errors: [404, 409],
  }),
];
