import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  condition,
  continueAsNew,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ANNIVERSARY_EVENT,
  type AnniversarySpec,
  type CalendarDay,
  nextOccurrence,
  originDay,
} from '../contract/anniversary.ts';
import { periodOf } from '../contract/period.ts';
import {
  type CampaignRef,
  type JourneyEvent,
  type JourneyOutcome,
  journeyWorkflowId,
  type Plan,
} from '../contract/plan.ts';
import {
  attributePairs,
  inheritedStartOptions,
  type JourneyAttributes,
} from './interpreter/journey-attributes.ts';
import type { EngineInput, EngineOptions } from './interpreter/types.ts';
import { anniversaryJourneysQuery, anniversaryOriginSignal, RUN_CAMPAIGN } from './signals.ts';

/**
 * The keeper of one participant's recurring date (`trigger.anniversary`): it sleeps on a durable timer
 * until the next occurrence (the origin's date this year/month/week, at the local time in the time zone),
 * starts that period's journey and sleeps again; every hundred periods it continues as new, so its
 * history stays bounded however many years it runs. Durable timers rather than a daily schedule that scans participants: no participant
 * store to query, each date fires at its own local time, and Temporal keeps the timer through restarts.
 *
 * Once and only once per period: the journey's id is `pulse:<client>:<campaign>:<key>:<period>` with
 * reuse policy REJECT_DUPLICATE, so a second keeper run (a re-enrolment, a reset) cannot start a period
 * twice, while next period's journey has a new id and is never mistaken for the finished one. A later
 * enrolling event with another origin (the trait changed) moves the next date without a restart.
 */

export interface AnniversaryInput {
  plan: Plan;
  campaign: CampaignRef;
  /** The participant's journey key (the trigger's `journey`); each period's key is `<key>:<period>`. */
  key: string;
  /** The origin date or instant (ISO 8601). */
  origin: string;
  /** The enrolling event: its participant, traits and properties travel into each period's journey. */
  enrolment: JourneyEvent;
  /** Epoch ms of the last occurrence started (after continue-as-new). */
  after?: number;
  /** Workflow ids of the period journeys started, newest last (bounded). */
  started?: string[];
  options?: EngineOptions;
  /**
   * The period journeys' search attributes (set by the router when the server has them registered;
   * without, journeys start without attributes as the router's own do).
   */
  journeyAttributes?: JourneyAttributes;
}

export interface AnniversaryResult {
  status: 'no-date';
  started: string[];
}

/** How many period journey ids the keeper remembers (the query answers them; simulations read them). */
const REMEMBERED = 50;
/** Periods one run starts before it continues as new. */
const PERIODS_PER_RUN = 100;
const PERIOD_FIELD = { year: 'year', month: 'month', week: 'week' } as const;

export async function runAnniversaries(input: AnniversaryInput): Promise<AnniversaryResult> {
  const spec = input.plan.trigger.anniversary as AnniversarySpec;
  let origin = input.origin;
  let moved = false;
  const started = [...(input.started ?? [])];
  setHandler(anniversaryOriginSignal, (next) => {
    if (typeof next === 'string' && next !== origin && originDay(next, spec.timezone)) {
      origin = next;
      moved = true;
    }
  });
  setHandler(anniversaryJourneysQuery, () => started);
  // First run: the enrolment instant; an occurrence at or before it is in the past.
  let after = input.after ?? Date.now();

  for (let fired = 0; ; ) {
    const day: CalendarDay | null = originDay(origin, spec.timezone);
    const next = day ? nextOccurrence(day, after, spec) : null;
    if (!next) return { status: 'no-date', started };
    moved = false;
    const wait = next.atMs - Date.now();
    // A new origin wakes the keeper early: recompute the next date from it.
    if (wait > 0 && (await condition(() => moved, wait))) continue;

    const period = periodOf(next.atMs, spec.timezone)[PERIOD_FIELD[spec.every]];
    const journeyKey = `${input.key}:${period}`;
    const workflowId = journeyWorkflowId(input.campaign, journeyKey);
    const trigger: JourneyEvent = {
      ...input.enrolment,
      event: ANNIVERSARY_EVENT,
      event_id: `${workflowInfo().workflowId}:${period}`,
      occurred_at: new Date(next.atMs).toISOString(),
      properties: { origin, n: next.n, period, every: spec.every },
    };
    delete trigger.received_at;
    const child: EngineInput = { plan: input.plan, campaign: input.campaign, journeyKey, trigger };
    if (input.options) child.options = input.options;
    try {
      await startChild<(i: EngineInput) => Promise<JourneyOutcome>>(RUN_CAMPAIGN, {
        workflowId,
        args: [child],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        ...(patched('child-attributes') ? periodJourneyOptions(input.journeyAttributes) : {}),
      });
    } catch (err) {
      // This period's journey exists already (an earlier keeper run started it): never a second one.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    started.push(workflowId);
    if (started.length > REMEMBERED) started.shift();
    after = next.atMs;
    fired += 1;
    // A few events per period: a fresh run every so often keeps the history short (weekly: ~2 years).
    if (fired >= PERIODS_PER_RUN || workflowInfo().continueAsNewSuggested)
      return await continueAsNew<typeof runAnniversaries>({ ...input, origin, after, started });
  }
}

/**
 * A period journey is listed, filtered and found by the approval inbox like a journey the router starts:
 * the router's attribute values, and the keeper's correlation memo.
 */
function periodJourneyOptions(values: JourneyAttributes | undefined) {
  const { memo } = inheritedStartOptions();
  const pairs = values ? attributePairs(values) : [];
  return { ...(pairs.length > 0 ? { typedSearchAttributes: pairs } : {}), ...(memo ? { memo } : {}) };
}
