/**
 * Validated campaign document → Plan (contract/plan.ts). Pure: literal durations become milliseconds,
 * shorthands are expanded, settings are resolved (defaults merged with the client's overrides, which are
 * checked against the declarations), children of `call` steps are inlined, and the plan is hashed.
 */
import { createHash } from 'node:crypto';
import { parseDuration } from '../contract/duration.ts';
import { ANY_ERROR } from '../contract/errors.ts';
import type {
  ApprovalStep,
  Campaign,
  DoStep,
  RetryPolicy as DslRetry,
  Step,
} from '../contract/generated/campaign.generated.ts';
import {
  type EndStatus,
  type Expr,
  PLAN_VERSION,
  type Plan,
  type Step as PlanStep,
  type RetryPolicy,
  type TrustLevel,
} from '../contract/plan.ts';
import { type SettingDecl, settingValueProblem } from './check-settings.ts';
import { type Diagnostic, formatPath } from './errors.ts';
import { planReachesReward, resolveTrust, trustBelow } from './trust.ts';

export interface CompileOptions {
  /** The client's overrides of declared settings (checked against type, bounds and enum). */
  settings?: Record<string, unknown>;
  /** Compiled child plans by the reference written in `call` steps. */
  children?: Record<string, Plan>;
  /** File name used in diagnostics. */
  file?: string;
}

export interface CompileResult {
  plan?: Plan;
  diagnostics: Diagnostic[];
}

const DEFAULT_RETRY = { maxAttempts: 3, initialIntervalMs: 1_000, backoffCoefficient: 2 };
const DEFAULT_JOURNEY: Expr = { var: 'event.participant_id' };
/** Local time an anniversary journey starts when the file names none. */
const DEFAULT_ANNIVERSARY_AT = '09:00';
/** Lifetime of the `pulse_ref` cookie a share link sets, when the campaign's landing block names none. */
const DEFAULT_ATTRIBUTION_DAYS = 30;

/** Compiles a document that passed validation. Settings overrides that do not fit come back as diagnostics. */
export function compile(doc: Campaign, opts: CompileOptions = {}): CompileResult {
  const file = opts.file ?? `${doc.id}.pulse.yaml`;
  const { settings, diagnostics } = resolveSettings(doc, opts.settings ?? {}, file);
  if (diagnostics.length > 0) return { diagnostics };

  const waits = new Set<string>();
  const children: Record<string, Plan> = {};
  const refs = opts.children ?? {};
  // Trust is resolved on the document; a `call` counts as reaching a reward when its child plan does.
  const trust = resolveTrust(doc, (ref) => {
    const child = refs[ref];
    return child === undefined || planReachesReward(child);
  });
  const waitTrust: Record<string, TrustLevel> = {};
  const ctx: StepContext = { waits, children, refs, trust: new Map() };
  for (const [id, req] of trust.waits) ctx.trust.set(id, req.effective);
  const steps = compileSteps(doc.steps, ctx);
  for (const [, req] of trust.waits) {
    for (const e of req.events) {
      const known = waitTrust[e];
      if (known === undefined || trustBelow(req.effective, known)) waitTrust[e] = req.effective;
    }
  }
  const ev = doc.trigger.event;
  const events = ev === undefined ? [] : typeof ev === 'string' ? [ev] : [...ev];
  const schedule = doc.trigger.schedule;
  const anniversary = doc.trigger.anniversary;
  // The event whose time is the origin enrols the participant too.
  if (anniversary?.of.event !== undefined && !events.includes(anniversary.of.event))
    events.push(anniversary.of.event);
  const journey = doc.trigger.journey;

  const body: Omit<Plan, 'hash'> = {
    planVersion: PLAN_VERSION,
    pulse: doc.pulse,
    id: doc.id,
    version: doc.version,
    title: doc.title,
    ...(doc.goal !== undefined ? { goal: doc.goal } : {}),
    ...(doc.locale !== undefined ? { locale: canonicalLocale(doc.locale) } : {}),
    trigger: {
      events,
      ...(doc.trigger.when !== undefined ? { when: doc.trigger.when } : {}),
      journey:
        journey === undefined ? DEFAULT_JOURNEY : typeof journey === 'string' ? { var: journey } : journey,
      trust: trust.trigger.effective,
      ...(schedule !== undefined
        ? {
            schedule: {
              cron: schedule.cron.trim().split(/\s+/).join(' '),
              timezone: schedule.timezone ?? 'UTC',
            },
          }
        : {}),
      ...(anniversary !== undefined
        ? {
            anniversary: {
              of: { ...anniversary.of },
              every: anniversary.every,
              at: anniversary.at ?? DEFAULT_ANNIVERSARY_AT,
              timezone: anniversary.timezone ?? 'UTC',
              leapDay: anniversary.leap_day ?? 'feb28',
            },
          }
        : {}),
    },
    settings,
    ...(doc.landing
      ? {
          landing: {
            url: doc.landing.url,
            attributionDays: doc.landing.attribution_days ?? DEFAULT_ATTRIBUTION_DAYS,
          },
        }
      : {}),
    ...(doc.attribution
      ? {
          attribution: {
            windowDays:
              doc.attribution.window_days ?? doc.landing?.attribution_days ?? DEFAULT_ATTRIBUTION_DAYS,
            model: doc.attribution.model ?? 'last_touch',
            conversion: doc.attribution.conversion ?? ['purchase_completed'],
          },
        }
      : {}),
    ...(doc.fraud ? { fraud: doc.fraud as Record<string, unknown> } : {}),
    ...(doc.leaderboards && doc.leaderboards.length > 0 ? { leaderboards: doc.leaderboards } : {}),
    rewards: (doc.rewards ?? {}) as Record<string, unknown>,
    segments: (doc.segments ?? {}) as Record<string, unknown>,
    waitsFor: [...waits].sort(),
    waitTrust: Object.fromEntries(
      Object.keys(waitTrust)
        .sort()
        .map((e) => [e, waitTrust[e] as TrustLevel]),
    ),
    steps,
    children,
  };
  return { plan: { ...body, hash: planHash(body) }, diagnostics: [] };
}

/** sha256 of the canonical JSON (sorted keys) of a plan without its `hash`. */
export function planHash(plan: Omit<Plan, 'hash'> | Plan): string {
  const { hash: _ignored, ...body } = plan as Plan;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** JSON with object keys sorted at every level (undefined members dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

function resolveSettings(
  doc: Campaign,
  overrides: Record<string, unknown>,
  file: string,
): { settings: Record<string, unknown>; diagnostics: Diagnostic[] } {
  const decls = (doc.settings ?? {}) as Record<string, SettingDecl>;
  const settings: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(decls)) settings[name] = decl.default;
  const diagnostics: Diagnostic[] = [];
  const at = (name: string) => ({ file, line: 0, column: 0, path: formatPath(['settings', name]) });
  for (const [name, value] of Object.entries(overrides)) {
    const decl = decls[name];
    if (!decl) {
      diagnostics.push({
        code: 'UNKNOWN_SETTING',
        severity: 'error',
        ...at(name),
        message: `this campaign has no setting "${name}"`,
        found: JSON.stringify(name),
        expected: Object.keys(decls).length > 0 ? `one of ${Object.keys(decls).join(', ')}` : 'no settings',
      });
      continue;
    }
    const problem = settingValueProblem(name, decl, value, {
      type: 'SETTING_OVERRIDE',
      range: 'SETTING_OVERRIDE',
    });
    if (problem) {
      diagnostics.push({ severity: 'error', ...at(name), ...problem });
      continue;
    }
    settings[name] = value;
  }
  return { settings, diagnostics };
}

interface StepContext {
  waits: Set<string>;
  /** Effective trust of each wait step, by id (see dsl/trust.ts). */
  trust: Map<string, TrustLevel>;
  children: Record<string, Plan>;
  refs: Record<string, Plan>;
}

function compileSteps(steps: readonly Step[] | undefined, ctx: StepContext): PlanStep[] {
  return (steps ?? []).map((s) => compileStep(s, ctx));
}

function compileStep(s: Step, ctx: StepContext): PlanStep {
  const id = s.id;
  if ('do' in s) return compileDo(s, ctx);
  if ('if' in s) {
    // biome-ignore lint/suspicious/noThenProperty: `then` is the branch name in the plan contract (contract/plan.ts).
    return { id, kind: 'if', cond: s.if, then: compileSteps(s.then, ctx), else: compileSteps(s.else, ctx) };
  }
  if ('switch' in s) {
    return {
      id,
      kind: 'switch',
      cases: Object.entries(s.cases).map(([value, steps]) => ({
        when: { '==': [s.switch, caseValue(value)] },
        steps: compileSteps(steps, ctx),
      })),
      default: compileSteps(s.default, ctx),
    };
  }
  if ('parallel' in s) {
    return {
      id,
      kind: 'parallel',
      branches: Object.entries(s.parallel).map(([name, steps]) => ({
        name,
        steps: compileSteps(steps, ctx),
      })),
      ...(s.optional !== undefined ? { optional: s.optional } : {}),
    };
  }
  if ('wait' in s) {
    const events = typeof s.wait === 'string' ? [s.wait] : [...s.wait];
    for (const e of events) ctx.waits.add(e);
    const trust = ctx.trust.get(id);
    return {
      id,
      kind: 'wait',
      events,
      ...(s.match !== undefined ? { match: s.match } : {}),
      ...(trust !== undefined ? { trust } : {}),
      timeoutMs: durationValue(s.timeout),
      ...(s.as !== undefined ? { as: s.as } : {}),
      // biome-ignore lint/suspicious/noThenProperty: `then` is the branch name in the plan contract (contract/plan.ts).
      then: compileSteps(s.then, ctx),
      onTimeout: compileSteps(s.on_timeout, ctx),
    };
  }
  if ('sleep' in s) {
    const v = s.sleep;
    if (typeof v === 'object' && v !== null && 'until' in v) return { id, kind: 'sleep', until: v.until };
    const d = typeof v === 'object' && v !== null && 'for' in v ? v.for : v;
    return { id, kind: 'sleep', durationMs: durationValue(d) };
  }
  if ('repeat' in s) {
    return {
      id,
      kind: 'repeat',
      times: s.repeat,
      maxIterations: s.max,
      ...(s.while !== undefined ? { while: s.while } : {}),
      index: s.index ?? 'index',
      steps: compileSteps(s.steps, ctx),
    };
  }
  if ('for_each' in s) {
    return {
      id,
      kind: 'for_each',
      items: s.for_each,
      as: s.as,
      ...(s.index !== undefined ? { index: s.index } : {}),
      maxItems: s.max_items,
      steps: compileSteps(s.steps, ctx),
      ...(s.optional !== undefined ? { optional: s.optional } : {}),
    };
  }
  if ('set' in s) return { id, kind: 'set', values: { ...s.set } };
  if ('emit' in s) return { id, kind: 'emit', event: s.emit, properties: { ...(s.properties ?? {}) } };
  if ('call' in s) {
    const child = ctx.refs[s.call];
    // Validation resolved every reference before compiling; an unresolved one keeps the reference text
    // so the engine fails with UNKNOWN_CHILD_PLAN rather than running something else.
    const plan = child?.id ?? s.call;
    if (child) ctx.children[child.id] = child;
    return {
      id,
      kind: 'call',
      plan,
      input: { ...(s.with ?? {}) },
      ...(s.as !== undefined ? { as: s.as } : {}),
      ...(s.optional !== undefined ? { optional: s.optional } : {}),
    };
  }
  if ('try' in s) {
    return {
      id,
      kind: 'try',
      steps: compileSteps(s.try, ctx),
      catch: s.catch.map((c) => ({
        errors: c.errors === 'any' ? [ANY_ERROR] : [...c.errors],
        ...(c.as !== undefined ? { as: c.as } : {}),
        steps: compileSteps(c.steps, ctx),
      })),
      ...(s.finally !== undefined ? { finally: compileSteps(s.finally, ctx) } : {}),
    };
  }
  if ('approval' in s) return compileApproval(s, ctx);
  if ('raise' in s) {
    return {
      id,
      kind: 'raise',
      code: s.raise.code,
      ...(s.raise.message !== undefined ? { message: s.raise.message } : {}),
    };
  }
  return {
    id,
    kind: 'end',
    status: s.end as EndStatus,
    ...(s.reason !== undefined ? { reason: s.reason } : {}),
  };
}

/** `approval`: `on_timeout: approve|reject` becomes a timeout decision with an empty timeout branch. */
function compileApproval(s: ApprovalStep, ctx: StepContext): PlanStep {
  const decided = typeof s.on_timeout === 'string';
  return {
    id: s.id,
    kind: 'approval',
    title: s.approval,
    ...(s.details !== undefined ? { details: s.details } : {}),
    roles: [...s.roles],
    timeoutMs: durationValue(s.timeout),
    ...(s.escalate !== undefined
      ? { escalate: { roles: [...s.escalate.roles], timeoutMs: durationValue(s.escalate.timeout) } }
      : {}),
    ...(s.as !== undefined ? { as: s.as } : {}),
    ...(typeof s.on_timeout === 'string' ? { timeoutDecision: s.on_timeout } : {}),
    // biome-ignore lint/suspicious/noThenProperty: `then` is the branch name in the plan contract (contract/plan.ts).
    then: compileSteps(s.then, ctx),
    onReject: compileSteps(s.on_reject, ctx),
    onTimeout: decided ? [] : compileSteps(s.on_timeout as Step[], ctx),
  };
}

function compileDo(s: DoStep, _ctx: StepContext): PlanStep {
  const timeoutMs = s.timeout !== undefined ? parseDuration(s.timeout) : null;
  return {
    id: s.id,
    kind: 'do',
    activity: s.do,
    with: { ...(s.with ?? {}) },
    ...(s.as !== undefined ? { as: s.as } : {}),
    ...(s.retry !== undefined ? { retry: compileRetry(s.retry) } : {}),
    ...(timeoutMs !== null ? { timeoutMs } : {}),
    ...(s.optional !== undefined ? { optional: s.optional } : {}),
    ...(s.compensate !== undefined
      ? { compensate: { activity: s.compensate.do, with: { ...(s.compensate.with ?? {}) } } }
      : {}),
  };
}

function compileRetry(r: DslRetry): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: r.max_attempts ?? DEFAULT_RETRY.maxAttempts,
    initialIntervalMs:
      r.initial_interval !== undefined
        ? (parseDuration(r.initial_interval) ?? DEFAULT_RETRY.initialIntervalMs)
        : DEFAULT_RETRY.initialIntervalMs,
    backoffCoefficient: r.backoff ?? DEFAULT_RETRY.backoffCoefficient,
  };
  const max = r.max_interval !== undefined ? parseDuration(r.max_interval) : null;
  if (max !== null) policy.maxIntervalMs = max;
  if (r.non_retryable !== undefined) policy.nonRetryable = [...r.non_retryable];
  return policy;
}

/** YAML map keys are text; `true`/`false` cases compare as booleans (numbers already compare loosely). */
function caseValue(key: string): string | boolean {
  return key === 'true' ? true : key === 'false' ? false : key;
}

/**
 * A literal fixed-length duration becomes milliseconds; a calendar one ("1mo", "1y") stays text, for the
 * engine to measure from workflow time when the timer starts; an expression stays for the engine.
 */
function durationValue(v: unknown): number | Expr {
  if (typeof v === 'string') return parseDuration(v) ?? v;
  return v;
}

/** A BCP 47 tag in canonical case (the validator refused tags Intl does not accept). */
function canonicalLocale(tag: string): string {
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? tag;
  } catch {
    return tag;
  }
}
