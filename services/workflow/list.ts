import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import { ANNIVERSARY_ID_PREFIX } from '../../contract/anniversary.ts';
import { AppError } from '../../contract/errors.ts';
import { enumParam, intParam, optionalIdParam } from '../platform/params.ts';

/** Journey states a caller may filter on, and Temporal's ExecutionStatus value for each. */
export const JOURNEY_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  terminated: 'Terminated',
  cancelled: 'Canceled',
  timed_out: 'TimedOut',
  continued_as_new: 'ContinuedAsNew',
} as const;
export type JourneyStatus = keyof typeof JOURNEY_STATUSES;
/** The filterable states, in the order the docs and the CLI list them. */
export const JOURNEY_STATUS_NAMES = Object.keys(JOURNEY_STATUSES) as JourneyStatus[];
const STATUS_OF_CODE: Record<number, JourneyStatus> = {
  1: 'running',
  2: 'completed',
  3: 'failed',
  4: 'cancelled',
  5: 'terminated',
  6: 'continued_as_new',
  7: 'timed_out',
};

export interface JourneyListQuery {
  campaignId?: string;
  participantId?: string;
  status?: JourneyStatus;
  limit: number;
  /** The previous page's `next_cursor`, checked against this query before Temporal sees it. */
  cursor?: string;
}

/** Reads and checks the query parameters (400 naming the parameter for anything malformed). */
export function parseJourneyListQuery(q: (k: string) => string | undefined): JourneyListQuery {
  const query: JourneyListQuery = {
    limit: intParam(q('limit'), 'limit', { min: 1, max: 100, fallback: 20 }),
  };
  const campaignId = optionalIdParam(q('campaign_id'), 'campaign_id');
  const participantId = optionalIdParam(q('participant_id'), 'participant_id');
  const status = enumParam(q('status'), 'status', JOURNEY_STATUS_NAMES);
  if (campaignId) query.campaignId = campaignId;
  if (participantId) query.participantId = participantId;
  if (status) query.status = status;
  const after = q('starting_after');
  if (after !== undefined && after !== '') {
    if (after.length > 4096 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(after)) throw badCursor();
    query.cursor = after;
  }
  return query;
}

const badCursor = () =>
  new AppError('VALIDATION_FAILED', 'invalid query parameter', [
    {
      path: 'starting_after',
      message: 'not a cursor of this listing',
      expected: 'the next_cursor of a previous page with the same filters',
    },
  ]);

/**
 * Cursors are Temporal's next page token plus an HMAC over the token and the visibility query: the
 * server answers a forged token with a retryable UNKNOWN (a 503 after retries), so tokens are checked
 * here, and a cursor replayed with other filters (or by another client) is a 400.
 */
function cursorMac(key: string, query: string, token: Buffer): Buffer {
  return createHmac('sha256', key).update(query).update('\u0000').update(token).digest().subarray(0, 16);
}

export function encodeCursor(key: string, query: string, token: Buffer): string {
  return `${token.toString('base64url')}.${cursorMac(key, query, token).toString('base64url')}`;
}

export function decodeCursor(key: string, query: string, cursor: string): Buffer {
  const [tokenPart = '', macPart = ''] = cursor.split('.');
  const token = Buffer.from(tokenPart, 'base64url');
  const mac = Buffer.from(macPart, 'base64url');
  const expected = cursorMac(key, query, token);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw badCursor();
  return token;
}

/**
 * A visibility-query string literal: the value between double quotes with backslashes and quotes
 * escaped, so no value (a participant id holding `" OR client_id = "x`) can change the query.
 */
export function queryLiteral(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The visibility query: always the caller's client first, then the optional filters. */
export function visibilityQuery(clientId: string, q: Omit<JourneyListQuery, 'limit' | 'cursor'>): string {
  const terms = [`client_id = ${queryLiteral(clientId)}`];
  if (q.campaignId) terms.push(`campaign_id = ${queryLiteral(q.campaignId)}`);
  if (q.participantId) terms.push(`participant_id = ${queryLiteral(q.participantId)}`);
  if (q.status) terms.push(`ExecutionStatus = ${queryLiteral(JOURNEY_STATUSES[q.status])}`);
  // Journeys only: a call step's child carries its journey's attributes but is part of that journey (its
  // tasks and trace are shown there). Period journeys have a parent too: their anniversary keeper.
  terms.push(
    `(ParentWorkflowId IS NULL OR ParentWorkflowId STARTS_WITH ${queryLiteral(ANNIVERSARY_ID_PREFIX)})`,
  );
  return terms.join(' AND ');
}

export interface JourneySummary {
  workflow_id: string;
  campaign_id: string | null;
  journey_key: string | null;
  participant_id: string | null;
  pulse: string | null;
  correlation_id: string | null;
  status: JourneyStatus | 'unknown';
  started_at: string | null;
  closed_at: string | null;
}

export interface JourneyPage {
  data: JourneySummary[];
  has_more: boolean;
  next_cursor: string | null;
}

type RawExecution = proto.api.workflow.v1.IWorkflowExecutionInfo;

/** A journey's Keyword search attribute from a visibility row (null when absent or not a string). */
export function keyword(raw: RawExecution, name: string): string | null {
  const payload = raw.searchAttributes?.indexedFields?.[name];
  if (!payload) return null;
  try {
    const value = defaultPayloadConverter.fromPayload<unknown>(payload as never);
    const one = Array.isArray(value) ? value[0] : value;
    return typeof one === 'string' ? one : null;
  } catch {
    return null;
  }
}

function time(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null {
  if (!t || t.seconds === undefined || t.seconds === null) return null;
  const ms = Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

function summary(clientId: string, raw: RawExecution): JourneySummary {
  const workflowId = raw.execution?.workflowId ?? '';
  const campaignId = keyword(raw, 'campaign_id');
  // Journey ids are `pulse:<client>:<campaign>:<key>` (contract/plan.ts journeyWorkflowId).
  const prefix = campaignId ? `pulse:${clientId}:${campaignId}:` : null;
  return {
    workflow_id: workflowId,
    campaign_id: campaignId,
    journey_key: prefix && workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : null,
    participant_id: keyword(raw, 'participant_id'),
    pulse: keyword(raw, 'pulse'),
    correlation_id: keyword(raw, 'correlation_id'),
    status: STATUS_OF_CODE[Number(raw.status ?? 0)] ?? 'unknown',
    started_at: time(raw.startTime),
    closed_at: time(raw.closeTime),
  };
}

/** One page of the client's journeys, newest first as the visibility store orders them. */
export async function listJourneys(
  temporal: Client,
  cursorKey: string,
  clientId: string,
  q: JourneyListQuery,
): Promise<JourneyPage> {
  const query = visibilityQuery(clientId, q);
  const token = q.cursor ? decodeCursor(cursorKey, query, q.cursor) : undefined;
  let res: proto.api.workflowservice.v1.IListWorkflowExecutionsResponse;
  try {
    // Bounded like the status route: an outage is a 503 within 2 s, not a request hanging on retries.
    res = await temporal.connection.withDeadline(Date.now() + 2_000, () =>
      temporal.workflowService.listWorkflowExecutions({
        namespace: temporal.options.namespace,
        pageSize: q.limit,
        query,
        ...(token ? { nextPageToken: token } : {}),
      }),
    );
  } catch {
    throw new AppError('UPSTREAM_UNAVAILABLE', 'workflow engine unavailable', [], { 'Retry-After': '5' });
  }
  const next = res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken) : null;
  return {
    data: (res.executions ?? []).map((e) => summary(clientId, e)),
    has_more: next !== null,
    next_cursor: next ? encodeCursor(cursorKey, query, next) : null,
  };
}
