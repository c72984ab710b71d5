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
  PlanApprovalStep as ApprovalStep,
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

/** Name of the Temporal update through which a decision reaches a journey's `approval` step. */
export const APPROVAL_UPDATE = 'approval';
/** Name of the query listing a journey's approval tasks (open and decided). */
export const APPROVALS_QUERY = 'approvals';

export type ApprovalDecision = 'approve' | 'reject';

/** What the decider sends (the route fills `decidedBy`/`role` from the caller's key, never the body). */
export interface ApprovalDecisionInput {
  /** The task id: the step path (`review`, or `offers#2/review` inside a loop). */
  task: string;
  decision: ApprovalDecision;
  /** Who decided: a key id (`key:<id>`) or a member id (`member:<id>`). */
  decidedBy: string;
  /** The decider's role, checked against the task's roles. */
  role: string;
  reason?: string;
}

/** One decision as recorded in the journey (and in the step's `as` variable, snake_case). */
export interface ApprovalRecord {
  task: string;
  /** `timeout` when no one decided and `on_timeout` is a list of steps. */
  decision: ApprovalDecision | 'timeout';
  /** `timeout` when the timeout decided (`on_timeout: approve|reject`, or the timeout branch). */
  decided_by: string;
  role: string | null;
  reason: string | null;
  decided_at: string;
  escalated: boolean;
}

/** One task of the `approvals` query. */
export interface ApprovalTaskView {
  task: string;
  step: string;
  title: string;
  details: unknown;
  roles: string[];
  state: 'pending' | 'approved' | 'rejected' | 'timed_out';
  opened_at: string;
  deadline: string | null;
  escalated: boolean;
  decision: ApprovalRecord | null;
}

/**
 * Roles an approval may name, highest first: the member roles (services/platform/permissions.ts) that
 * hold `approval.decide`. A decider qualifies with any of the task's roles or a higher one.
 */
export const APPROVAL_ROLES = ['owner', 'admin', 'manager'] as const;
