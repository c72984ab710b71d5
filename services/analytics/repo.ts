import type { Db } from '../platform/db.ts';

/** Members' report subscriptions (migrations/0971_…); every query names the client. */
export interface SubscriptionRow {
  client_id: string;
  member_id: string;
  weekly: boolean;
  updated_at: Date;
}

export async function getSubscription(
  db: Db,
  clientId: string,
  memberId: string,
): Promise<SubscriptionRow | undefined> {
  return db
    .selectFrom('analytics_report_subscriptions')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('member_id', '=', memberId)
    .executeTakeFirst() as Promise<SubscriptionRow | undefined>;
}

export async function putSubscription(
  db: Db,
  clientId: string,
  memberId: string,
  weekly: boolean,
  at: Date,
): Promise<SubscriptionRow> {
  return db
    .insertInto('analytics_report_subscriptions')
    .values({ client_id: clientId, member_id: memberId, weekly, updated_at: at })
    .onConflict((oc) => oc.columns(['client_id', 'member_id']).doUpdateSet({ weekly, updated_at: at }))
    .returningAll()
    .executeTakeFirstOrThrow() as Promise<SubscriptionRow>;
}

/** Weekly subscribers, client by client (the report is built once per client). */
export async function listWeeklySubscribers(db: Db): Promise<{ client_id: string; member_id: string }[]> {
  return db
    .selectFrom('analytics_report_subscriptions')
    .select(['client_id', 'member_id'])
    .where('weekly', '=', true)
    .orderBy('client_id')
    .orderBy('member_id')
    .execute();
}
