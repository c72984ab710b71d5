import { sql } from 'kysely';
import type { RewardDb, RewardRow } from '../tables.ts';

/**
 * What a clawback (→ REVERSED, inside moveReward's transaction, the reward row locked) undoes: the
 * budget and earning-limit share go back, a delivered reward leaves the `fulfilled` total, store credit
 * gets a negative ledger entry of its own (the balance may go below zero when the credit was spent: the
 * client then holds it against the participant), an unused coupon stops working, a queued delivery stops.
 */
export async function reverseEffects(trx: RewardDb, row: RewardRow): Promise<void> {
  const delivered = row.state === 'FULFILLED' || row.state === 'REDEEMED';
  await trx
    .updateTable('reward_campaigns')
    .set((eb) => ({
      allocated: sql<number>`greatest(${eb.ref('allocated')} - ${row.cost}, 0)`,
      ...(delivered ? { fulfilled: eb('fulfilled', '-', row.cost) } : {}),
    }))
    .where('client_id', '=', row.client_id)
    .where('campaign_id', '=', row.campaign_id)
    .execute();
  if (row.counts_limit)
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
  const credit = await trx
    .selectFrom('ledger_entries')
    .select(['amount', 'currency', 'participant_id'])
    .where('client_id', '=', row.client_id)
    .where('reward_id', '=', row.id)
    .where('kind', '=', 'credit')
    .executeTakeFirst();
  if (credit) {
    const amount = Number(credit.amount);
    const debit = await trx
      .insertInto('ledger_entries')
      .values({
        client_id: row.client_id,
        participant_id: credit.participant_id,
        currency: credit.currency,
        amount: -amount,
        reward_id: row.id,
        kind: 'reversal',
      })
      .onConflict((oc) => oc.columns(['client_id', 'reward_id', 'kind']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (debit)
      await trx
        .updateTable('ledger_accounts')
        .set((eb) => ({ balance: eb('balance', '-', amount) }))
        .where('client_id', '=', row.client_id)
        .where('participant_id', '=', credit.participant_id)
        .where('currency', '=', credit.currency)
        .execute();
  }
  await trx
    .updateTable('coupons')
    .set({ expires_at: sql<Date>`now()` })
    .where('client_id', '=', row.client_id)
    .where('reward_id', '=', row.id)
    .where('redeemed_at', 'is', null)
    .execute();
  await trx
    .updateTable('fulfilment_jobs')
    .set({ status: 'dead', last_error: 'reversed', updated_at: sql<Date>`now()` })
    .where('reward_id', '=', row.id)
    .where('client_id', '=', row.client_id)
    .where('status', '=', 'queued')
    .execute();
}
