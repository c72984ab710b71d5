/** The shared parts of the OpenAPI document: schemes, headers, parameters, error answers, prose. */

export const ERROR_RESPONSES: Record<number, string> = {
  400: 'Bad input: VALIDATION_FAILED with the failing field paths in `details`, or BAD_REQUEST.',
  401: 'Missing, unknown or revoked key (UNAUTHORIZED), or a refused signature / identity token.',
  403: 'The key does not hold the permission (FORBIDDEN) or the client is not active (CLIENT_INACTIVE).',
  404: 'No such resource in the caller’s client (NOT_FOUND).',
  409: 'The request conflicts with the resource’s state (CONFLICT, ILLEGAL_TRANSITION, BUDGET_EXHAUSTED…).',
  413: 'The body is larger than the route accepts (PAYLOAD_TOO_LARGE).',
  429: 'A request budget is spent (RATE_LIMITED); retry after `Retry-After` seconds.',
  500: 'A fault of the platform (INTERNAL); the message never carries internals.',
  503: 'A dependency is unavailable (UPSTREAM_UNAVAILABLE); retry after `Retry-After` seconds.',
};

export const RESPONSE_HEADERS = {
  'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
  'X-Correlation-Id': { $ref: '#/components/headers/X-Correlation-Id' },
};

export const RATE_HEADERS = {
  'RateLimit-Limit': { $ref: '#/components/headers/RateLimit-Limit' },
  'RateLimit-Remaining': { $ref: '#/components/headers/RateLimit-Remaining' },
  'RateLimit-Reset': { $ref: '#/components/headers/RateLimit-Reset' },
  'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' },
};

export const PAGINATION_LINE =
  'Paginated: `limit` (1..100, default 20) and `starting_after` (the `next_cursor` of the previous page).';

export const INFO_DESCRIPTION = [
  'Referral and growth campaigns as YAML journeys. Every request and response field is snake_case.',
  '**Errors** share one shape (`Error`): a stable `code`, a `message`, for bad input `details` naming each failing field, the `request_id` of the answer and a `doc_url` into the [error reference](/docs/errors).',
  '**Request ids**: every answer carries `X-Request-Id`; pass `X-Correlation-Id` to join a chain of work.',
  '**Rate limits**: every answer carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`; a spent budget answers 429 with `Retry-After`.',
  '**Lists** are cursor-paginated: `limit` and `starting_after`, answered with `{ data, has_more, next_cursor }`.',
  '**Idempotency**: every mutating request (POST, PUT, PATCH, DELETE) accepts an `Idempotency-Key` header (per client, 24 h): a retry with the same key and body gets the first answer with `Idempotent-Replayed: true`; the same key on another request is 422 `IDEMPOTENCY_KEY_REUSED`.',
  '**Signatures**: signed calls, in (server events) and out (webhooks, fulfilment), follow Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`.',
].join('\n\n');

export const SECURITY_SCHEMES = {
  secretKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'sk_…',
    description:
      'A client secret key with a role (owner, admin, manager, analyst, viewer), for servers and the portal. Also accepted as `X-Api-Key`.',
  },
  publishableKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'pk_…',
    description:
      'A publishable key, public by design (websites): sends events and reads a participant’s own data, the private parts only with an identity token (`X-Pulse-Identity`). Also accepted as `X-Api-Key` or `?key=`.',
  },
  adminKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'ak_…',
    description: 'A platform admin key: administers clients, nothing inside a client.',
  },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'pulse_session',
    description:
      'A signed-in person’s session (OIDC or, in development, the development login). Acts with the member’s role in the session’s client; mutations need `X-CSRF-Token` (the session’s `csrf_token`).',
  },
  serviceToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A one-minute HS256 service token whose audience is the service called (workers only).',
  },
};

export const HEADERS = {
  'X-Request-Id': { description: 'This request’s id (`req_…`).', schema: { type: 'string' } },
  'X-Correlation-Id': {
    description: 'The chain of work the request belongs to (the caller’s, or the request id).',
    schema: { type: 'string' },
  },
  'RateLimit-Limit': { description: 'Requests the nearest budget allows.', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in that budget.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the budget is full again.', schema: { type: 'integer' } },
  'RateLimit-Policy': {
    description: 'The budgets that apply (draft-ietf-httpapi-ratelimit-headers).',
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
};

export const PARAMETERS = {
  Limit: {
    name: 'limit',
    in: 'query',
    required: false,
    description: 'Items per page (1..100).',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  },
  StartingAfter: {
    name: 'starting_after',
    in: 'query',
    required: false,
    description: 'Opaque cursor: the `next_cursor` of the previous page.',
    schema: { type: 'string', maxLength: 200 },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'A unique key per intended operation; a retry with the same key and body gets the first answer.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
  CorrelationId: {
    name: 'X-Correlation-Id',
    in: 'header',
    required: false,
    description: 'Joins this request to a chain of work (echoed in the response).',
    schema: { type: 'string', maxLength: 200 },
  },
};
