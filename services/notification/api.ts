import { api, describe } from '../platform/openapi.ts';

/** The OpenAPI description of the public notification routes (routes.ts). */
export const notificationApi = [
  describe({
    method: 'put',
    path: '/v1/notifications/templates/:name',
    operationId: 'putTemplate',
    summary: 'Override a notification template',
    description:
      'Publishes a new immutable version of the client’s own template for `name` (and locale, default en), in Liquid with strict variables. A template that does not parse is refused (400 at the part). Journeys already running keep the version current when they started.',
    tags: ['notifications'],
    permission: 'notification.manage',
    pathParams: [
      { name: 'name', description: 'The template name (as the campaign’s notify step names it).' },
    ],
    body: api('templateBody'),
    errors: [409],
    responses: { 201: { description: 'A new template version', schema: api('templateSaved') } },
  }),
  describe({
    method: 'get',
    path: '/v1/notifications/templates',
    operationId: 'listTemplates',
    summary: 'The client’s own templates',
    description:
      'By name, with the locales each exists in and its newest version. Built-in templates are files shipped with the campaigns (campaigns/templates) and are not listed; `built_in` says when a client template overrides one.',
    tags: ['notifications'],
    permission: 'notification.read',
    paginated: true,
    responses: { 200: api('templateList') },
  }),
  describe({
    method: 'get',
    path: '/v1/notifications/templates/:name',
    operationId: 'getTemplateVersions',
    summary: 'Every version of a template',
    description:
      'Published versions are immutable; a journey renders the newest version published before it started. 404 when neither the client nor the built-ins have the name.',
    tags: ['notifications'],
    permission: 'notification.read',
    pathParams: [{ name: 'name', description: 'The template name.' }],
    errors: [404],
    responses: { 200: api('templateVersions') },
  }),
  describe({
    method: 'post',
    path: '/v1/notifications/webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Register a webhook endpoint',
    description:
      'Deliveries are signed with the returned secret (shown once). A URL into a private network is refused (OUTBOUND_REFUSED at `url`).',
    tags: ['notifications'],
    permission: 'notification.manage',
    body: api('webhookEndpointBody'),
    responses: { 201: { description: 'Registered', schema: api('webhookEndpoint') } },
  }),
  describe({
    method: 'get',
    path: '/v1/notifications/participants/:id',
    operationId: 'listParticipantNotifications',
    summary: 'A participant’s notifications',
    tags: ['notifications'],
    permission: 'notification.read',
    pathParams: [{ name: 'id', description: 'The participant id.' }],
    paginated: true,
    responses: { 200: api('notificationList') },
  }),
  describe({
    method: 'get',
    path: '/v1/notifications',
    operationId: 'listDeliveries',
    summary: 'The delivery log',
    description:
      'Every notification of the client with its delivery status, attempts and a safe last error; filter by `status=failed` and `journey_id` to see why a journey’s email did not arrive.',
    tags: ['notifications'],
    permission: 'notification.read',
    query: [
      {
        name: 'status',
        description: 'Only deliveries in this state.',
        schema: {
          type: 'string',
          enum: [
            'pending',
            'sending',
            'sent',
            'retrying',
            'failed',
            'stored',
            'queued',
            'skipped_no_address',
          ],
        },
      },
      { name: 'journey_id', description: 'Only this journey’s deliveries (its workflow id).' },
      { name: 'campaign_id', description: 'Only this campaign’s deliveries.' },
      { name: 'participant_id', description: 'Only this participant’s deliveries.' },
    ],
    paginated: true,
    responses: { 200: api('deliveryLogList') },
  }),
];
