import { sql } from 'kysely';
import { AppError } from '../../../contract/errors.ts';
import type { RejectionReason } from '../eligibility/reasons.ts';
import type { RewardState } from '../lifecycle/state-machine.ts';
import type { RewardDb } from '../tables.ts';

/** Allocation through reward_allocate_batch: one statement per batch (see migrations/allocate-function.ts). */

export interface AllocateParams {
  id: string;
  clientId: string;
  campaignId: string;
  version: number;
  rule: string;
  side: string;
  participantId: string;
  referralId: string | null;
  claimKey: string;
  idempotencyKey: string;
  category: string;
  amount: number | null;
  currency: string | null;
  cost: number;
  value: unknown;
  segment: string | null;
  basisValue: number | null;
  mode: 'auto' | 'claim' | 'approval';
  redeem: 'on_fulfil' | 'manual';
  countsLimit: boolean;
  /** States after EARNED when every check passes, already checked by the state machine. */
  path: RewardState[];
  expiresAt: Date | null;
  preReject: RejectionReason | null;
  maxAttempts: number;
}

export interface AllocateResult {
  rewardId: string;
  state: RewardState;
  reason: RejectionReason | null;
  replayed: boolean;
}

const RETRYABLE_SQLSTATES = new Set(['RW409', '40P01']);

/**
 * Allocates a batch in one statement (see migrations/allocate-function.ts). A lost race on the same
 * idempotency key or claim (RW409) or a deadlock victim (40P01) rolls back and the batch runs again.
 */
export async function allocateBatch(db: RewardDb, items: AllocateParams[]): Promise<AllocateResult[]> {
  const payload = JSON.stringify(
    items.map((p, ord) => ({
      ord,
      id: p.id,
      client_id: p.clientId,
      campaign_id: p.campaignId,
      version: p.version,
      rule: p.rule,
      side: p.side,
      participant_id: p.participantId,
      referral_id: p.referralId,
      claim_key: p.claimKey,
      idempotency_key: p.idempotencyKey,
      category: p.category,
      amount: p.amount,
      currency: p.currency,
      cost: p.cost,
      value: p.value,
      segment: p.segment,
      basis_value: p.basisValue,
      mode: p.mode,
      redeem: p.redeem,
      counts_limit: p.countsLimit,
      path: p.path,
      expires_at: p.expiresAt?.toISOString() ?? null,
      pre_reject: p.preReject,
      max_attempts: p.maxAttempts,
    })),
  );
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await sql<{
        ord: number;
        out_id: string;
        out_state: RewardState;
        out_reason: RejectionReason | null;
        out_replayed: boolean;
      }>`
        select * from reward_allocate_batch(${payload}::jsonb)`.execute(db);
      const out = new Array<AllocateResult>(items.length);
      for (const r of rows)
        out[r.ord] = {
          rewardId: r.out_id,
          state: r.out_state,
          reason: r.out_reason,
          replayed: r.out_replayed,
        };
      if (rows.length !== items.length)
        throw new AppError('INTERNAL', 'reward_allocate_batch answered for fewer items than it was given');
      return out;
    } catch (err) {
      if (!RETRYABLE_SQLSTATES.has((err as { code?: string }).code ?? '') || attempt >= 20) throw err;
    }
  }
}

/** Read-only phase-1 verdict and duplicate check for eligibility (no locks, nothing reserved). */
export async function capsAndDuplicate(
  db: RewardDb,
  p: {
    clientId: string;
    campaignId: string;
    rule: string;
    side: string;
    participantId: string;
    claimKey: string;
    cost: number;
    countsLimit: boolean;
  },
): Promise<{ caps: RejectionReason | null; duplicate: boolean }> {
  const { rows } = await sql<{ caps: RejectionReason | null; duplicate: boolean }>`
    select reward_caps_reason(${p.clientId}, ${p.campaignId}, ${p.participantId}, ${p.cost}, ${p.countsLimit}) as caps,
           exists (select 1 from rewards r
                    where r.client_id = ${p.clientId} and r.campaign_id = ${p.campaignId} and r.rule = ${p.rule}
                      and r.side = ${p.side} and r.participant_id = ${p.participantId}
                      and r.claim_key = ${p.claimKey}
                      and r.state not in ('REJECTED', 'REVOKED')) as duplicate`.execute(db);
  const r = rows[0];
  return { caps: r?.caps ?? null, duplicate: r?.duplicate ?? false };
}
