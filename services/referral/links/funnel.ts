import { type Kysely, sql } from 'kysely';
import type { ReferralTables } from '../repo.ts';

type Db = Kysely<ReferralTables>;

export interface FunnelRow {
  key: string;
  shared: number;
  clicked: number;
  signed_up: number;
  converted: number;
}

/**
 * share → click → signup → conversion of one campaign in unique people, per channel or per referrer.
 * Read from the referral service's own facts (fed by the event stream): the share events
 * (`referral_shares`), clicks and link visits (`referral_clicks`, a person is their device id, else
 * their address hash), and the referrals the attribution credited (`referrals`, with the channel of
 * the credited click). These tables know which code belongs to whom and which referral a signup was
 * credited to, which the raw event store does not.
 */
export async function referralFunnel(
  db: Db,
  input: { clientId: string; campaignId: string; groupBy: 'channel' | 'referrer'; from?: Date; to?: Date },
): Promise<FunnelRow[]> {
  const from = input.from ?? new Date(0);
  const to = input.to ?? new Date('9999-12-31T00:00:00Z');
  const byChannel = input.groupBy === 'channel';
  const shareKey = byChannel ? sql`s.channel` : sql`s.participant_id`;
  const clickKey = byChannel ? sql`coalesce(c.channel, 'unknown')` : sql`k.participant_id`;
  const refKey = byChannel ? sql`coalesce(r.channel, 'unknown')` : sql`r.referrer_id`;
  const rows = await sql<{ key: string; step: string; n: number }>`
    select ${shareKey} as key, 'shared' as step, count(distinct s.participant_id)::int as n
      from referral_shares s
     where s.client_id = ${input.clientId} and s.shared_at between ${from} and ${to}
       and (s.campaign_id = ${input.campaignId} or (s.campaign_id is null and exists (
            select 1 from referral_codes k where k.client_id = s.client_id
               and k.campaign_id = ${input.campaignId} and k.participant_id = s.participant_id)))
     group by 1
    union all
    select ${clickKey}, 'clicked', count(distinct coalesce(c.visitor_id, c.participant_id, c.ip_hash, c.event_id))::int
      from referral_clicks c join referral_codes k on k.client_id = c.client_id and k.code = c.code
     where c.client_id = ${input.clientId} and k.campaign_id = ${input.campaignId}
       and c.clicked_at between ${from} and ${to}
     group by 1
    union all
    select ${refKey}, 'signed_up', count(distinct r.referee_id)::int
      from referrals r
     where r.client_id = ${input.clientId} and r.campaign_id = ${input.campaignId}
       and r.attributed_at between ${from} and ${to}
     group by 1
    union all
    select ${refKey}, 'converted', count(distinct r.referee_id)::int
      from referrals r
     where r.client_id = ${input.clientId} and r.campaign_id = ${input.campaignId} and r.status = 'converted'
       and r.attributed_at between ${from} and ${to}
     group by 1`.execute(db);
  const out = new Map<string, FunnelRow>();
  for (const r of rows.rows) {
    const row = out.get(r.key) ?? { key: r.key, shared: 0, clicked: 0, signed_up: 0, converted: 0 };
    row[r.step as 'shared' | 'clicked' | 'signed_up' | 'converted'] = Number(r.n);
    out.set(r.key, row);
  }
  return [...out.values()]
    .sort((a, b) => b.shared + b.clicked - (a.shared + a.clicked) || a.key.localeCompare(b.key))
    .slice(0, 1000);
}
