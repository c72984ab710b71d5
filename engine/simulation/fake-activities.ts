import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityContext } from '../../contract/activity-context.ts';
import type { ActivityImplementations, ActivityName } from '../../contract/catalogue.ts';
import { evaluate, isTruthy } from '../../contract/expr.ts';
import type { FakeRuleSchema } from '../../contract/generated/simulation-script.generated.ts';
import type { Expr } from '../../contract/plan.ts';
import {
  builtInTemplates,
  localeChain,
  type Rendered,
  renderSourceSync,
} from '../../contract/template-render.ts';

/** One activity call as a fake saw it. */
export interface ActivityCall {
  activity: ActivityName;
  input: Record<string, unknown>;
  stepId: string;
  workflowId: string;
  idempotencyKey: string;
  attempt: number;
  /** Server time of the attempt: virtual time on the time-skipping server. */
  scheduledAt: string;
}

/**
 * How a fake behaves, as data so a JSON simulation script can say it: the first rule whose `when`
 * (JSON-Logic over `{ input, ctx, call }`, `call` = 1-based count of this activity in this journey) holds decides;
 * `returns` is merged over the default output, `fail` raises an ApplicationFailure with `type = code`.
 */
export interface FakeRule extends Omit<FakeRuleSchema, 'when'> {
  when?: Expr;
}

/**
 * The campaign's real eligibility rules as the simulator applies them (the composition root passes the
 * reward service's database-free evaluator): CheckEligibility and AllocateReward answer from it.
 */
export type EligibilityJudge = (
  input: Record<string, unknown>,
  now: Date,
) => {
  eligible: boolean;
  reason: string | null;
  segment: string | null;
  refusedBy: string | null;
  reward: Record<string, unknown> | null;
};

/** One eligibility verdict the simulator reached (CheckEligibility or AllocateReward). */
export interface EligibilityVerdict {
  workflowId: string;
  stepId: string;
  activity: 'CheckEligibility' | 'AllocateReward';
  participantId: string;
  reward: string | null;
  eligible: boolean;
  reason: string | null;
  segment: string | null;
  /** The part of the campaign file that refused (`segments.trial`, `rewards.bonus.when`, …). */
  refusedBy: string | null;
  scheduledAt: string;
}

export interface FakeOptions {
  judge?: EligibilityJudge;
}

type AnyFake = (input: Record<string, unknown>, ctx: ActivityContext) => unknown;
export type FakeBehaviour = FakeRule | FakeRule[] | AnyFake;
export type FakeOverrides = Partial<Record<ActivityName, FakeBehaviour>>;

type Defaults = { [N in ActivityName]: (input: Record<string, unknown>, ctx: ActivityContext) => object };

const str = (v: unknown, fallback: string): string => (typeof v === 'string' && v !== '' ? v : fallback);
/** Short stable suffix from the idempotency key, so ids look real and are the same on every run. */
const tag = (ctx: ActivityContext): string => {
  let h = 0;
  for (const c of ctx.idempotencyKey) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(36);
};

/** Plausible outputs, valid against each catalogue output schema (a test checks that). */
export const defaultOutputs: Defaults = {
  FetchCampaignConfig: () => ({ active: true, status: 'active', starts_at: null, ends_at: null }),
  CheckEligibility: (i) => ({ eligible: true, reason: null, segment: 'all', reward: i.reward ?? null }),
  CheckFraud: () => ({ score: 4, flags: [], blocked: false }),
  GenerateReferralAssets: (i) => {
    const code = `REF-${str(i.participant_id, 'anon').toUpperCase().slice(0, 12)}`;
    return { code, link: `https://pulse.test/r/${code}` };
  },
  AttributeReferral: (i) => ({
    attributed: true,
    referrer_id: 'referrer-1',
    referral_id: str(i.referral_id, 'referral-1'),
    reason: null,
  }),
  ValidateConversion: (i) => ({
    valid: true,
    reason: null,
    referrer_id: 'referrer-1',
    referral_id: str(i.referral_id, 'referral-1'),
  }),
  ScoreParticipant: () => ({ score: 72, level: 'high', signals: {} }),
  VerifySubmission: () => ({ verified: true, reason: null, tier: null }),
  AllocateReward: (i, ctx) => ({
    allocated: true,
    reward_id: `rw-${tag(ctx)}`,
    state: 'approved',
    category: 'credit',
    amount: typeof i.basis_value === 'number' ? Math.round(i.basis_value * 0.1) : 10,
    currency: 'USD',
    reason: null,
  }),
  FulfillReward: () => ({ state: 'fulfilled', fulfilment: { method: 'ledger' } }),
  RevokeReward: (i) => ({
    reward_id: str(i.reward_id, 'reward-1'),
    state: 'REVOKED',
    previous_state: 'APPROVED',
    revoked: true,
  }),
  CheckMilestone: () => ({ count: 1, reached: [], reward_ids: [] }),
  CalculateLeaderboard: (i) => ({ standings: [], rank: i.participant_id ? 1 : null, changed: true }),
  RenderNotificationContent: (i, ctx) =>
    renderBuiltIn(i, {}, ctx.defaultLocale) ?? {
      subject: `[${str(i.template, 'template')}]`,
      html: '<p>Hello</p>',
      text: 'Hello',
    },
  SendNotification: (i, ctx) => {
    // The real template renders, strictly, with what the service and the activity add on send: a
    // template that needs data the step does not pass fails the journey here as it would in production.
    renderBuiltIn(
      i,
      {
        participant: { id: str(i.participant_id, 'participant') },
        campaign: { id: ctx.campaign.campaignId, pulse: ctx.campaign.pulse },
      },
      ctx.defaultLocale,
    );
    return { notification_id: `n-${tag(ctx)}`, status: 'sent' };
  },
  SendWebhook: () => ({ delivered: 1 }),
  RecordWorkflowMetrics: () => ({ recorded: true }),
  EmitEvent: (_i, ctx) => ({ event_id: `evt-${tag(ctx)}` }),
};

/**
 * Renders a built-in template (campaigns/templates) as the notification service would; undefined when
 * the name is not a built-in (a client template the simulator cannot see). A render failure is a
 * non-retryable VALIDATION_FAILED, the code the service answers.
 */
function renderBuiltIn(
  input: Record<string, unknown>,
  added: Record<string, unknown>,
  defaultLocale?: string,
): Rendered | undefined {
  const name = typeof input.template === 'string' ? input.template : '';
  const byLocale = builtInTemplates().get(name);
  if (!byLocale) return undefined;
  const locale = typeof input.locale === 'string' ? input.locale : undefined;
  const chosen = localeChain(locale, defaultLocale).find((l) => byLocale.has(l));
  const t = chosen ? byLocale.get(chosen) : undefined;
  if (!t || !chosen) return undefined;
  const data =
    input.data !== null && typeof input.data === 'object' ? (input.data as Record<string, unknown>) : {};
  try {
    return renderSourceSync(name, t.source, { ...data, ...added }, { locale: chosen, builtIn: true });
  } catch (err) {
    const detail = (err as { details?: { path: string }[] }).details?.map((d) => d.path).join(', ');
    throw ApplicationFailure.create({
      type: 'VALIDATION_FAILED',
      message: `template "${name}" does not render${detail ? ` (${detail})` : ''}: ${(err as Error).message}`,
      nonRetryable: true,
    });
  }
}

function applyRules(
  rules: FakeRule[],
  scope: Record<string, unknown>,
  base: () => object,
): object | undefined {
  for (const rule of rules) {
    if (rule.when !== undefined && !isTruthy(evaluate(rule.when, scope))) continue;
    if (rule.fail) {
      throw ApplicationFailure.create({
        type: rule.fail.code,
        message: rule.fail.message ?? `simulated ${rule.fail.code}`,
        nonRetryable: !rule.fail.retryable,
      });
    }
    return { ...base(), ...rule.returns };
  }
  return undefined;
}

export interface FakeActivities {
  activities: ActivityImplementations;
  /** Every call in completion order (attempts that failed included). */
  calls: ActivityCall[];
  /** Eligibility verdicts of the campaign's rules (only with a judge), in call order. */
  verdicts: EligibilityVerdict[];
  /** Calls of one activity, optionally of one journey only. */
  callsOf(name: ActivityName, workflowId?: string): ActivityCall[];
  /** Replaces the overrides (tests sharing one worker change behaviour between cases). */
  setOverrides(overrides: FakeOverrides): void;
}

/** Fakes of every catalogue activity that record their calls; `overrides` change behaviour per activity. */
export function createFakeActivities(initial: FakeOverrides = {}, opts: FakeOptions = {}): FakeActivities {
  let overrides = initial;
  const calls: ActivityCall[] = [];
  const verdicts: EligibilityVerdict[] = [];
  const defaults: Defaults = opts.judge ? judged(opts.judge, verdicts) : defaultOutputs;
  const counts = new Map<string, number>();
  const make = (name: ActivityName) => async (input: Record<string, unknown>, ctx: ActivityContext) => {
    const info = Context.current().info;
    calls.push({
      activity: name,
      input,
      stepId: ctx.stepId,
      workflowId: ctx.workflowId,
      idempotencyKey: ctx.idempotencyKey,
      attempt: info.attempt,
      scheduledAt: new Date(info.currentAttemptScheduledTimestampMs).toISOString(),
    });
    const countKey = `${ctx.workflowId}\u0000${name}`;
    const call = (counts.get(countKey) ?? 0) + 1;
    counts.set(countKey, call);
    // The default output is computed only when used: a scripted failure wins over a default that
    // would fail itself (a SendNotification whose template does not render).
    const base = () => defaults[name](input, ctx);
    const behaviour = overrides[name];
    if (typeof behaviour === 'function') return behaviour(input, ctx);
    if (!behaviour) return base();
    const rules = Array.isArray(behaviour) ? behaviour : [behaviour];
    return applyRules(rules, { input, ctx, call }, base) ?? base();
  };
  const activities = Object.fromEntries(
    (Object.keys(defaultOutputs) as ActivityName[]).map((name) => [name, make(name)]),
  ) as unknown as ActivityImplementations;
  return {
    activities,
    calls,
    verdicts,
    callsOf: (name, workflowId) =>
      calls.filter((c) => c.activity === name && (workflowId === undefined || c.workflowId === workflowId)),
    setOverrides: (next) => {
      overrides = next;
    },
  };
}

/**
 * The defaults with CheckEligibility and AllocateReward answered by the campaign's rules: an ineligible
 * participant is ineligible (and allocation refused) with the reason code the service would give.
 */
function judged(judge: EligibilityJudge, verdicts: EligibilityVerdict[]): Defaults {
  const verdict = (
    activity: EligibilityVerdict['activity'],
    input: Record<string, unknown>,
    ctx: ActivityContext,
  ) => {
    // Only what the step passes, as in production: traits the step leaves out are not there.
    const participantId = str(input.participant_id, 'participant');
    const now = new Date(Context.current().info.currentAttemptScheduledTimestampMs);
    const v = judge(input, now);
    verdicts.push({
      workflowId: ctx.workflowId,
      stepId: ctx.stepId,
      activity,
      participantId,
      reward: typeof input.reward === 'string' ? input.reward : null,
      eligible: v.eligible,
      reason: v.reason,
      segment: v.segment,
      refusedBy: v.refusedBy,
      scheduledAt: now.toISOString(),
    });
    return v;
  };
  return {
    ...defaultOutputs,
    CheckEligibility: (input, ctx) => {
      const v = verdict('CheckEligibility', input, ctx);
      return { eligible: v.eligible, reason: v.reason, segment: v.segment, reward: v.reward };
    },
    AllocateReward: (input, ctx) => {
      const v = verdict('AllocateReward', input, ctx);
      if (!v.eligible)
        return {
          allocated: false,
          reward_id: null,
          state: null,
          category: null,
          amount: null,
          currency: null,
          reason: v.reason,
          segment: v.segment,
        };
      const r = v.reward;
      return {
        ...defaultOutputs.AllocateReward(input, ctx),
        ...(r && typeof r.category === 'string' ? { category: r.category } : {}),
        ...(r && (typeof r.amount === 'number' || r.amount === null) ? { amount: r.amount } : {}),
        ...(r && (typeof r.currency === 'string' || r.currency === null) ? { currency: r.currency } : {}),
        ...(r && typeof r.fulfilment === 'string' ? { fulfilment: r.fulfilment } : {}),
        segment: v.segment,
      };
    },
  };
}
