/**
 * The compiled plan: the contract between `dsl/` (which produces it) and `engine/` (which interprets it).
 * Plain JSON, `kind`-tagged nodes, no functions, so it can be the workflow's input and be stored in
 * Temporal history unchanged. Bump PLAN_VERSION on any breaking change to these shapes; the interpreter
 * refuses plans of a version it does not know.
 */
export const PLAN_VERSION = 1 as const;

/** A JSON-Logic expression or a plain JSON literal. Evaluated against the journey scope. */
export type Expr = unknown;

/** A duration in milliseconds, or an expression that yields milliseconds or a duration string ("3d"). */
export type DurationExpr = number | Expr;

export interface RetryPolicy {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs?: number;
  /** Error codes (AppError.code) that must not be retried. */
  nonRetryable?: string[];
}

interface StepBase {
  /** Unique within the plan; stable across versions; used for traces, idempotency keys and patches. */
  id: string;
}

/** Call a catalogue activity. */
export interface DoStep extends StepBase {
  kind: 'do';
  activity: string;
  /** Input object; each value an Expr evaluated against the scope. */
  with: Record<string, Expr>;
  /** Scope variable that receives the activity result. */
  as?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** When true a failure is recorded under `as` as `{ error: { code, message } }` instead of failing the journey. */
  optional?: boolean;
}

export interface IfStep extends StepBase {
  kind: 'if';
  cond: Expr;
  then: Step[];
  else: Step[];
}

export interface SwitchStep extends StepBase {
  kind: 'switch';
  cases: { when: Expr; steps: Step[] }[];
  default: Step[];
}

export interface ParallelStep extends StepBase {
  kind: 'parallel';
  /** Branches start in declared order (determinism) and all must finish. */
  branches: { name: string; steps: Step[] }[];
}

/**
 * How far an event can be trusted, weakest first: `sdk` (publishable key, e.g. a browser: anyone can
 * forge it), `server` (secret key with a valid HMAC signature), `integration` (a verified provider
 * webhook). The event service stamps it on every accepted event; a client can never set it.
 */
export type TrustLevel = 'sdk' | 'server' | 'integration';

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

/** Pause until an event (delivered to the workflow as a signal) matches, or time out. */
export interface WaitStep extends StepBase {
  kind: 'wait';
  events: string[];
  /** Least trust an event needs to be taken by this wait (resolved by the compiler); absent = any. */
  trust?: TrustLevel;
  /** Filter over `{ ...scope, event: <candidate> }`; absent = any event of the listed names. */
  match?: Expr;
  timeoutMs?: DurationExpr;
  /** Scope variable that receives the matched event. */
  as?: string;
  then: Step[];
  onTimeout: Step[];
}

export interface SleepStep extends StepBase {
  kind: 'sleep';
  /** Exactly one of durationMs / until is set. `until` yields an ISO date or epoch ms. */
  durationMs?: DurationExpr;
  until?: Expr;
}

export interface RepeatStep extends StepBase {
  kind: 'repeat';
  /** Number of iterations (Expr), never more than maxIterations. */
  times: Expr;
  maxIterations: number;
  /** Optional loop guard evaluated before each iteration; loop stops when falsy. */
  while?: Expr;
  /** Scope variable holding the 0-based iteration index. */
  index: string;
  steps: Step[];
}

export interface ForEachStep extends StepBase {
  kind: 'for_each';
  items: Expr;
  as: string;
  index?: string;
  maxItems: number;
  steps: Step[];
}

export interface SetStep extends StepBase {
  kind: 'set';
  values: Record<string, Expr>;
}

/** Publish an event back onto the bus (through the EmitEvent activity). */
export interface EmitStep extends StepBase {
  kind: 'emit';
  event: string;
  properties: Record<string, Expr>;
}

/** Start a child journey of another plan (inlined by the compiler in `Plan.children`) and await it. */
export interface CallStep extends StepBase {
  kind: 'call';
  plan: string;
  input: Record<string, Expr>;
  as?: string;
}

export type EndStatus = 'completed' | 'rejected' | 'ineligible' | 'expired' | 'cancelled' | 'failed';

export interface EndStep extends StepBase {
  kind: 'end';
  status: EndStatus;
  reason?: Expr;
}

/** Every step node of a plan, by its `kind` (the kind keys of the DSL, compiled). */
export interface StepsByKind {
  do: DoStep;
  if: IfStep;
  switch: SwitchStep;
  parallel: ParallelStep;
  wait: WaitStep;
  sleep: SleepStep;
  repeat: RepeatStep;
  for_each: ForEachStep;
  set: SetStep;
  emit: EmitStep;
  call: CallStep;
  end: EndStep;
}

export type Step = StepsByKind[keyof StepsByKind];

export interface PlanTrigger {
  events: string[];
  /** JSON-Logic filter over `{ event, settings }`; the router evaluates it before any Temporal call. */
  when?: Expr;
  /** Expr yielding the journey key (which journey an event belongs to), e.g. { var: 'event.participant_id' }. */
  journey: Expr;
  /** Least trust a trigger event needs to start a journey (resolved by the compiler); absent = any. */
  trust?: TrustLevel;
}

export interface Plan {
  planVersion: typeof PLAN_VERSION;
  /** Pulse type, e.g. "signup". */
  pulse: string;
  /** Definition id (file-level id), e.g. "signup-default". */
  id: string;
  /** Definition version declared in the YAML. */
  version: number;
  title: string;
  goal?: string;
  trigger: PlanTrigger;
  /** Resolved settings: declared defaults merged with the client's overrides at deploy time. */
  settings: Record<string, unknown>;
  /** Declared reward rules, passed to reward activities as data. */
  rewards: Record<string, unknown>;
  /** Declared segmentation rules, passed to eligibility activities as data. */
  segments: Record<string, unknown>;
  /** Every event name any `wait` step listens for; the router signals running journeys only with these. */
  waitsFor: string[];
  /**
   * Per event name in `waitsFor`: the lowest `trust` among the waits for it. The router does not signal
   * a journey with an event below it (no wait could take it). Absent in plans compiled before trust levels.
   */
  waitTrust?: Record<string, TrustLevel>;
  steps: Step[];
  /** Plans reachable through `call` steps, by plan id, inlined so a journey never loads code or data later. */
  children: Record<string, Plan>;
  /** sha256 of the canonical plan JSON without this field; identifies the exact definition a journey runs. */
  hash: string;
}

/** Identifies one deployed campaign version; set by the campaign service, part of every journey's input. */
export interface CampaignRef {
  clientId: string;
  campaignId: string;
  /** Deployed version number in the campaign service (monotonic per campaign). */
  version: number;
  pulse: string;
}

/** A normalised event as the engine sees it (subset of schemas/event.schema.json). */
export interface JourneyEvent {
  event: string;
  event_id: string;
  occurred_at: string;
  client_id: string;
  campaign_id?: string;
  participant_id?: string;
  anonymous_id?: string;
  referral_id?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  /** Set by the event service (see TrustLevel); read through `eventTrust`. */
  trust?: TrustLevel;
  [key: string]: unknown;
}

/** Input of the one generic workflow `runCampaign`. */
export interface RunCampaignInput {
  plan: Plan;
  campaign: CampaignRef;
  /** The journey key the router derived from the trigger event. */
  journeyKey: string;
  trigger: JourneyEvent;
  /** Present after continue-as-new: where to resume. */
  resume?: unknown;
}

/** What the workflow returns and what the `status` query reports when finished. */
export interface JourneyOutcome {
  status: EndStatus;
  reason?: unknown;
  /** Final scope variables (without the trigger event and settings, to keep results small). */
  vars: Record<string, unknown>;
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
