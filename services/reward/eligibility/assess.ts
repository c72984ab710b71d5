import { AppError } from '../../../contract/errors.ts';
import type {
  EligibilityRequirements,
  Fulfilment,
  RewardRule,
  RewardValue,
} from '../../../contract/generated/reward.generated.ts';
import { truthy } from '../../platform/rules/compile.ts';
import { addDuration, type Computed, compute, redeemMode, sum } from '../allocation/calculate.ts';
import type { CompiledSegment, Program } from '../programs/programs.ts';
import type { RejectionReason } from './reasons.ts';

/**
 * The pure part of eligibility and allocation: which rule and side, which segment matches, what the reward
 * is worth, and the checks that need no database (minimum value, phase-2 segmentation, fraud score). The
 * checks that need shared counters (budget, winners, earning limits, duplicates) run in Postgres.
 */

export type Side = 'referrer' | 'referee' | 'participant';

export interface AssessInput {
  rule: string;
  side?: Side | undefined;
  participantId: string;
  basisValue?: number | undefined;
  traits?: Record<string, unknown> | undefined;
  fraudScore?: number | undefined;
  /** Internal: the value already chosen (a milestone threshold's or a leaderboard prize's). */
  give?: RewardValue | undefined;
  now: Date;
}

export interface Assessment {
  ruleName: string;
  rule: RewardRule;
  side: Side;
  segment: string | null;
  computed: Computed | null;
  /** First failing database-free check, in phase order; null when they all pass. */
  reject: RejectionReason | null;
  mode: Fulfilment;
  redeem: 'on_fulfil' | 'manual';
  /** When an unapproved / unclaimed reward expires (null: it does not wait). */
  deadline: Date | null;
  /** Whether it counts toward per-referrer earning limits (every side but the referee's). */
  countsLimit: boolean;
}

const LEVELS: Record<string, number> = { low: 0, medium: 1, high: 2 };
const DEFAULT_MAX_FRAUD_SCORE = 70;

export function findRule(program: Program, name: string): RewardRule {
  const rule = program.rules[name];
  if (!rule) throw new AppError('NOT_FOUND', `campaign ${program.campaignId} has no reward rule "${name}"`);
  return rule;
}

function resolveSide(rule: RewardRule, name: string, side: Side | undefined): Side {
  if (rule.type === 'double') {
    if (side !== 'referrer' && side !== 'referee') {
      throw new AppError('VALIDATION_FAILED', `rule "${name}" rewards both sides: say which`, [
        { path: 'side', message: 'required for a double rule', expected: 'referrer | referee' },
      ]);
    }
    return side;
  }
  const own = rule.side ?? 'referrer';
  if (side !== undefined && side !== own) {
    throw new AppError('VALIDATION_FAILED', `rule "${name}" rewards the ${own}, not the ${side}`, [
      { path: 'side', message: 'does not match the rule', expected: own },
    ]);
  }
  return own;
}

function matchSegment(program: Program, data: Record<string, unknown>): CompiledSegment | undefined {
  for (const s of program.segments) if (holds(() => s.when(data))) return s;
  return undefined;
}

/**
 * A condition holds when it evaluates truthy. One that raises (a JSON Logic `throw` nothing caught, or an
 * operator failing on the data) does not hold: eligibility fails closed, and a rule's error never turns
 * a participant's request into a 5xx.
 */
function holds(condition: () => unknown): boolean {
  try {
    return truthy(condition());
  } catch {
    return false;
  }
}

/** The reward values a rule gives for this side/basis/segment before overrides (several when cumulative). */
function ruleGive(
  rule: RewardRule,
  side: Side,
  basis: number | undefined,
  segment: string | null,
): RewardValue[] {
  switch (rule.type) {
    case 'single':
      return rule.give ? [rule.give] : [];
    case 'double':
      return [(rule[side as 'referrer' | 'referee'] ?? { give: undefined }).give].filter(
        (v): v is RewardValue => !!v,
      );
    case 'tiered': {
      const tiers = rule.tiers ?? [];
      const hits =
        rule.by === 'segment'
          ? tiers.filter((t) => segment !== null && t.segment === segment)
          : basis === undefined
            ? []
            : tiers.filter(
                (t) => t.from !== undefined && basis >= t.from && (t.to === undefined || basis < t.to),
              );
      if (rule.mode === 'cumulative') return hits.map((t) => t.give);
      // Exclusive: the highest tier reached.
      const best = hits.reduce<(typeof hits)[number] | undefined>(
        (b, t) => (!b || (t.from ?? 0) >= (b.from ?? 0) ? t : b),
        undefined,
      );
      return best ? [best.give] : [];
    }
    default:
      // Milestone thresholds and leaderboard prizes are chosen by their own services and passed in `give`.
      return rule.give ? [rule.give] : [];
  }
}

function segmentOverride(
  s: CompiledSegment | undefined,
  ruleName: string,
  side: Side,
): RewardValue | undefined {
  const o = s?.segment.rewards?.[ruleName];
  if (!o) return undefined;
  if ('category' in o) return o as RewardValue;
  return (o as Record<string, RewardValue | undefined>)[side];
}

function tenureDays(traits: Record<string, unknown>, now: Date): number | undefined {
  if (typeof traits.tenure_days === 'number') return traits.tenure_days;
  const since = traits.signup_at ?? traits.created_at;
  if (typeof since !== 'string') return undefined;
  const t = Date.parse(since);
  return Number.isNaN(t) ? undefined : Math.floor((now.getTime() - t) / 86_400_000);
}

/** Phase 2: plan, billing cycle, tenure, lifecycle stage, engagement, churn risk — first failure wins. */
function segmentationReason(
  req: EligibilityRequirements,
  traits: Record<string, unknown>,
  now: Date,
): RejectionReason | null {
  const level = (v: unknown) => (typeof v === 'string' ? LEVELS[v] : undefined);
  if (req.plans && !req.plans.includes(traits.plan as string)) return 'PLAN_MISMATCH';
  if (req.billing_cycles && !req.billing_cycles.includes(traits.billing_cycle as string))
    return 'BILLING_MISMATCH';
  if (req.min_tenure_days !== undefined && !((tenureDays(traits, now) ?? -1) >= req.min_tenure_days))
    return 'TENURE_TOO_LOW';
  if (req.lifecycle_stages && !req.lifecycle_stages.includes(traits.lifecycle_stage as string))
    return 'WRONG_STAGE';
  if (
    req.min_engagement !== undefined &&
    !((level(traits.engagement) ?? -1) >= (LEVELS[req.min_engagement] ?? 0))
  )
    return 'LOW_ENGAGEMENT';
  if (req.max_churn_risk !== undefined && (level(traits.churn_risk) ?? 0) > (LEVELS[req.max_churn_risk] ?? 2))
    return 'CHURN_RISK_TOO_HIGH';
  return null;
}

export function assess(program: Program, input: AssessInput): Assessment {
  const rule = findRule(program, input.rule);
  const side = resolveSide(rule, input.rule, input.side);
  const c = program.constraints;
  const traits = input.traits ?? {};
  const data: Record<string, unknown> = {
    traits,
    side,
    basis_value: input.basisValue ?? null,
    participant_id: input.participantId,
    rule: input.rule,
    fraud_score: input.fraudScore ?? null,
  };
  const matched = matchSegment(program, data);
  const segment = matched?.name ?? null;
  const overridable = rule.type === 'single' || rule.type === 'double' || rule.type === 'tiered';
  const override = overridable ? segmentOverride(matched, input.rule, side) : undefined;
  const gives = input.give
    ? [input.give]
    : override
      ? [override]
      : ruleGive(rule, side, input.basisValue, segment);
  const computed =
    gives.length === 0
      ? null
      : gives.length === 1
        ? compute(gives[0] as RewardValue, input.basisValue)
        : sum(gives, input.basisValue);

  const reasons: (RejectionReason | null)[] = [];
  const min = rule.min_value ?? c.min_value;
  if (overridable && min !== undefined && !(input.basisValue !== undefined && input.basisValue >= min))
    reasons.push('BELOW_MINIMUM');
  reasons.push(segmentationReason({ ...c.eligibility, ...rule.eligibility }, traits, input.now));
  if (matched?.segment.exclude) reasons.push('SEGMENT_EXCLUDED');
  const conditions = [
    rule.when,
    rule.type === 'double' ? rule[side as 'referrer' | 'referee']?.when : undefined,
  ];
  if (
    conditions.some((w) => w !== undefined && !holds(() => program.engine.evaluate(w, { ...data, segment })))
  )
    reasons.push('RULE_CONDITION_FAILED');
  if (!computed && rule.type === 'tiered') {
    const lowest = Math.min(...(rule.tiers ?? []).map((t) => t.from ?? Number.POSITIVE_INFINITY));
    reasons.push(
      rule.by !== 'segment' && (input.basisValue === undefined || input.basisValue < lowest)
        ? 'BELOW_MINIMUM'
        : 'NO_MATCHING_TIER',
    );
  }
  if (input.fraudScore !== undefined && input.fraudScore > (c.max_fraud_score ?? DEFAULT_MAX_FRAUD_SCORE))
    reasons.push('FRAUD_DETECTED');
  const reject = reasons.find((r) => r !== null) ?? null;

  const sideMode = rule.type === 'double' ? rule[side as 'referrer' | 'referee']?.fulfilment : undefined;
  let mode: Fulfilment = sideMode ?? rule.fulfilment ?? c.fulfilment ?? 'auto';
  if (c.approval_above !== undefined && (computed?.cost ?? 0) > c.approval_above) mode = 'approval';
  const wait =
    mode === 'claim'
      ? (c.expiry?.unclaimed ?? c.expiry?.unapproved)
      : mode === 'approval'
        ? c.expiry?.unapproved
        : undefined;
  return {
    ruleName: input.rule,
    rule,
    side,
    segment,
    computed,
    reject,
    mode,
    redeem: computed ? redeemMode(computed.value) : 'manual',
    deadline: wait ? addDuration(input.now, wait) : null,
    countsLimit: side !== 'referee',
  };
}
