import { sql } from 'kysely';
import type { Db } from '../platform/db.ts';

/**
 * Rewards issued to a client's participants in `[from, to)`: every allocation, whatever became of it
 * later (the plan's `rewards_issued` meter and the invoice read it).
 */
export async function countRewardsIssued(db: Db, clientId: string, from: Date, to: Date): Promise<number> {
  const row = await db
    .selectFrom('rewards')
    .select(sql<string>`count(*)`.as('n'))
    .where('client_id', '=', clientId)
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
