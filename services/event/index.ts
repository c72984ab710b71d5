import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { ApiKeyResolver } from '../platform/auth.ts';
import type { Cidr } from '../platform/cidr.ts';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { childLogger } from '../platform/log.ts';
import { createDeadLetterRoutes } from './dead-letter-routes.ts';
import { createEventTypeRegistry, type EventTypeRegistry } from './event-types.ts';
import { createEventTypeRoutes } from './event-types-routes.ts';
import { createOutboxWriter } from './outbox-writer.ts';
import {
  createFallbackRateLimiter,
  createMemoryRateLimiter,
  createRedisRateLimiter,
  DEFAULT_RATE_LIMIT,
  type RateLimiter,
  type RateLimitPolicy,
} from './rate-limit.ts';
import type { EventTables } from './repo.ts';
import { createEventRoutes } from './routes.ts';
import { createEventValidator } from './schema.ts';
import { createSdkFileRoutes, createSnippetRoutes, type SdkBundle } from './sdk-files.ts';
import type { IngestQuota } from './service.ts';

export { createEventDrainer, type DrainerOptions, type EventDrainer } from './drainer.ts';
export {
  createEventTypeRegistry,
  declareCampaignEvents,
  type EventTypeRegistry,
} from './event-types.ts';
export { migrations } from './migrations/index.ts';
export { EVENT_TYPES } from './schema.ts';
export { loadSdkBundle, type SdkBundle } from './sdk-files.ts';

export interface EventAppDeps {
  db: Db;
  /** Resolves API keys (client-management's Postgres-backed resolver in production). */
  resolver: ApiKeyResolver;
  /** Secret for the keyed IP hash. */
  hashSecret: string;
  /**
   * Shared Redis for the per-client token bucket; without it (or while it is unreachable) each process
   * keeps its own buckets.
   */
  redis?: Redis;
  /** Where degradations (Redis down and back) are reported, once each. Default console.warn. */
  log?: (message: string) => void;
  rateLimit?: RateLimitPolicy;
  /** Overrides the limiter entirely (tests). */
  rateLimiter?: RateLimiter;
  now?: () => Date;
  /** Proxies (load balancers) whose X-Forwarded-For is believed; default none: the socket peer is the client. */
  trustedProxies?: readonly Cidr[];
  /** Body limit of the batch route (default sized for 100 events of the 32 KiB cap; see sanitize.ts). */
  maxBodyBytes?: number;
  /** Called once events are durable; the composition root wires it to `drainer.nudge`. */
  onAccepted?: (count: number) => void;
  outbox?: { maxRows?: number; maxInflight?: number };
  /** The built browser SDK served under /sdk/ (null or absent: not built, /sdk/… is 404). */
  sdk?: { bundle: SdkBundle | null; publicBaseUrl: string };
  /** The client's declared event types (shared with the campaign deploy so a deploy is seen at once). */
  eventTypes?: EventTypeRegistry;
  /** The plan's monthly events limit (the composition root passes client-management's usage meter). */
  quota?: IngestQuota;
}

/**
 * The event service: `POST /v1/events` and `POST /v1/events/batch`, 202 only once events are durable;
 * `/v1/event-types` (the client's custom event types); and what a client's site loads: the SDK files
 * under /sdk/ and the embed snippet (`GET /v1/sdk/snippet`).
 */
export function createEventApp(deps: EventAppDeps) {
  const eventTypes = deps.eventTypes ?? createEventTypeRegistry(deps.db);
  const policy = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  const rateLimiter =
    deps.rateLimiter ??
    (deps.redis
      ? createFallbackRateLimiter(
          createRedisRateLimiter(deps.redis, policy),
          createMemoryRateLimiter(policy),
          deps.log ? { log: deps.log } : {},
        )
      : createMemoryRateLimiter(policy));
  const routes = createEventRoutes(
    {
      resolver: deps.resolver,
      rateLimiter,
      writer: createOutboxWriter(deps.db as Kysely<EventTables>, deps.outbox),
      validate: createEventValidator(),
      eventTypes,
      hashSecret: deps.hashSecret,
      now: deps.now ?? (() => new Date()),
      ...(deps.onAccepted ? { onAccepted: deps.onAccepted } : {}),
      log: childLogger({ component: 'event-ingest' }),
      ...(deps.quota ? { quota: deps.quota } : {}),
    },
    {
      trustedProxies: deps.trustedProxies ?? [],
      ...(deps.maxBodyBytes ? { maxBodyBytes: deps.maxBodyBytes } : {}),
    },
  );
  const sdk = deps.sdk ?? { bundle: null, publicBaseUrl: '' };
  return withErrorHandling(
    new Hono()
      .route('/v1/event-types', createEventTypeRoutes(deps.db, deps.resolver, eventTypes))
      .route('/v1/admin/dead-letters', createDeadLetterRoutes(deps.db, deps.resolver))
      .route('/', routes)
      .route('/sdk', createSdkFileRoutes(sdk.bundle))
      .route('/v1/sdk', createSnippetRoutes({ resolver: deps.resolver, ...sdk })),
  );
}
export { eventParticipantData } from './participant-data.ts';
export { countDeadLetters, type DeadLetter, listDeadLetters, outboxLag } from './repo.ts';
