import type { Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { CampaignRef } from '../contract/plan.ts';
import { SEARCH_ATTRIBUTE_NAMES, type SearchAttributeName } from '../contract/search-attributes.ts';
import { attributePairs, journeyAttributes } from './interpreter/journey-attributes.ts';

export { SEARCH_ATTRIBUTE_NAMES, type SearchAttributeName };

/** The pairs set when a journey starts; empty values are left out (Keyword attributes are optional). */
export function journeySearchAttributes(
  campaign: Pick<CampaignRef, 'clientId' | 'campaignId' | 'pulse'>,
  participantId: string | undefined,
  correlationId: string | undefined,
): SearchAttributePair[] {
  return attributePairs(journeyAttributes(campaign, participantId, correlationId));
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
