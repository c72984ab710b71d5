/**
 * The compiled plan: the contract between `dsl/` (which produces it) and `engine/` (which interprets it).
 * Plain JSON, `kind`-tagged nodes, no functions, so it can be the workflow's input and be stored in
 * Temporal history unchanged. The shapes are schemas/plan.schema.json (types generated into
 * contract/generated/plan.generated.ts, re-exported here under their names); bump PLAN_VERSION and the
 * schema's `planVersion` on any breaking change; the interpreter refuses plans of a version it does not know.
 */
import type { TrustLevel } from './generated/campaign.generated.ts';
import type { CampaignRef, JourneyEvent, Plan } from './generated/plan.generated.ts';

export type {
  CampaignRef,
  DurationExpr,
  EndStatus,
  JourneyEvent,
  JourneyOutcome,
  Plan,
  PlanCallStep as CallStep,
  PlanCatchClause as CatchClause,
  PlanCompensation as Compensation,
  PlanDoStep as DoStep,
  PlanEmitStep as EmitStep,
  PlanEndStep as EndStep,
  PlanExpr as Expr,
  PlanForEachStep as ForEachStep,
  PlanIfStep as IfStep,
  PlanParallelStep as ParallelStep,
  PlanRaiseStep as RaiseStep,
  PlanRepeatStep as RepeatStep,
  PlanRetryPolicy as RetryPolicy,
  PlanSetStep as SetStep,
  PlanSleepStep as SleepStep,
  PlanStep as Step,
  PlanSwitchStep as SwitchStep,
  PlanTrigger,
  PlanTryStep as TryStep,
  PlanWaitStep as WaitStep,
  RunCampaignInput,
  StepsByKind,
} from './generated/plan.generated.ts';
export type { TrustLevel };
export const PLAN_VERSION = 1 as const;

/**
 * Trust levels weakest first (TrustLevel: schemas/campaign.schema.json `$defs.trustLevel`). The event
 * service stamps one on every accepted event; a client can never set it.
 */
export const TRUST_LEVELS: readonly TrustLevel[] = ['sdk', 'server', 'integration'];

/** The trust an event carries; an event without one (older producers, emitted events) counts as `sdk`. */
export function eventTrust(event: Pick<JourneyEvent, 'trust'>): TrustLevel {
  return typeof event.trust === 'string' && (TRUST_LEVELS as readonly string[]).includes(event.trust)
    ? event.trust
    : 'sdk';
}

/** True when `level` is at least `required`; no requirement (plans compiled before trust levels) always passes. */
export function meetsTrust(level: TrustLevel, required: TrustLevel | undefined): boolean {
  return required === undefined || TRUST_LEVELS.indexOf(level) >= TRUST_LEVELS.indexOf(required);
}

/** Deterministic workflow id: one journey per (client, campaign, journey key). */
export function journeyWorkflowId(
  campaign: Pick<CampaignRef, 'clientId' | 'campaignId'>,
  journeyKey: string,
): string {
  return `pulse:${campaign.clientId}:${campaign.campaignId}:${journeyKey}`;
}

const waitsCache = new WeakMap<Plan, Set<string>>();

/** Every event name a campaign must be routed: its triggers and what it (or a child) waits for. */
export function routedEvents(plan: Plan): Set<string> {
  return new Set([...plan.trigger.events, ...waitedFor(plan)]);
}

/** Events the plan or any child it calls waits for (children receive them through the parent). */
export function waitedFor(plan: Plan): Set<string> {
  let names = waitsCache.get(plan);
  if (!names) {
    names = new Set(plan.waitsFor);
    for (const child of Object.values(plan.children)) for (const n of waitedFor(child)) names.add(n);
    waitsCache.set(plan, names);
  }
  return names;
}

/**
 * Least trust an event named `name` needs for any wait of the plan (or a child it calls) to take it;
 * undefined when some wait of a plan without trust levels listens for it (no pre-filter then).
 */
export function waitTrustFloor(plan: Plan, name: string): TrustLevel | undefined {
  let floor: TrustLevel | undefined;
  let found = false;
  const visit = (p: Plan): boolean => {
    if (p.waitsFor.includes(name)) {
      const level = p.waitTrust?.[name];
      if (level === undefined) return false;
      if (!found || TRUST_LEVELS.indexOf(level) < TRUST_LEVELS.indexOf(floor ?? level)) floor = level;
      found = true;
    }
    for (const child of Object.values(p.children)) if (!visit(child)) return false;
    return true;
  };
  return visit(plan) ? floor : undefined;
}
