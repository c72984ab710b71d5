import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { CampaignRef } from '../contract/plan.ts';
import { SEARCH_ATTRIBUTE_NAMES, type SearchAttributeName } from '../contract/search-attributes.ts';

export { SEARCH_ATTRIBUTE_NAMES, type SearchAttributeName };

/**
 * The journeys' search attributes as Temporal keys (names in contract/search-attributes.ts). The local
 * stack's dev server registers them at start (scripts/stack/temporal.ts); `ensureSearchAttributes`
 * adds missing ones on other servers when the worker starts.
 */
type KeywordKey = ReturnType<typeof keyword>;
const keyword = (name: string) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = Object.fromEntries(SEARCH_ATTRIBUTE_NAMES.map((n) => [n, keyword(n)])) as {
  [K in SearchAttributeName]: KeywordKey;
};

/** The pairs set when a journey starts; empty values are left out (Keyword attributes are optional). */
export function journeySearchAttributes(
  campaign: Pick<CampaignRef, 'clientId' | 'campaignId' | 'pulse'>,
  participantId: string | undefined,
  correlationId: string | undefined,
): SearchAttributePair[] {
  const values: Record<SearchAttributeName, string | undefined> = {
    client_id: campaign.clientId,
    campaign_id: campaign.campaignId,
    pulse: campaign.pulse,
    participant_id: participantId,
    correlation_id: correlationId,
  };
  const pairs: SearchAttributePair[] = [];
  for (const name of SEARCH_ATTRIBUTE_NAMES) {
    const value = values[name];
    // Keyword values are limited (2 KiB by default); ids here are far shorter, but never fail a start.
    if (value) pairs.push({ key: SEARCH_ATTRIBUTES[name], value: value.slice(0, 256) });
  }
  return pairs;
}

/**
 * Registers whichever of the attributes the namespace lacks; true when all exist afterwards. A server
 * that refuses (no operator permission) answers false, and the router then starts journeys without them.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<boolean> {
  const operator = client.connection.operatorService;
  const listed = await operator.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(listed.customAttributes ?? {}),
    ...Object.keys(listed.systemAttributes ?? {}),
  ]);
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((n) => !known.has(n));
  if (missing.length === 0) return true;
  const type = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await operator.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((n) => [n, type])),
  });
  return true;
}
