/**
 * The Keyword search attributes every journey carries (engine/router.ts sets them at start), so
 * Temporal's UI and GET /v1/journeys filter journeys by them. Pure names: the local stack registers
 * them on its dev server (scripts/stack/temporal.ts) without loading the Temporal SDK.
 */
export const SEARCH_ATTRIBUTE_NAMES = [
  'client_id',
  'campaign_id',
  'pulse',
  'participant_id',
  'correlation_id',
] as const;
export type SearchAttributeName = (typeof SEARCH_ATTRIBUTE_NAMES)[number];
