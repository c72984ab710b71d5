import { newId } from '../../platform/ids.ts';
import * as referralRepo from '../repo.ts';
import { type IdentityInput, identityFacts } from './identity.ts';
import { type FraudPolicy, resolvePolicy } from './policy.ts';
import {
  type FraudDb,
  findPolicy,
  lastClickOf,
  loadIdentity,
  recordedClickIds,
  rememberIdentity,
  saveAssessment,
} from './repo.ts';
import { type FraudRule, PAID_CLICK_IDS, RULES, type RuleContext, type Severity } from './rules.ts';

export interface FraudReason {
  rule: string;
  signal: string;
  weight: number;
  severity: Severity;
  detail: string;
}

export type FraudDecision = 'approve' | 'review' | 'reject';

/** What a reward carries when it was scored (the reward service holds or rejects by it). */
export interface FraudReview {
  score: number;
  decision: FraudDecision;
  reasons: FraudReason[];
  assessment_id: string;
  referrer_id: string | null;
  suspend_after: number;
}

export interface FraudVerdict {
  score: number;
  decision: FraudDecision;
  reasons: FraudReason[];
  /** Ids of the rules that fired (the old output, kept for journeys that read it). */
  flags: string[];
  /** decision = reject. */
  blocked: boolean;
  /** Rules that failed open: they count as not fired, and are named here. */
  errors: { rule: string; message: string }[];
  referrer_id: string | null;
  review: FraudReview;
}

export interface FraudCheckInput extends IdentityInput {
  participantId: string;
  referrerId?: string | undefined;
  kind?: 'signup' | 'conversion' | undefined;
  /** When the participant clicked the link; otherwise the recorded click, else the attribution time. */
  clickedAt?: Date | undefined;
  /** Query parameters or context.marketing of the landing/click: names of paid click ids are read. */
  clickIds?: Record<string, unknown> | string[] | undefined;
  at?: Date | undefined;
}

const PAID: ReadonlySet<string> = new Set(PAID_CLICK_IDS);

function paidClickIdsOf(raw: FraudCheckInput['clickIds']): string[] {
  if (!raw) return [];
  const names = Array.isArray(raw)
    ? raw
    : Object.entries(raw)
        .filter(([, v]) => v !== null && v !== undefined && v !== '')
        .map(([k]) => k);
  return [...new Set(names.map((n) => String(n).toLowerCase()).filter((n) => PAID.has(n)))].sort();
}

export function weightOf(rule: FraudRule, policy: FraudPolicy): number {
  return policy.rules[rule.id]?.weight ?? rule.weight;
}

/**
 * Maps a score to a decision. A score at `reject_at` or above rejects only when a critical rule (an
 * exact identity match or a blocklist) fired; anything else that high is held for a person to review.
 */
export function decide(score: number, reasons: FraudReason[], policy: FraudPolicy): FraudDecision {
  if (score >= policy.reject_at && reasons.some((r) => r.severity === 'critical')) return 'reject';
  if (score >= policy.review_at && reasons.length > 0) return 'review';
  return 'approve';
}

/**
 * Scores one participant's referral: records what this event says about them, loads the referrer's
 * identity, runs every enabled rule and returns the score, the decision and the reasons.
 */
export async function assessFraud(
  db: FraudDb,
  hashSecret: string,
  t: { clientId: string; campaignId: string },
  input: FraudCheckInput,
): Promise<FraudVerdict> {
  const at = input.at ?? new Date();
  const policy = resolvePolicy(await findPolicy(db, t.clientId, t.campaignId));
  const referral = await referralRepo.findReferralOfReferee(db, t.clientId, input.participantId);
  const referrerId = input.referrerId ?? referral?.referrer_id ?? null;
  const facts = identityFacts(hashSecret, input);
  await rememberIdentity(db, t.clientId, input.participantId, facts, at);
  const participant = await loadIdentity(db, t.clientId, input.participantId);
  // This event's own facts count even when an older row already holds another value.
  if (facts.emailKey) participant.emailKey = facts.emailKey;
  if (facts.emailHash) participant.emailHash = facts.emailHash;
  if (facts.country) participant.country = facts.country;
  if (facts.uaKey) participant.uaKey = facts.uaKey;
  const referrer = referrerId ? await loadIdentity(db, t.clientId, referrerId) : null;
  const kind = input.kind ?? 'signup';
  const clickedAt =
    input.clickedAt ??
    (referral ? await lastClickOf(db, t.clientId, referral.code, participant.deviceIds) : null) ??
    (referral ? new Date(referral.attributed_at) : null);
  const ctx: RuleContext = {
    db,
    clientId: t.clientId,
    kind,
    at,
    policy,
    participant,
    referrer,
    referral: referral
      ? { id: referral.id, code: referral.code, attributedAt: new Date(referral.attributed_at) }
      : null,
    clickedAt,
    // Click ids the event carried, and those recorded on the referee's clicks of the link.
    paidClickIds: [
      ...new Set([
        ...paidClickIdsOf(input.clickIds),
        ...paidClickIdsOf(
          referral
            ? await recordedClickIds(
                db,
                t.clientId,
                referral.code,
                input.participantId,
                participant.deviceIds,
              )
            : undefined,
        ),
      ]),
    ].sort(),
    clickIps: () =>
      referral ? referralRepo.clickIpsOfCode(db, t.clientId, referral.code) : Promise.resolve([]),
    countReferralsSince: (id, since) => referralRepo.countReferralsSince(db, t.clientId, id, since),
  };
  const reasons: FraudReason[] = [];
  const errors: FraudVerdict['errors'] = [];
  for (const rule of RULES) {
    if (policy.rules[rule.id]?.enabled === false) continue;
    if (rule.only && rule.only !== kind) continue;
    const base = {
      rule: rule.id,
      signal: rule.signal,
      weight: weightOf(rule, policy),
      severity: rule.severity,
    };
    try {
      const r = await rule.evaluate(ctx);
      if (r.fired) reasons.push({ ...base, detail: r.detail ?? '' });
    } catch (err) {
      const message = (err as Error).message;
      if (rule.fails === 'closed')
        reasons.push({ ...base, detail: `the rule failed (${message}); fails closed` });
      else errors.push({ rule: rule.id, message });
    }
  }
  const score = Math.min(
    100,
    reasons.reduce((s, r) => s + r.weight, 0),
  );
  const decision = decide(score, reasons, policy);
  const assessmentId = newId('fra');
  await saveAssessment(db, {
    id: assessmentId,
    client_id: t.clientId,
    campaign_id: t.campaignId,
    participant_id: input.participantId,
    referrer_id: referrerId,
    referral_id: referral?.id ?? null,
    kind,
    score,
    decision,
    reasons,
  });
  return {
    score,
    decision,
    reasons,
    flags: reasons.map((r) => r.rule),
    blocked: decision === 'reject',
    errors,
    referrer_id: referrerId,
    review: {
      score,
      decision,
      reasons,
      assessment_id: assessmentId,
      referrer_id: referrerId,
      suspend_after: policy.suspend_after,
    },
  };
}
