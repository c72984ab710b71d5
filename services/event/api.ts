import { api, describe, type ParamDoc } from '../platform/openapi.ts';

const IDENTITY: ParamDoc = {
  name: 'X-Pulse-Identity',
  description: 'Identity token of the participant (publishable keys: allows contact traits).',
  schema: { type: 'string', maxLength: 1024 },
};
const SIGNED =
  'Secret keys: Standard Webhooks signature with the key’s signing secret (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`).';
const SIGNATURE_HEADERS: ParamDoc[] = [
  {
    name: 'webhook-id',
    description: `${SIGNED} The message id.`,
    schema: { type: 'string', maxLength: 256 },
  },
  {
    name: 'webhook-timestamp',
    description: 'Unix seconds of the signature; at most five minutes old.',
    schema: { type: 'string', pattern: '^[0-9]{1,12}$' },
  },
  {
    name: 'webhook-signature',
    description: 'Space-separated `v1,<base64>` signatures.',
    schema: { type: 'string', maxLength: 1024 },
  },
  {
    name: 'X-Pulse-Signature',
    description:
      'Deprecated (answered with `Deprecation: true`): `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The webhook-* headers win when both are sent.',
    schema: { type: 'string', maxLength: 512 },
  },
];

/** The OpenAPI description of event intake (routes.ts). */
export const eventApi = [
  describe({
    method: 'post',
    path: '/v1/events',
    operationId: 'sendEvent',
    summary: 'Send one event',
    description:
      'Durable accept: 202 means the event is committed; a repeated `event_id` answers `duplicate`. Secret-key calls must be signed (`X-Pulse-Signature`).',
    tags: ['events'],
    permission: 'event.send',
    headers: [IDENTITY, ...SIGNATURE_HEADERS],
    body: 'event.schema.json',
    idempotencyKey: true,
    responses: { 202: { description: 'Accepted (or a duplicate)', schema: api('eventAccepted') } },
    errors: [413],
  }),
  describe({
    method: 'post',
    path: '/v1/events/batch',
    operationId: 'sendEventBatch',
    summary: 'Send up to 100 events',
    description:
      'Each event is checked on its own and answered in `results`; the batch is refused (400) only when no event is usable. Browsers may pass a publishable key as `?key=` (sendBeacon).',
    tags: ['events'],
    permission: 'event.send',
    query: [{ name: 'key', description: 'A publishable key (sendBeacon cannot set headers).' }],
    headers: [IDENTITY, ...SIGNATURE_HEADERS],
    body: api('eventBatchBody'),
    idempotencyKey: true,
    responses: {
      202: { description: 'Accepted, with a result per event', schema: api('eventBatchResult') },
    },
    errors: [413],
  }),
  describe({
    method: 'get',
    path: '/v1/sdk/snippet',
    operationId: 'getSdkSnippet',
    summary: 'The embed snippet for a site',
    description:
      'HTML that loads the versioned browser SDK with its Subresource Integrity hash, for a live publishable key of the caller’s client (the key itself authenticates, or a secret key in the header names it).',
    tags: ['sdk'],
    permission: 'event.send',
    query: [
      { name: 'key', required: true, description: 'The publishable key (`pk_…`) the snippet embeds.' },
      { name: 'campaign_id', description: 'Campaign the page belongs to (optional).' },
    ],
    responses: { 200: api('sdkSnippet') },
    errors: [503],
  }),
  describe({
    method: 'get',
    path: '/sdk/:version/:file',
    operationId: 'getSdkFile',
    summary: 'A built SDK file',
    description:
      '`/sdk/v<version>/<file>` is immutable (cached for a year; a new SDK is a new URL); `/sdk/latest/<file>` is cached for five minutes. Files: `pulse.iife.js`, `pulse.esm.js`, `pulse-widget.js`.',
    tags: ['sdk'],
    auth: 'none',
    pathParams: [
      { name: 'version', description: '`v<version>` or `latest`.' },
      { name: 'file', description: 'The file name.' },
    ],
    responses: {
      200: {
        description: 'The JavaScript file',
        text: 'text/javascript',
        headers: {
          ETag: 'Strong validator of the file.',
          'Cache-Control': 'How long the file may be cached.',
        },
      },
      304: { description: 'Not modified (If-None-Match matched)' },
    },
    errors: [404],
  }),
  describe({
    method: 'get',
    path: '/v1/event-types',
    operationId: 'listEventTypes',
    summary: 'List custom event types',
    description: 'The client’s declared event types, current versions, by name.',
    tags: ['event types'],
    permission: 'event_type.read',
    paginated: true,
    responses: { 200: api('eventTypeList') },
  }),
  describe({
    method: 'get',
    path: '/v1/event-types/:name',
    operationId: 'getEventType',
    summary: 'A custom event type',
    description: 'The current version (or `?version=n`), with the list of its versions.',
    tags: ['event types'],
    permission: 'event_type.read',
    pathParams: [
      { name: 'name', description: 'The event type: `custom_` + lower_snake_case (at most 64 characters).' },
    ],
    query: [{ name: 'version', description: 'An older version.', schema: { type: 'integer', minimum: 1 } }],
    responses: { 200: api('eventTypeDetail') },
    errors: [404],
  }),
  describe({
    method: 'put',
    path: '/v1/event-types/:name',
    operationId: 'declareEventType',
    summary: 'Declare a custom event type',
    description:
      'Declares the JSON Schema the ingest checks this event’s `properties` against. A different schema becomes the next version (versions never change); the same schema changes nothing.',
    tags: ['event types'],
    permission: 'event_type.manage',
    pathParams: [
      { name: 'name', description: 'The event type: `custom_` + lower_snake_case (at most 64 characters).' },
    ],
    body: api('eventTypeBody'),
    responses: {
      200: {
        description: 'Identical to the current version: nothing changed',
        schema: api('eventTypeSaved'),
      },
      201: { description: 'A new version', schema: api('eventTypeSaved') },
    },
    errors: [409],
  }),
  describe({
    method: 'delete',
    path: '/v1/event-types/:name',
    operationId: 'archiveEventType',
    summary: 'Archive a custom event type',
    description: 'The ingest refuses the type from then on; declaring it again adds a version.',
    tags: ['event types'],
    permission: 'event_type.manage',
    pathParams: [
      { name: 'name', description: 'The event type: `custom_` + lower_snake_case (at most 64 characters).' },
    ],
    responses: { 200: api('eventTypeEnvelope') },
    errors: [404],
  }),
  describe({
    method: 'get',
    path: '/v1/admin/dead-letters',
    operationId: 'listDeadLetters',
    summary: 'Dead-lettered events, across clients',
    description:
      'Events a sink (ClickHouse or the bus) still refused after the drainer’s bounded attempts, parked so the others flow; newest first, with the counts per sink and client. The payload is not shown.',
    tags: ['admin'],
    permission: 'client.admin',
    query: [
      {
        name: 'sink',
        description: 'Only one sink’s.',
        schema: { type: 'string', enum: ['clickhouse', 'bus'] },
      },
      { name: 'client_id', description: 'Only one client’s.' },
    ],
    paginated: true,
    responses: { 200: api('deadLetterList') },
  }),
  describe({
    method: 'get',
    path: '/v1/admin/dead-letters/:id',
    operationId: 'getDeadLetter',
    summary: 'One dead-lettered event',
    tags: ['admin'],
    permission: 'client.admin',
    pathParams: [{ name: 'id', description: 'The dead letter’s id (an integer).' }],
    errors: [404],
    responses: { 200: api('deadLetter') },
  }),
  describe({
    method: 'post',
    path: '/v1/admin/dead-letters/:id/retry',
    operationId: 'retryDeadLetter',
    summary: 'Send a dead-lettered event again',
    description:
      'Puts the event back in the outbox, after both sinks’ cursors, for the sink that parked it only: the drainer sends it there again and the other sink, which already had it, passes it over. If the sink still refuses it, it is parked again. Audited on the event’s client.',
    tags: ['admin'],
    permission: 'client.admin',
    pathParams: [{ name: 'id', description: 'The dead letter’s id (an integer).' }],
    errors: [404],
    responses: { 200: api('deadLetterRetried') },
  }),
  describe({
    method: 'delete',
    path: '/v1/admin/dead-letters/:id',
    operationId: 'discardDeadLetter',
    summary: 'Discard a dead-lettered event',
    description:
      'Removes the parked copy for good; the event is not delivered to that sink. Audited on the event’s client.',
    tags: ['admin'],
    permission: 'client.admin',
    pathParams: [{ name: 'id', description: 'The dead letter’s id (an integer).' }],
    errors: [404],
    responses: { 200: api('deadLetterDiscarded') },
  }),
];
