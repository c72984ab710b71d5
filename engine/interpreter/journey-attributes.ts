import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';
import { CORRELATION_MEMO_KEY } from '../../contract/correlation.ts';
import type { CampaignRef } from '../../contract/plan.ts';
import { SEARCH_ATTRIBUTE_NAMES, type SearchAttributeName } from '../../contract/search-attributes.ts';

/**
 * The journeys' search attributes as Temporal keys (names in contract/search-attributes.ts), safe in the
 * workflow bundle: the router sets them on the journeys it starts, and a journey started from inside a
 * workflow (a `call` step's child, an anniversary keeper's period journey) carries the same ones, so
 * Temporal's UI, GET /v1/journeys and the approval inbox find it like any other.
 */
type KeywordKey = ReturnType<typeof keyword>;
const keyword = (name: string) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = Object.fromEntries(SEARCH_ATTRIBUTE_NAMES.map((n) => [n, keyword(n)])) as {
  [K in SearchAttributeName]: KeywordKey;
};

/** Attribute values by name; a missing or empty value is left out (Keyword attributes are optional). */
export type JourneyAttributes = Partial<Record<SearchAttributeName, string>>;

export function attributePairs(values: JourneyAttributes): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [];
  for (const name of SEARCH_ATTRIBUTE_NAMES) {
    const value = values[name];
    // Keyword values are limited (2 KiB by default); ids here are far shorter, but never fail a start.
    if (value) pairs.push({ key: SEARCH_ATTRIBUTES[name], value: value.slice(0, 256) });
  }
  return pairs;
}

/** The values a journey of `campaign` for `participantId` is started with. */
export function journeyAttributes(
  campaign: Pick<CampaignRef, 'clientId' | 'campaignId' | 'pulse'>,
  participantId: string | undefined,
  correlationId: string | undefined,
): JourneyAttributes {
  const values: JourneyAttributes = {
    client_id: campaign.clientId,
    campaign_id: campaign.campaignId,
    pulse: campaign.pulse,
  };
  if (participantId) values.participant_id = participantId;
  if (correlationId) values.correlation_id = correlationId;
  return values;
}

/**
 * What a child journey inherits from the running workflow: its journey attributes (only those it was
 * started with: a server without them registered refuses unknown ones) and its correlation memo.
 */
export function inheritedStartOptions(): {
  typedSearchAttributes?: SearchAttributePair[];
  memo?: Record<string, unknown>;
} {
  const info = workflowInfo();
  const values: JourneyAttributes = {};
  for (const name of SEARCH_ATTRIBUTE_NAMES) {
    const value = info.typedSearchAttributes.get(SEARCH_ATTRIBUTES[name]);
    if (typeof value === 'string' && value) values[name] = value;
  }
  const pairs = attributePairs(values);
  const correlation = info.memo?.[CORRELATION_MEMO_KEY];
  return {
    ...(pairs.length > 0 ? { typedSearchAttributes: pairs } : {}),
    ...(typeof correlation === 'string' ? { memo: { [CORRELATION_MEMO_KEY]: correlation } } : {}),
  };
}
