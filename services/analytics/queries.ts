import { type ClickHouse, chSql, Raw } from '../platform/clickhouse.ts';

/** Named queries over the materialized views; every one is scoped by client_id first. */

export interface Funnel {
  shared: number;
  clicked: number;
  signed_up: number;
  converted: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayRange(from?: string, to?: string): Raw {
  const parts: string[] = [];
  if (from) {
    if (!DAY.test(from)) throw new RangeError('from must be YYYY-MM-DD');
    parts.push(chSql`AND day >= toDate(${from})`);
  }
  if (to) {
    if (!DAY.test(to)) throw new RangeError('to must be YYYY-MM-DD');
    parts.push(chSql`AND day <= toDate(${to})`);
  }
  return new Raw(parts.join(' '));
}

export async function funnel(
  ch: ClickHouse,
  clientId: string,
  opts: { campaignId?: string; from?: string; to?: string },
): Promise<Funnel> {
  const campaign = opts.campaignId ? new Raw(chSql`AND campaign_id = ${opts.campaignId}`) : new Raw('');
  const rows = await ch.query<Record<keyof Funnel, string | number>>(chSql`
    SELECT uniqExactMerge(shared) AS shared, uniqExactMerge(clicked) AS clicked,
           uniqExactMerge(signed_up) AS signed_up, uniqExactMerge(converted) AS converted
    FROM referral_funnel
    WHERE client_id = ${clientId} ${campaign} ${dayRange(opts.from, opts.to)}`);
  const r = rows[0];
  return {
    shared: Number(r?.shared ?? 0),
    clicked: Number(r?.clicked ?? 0),
    signed_up: Number(r?.signed_up ?? 0),
    converted: Number(r?.converted ?? 0),
  };
}

export interface HourlyRow {
  hour: string;
  event: string;
  events: number;
  participants: number;
  value: number;
}

export async function hourlyStats(
  ch: ClickHouse,
  clientId: string,
  campaignId: string,
  hours: number,
): Promise<HourlyRow[]> {
  const rows = await ch.query<Record<keyof HourlyRow | 'hour_start', string | number>>(chSql`
    SELECT toString(hour) AS hour_start, event, uniqExactMerge(events) AS events,
           uniqMerge(participants) AS participants, sumMerge(value) AS value
    FROM campaign_hourly_stats
    WHERE client_id = ${clientId} AND campaign_id = ${campaignId} AND hour >= now() - ${Math.trunc(hours) * 3600}
    GROUP BY hour, event
    ORDER BY hour, event`);
  // The alias differs from the column: ClickHouse resolves SELECT aliases inside WHERE as well.
  return rows.map((r) => ({
    hour: String(r.hour_start),
    event: String(r.event),
    events: Number(r.events),
    participants: Number(r.participants),
    value: Number(r.value),
  }));
}

export interface LeaderRow {
  referrer_id: string;
  signups: number;
  conversions: number;
  value: number;
}

export async function leaderboard(
  ch: ClickHouse,
  clientId: string,
  campaignId: string | undefined,
  limit: number,
): Promise<LeaderRow[]> {
  const campaign = campaignId ? new Raw(chSql`AND campaign_id = ${campaignId}`) : new Raw('');
  const rows = await ch.query<Record<keyof LeaderRow, string | number>>(chSql`
    SELECT referrer_id, uniqExactMerge(signups) AS signups, uniqExactMerge(conversions) AS conversions,
           sumMerge(value) AS value
    FROM referrer_leaderboard
    WHERE client_id = ${clientId} ${campaign}
    GROUP BY referrer_id
    ORDER BY conversions DESC, value DESC, referrer_id ASC
    LIMIT ${Math.trunc(limit)}`);
  return rows.map((r) => ({
    referrer_id: String(r.referrer_id),
    signups: Number(r.signups),
    conversions: Number(r.conversions),
    value: Number(r.value),
  }));
}
