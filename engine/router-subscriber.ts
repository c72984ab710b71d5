import type { Bus, Subscription } from '../contract/bus.ts';
import type { JourneyEvent } from '../contract/plan.ts';
import type { Router } from './router.ts';

/** Durable subscription name: restarting the router resumes where it stopped. */
export const ROUTER_SUBSCRIPTION = 'engine-router';

/**
 * Feeds every bus event (`event.#`) to the router. A malformed payload is dropped (redelivery cannot fix
 * it); a Temporal error is thrown back so the bus redelivers with backoff.
 */
export function startRouterSubscription(
  bus: Bus,
  router: Router,
  opts: { name?: string; concurrency?: number } = {},
): Promise<Subscription> {
  return bus.subscribe(
    opts.name ?? ROUTER_SUBSCRIPTION,
    'event.#',
    async (msg) => {
      if (!isJourneyEvent(msg.payload)) return;
      await router.route(msg.payload, msg.correlationId ? { correlationId: msg.correlationId } : {});
    },
    { concurrency: opts.concurrency ?? 8 },
  );
}

function isJourneyEvent(value: unknown): value is JourneyEvent {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return typeof e.event === 'string' && typeof e.event_id === 'string' && typeof e.client_id === 'string';
}
