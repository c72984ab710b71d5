import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { anniversaryWorkflowId, originDay } from '../contract/anniversary.ts';
import { CORRELATION_MEMO_KEY } from '../contract/correlation.ts';
import { evaluate, isTruthy } from '../contract/expr.ts';
import { type StructuredLogger, silentLogger } from '../contract/logging.ts';
import { periodOf } from '../contract/period.ts';
import {
  type CampaignRef,
  eventTrust,
  type JourneyEvent,
  type JourneyOutcome,
  journeyWorkflowId,
  meetsTrust,
  type Plan,
  waitedFor,
  waitTrustFloor,
} from '../contract/plan.ts';
import type { AnniversaryInput } from './anniversaries.ts';
import { journeyAttributes } from './interpreter/journey-attributes.ts';
import type { EngineInput, EngineOptions } from './interpreter/types.ts';
import { journeySearchAttributes } from './search-attributes.ts';
import { anniversaryOriginSignal, eventSignal, RUN_ANNIVERSARIES, RUN_CAMPAIGN } from './signals.ts';

/** Deployed campaigns by client and event name (the campaign service's index; a fake in unit tests). */
export interface DeployedCampaigns {
  /** Campaigns of `clientId` whose trigger or waits name `eventName`; [] for everything else. */
  forEvent(clientId: string, eventName: string): Promise<{ campaign: CampaignRef; plan: Plan }[]>;
}

export type RouteAction = 'started' | 'signalled' | 'skipped';

/** What the router did with one event for one campaign. */
export interface RouteResult {
  campaignId: string;
  action: RouteAction;
  workflowId?: string;
  reason?: string;
}

/** What travelled with the event beside its payload (bus message metadata). */
export interface RouteMeta {
  /** The accepting request's correlation id: into the journey's memo and search attributes. */
  correlationId?: string;
}

export interface Router {
  route(event: JourneyEvent, meta?: RouteMeta): Promise<RouteResult[]>;
}

export interface RouterDeps {
  client: Client;
  taskQueue: string;
  campaigns: DeployedCampaigns;
  /** Engine knobs added to every journey started (simulations and tests only). */
  engineOptions?: EngineOptions;
  /** Set the journey search attributes on start (only once the server has them: ensureSearchAttributes). */
  searchAttributes?: boolean;
  /** One line per start and signal (default: none). */
  log?: StructuredLogger;
  /** Called for every routing decision (journey metrics). */
  onRouted?: (result: RouteResult, pulse: string) => void;
}

type RunCampaign = (input: EngineInput) => Promise<JourneyOutcome>;

/**
 * Matches events against deployed triggers and starts or signals journeys. Everything cheap happens
 * first (name lookup, trust, `when`, journey key); Temporal is called only for a trigger that passes or an
 * event some plan waits for.
 *
 * Trust: a trigger event below `plan.trigger.trust` never starts a journey (`insufficient trust`), and
 * an event below the lowest `trust` of the plan's waits for its name is not signalled (no wait could
 * take it; the workflow's `wait` checks again). Plans compiled before trust levels set neither.
 *
 * Reuse policy: REJECT_DUPLICATE. A journey id is `client:campaign:key`, so a key gets one journey for as
 * long as Temporal remembers the closed run (the namespace retention period): a duplicate trigger after
 * the journey finished is skipped rather than paying a reward twice. A failed journey is not restarted
 * by a trigger either; that is an operator decision (reset or re-run), not something a repeated bus
 * delivery should do. While the journey runs, signalWithStart simply delivers the event to it, and the
 * workflow dedupes by event_id (the bus is at-least-once).
 */
export function createRouter(deps: RouterDeps): Router {
  const { client, taskQueue, campaigns } = deps;
  const log = deps.log ?? silentLogger;

  async function routeOne(
    event: JourneyEvent,
    campaign: CampaignRef,
    plan: Plan,
    meta: RouteMeta,
  ): Promise<RouteResult> {
    const skipped = (reason: string, workflowId?: string): RouteResult => ({
      campaignId: campaign.campaignId,
      action: 'skipped',
      reason,
      ...(workflowId ? { workflowId } : {}),
    });
    const scope = { event, settings: plan.settings, period: periodOf(eventTime(event)) };
    const key = journeyKeyOf(plan, scope);
    const isTrigger = plan.trigger.events.includes(event.event);
    const trust = eventTrust(event);
    const trusted = meetsTrust(trust, plan.trigger.trust);
    const passes =
      isTrigger && trusted && (plan.trigger.when === undefined || safeTest(plan.trigger.when, scope));
    if (passes && plan.trigger.anniversary) {
      if (key === null) return skipped('trigger yields no journey key');
      return enrol(event, campaign, plan, key, meta);
    }
    if (passes) {
      if (key === null) return skipped('trigger yields no journey key');
      const workflowId = journeyWorkflowId(campaign, key);
      const input: EngineInput = { plan, campaign, journeyKey: key, trigger: event };
      if (deps.engineOptions) input.options = deps.engineOptions;
      try {
        await client.workflow.signalWithStart<RunCampaign, [JourneyEvent]>(RUN_CAMPAIGN, {
          taskQueue,
          workflowId,
          args: [input],
          signal: eventSignal,
          signalArgs: [event],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          // Memo: what the workflow reads (its activities send it on); search attributes: what Temporal
          // filters on. Both are set once, at start: a later event of the journey keeps the first id.
          ...(meta.correlationId ? { memo: { [CORRELATION_MEMO_KEY]: meta.correlationId } } : {}),
          ...(deps.searchAttributes
            ? {
                typedSearchAttributes: journeySearchAttributes(
                  campaign,
                  event.participant_id,
                  meta.correlationId,
                ),
              }
            : {}),
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          return skipped('journey already finished', workflowId);
        throw err;
      }
      return { campaignId: campaign.campaignId, action: 'started', workflowId };
    }
    if (!waitedFor(plan).has(event.event))
      return skipped(
        !isTrigger ? 'not a trigger' : !trusted ? 'insufficient trust' : 'trigger condition not met',
      );
    if (!meetsTrust(trust, waitTrustFloor(plan, event.event))) return skipped('insufficient trust');
    if (key === null) return skipped('event yields no journey key');
    const workflowId = journeyWorkflowId(campaign, key);
    try {
      await client.workflow.getHandle(workflowId).signal(eventSignal, event);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return skipped('no running journey', workflowId);
      throw err;
    }
    return { campaignId: campaign.campaignId, action: 'signalled', workflowId };
  }

  /**
   * `trigger.anniversary`: the event enrols the participant in their recurring date. One keeper
   * workflow per participant (engine/anniversaries.ts) sleeps to each occurrence and starts that
   * period's journey; a later event signals a changed origin to the running keeper.
   */
  async function enrol(
    event: JourneyEvent,
    campaign: CampaignRef,
    plan: Plan,
    key: string,
    meta: RouteMeta,
  ): Promise<RouteResult> {
    const spec = plan.trigger.anniversary!;
    const origin = originOf(spec.of, event);
    if (origin === null || originDay(origin, spec.timezone) === null)
      return { campaignId: campaign.campaignId, action: 'skipped', reason: 'no anniversary date' };
    const workflowId = anniversaryWorkflowId(campaign, key);
    const input: AnniversaryInput = { plan, campaign, key, origin, enrolment: event };
    if (deps.engineOptions) input.options = deps.engineOptions;
    if (deps.searchAttributes)
      input.journeyAttributes = journeyAttributes(campaign, event.participant_id, meta.correlationId);
    await client.workflow.signalWithStart<(i: AnniversaryInput) => Promise<unknown>, [string]>(
      RUN_ANNIVERSARIES,
      {
        taskQueue,
        workflowId,
        args: [input],
        signal: anniversaryOriginSignal,
        signalArgs: [origin],
        ...(meta.correlationId ? { memo: { [CORRELATION_MEMO_KEY]: meta.correlationId } } : {}),
      },
    );
    return { campaignId: campaign.campaignId, action: 'started', workflowId };
  }

  return {
    async route(event, meta = {}) {
      const deployed = await campaigns.forEvent(event.client_id, event.event);
      const results: RouteResult[] = [];
      // One campaign at a time: a failure leaves the rest to the bus redelivery, which is idempotent
      // (deterministic ids, event_id dedupe in the workflow).
      for (const { campaign, plan } of deployed) {
        const result = await routeOne(event, campaign, plan, meta);
        results.push(result);
        deps.onRouted?.(result, campaign.pulse);
        if (result.action !== 'skipped' || result.workflowId)
          log.info(
            {
              correlation_id: meta.correlationId ?? null,
              client_id: event.client_id,
              campaign_id: campaign.campaignId,
              pulse: campaign.pulse,
              event: event.event,
              event_id: event.event_id,
              action: result.action,
              workflow_id: result.workflowId ?? null,
              ...(result.reason ? { reason: result.reason } : {}),
            },
            result.action === 'started' ? 'journey started' : `event ${result.action}`,
          );
      }
      return results;
    },
  };
}

/**
 * When an event happened, for its `period`: the server's received_at first (a browser cannot move
 * itself into next year's journey by backdating occurred_at), then occurred_at, then now.
 */
function eventTime(event: JourneyEvent): number {
  for (const t of [event.received_at, event.occurred_at]) {
    const ms = t === undefined ? Number.NaN : Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  return Date.now();
}

/** The journey key the trigger's `journey` expression yields, as text; null when empty. */
function journeyKeyOf(plan: Plan, scope: Record<string, unknown>): string | null {
  let value: unknown;
  try {
    value = evaluate(plan.trigger.journey, scope);
  } catch {
    return null;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value;
  return null;
}

/** A broken `when` never starts a journey (and never throws the bus message back). */
function safeTest(expr: unknown, scope: Record<string, unknown>): boolean {
  try {
    return isTruthy(evaluate(expr, scope));
  } catch {
    return false;
  }
}

/** The origin date an enrolling event carries for `trigger.anniversary.of`, as text; null when none. */
function originOf(
  of: { trait?: string; property?: string; event?: string },
  event: JourneyEvent,
): string | null {
  const pick = (bag: unknown, name: string): unknown =>
    bag !== null && typeof bag === 'object' ? (bag as Record<string, unknown>)[name] : undefined;
  const value =
    of.trait !== undefined
      ? pick(event.traits, of.trait)
      : of.property !== undefined
        ? pick(event.properties, of.property)
        : event.event === of.event
          ? (event.occurred_at ?? event.received_at)
          : undefined;
  return typeof value === 'string' && value !== '' ? value : null;
}
