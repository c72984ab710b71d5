import { api, describe, type ParamDoc } from '../platform/openapi.ts';

const IDENTITY: ParamDoc = {
  name: 'X-Pulse-Identity',
  description: 'Identity token of the participant (publishable keys: allows contact traits).',
  schema: { type: 'string', maxLength: 1024 },
};
const SIGNATURE: ParamDoc = {
  name: 'X-Pulse-Signature',
  description: 'Secret keys: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the key’s signing secret.',
  schema: { type: 'string', maxLength: 512 },
};

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
    headers: [IDENTITY, SIGNATURE],
    body: 'event.schema.json',
    idempotencyKey: false,
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
    headers: [IDENTITY, SIGNATURE],
    body: api('eventBatchBody'),
    idempotencyKey: false,
    responses: {
      202: { description: 'Accepted, with a result per event', schema: api('eventBatchResult') },
      400: { description: 'Every event is invalid, or the batch itself is', schema: api('eventBatchError') },
    },
    errors: [413],
  }),
];
