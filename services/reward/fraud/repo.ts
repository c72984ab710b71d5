import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import { afterCursor, keysetTime, type PageRequest } from '../../platform/pagination.ts';
import type { RewardRow, RewardTables } from '../tables.ts';

export interface FraudDecisionsTable {
  id: Generated<number>;
  client_id: string;
  reward_id: string;
  campaign_id: string;
  participant_id: string;
  referrer_id: string | null;
  referral_id: string | null;
  decision: 'approve' | 'reject';
  confirmed_fraud: boolean;
  score: number | null;
  actor: string;
  reason: string | null;
  at: Generated<Date>;
}
export interface SuspensionsTable {
  client_id: string;
  participant_id: string;
  reason: string;
  confirmed_frauds: number;
  suspended_by: string;
  suspended_at: Generated<Date>;
  lifted_at: Date | null;
  lifted_by: string | null;
  lift_reason: string | null;
}
export interface ClawbacksTable {
  client_id: string;
  event_id: string;
  event: string;
  order_id: string;
  reversed: string[];
  outside_window: string[];
  at: Generated<Date>;
}
export interface FraudRewardTables extends RewardTables {
  reward_fraud_decisions: FraudDecisionsTable;
  reward_suspensions: SuspensionsTable;
  reward_clawbacks: ClawbacksTable;
}
export type FraudRewardDb = Kysely<FraudRewardTables>;
export type DecisionRow = Selectable<FraudDecisionsTable>;
export type SuspensionRow = Selectable<SuspensionsTable>;

/** Records a decision once per reward; false when the reward already has one. */
export async function recordDecision(
  db: FraudRewardDb,
  row: Omit<FraudDecisionsTable, 'id' | 'at'>,
): Promise<boolean> {
  const r = await db
    .insertInto('reward_fraud_decisions')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

export function listDecisions(
  db: FraudRewardDb,
  clientId: string,
  f: { participantId?: string | undefined; rewardId?: string | undefined },
) {
  let q = db.selectFrom('reward_fraud_decisions').selectAll().where('client_id', '=', clientId);
  if (f.rewardId) q = q.where('reward_id', '=', f.rewardId);
  if (f.participantId)
    q = q.where((eb) =>
      eb.or([
        eb('participant_id', '=', f.participantId as string),
        eb('referrer_id', '=', f.participantId as string),
      ]),
    );
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(MAX_LISTED).execute();
}

/** Decision and suspension lists are bounded, newest first (a review team reads the latest). */
export const MAX_LISTED = 200;

/** Confirmed frauds of a referrer (distinct referrals) since a time (the last lift of a suspension). */
export async function confirmedFrauds(
  db: FraudRewardDb,
  clientId: string,
  referrerId: string,
  since: Date | null,
): Promise<number> {
  let q = db
    .selectFrom('reward_fraud_decisions')
    .select(sql<number>`count(distinct coalesce(referral_id, reward_id))::int`.as('n'))
    .where('client_id', '=', clientId)
    .where('referrer_id', '=', referrerId)
    .where('confirmed_fraud', '=', true);
  if (since) q = q.where('at', '>', since);
  return (await q.executeTakeFirstOrThrow()).n;
}

export function findSuspension(db: FraudRewardDb, clientId: string, participantId: string) {
  return db
    .selectFrom('reward_suspensions')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId)
    .executeTakeFirst();
}

export async function isSuspended(
  db: FraudRewardDb,
  clientId: string,
  participantId: string,
): Promise<boolean> {
  const s = await findSuspension(db, clientId, participantId);
  return !!s && s.lifted_at === null;
}

/** Suspends (again, when a lifted suspension exists). */
export async function suspend(
  db: FraudRewardDb,
  row: {
    client_id: string;
    participant_id: string;
    reason: string;
    confirmed_frauds: number;
    suspended_by: string;
  },
): Promise<void> {
  await db
    .insertInto('reward_suspensions')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['client_id', 'participant_id']).doUpdateSet({
        reason: row.reason,
        confirmed_frauds: row.confirmed_frauds,
        suspended_by: row.suspended_by,
        suspended_at: sql<Date>`now()`,
        lifted_at: null,
        lifted_by: null,
        lift_reason: null,
      }),
    )
    .execute();
}

export function liftSuspension(
  db: FraudRewardDb,
  clientId: string,
  participantId: string,
  actor: string,
  reason: string,
) {
  return db
    .updateTable('reward_suspensions')
    .set({ lifted_at: sql<Date>`now()`, lifted_by: actor, lift_reason: reason })
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId)
    .where('lifted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export function listSuspensions(db: FraudRewardDb, clientId: string) {
  return db
    .selectFrom('reward_suspensions')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('lifted_at', 'is', null)
    .orderBy('suspended_at', 'desc')
    .limit(MAX_LISTED)
    .execute();
}

/** The fraud review queue: held rewards with a verdict, oldest first. */
export function listHeld(
  db: FraudRewardDb,
  clientId: string,
  f: { campaignId?: string | undefined; page: PageRequest },
) {
  let q = db
    .selectFrom('rewards')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('state', '=', 'PENDING')
    .where('review', 'is not', null);
  if (f.campaignId) q = q.where('campaign_id', '=', f.campaignId);
  return q
    .where(afterCursor('created_at', f.page.after, 'asc'))
    .orderBy(keysetTime('created_at'), 'asc')
    .orderBy('id', 'asc')
    .limit(f.page.limit + 1)
    .execute() as Promise<RewardRow[]>;
}

export async function setReviewAndOrder(
  db: FraudRewardDb,
  clientId: string,
  rewardId: string,
  review: Record<string, unknown> | null,
  orderId: string | null,
): Promise<void> {
  if (!review && !orderId) return;
  await db
    .updateTable('rewards')
    .set({
      ...(review ? { review: JSON.stringify(review) } : {}),
      ...(orderId ? { order_id: orderId } : {}),
    })
    .where('client_id', '=', clientId)
    .where('id', '=', rewardId)
    .execute();
}

export function findClawback(db: FraudRewardDb, clientId: string, eventId: string) {
  return db
    .selectFrom('reward_clawbacks')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
}

export function rewardsOfOrder(db: FraudRewardDb, clientId: string, orderId: string) {
  return db
    .selectFrom('rewards')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('order_id', '=', orderId)
    .orderBy('created_at')
    .limit(100)
    .execute();
}

export async function saveClawback(db: FraudRewardDb, row: Omit<ClawbacksTable, 'at'>): Promise<void> {
  await db
    .insertInto('reward_clawbacks')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .execute();
}
