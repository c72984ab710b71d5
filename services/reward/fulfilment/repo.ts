import { sql } from 'kysely';
import type { RewardDb } from '../tables.ts';

/** The fulfilment queue, the store-credit ledger, coupons and fulfilment webhook endpoints. */

export interface Job {
  reward_id: string;
  client_id: string;
  attempts: number;
  max_attempts: number;
}

/**
 * Claims due jobs with FOR UPDATE SKIP LOCKED (concurrent workers never take the same job) and leases them:
 * run_at moves `leaseMs` ahead and attempts goes up, so a worker that dies mid-delivery only delays the job.
 */
export async function claimJobs(
  db: RewardDb,
  opts: { limit: number; leaseMs: number; rewardId?: string; clientId?: string },
): Promise<Job[]> {
  const only = opts.rewardId
    ? sql`and reward_id = ${opts.rewardId} and client_id = ${opts.clientId ?? ''}`
    : sql``;
  const { rows } = await sql<Job>`
    update fulfilment_jobs j
       set attempts = j.attempts + 1,
           run_at = now() + ${opts.leaseMs} * interval '1 millisecond',
           updated_at = now()
      from (select reward_id from fulfilment_jobs
             where status = 'queued' and run_at <= now() ${only}
             order by run_at
             limit ${opts.limit}
             for update skip locked) due
     where j.reward_id = due.reward_id
    returning j.reward_id, j.client_id, j.attempts, j.max_attempts`.execute(db);
  return rows;
}

export async function finishJob(
  db: RewardDb,
  rewardId: string,
  status: 'done' | 'dead',
  error?: string,
): Promise<void> {
  await db
    .updateTable('fulfilment_jobs')
    .set({ status, last_error: error ?? null, updated_at: sql<Date>`now()` })
    .where('reward_id', '=', rewardId)
    .execute();
}

export async function rescheduleJob(db: RewardDb, rewardId: string, at: Date, error: string): Promise<void> {
  await db
    .updateTable('fulfilment_jobs')
    .set({ run_at: at, last_error: error, updated_at: sql<Date>`now()` })
    .where('reward_id', '=', rewardId)
    .execute();
}

export function findJob(db: RewardDb, clientId: string, rewardId: string) {
  return db
    .selectFrom('fulfilment_jobs')
    .select(['status', 'attempts', 'max_attempts', 'run_at', 'last_error'])
    .where('client_id', '=', clientId)
    .where('reward_id', '=', rewardId)
    .executeTakeFirst();
}

/** Credits a participant once per reward; returns the entry id and the new balance. */
export async function creditLedger(
  db: RewardDb,
  e: { clientId: string; participantId: string; currency: string; amount: number; rewardId: string },
): Promise<{ entryId: number; balance: number }> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('ledger_entries')
      .values({
        client_id: e.clientId,
        participant_id: e.participantId,
        currency: e.currency,
        amount: e.amount,
        reward_id: e.rewardId,
      })
      .onConflict((oc) => oc.columns(['client_id', 'reward_id', 'kind']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) {
      await trx
        .insertInto('ledger_accounts')
        .values({
          client_id: e.clientId,
          participant_id: e.participantId,
          currency: e.currency,
          balance: e.amount,
        })
        .onConflict((oc) =>
          oc
            .columns(['client_id', 'participant_id', 'currency'])
            .doUpdateSet((eb) => ({ balance: eb('ledger_accounts.balance', '+', e.amount) })),
        )
        .execute();
    }
    const entry = await trx
      .selectFrom('ledger_entries')
      .select('id')
      .where('client_id', '=', e.clientId)
      .where('reward_id', '=', e.rewardId)
      .where('kind', '=', 'credit')
      .executeTakeFirstOrThrow();
    const account = await trx
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('client_id', '=', e.clientId)
      .where('participant_id', '=', e.participantId)
      .where('currency', '=', e.currency)
      .executeTakeFirstOrThrow();
    return { entryId: entry.id, balance: account.balance };
  });
}

export function balances(db: RewardDb, clientId: string, participantId: string) {
  return db
    .selectFrom('ledger_accounts')
    .select(['currency', 'balance'])
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId)
    .orderBy('currency')
    .execute();
}

/** Stores a coupon for a reward unless it has one; returns the reward's coupon code either way. */
export async function saveCoupon(
  db: RewardDb,
  c: {
    clientId: string;
    code: string;
    rewardId: string;
    percent: number | null;
    amount: number | null;
    currency: string | null;
    expiresAt: Date | null;
  },
): Promise<string> {
  await db
    .insertInto('coupons')
    .values({
      client_id: c.clientId,
      code: c.code,
      reward_id: c.rewardId,
      percent: c.percent,
      amount: c.amount,
      currency: c.currency,
      expires_at: c.expiresAt,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await db
    .selectFrom('coupons')
    .select('code')
    .where('client_id', '=', c.clientId)
    .where('reward_id', '=', c.rewardId)
    .executeTakeFirst();
  return row?.code ?? (await saveCoupon(db, { ...c, code: `${c.code}X` }));
}

export function findCoupon(db: RewardDb, clientId: string, code: string) {
  return db
    .selectFrom('coupons')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('code', '=', code)
    .executeTakeFirst();
}

export async function markCouponRedeemed(db: RewardDb, clientId: string, code: string): Promise<void> {
  await db
    .updateTable('coupons')
    .set({ redeemed_at: sql<Date>`now()` })
    .where('client_id', '=', clientId)
    .where('code', '=', code)
    .execute();
}

export function findEndpoint(db: RewardDb, clientId: string) {
  return db
    .selectFrom('fulfilment_endpoints')
    .select(['url', 'secret'])
    .where('client_id', '=', clientId)
    .executeTakeFirst();
}

export async function saveEndpoint(
  db: RewardDb,
  clientId: string,
  url: string,
  secret: string,
): Promise<void> {
  await db
    .insertInto('fulfilment_endpoints')
    .values({ client_id: clientId, url, secret })
    .onConflict((oc) => oc.column('client_id').doUpdateSet({ url, secret, updated_at: sql<Date>`now()` }))
    .execute();
}
