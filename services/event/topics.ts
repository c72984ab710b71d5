import type { EnrichedEvent } from './enrich.ts';

// Topic words may not contain the separator or the pattern wildcards.
const word = (s: string | undefined): string => (s ? s.replace(/[.*#\s]/g, '_') : 'none');

/** `event.{type}.{client}.{campaign or "none"}` — subscribers filter with `event.#`, `event.purchase_completed.#`… */
export function eventTopic(e: Pick<EnrichedEvent, 'event' | 'client_id' | 'campaign_id'>): string {
  return `event.${word(e.event)}.${word(e.client_id)}.${word(e.campaign_id)}`;
}

/** Stable per event, so a re-sent outbox row is delivered once per subscription. */
export function busMessageId(e: Pick<EnrichedEvent, 'client_id' | 'event_id'>): string {
  return `evt:${e.client_id}:${e.event_id}`;
}
