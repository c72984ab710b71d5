import { sql } from 'kysely';
import { AppError } from '../../../contract/errors.ts';
import { afterCursor, keysetTime, type PageRequest } from '../../platform/pagination.ts';
import { reverseEffects } from '../fraud/reversal.ts';
import type { RewardDb, RewardRow, RewardsTable, TransitionRow } from '../tables.ts';
import { type RewardState, transition } from './state-machine.ts';

/**
 * State changes after allocation. Each runs in one transaction: lock the reward, let the state machine
 * judge every step (`transition`), update it, record each step in reward_transitions, and keep the
 * campaign counters true (a reward rejected or expired before delivery gives its budget and earning-limit
 * share back; a delivered one adds to `fulfilled`; an approved one gets a fulfilment job).
 */

export interface Move {
  clientId: string;
  rewardId: string;
  /** One state, or a path of moves done together (approve: ELIGIBLE then APPROVED). */
  to: RewardState | RewardState[];
  actor: string;
  reason?: string | null;
  /** Refuse (ILLEGAL_TRANSITION) unless the reward is in one of these (guards against racing requests). */
  from?: RewardState[];
  /** Only for this participant (SDK claims); another's reward is NOT_FOUND. */
  participantId?: string;
  /** Column changes made with the move; fulfilment and claim are JSON text. */
  patch?: { expires_at?: Date | null; fulfilment?: string; claim?: string };
  /** Fulfilment attempts allowed when the move enqueues a job. */
  maxAttempts?: number;
}

const RELEASING: ReadonlySet<RewardState> = new Set(['PENDING', 'ELIGIBLE']);

export async function moveReward(db: RewardDb, m: Move): Promise<RewardRow> {
  const steps = Array.isArray(m.to) ? m.to : [m.to];
  return db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('rewards')
      .selectAll()
      .where('client_id', '=', m.clientId)
      .where('id', '=', m.rewardId);
    if (m.participantId !== undefined) q = q.where('participant_id', '=', m.participantId);
    const row = await q.forUpdate().executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', `no reward ${m.rewardId}`);
    if (m.from && !m.from.includes(row.state)) {
      throw new AppError(
        'ILLEGAL_TRANSITION',
        `reward ${m.rewardId} is ${row.state}, expected ${m.from.join(' or ')}`,
      );
    }
    let from = row.state;
    for (const to of steps) from = transition(from, to);
    const final = from;
    const updated = await trx
      .updateTable('rewards')
      .set({
        state: final,
        updated_at: sql<Date>`now()`,
        ...(m.reason !== undefined ? { reason: m.reason } : {}),
        ...(m.patch?.expires_at !== undefined ? { expires_at: m.patch.expires_at } : {}),
        ...(m.patch?.fulfilment !== undefined ? { fulfilment: m.patch.fulfilment } : {}),
        ...(m.patch?.claim !== undefined ? { claim: m.patch.claim } : {}),
      })
      .where('client_id', '=', m.clientId)
      .where('id', '=', m.rewardId)
      .returningAll()
      .executeTakeFirstOrThrow();
    // The reward row is locked, so numbering after the last recorded step cannot race.
    const last = await trx
      .selectFrom('reward_transitions')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('client_id', '=', m.clientId)
      .where('reward_id', '=', m.rewardId)
      .executeTakeFirst();
    let seq = Number(last?.seq ?? 0);
    let prev = row.state;
    await trx
      .insertInto('reward_transitions')
      .values(
        steps.map((to, i) => {
          const v = {
            client_id: m.clientId,
            reward_id: m.rewardId,
            seq: ++seq,
            from_state: prev,
            to_state: to,
            actor: m.actor,
            reason: i === steps.length - 1 ? (m.reason ?? null) : null,
          };
          prev = to;
          return v;
        }),
      )
      .execute();

    if ((final === 'REJECTED' || final === 'EXPIRED') && RELEASING.has(row.state)) await release(trx, row);
    // A revoked reward was never delivered: its budget and limit share go back, its fulfilment job stops.
    if (final === 'REVOKED') {
      await release(trx, row);
      await trx
        .updateTable('fulfilment_jobs')
        .set({ status: 'dead', last_error: 'revoked', updated_at: sql<Date>`now()` })
        .where('reward_id', '=', row.id)
        .where('client_id', '=', row.client_id)
        .where('status', '=', 'queued')
        .execute();
    }
    // Clawback: budget, limits, delivered total and store credit given back (fraud/reversal.ts).
    if (final === 'REVERSED') await reverseEffects(trx, row);
    if (final === 'FULFILLED' || steps.includes('FULFILLED')) {
      await trx
        .updateTable('reward_campaigns')
        .set((eb) => ({ fulfilled: eb('fulfilled', '+', row.cost) }))
        .where('client_id', '=', m.clientId)
        .where('campaign_id', '=', row.campaign_id)
        .execute();
    }
    if (final === 'APPROVED') {
      await trx
        .insertInto('fulfilment_jobs')
        .values({ reward_id: row.id, client_id: row.client_id, max_attempts: m.maxAttempts ?? 5 })
        .onConflict((oc) =>
          oc.column('reward_id').doUpdateSet({
            status: 'queued',
            attempts: 0,
            run_at: sql<Date>`now()`,
            last_error: null,
            updated_at: sql<Date>`now()`,
          }),
        )
        .execute();
    }
    return updated;
  });
}

/** Gives back what an undelivered reward reserved: budget and the earner's limit share. */
async function release(trx: RewardDb, row: RewardRow): Promise<void> {
  await trx
    .updateTable('reward_campaigns')
    .set((eb) => ({ allocated: eb('allocated', '-', row.cost) }))
    .where('client_id', '=', row.client_id)
    .where('campaign_id', '=', row.campaign_id)
    .execute();
  if (!row.counts_limit) return;
  await trx
    .updateTable('reward_earners')
    .set((eb) => ({
      limited_count: eb('limited_count', '-', 1),
      limited_amount: eb('limited_amount', '-', row.cost),
    }))
    .where('client_id', '=', row.client_id)
    .where('campaign_id', 'in', [row.campaign_id, '*'])
    .where('participant_id', '=', row.participant_id)
    .execute();
}

export function findReward(db: RewardDb, clientId: string, rewardId: string): Promise<RewardRow | undefined> {
  return db
    .selectFrom('rewards')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('id', '=', rewardId)
    .executeTakeFirst();
}

export function listTransitions(db: RewardDb, clientId: string, rewardId: string): Promise<TransitionRow[]> {
  return db
    .selectFrom('reward_transitions')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('reward_id', '=', rewardId)
    .orderBy('seq')
    .execute();
}

export interface RewardFilter {
  campaignId?: string | undefined;
  participantId?: string | undefined;
  state?: RewardState | undefined;
  mode?: RewardsTable['fulfilment_mode'] | undefined;
  /** One page (`limit + 1` rows are read: see platform/pagination.ts). */
  page: PageRequest;
  /** Oldest first (the approval queue) instead of newest first. */
  oldestFirst?: boolean;
}

export function listRewards(db: RewardDb, clientId: string, f: RewardFilter): Promise<RewardRow[]> {
  let q = db.selectFrom('rewards').selectAll().where('client_id', '=', clientId);
  if (f.campaignId) q = q.where('campaign_id', '=', f.campaignId);
  if (f.participantId) q = q.where('participant_id', '=', f.participantId);
  if (f.state) q = q.where('state', '=', f.state);
  if (f.mode) q = q.where('fulfilment_mode', '=', f.mode);
  const dir = f.oldestFirst ? 'asc' : 'desc';
  return q
    .where(afterCursor('created_at', f.page.after, dir))
    .orderBy(keysetTime('created_at'), dir)
    .orderBy('id', dir)
    .limit(f.page.limit + 1)
    .execute();
}

/** A participant's rewards counted by state (the public view a publishable key gets without a token). */
export async function countRewardsByState(
  db: RewardDb,
  clientId: string,
  participantId: string,
): Promise<{ total: number; by_state: Record<string, number> }> {
  const rows = await db
    .selectFrom('rewards')
    .select(['state', (eb) => eb.fn.countAll<string>().as('n')])
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId)
    .groupBy('state')
    .execute();
  const by_state = Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  return { total: rows.reduce((t, r) => t + Number(r.n), 0), by_state };
}

/** Rewards whose waiting time is over (any client), oldest first; the sweep moves each in its own transaction. */
export function dueForExpiry(db: RewardDb, now: Date, limit: number, clientId?: string) {
  let q = db
    .selectFrom('rewards')
    .select(['id', 'client_id', 'state'])
    .where('expires_at', '<=', now)
    .where('state', 'in', ['PENDING', 'ELIGIBLE', 'FULFILLED']);
  if (clientId) q = q.where('client_id', '=', clientId);
  return q.orderBy('expires_at').limit(limit).execute();
}
