import { AppError } from '../../../contract/errors.ts';
import type { RewardDeps } from '../deps.ts';
import { approveReward, rejectReward } from '../lifecycle/lifecycle.ts';
import { findReward } from '../lifecycle/repo.ts';
import type { RewardRow } from '../tables.ts';
import { confirmedFrauds, type FraudRewardDb, findSuspension, recordDecision, suspend } from './repo.ts';

/**
 * Fraud review: a reward the engine scored "review" waits in the approval queue (PENDING) with its
 * verdict; a person approves or rejects it, and every decision is recorded with who, when and why
 * (reward_fraud_decisions). A referrer whose confirmed frauds reach the campaign's `suspend_after` is
 * suspended: no further rewards until someone lifts it.
 */

/** The verdict the CheckFraud activity returns and AllocateReward passes on (`fraud` input). */
export interface FraudVerdictInput {
  score: number;
  decision: 'approve' | 'review' | 'reject';
  reasons: { rule: string; signal: string; weight: number; severity: string; detail: string }[];
  assessment_id?: string | undefined;
  referrer_id?: string | null | undefined;
  suspend_after?: number | undefined;
}

export const DEFAULT_SUSPEND_AFTER = 3;

const dbOf = (deps: RewardDeps) => deps.db as unknown as FraudRewardDb;

/** What the API shows of a reward's verdict (shared with the portal): score, decision, reasons. */
export function reviewView(r: RewardRow) {
  const v = r.review as unknown as FraudVerdictInput | null;
  if (!v) return null;
  return {
    score: v.score,
    decision: v.decision,
    reasons: (v.reasons ?? []).map((x) => ({
      rule: x.rule,
      signal: x.signal,
      weight: x.weight,
      severity: x.severity,
      detail: x.detail,
    })),
  };
}

/** Who is the referrer behind a reward: the verdict says; a referrer-side reward is the referrer's own. */
function referrerOf(r: RewardRow): string | null {
  const v = r.review as unknown as FraudVerdictInput | null;
  return v?.referrer_id ?? (r.side === 'referrer' ? r.participant_id : null);
}

/** Counts the referrer's confirmed frauds and suspends them at the campaign's threshold. */
export async function suspendIfDue(
  deps: RewardDeps,
  r: RewardRow,
  actor: string,
): Promise<{ suspended: boolean; confirmed: number }> {
  const referrer = referrerOf(r);
  if (!referrer) return { suspended: false, confirmed: 0 };
  const db = dbOf(deps);
  const threshold = (r.review as unknown as FraudVerdictInput | null)?.suspend_after ?? DEFAULT_SUSPEND_AFTER;
  const current = await findSuspension(db, r.client_id, referrer);
  if (current && current.lifted_at === null) return { suspended: true, confirmed: current.confirmed_frauds };
  // After a lift, only frauds confirmed since count.
  const confirmed = await confirmedFrauds(db, r.client_id, referrer, current?.lifted_at ?? null);
  if (confirmed < threshold) return { suspended: false, confirmed };
  await suspend(db, {
    client_id: r.client_id,
    participant_id: referrer,
    reason: `${confirmed} confirmed fraudulent referrals (campaign ${r.campaign_id} suspends at ${threshold}); last: reward ${r.id}`,
    confirmed_frauds: confirmed,
    suspended_by: actor,
  });
  return { suspended: true, confirmed };
}

async function record(
  deps: RewardDeps,
  r: RewardRow,
  d: { decision: 'approve' | 'reject'; confirmedFraud: boolean; actor: string; reason: string | null },
): Promise<void> {
  const v = r.review as unknown as FraudVerdictInput | null;
  await recordDecision(dbOf(deps), {
    client_id: r.client_id,
    reward_id: r.id,
    campaign_id: r.campaign_id,
    participant_id: r.participant_id,
    referrer_id: referrerOf(r),
    referral_id: r.referral_id,
    decision: d.decision,
    confirmed_fraud: d.confirmedFraud,
    score: v?.score ?? null,
    actor: d.actor,
    reason: d.reason,
  });
  if (d.confirmedFraud) await suspendIfDue(deps, r, d.actor);
}

/** A reviewer approves a held reward: PENDING → ELIGIBLE → APPROVED; the decision is recorded. */
export async function approveHeld(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  actor: string,
  reason: string | null,
): Promise<RewardRow> {
  const row = await approveReward(deps, clientId, rewardId, actor);
  if (row.review) await record(deps, row, { decision: 'approve', confirmedFraud: false, actor, reason });
  return row;
}

/**
 * A reviewer rejects a held reward: PENDING → REJECTED. Unless told it was rejected for another reason
 * (`confirmedFraud: false`), a held reward's rejection confirms the fraud and counts toward suspension.
 */
export async function rejectHeld(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  actor: string,
  reason: string,
  confirmedFraud = true,
): Promise<RewardRow> {
  const row = await rejectReward(deps, clientId, rewardId, actor, reason);
  if (row.review) await record(deps, row, { decision: 'reject', confirmedFraud, actor, reason });
  return row;
}

/** The engine rejected a reward on its own (an exact identity match or a blocklist): recorded, counted. */
export async function recordAutomaticRejection(deps: RewardDeps, clientId: string, rewardId: string) {
  const row = await findReward(deps.db, clientId, rewardId);
  if (!row?.review) return;
  await record(deps, row, {
    decision: 'reject',
    confirmedFraud: true,
    actor: 'fraud-engine',
    reason: `rejected by the fraud engine: ${(reviewView(row)?.reasons ?? []).map((x) => x.rule).join(', ')}`,
  });
}

/** Only held rewards go through the fraud review routes. */
export async function requireHeld(deps: RewardDeps, clientId: string, rewardId: string): Promise<void> {
  const row = await findReward(deps.db, clientId, rewardId);
  if (!row) throw new AppError('NOT_FOUND', 'no such reward');
  if (!row.review) throw new AppError('CONFLICT', 'this reward was not held by the fraud engine');
}
