import { InternalError } from '../../contract/internal-error.ts';
import { chSql, Raw } from '../platform/clickhouse.ts';
import { type Ids, withPersonIds } from './ids.ts';
import { dailySource } from './rollup.ts';
import { cond, type Scope } from './scope.ts';

/**
 * The dashboards' metrics, as written in docs/metrics.md (each function names its section). Every
 * query reads the deduplicated fact tables through a Scope (scope.ts): analytics_events for people and
 * revenue, reward_facts for reward cost. Money is reported per currency, never added across currencies.
 */

export interface Window {
  campaignId?: string | undefined;
  /** First and last day (UTC, inclusive), YYYY-MM-DD. */
  from: string;
  to: string;
}

const num = (v: unknown): number => Number(v ?? 0);
/** A ratio, or null when the denominator is zero (a rate of nothing is undefined, not 0). */
export const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

function inWindow(w: Window, dayColumn = 'day'): Raw {
  const day = new Raw(dayColumn);
  const parts = [chSql`${day} >= toDate(${w.from}) AND ${day} <= toDate(${w.to})`];
  if (w.campaignId) parts.push(chSql`campaign_id = ${w.campaignId}`);
  return new Raw(parts.join(' AND '));
}

function campaignOnly(w: Window): Raw {
  return w.campaignId ? cond`campaign_id = ${w.campaignId}` : new Raw('1');
}

// ---------------------------------------------------------------------------------------------------
// Funnel (docs/metrics.md#funnel): people at each stage, overall and per channel.

export interface FunnelStage {
  channel: string | null;
  participants: number;
  sharers: number;
  shares: number;
  clickers: number;
  signups: number;
  conversions: number;
  share_rate: number | null;
  click_through_rate: number | null;
  signup_rate: number | null;
  conversion_rate: number | null;
}

type FunnelRaw = Record<
  'participants' | 'sharers' | 'shares' | 'clickers' | 'signups' | 'conversions',
  string
>;

const funnelSelect = (ids: Ids) =>
  new Raw(chSql`
  uniqExactIf(${ids.participant}, ${ids.hasParticipant}) AS participants,
  uniqExactIf(${ids.person}, kind = 'share') AS sharers,
  uniqExactIf(event_id, kind = 'share') AS shares,
  uniqExactIf(${ids.person}, kind = 'click') AS clickers,
  uniqExactIf(${ids.person}, kind = 'signup' AND referred = 1) AS signups,
  uniqExactIf(${ids.person}, kind = 'conversion' AND referred = 1) AS conversions`);

function funnelStage(channel: string | null, r: FunnelRaw | undefined): FunnelStage {
  const v = {
    participants: num(r?.participants),
    sharers: num(r?.sharers),
    shares: num(r?.shares),
    clickers: num(r?.clickers),
    signups: num(r?.signups),
    conversions: num(r?.conversions),
  };
  return {
    channel,
    ...v,
    share_rate: ratio(v.sharers, v.participants),
    click_through_rate: ratio(v.clickers, v.shares),
    signup_rate: ratio(v.signups, v.clickers),
    conversion_rate: ratio(v.conversions, v.signups),
  };
}

export async function funnelReport(scope: Scope, w: Window) {
  // The total over every row, the channels over the four stage kinds: two scans at once. (One scan of
  // per-channel states merged for the total measured no faster on two cores: the merge costs the scan saved.)
  const [[total], rows] = await withPersonIds(scope, (ids) => {
    const src = scope.fromAnyCopy('analytics_events', inWindow(w));
    return Promise.all([
      scope.query<FunnelRaw>(chSql`SELECT ${funnelSelect(ids)} FROM ${src}`),
      scope.query<FunnelRaw & { channel: string }>(chSql`
        SELECT channel, ${funnelSelect(ids)} FROM ${src} AND kind IN ('share', 'click', 'signup', 'conversion')
        GROUP BY channel ORDER BY channel`),
    ]);
  });
  return {
    total: funnelStage(null, total),
    channels: rows.map((r) => funnelStage(r.channel, r)),
  };
}

/** The original four-stage funnel (GET /v1/analytics/funnel): share events, then people. */
export async function legacyFunnel(scope: Scope, w: Window) {
  const src = scope.fromAnyCopy('analytics_events', inWindow(w));
  const [r] = await withPersonIds(scope, ({ person }) =>
    scope.query<Record<string, string>>(chSql`
    SELECT uniqExactIf(event_id, kind = 'share') AS shared, uniqExactIf(${person}, kind = 'click') AS clicked,
           uniqExactIf(${person}, kind = 'signup' AND referred = 1 AND participant_id != '') AS signed_up,
           uniqExactIf(${person}, kind = 'conversion' AND referred = 1 AND participant_id != '') AS converted
    FROM ${src}`),
  );
  return {
    shared: num(r?.shared),
    clicked: num(r?.clicked),
    signed_up: num(r?.signed_up),
    converted: num(r?.converted),
  };
}

// ---------------------------------------------------------------------------------------------------
// K-factor and viral cycle time (docs/metrics.md#k-factor, #viral-cycle-time).

export async function kFactorReport(scope: Scope, w: Window, cohort?: { from: string; to: string }) {
  // The joins read every day up to the window's end.
  const [[r], [k], [t]] = await withPersonIds(scope, (ids) => kFactorQueries(scope, w, ids, cohort));
  const c = cohort ?? { from: w.from, to: w.to };
  const participants = num(r?.participants);
  const invites = num(r?.invites);
  const referred = num(r?.referred_signups);
  const invitesPerParticipant = ratio(invites, participants);
  const inviteConversion = ratio(referred, invites);
  const cohortSize = num(k?.cohort_size);
  const cohortReferred = num(k?.cohort_referred);
  const cycles = num(t?.cycles);
  return {
    participants,
    invites,
    referred_signups: referred,
    invites_per_participant: invitesPerParticipant,
    invite_conversion: inviteConversion,
    k_factor: ratio(referred, participants),
    cohort: {
      from: c.from,
      to: c.to,
      size: cohortSize,
      referred_signups: cohortReferred,
      k_factor: ratio(cohortReferred, cohortSize),
    },
    cycle_time: {
      cycles,
      mean_seconds: cycles ? num(t?.mean_s) : null,
      median_seconds: cycles ? num(t?.median_s) : null,
    },
  };
}

/** The k-factor's three queries (see kFactorReport), on the given id columns. */
function kFactorQueries(scope: Scope, w: Window, ids: Ids, cohort: { from: string; to: string } | undefined) {
  const { person, participant, referrer } = ids;
  const src = scope.fromAnyCopy('analytics_events', inWindow(w));
  const rQ = scope.query<Record<string, string>>(chSql`
    SELECT uniqExactIf(${participant}, ${ids.hasParticipant}) AS participants,
           uniqExactIf(event_id, kind = 'share') AS invites,
           uniqExactIf(${person}, kind = 'signup' AND referred = 1) AS referred_signups
    FROM ${src}`);
  // Cohort K: people who joined (first signup) in the cohort window; the referred signups they brought.
  const c = cohort ?? { from: w.from, to: w.to };
  const joins = scope.fromAnyCopy(
    'analytics_events',
    campaignOnly(w),
    cond`kind = 'signup'`,
    cond`day <= toDate(${w.to})`,
  );
  const brought = scope.fromAnyCopy(
    'analytics_events',
    inWindow(w),
    cond`kind = 'signup' AND referred = 1 AND referrer_id != ''`,
  );
  const kQ = scope.query<Record<string, string>>(chSql`
    SELECT count() AS cohort_size, sum(brought) AS cohort_referred
    FROM (
      SELECT ${person} AS joiner, min(day) AS joined FROM ${joins} GROUP BY joiner
      HAVING joined >= toDate(${c.from}) AND joined <= toDate(${c.to})
    ) ANY LEFT JOIN (
      SELECT ${referrer} AS joiner, uniqExact(${person}) AS brought FROM ${brought} GROUP BY joiner
    ) USING joiner`);

  // Cycle time: a referrer's first event in the campaign → each referred person's first referred signup.
  // The referrer is the least referrer id as a string (hashes order differently), then hashed to join.
  const firstReferrer = new Raw(ids.hashed ? 'sipHash64(min(referrer_id))' : 'min(referrer_id)');
  const firstSeen = scope.fromAnyCopy(
    'analytics_events',
    campaignOnly(w),
    ids.hasParticipant,
    cond`day <= toDate(${w.to})`,
  );
  // Only the referrers' first events matter to the inner join: the right side is cut to them first (the
  // campaign's participants are ~15× more rows; README, "Speed").
  const tQ = scope.query<Record<string, string>>(chSql`
    SELECT count() AS cycles, avg(toInt64(signed) - toInt64(joined)) AS mean_s,
           quantileExact(0.5)(toInt64(signed) - toInt64(joined)) AS median_s
    FROM (
      SELECT ${firstReferrer} AS joiner, min(occurred_at) AS signed FROM ${brought} GROUP BY ${person}
    ) ANY INNER JOIN (
      SELECT ${participant} AS joiner, min(occurred_at) AS joined
      FROM ${firstSeen} AND ${participant} IN (SELECT ${referrer} FROM ${brought})
      GROUP BY joiner
    ) USING joiner`);
  return Promise.all([rQ, kQ, tQ]);
}

// ---------------------------------------------------------------------------------------------------
// Reward cost per reward (docs/metrics.md#reward-cost): delivered and not reversed, per currency.

function rewardsPerReward(scope: Scope, w: Window, ...conditions: Raw[]): Raw {
  const facts = scope.fromAnyCopy('reward_facts', inWindow(w), ...conditions);
  // What never changes for a reward is grouped by; an alias equal to a column in WHERE would be refused.
  return new Raw(chSql`(
    SELECT reward_id, campaign_id, participant_id, side, category, reward_type, currency,
           any(cost) AS cost, any(amount) AS amount, max(budget) AS budget,
           argMax(state, seq) AS state,
           max(kind IN ('fulfilled', 'redeemed')) AS delivered,
           max(kind IN ('rejected', 'expired', 'reversed')) AS released,
           max(kind = 'reversed') AS reversed
    FROM ${facts}
    GROUP BY reward_id, campaign_id, participant_id, side, category, reward_type, currency)`);
}

export async function costReport(scope: Scope, w: Window) {
  const rewards = rewardsPerReward(scope, w);
  const costsQ = scope.query<Record<string, string>>(chSql`
    SELECT currency, sum(cost * delivered * (1 - reversed)) AS reward_cost,
           countIf(delivered = 1 AND reversed = 0) AS rewards_delivered
    FROM ${rewards} GROUP BY currency ORDER BY currency`);
  const referredBuys = cond`kind = 'conversion' AND referred = 1`;
  // Revenue is a sum (one row per event). One campaign's conversions are a slice of the base table's sort
  // key, read faster than the daily rollup (whose key has no kind); across campaigns the rollup is cheaper.
  const revenueQ = (
    w.campaignId
      ? Promise.resolve(scope.latestEvents(['currency', 'value'], inWindow(w), referredBuys))
      : dailySource(scope, w.from, w.to, referredBuys)
  ).then((source) =>
    scope.query<Record<string, string>>(chSql`
      SELECT currency, sum(value) AS revenue FROM ${source} GROUP BY currency ORDER BY currency`),
  );
  // Converters are people: the base rows.
  const convQ = withPersonIds(scope, ({ person }) =>
    scope.query<Record<string, string>>(chSql`
      SELECT uniqExact(${person}) AS conversions
      FROM ${scope.fromAnyCopy('analytics_events', inWindow(w), referredBuys)}`),
  );
  const [costs, revenue, [conv]] = await Promise.all([costsQ, revenueQ, convQ]);
  const conversions = num(conv?.conversions);
  const currencies = [...new Set([...costs, ...revenue].map((r) => String(r.currency)))].sort();
  return {
    referred_conversions: conversions,
    currencies: currencies.map((currency) => {
      const cost = num(costs.find((r) => r.currency === currency)?.reward_cost);
      const rev = num(revenue.find((r) => r.currency === currency)?.revenue);
      return {
        currency,
        reward_cost: cost,
        referred_revenue: rev,
        rewards_delivered: num(costs.find((r) => r.currency === currency)?.rewards_delivered),
        cpa: ratio(cost, conversions),
        roi: ratio(rev - cost, cost),
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// LTV of referred vs non-referred participants (docs/metrics.md#ltv).

export async function ltvReport(scope: Scope, w: Window) {
  const [people, revenue] = await withPersonIds(scope, (ids) => ltvQueries(scope, w, ids));
  const group = (g: number) => {
    const n = num(people.find((p) => num(p.referred_group) === g)?.people);
    return {
      participants: n,
      currencies: revenue
        .filter((r) => num(r.referred_group) === g)
        .map((r) => ({
          currency: String(r.currency),
          revenue: num(r.revenue),
          buyers: num(r.buyers),
          ltv: ratio(num(r.revenue), n),
        })),
    };
  };
  return { referred: group(1), non_referred: group(0) };
}

function ltvQueries(scope: Scope, w: Window, { person }: Ids) {
  const signups = scope.fromAnyCopy('analytics_events', inWindow(w), cond`kind = 'signup'`);
  const conversions = [campaignOnly(w), cond`kind = 'conversion'`, cond`day <= toDate(${w.to})`];
  // Sums: one row per event (one campaign's slice deduplicated by grouping; across campaigns FINAL).
  const buys = w.campaignId
    ? scope.latestEvents([person.text, 'currency', 'value'], ...conversions)
    : scope.from('analytics_events', ...conversions);
  const peopleQ = scope.query<Record<string, string>>(chSql`
    SELECT referred_group, count() AS people FROM (
      SELECT ${person} AS joiner, max(referred) AS referred_group FROM ${signups} GROUP BY joiner
    ) GROUP BY referred_group`);
  const revenueQ = scope.query<Record<string, string>>(chSql`
    SELECT referred_group, currency, sum(spent) AS revenue, uniqExact(joiner) AS buyers FROM (
      SELECT ${person} AS joiner, max(referred) AS referred_group FROM ${signups} GROUP BY joiner
    ) ALL INNER JOIN (
      SELECT ${person} AS joiner, currency, sum(value) AS spent FROM ${buys} GROUP BY joiner, currency
    ) USING joiner
    GROUP BY referred_group, currency ORDER BY referred_group, currency`);
  return Promise.all([peopleQ, revenueQ]);
}

// ---------------------------------------------------------------------------------------------------
// Weekly join cohorts (docs/metrics.md#cohorts).

export async function cohortReport(scope: Scope, w: Window) {
  const [rows, sizes] = await withPersonIds(scope, (ids) => cohortQueries(scope, w, ids));
  return {
    cohorts: sizes.map((s) => {
      const size = num(s.size);
      const conv = num(s.converted);
      return {
        week_start: String(s.cohort_week),
        size,
        converted: conv,
        conversion_rate: ratio(conv, size),
        weeks: rows
          .filter((r) => r.cohort_week === s.cohort_week)
          .map((r) => ({
            week: num(r.week),
            active: num(r.active),
            active_rate: ratio(num(r.active), size),
            converted: num(r.converted),
          })),
      };
    }),
  };
}

function cohortQueries(scope: Scope, w: Window, { person, participant, hasParticipant }: Ids) {
  const joins = scope.fromAnyCopy('analytics_events', inWindow(w), cond`kind = 'signup'`);
  const activity = scope.fromAnyCopy(
    'analytics_events',
    campaignOnly(w),
    hasParticipant,
    cond`day <= toDate(${w.to})`,
  );
  // The inner join keeps only the joiners' activity: the right side is cut to them before it is grouped
  // (a campaign's participants are several times its joiners; README, "Speed").
  const rowsQ = scope.query<Record<string, string>>(chSql`
    SELECT toString(cohort) AS cohort_week, toRelativeWeekNum(wk) - toRelativeWeekNum(cohort) AS week,
           uniqExact(joiner) AS active, uniqExactIf(joiner, converted = 1) AS converted
    FROM (
      SELECT ${person} AS joiner, toMonday(min(day)) AS cohort FROM ${joins} GROUP BY joiner
    ) ALL INNER JOIN (
      SELECT ${participant} AS joiner, toMonday(day) AS wk, max(kind = 'conversion') AS converted
      FROM ${activity} AND ${participant} IN (SELECT ${person} FROM ${joins}) GROUP BY joiner, wk
    ) USING joiner
    WHERE wk >= cohort
    GROUP BY cohort, wk ORDER BY cohort, week`);
  const sizesQ = scope.query<Record<string, string>>(chSql`
    SELECT toString(cohort) AS cohort_week, count() AS size, sum(ever) AS converted FROM (
      SELECT ${person} AS joiner, toMonday(min(day)) AS cohort FROM ${joins} GROUP BY joiner
    ) ANY LEFT JOIN (
      SELECT ${person} AS joiner, 1 AS ever FROM ${activity} AND kind = 'conversion' GROUP BY joiner
    ) USING joiner
    GROUP BY cohort ORDER BY cohort`);
  return Promise.all([rowsQ, sizesQ]);
}

// ---------------------------------------------------------------------------------------------------
// Reward distribution (docs/metrics.md#reward-distribution).

export async function rewardDistribution(scope: Scope, w: Window) {
  const rewards = rewardsPerReward(scope, w);
  const groupsQ = scope.query<Record<string, string>>(chSql`
    SELECT reward_type, category, state, currency, count() AS rewards, sum(cost) AS cost
    FROM ${rewards} GROUP BY reward_type, category, state, currency
    ORDER BY reward_type, category, state, currency`);
  const budgetQ = scope.query<Record<string, string>>(chSql`
    SELECT campaign_id, currency, max(budget) AS budget,
           sum(cost * (1 - released)) AS committed, sum(cost * delivered * (1 - reversed)) AS spent
    FROM ${rewards} GROUP BY campaign_id, currency ORDER BY campaign_id, currency`);
  const [groups, budget] = await Promise.all([groupsQ, budgetQ]);
  return {
    groups: groups.map((g) => ({
      reward_type: String(g.reward_type),
      category: String(g.category),
      state: String(g.state),
      currency: String(g.currency),
      rewards: num(g.rewards),
      cost: num(g.cost),
    })),
    budgets: budget.map((b) => {
      const total = num(b.budget);
      return {
        campaign_id: String(b.campaign_id),
        currency: String(b.currency),
        budget: total || null,
        committed: num(b.committed),
        spent: num(b.spent),
        spent_share: total ? num(b.spent) / total : null,
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Segment insights (docs/metrics.md#segments): conversion of signed-up people by an attribute.

export const SEGMENT_DIMENSIONS = ['plan', 'country', 'device_type', 'channel', 'segment'] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];

export async function segmentReport(scope: Scope, w: Window, by: SegmentDimension) {
  const dim = new Raw(by); // one of SEGMENT_DIMENSIONS (checked by the route)
  const signups = scope.fromAnyCopy('analytics_events', inWindow(w), cond`kind = 'signup'`);
  const buys = scope.fromAnyCopy(
    'analytics_events',
    campaignOnly(w),
    cond`kind = 'conversion'`,
    cond`day <= toDate(${w.to})`,
  );
  const rows = await withPersonIds(scope, ({ person }) =>
    scope.query<Record<string, string>>(chSql`
    SELECT d AS value, count() AS signups, sum(conv) AS conversions FROM (
      SELECT ${person} AS joiner, min(${dim}) AS d FROM ${signups} GROUP BY joiner
    ) ANY LEFT JOIN (
      SELECT ${person} AS joiner, 1 AS conv FROM ${buys} GROUP BY joiner
    ) USING joiner
    GROUP BY d ORDER BY signups DESC, d LIMIT 1000`),
  );
  return {
    by,
    segments: rows.map((r) => ({
      value: String(r.value),
      signups: num(r.signups),
      conversions: num(r.conversions),
      conversion_rate: ratio(num(r.conversions), num(r.signups)),
    })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Per-referrer KPIs (docs/metrics.md#referrers).

export async function referrerReport(scope: Scope, w: Window, limit: number) {
  const n = Math.trunc(limit);
  // Money per referrer (sums: FINAL) for a list of referrer ids.
  const moneyOf = (referrers: string[]) => {
    type Money = Record<string, string>[];
    if (!referrers.length) return Promise.resolve<[Money, Money]>([[], []]);
    const list = new Raw(referrers.map((i) => chSql`${i}`).join(', '));
    return Promise.all([
      scope.query<Money[number]>(chSql`
        SELECT referrer_id AS who, currency, sum(value) AS amount
        FROM ${scope.latestEvents(['referrer_id', 'currency', 'value'], inWindow(w), cond`kind = 'conversion' AND referred = 1`, cond`referrer_id IN (${list})`)}
        GROUP BY who, currency ORDER BY who, currency`),
      scope.query<Record<string, string>>(chSql`
        SELECT participant_id AS who, currency, sum(cost * delivered * (1 - reversed)) AS amount
        FROM ${rewardsPerReward(scope, w, cond`participant_id IN (${list})`)}
        GROUP BY who, currency ORDER BY who, currency`),
    ]);
  };
  const { rows, revenue, costs } = await withPersonIds(scope, async (ids) => {
    // When the ranking alone decides who is listed (topReferrers), their money is read while their
    // stages are counted.
    const ranked = await rankReferrers(scope, w, ids, n);
    const [top, [revenue, costs]] = ranked
      ? await Promise.all([topReferrers(scope, w, ids, n, ranked), moneyOf(ranked.ids)])
      : await topReferrers(scope, w, ids, n).then(
          async (top) => [top, await moneyOf(top.map((r) => String(r.referrer)))] as const,
        );
    return { rows: top, revenue, costs };
  });
  const money = (xs: Record<string, string>[], who: string) =>
    xs.filter((x) => x.who === who).map((x) => ({ currency: String(x.currency), amount: num(x.amount) }));
  return {
    referrers: rows.map((r) => {
      const signups = num(r.signups);
      const clickers = num(r.clickers);
      return {
        referrer_id: String(r.referrer),
        shares: num(r.shares),
        clickers,
        signups,
        conversions: num(r.conversions),
        signup_rate: ratio(signups, clickers),
        conversion_rate: ratio(num(r.conversions), signups),
        revenue: money(revenue, String(r.referrer)),
        reward_cost: money(costs, String(r.referrer)),
      };
    }),
  };
}

/**
 * The first `n` referrers by (conversions, signups, id) with their four stage counts. Distinct
 * (referrer, stage, share event or person) first, then counted per referrer: one hash table instead of
 * four distinct-count states per referrer. Exact: each stage's count is its number of distinct ids, as
 * uniqExactIf gave. The referred condition is implied: a non-share row with a referrer id is referred.
 *
 * The ranking reads only the signup and conversion rows, and a referrer with neither ranks after every
 * referrer with one. So the referrers ranked on those two kinds alone (a tenth of the rows) are the
 * answer whenever there are at least `n` of them; only their rows of the other stages are then counted.
 * With fewer, the referrers without either fill the rest in id order: the whole window is counted.
 */
function topReferrers(scope: Scope, w: Window, ids: Ids, n: number, ranked?: Ranked) {
  const noPerson = new Raw(ids.hashed ? 'toUInt64(0)' : "''");
  const who = new Raw("if(kind = 'share', participant_id, referrer_id)");
  const counted = (only: Raw) =>
    scope.query<Record<string, unknown>>(chSql`
      SELECT referrer, countIf(stage = 1) AS shares, countIf(stage = 2) AS clickers,
             countIf(stage = 3) AS signups, countIf(stage = 4) AS conversions
      FROM (
        SELECT DISTINCT ${who} AS referrer,
               multiIf(kind = 'share', 1, kind = 'click', 2, kind = 'signup', 3, 4) AS stage,
               if(kind = 'share', event_id, '') AS shared, if(kind = 'share', ${noPerson}, ${ids.person}) AS who
        FROM ${scope.fromAnyCopy('analytics_events', inWindow(w), cond`kind IN ('share', 'click', 'signup', 'conversion')`, only)}
      )
      GROUP BY referrer
      ORDER BY conversions DESC, signups DESC, referrer ASC
      LIMIT ${n}`);
  if (!ranked) return counted(cond`${who} != ''`);
  // The listed referrers' rows, found by the hashes when hashed (no string column read for the rest).
  return counted(
    ids.hashed
      ? cond`if(kind = 'share', participant_h, referrer_h) IN (${new Raw(ranked.hashes.join(', '))})`
      : cond`${who} IN (${new Raw(ranked.ids.map((r) => chSql`${r}`).join(', '))})`,
  );
}

interface Ranked {
  ids: string[];
  /** sipHash64 of each id, as decimal text (only digits: checked). */
  hashes: string[];
}

/** The first `n` referrers ranked on their signup and conversion rows, when that is the answer (above). */
async function rankReferrers(scope: Scope, w: Window, ids: Ids, n: number): Promise<Ranked | null> {
  if (n <= 0) return null;
  const ranked = await scope.query<{ referrer: string; h: string }>(chSql`
    SELECT referrer_id AS referrer, toString(any(referrer_h)) AS h,
           uniqExactIf(${ids.person}, kind = 'conversion') AS conversions,
           uniqExactIf(${ids.person}, kind = 'signup') AS signups
    FROM ${scope.fromAnyCopy('analytics_events', inWindow(w), cond`kind IN ('signup', 'conversion')`, cond`referrer_id != ''`)}
    GROUP BY referrer
    ORDER BY conversions DESC, signups DESC, referrer ASC
    LIMIT ${n}`);
  if (ranked.length < n) return null;
  const hashes = ranked.map((r) => r.h);
  if (!hashes.every((h) => /^\d{1,20}$/.test(h)))
    throw new InternalError('UNSAFE_SQL', 'a referrer hash is not a number');
  return { ids: ranked.map((r) => r.referrer), hashes };
}

// ---------------------------------------------------------------------------------------------------
// The original hourly stats and leaderboard, now over the deduplicated table (sums exact).

export async function hourlyStats(scope: Scope, campaignId: string, hours: number) {
  const src = scope.from(
    'analytics_events',
    cond`campaign_id = ${campaignId}`,
    cond`occurred_at >= now() - ${Math.trunc(hours) * 3600}`,
    cond`day >= toDate(now() - ${Math.trunc(hours) * 3600})`,
  );
  const rows = await scope.query<Record<string, string>>(chSql`
    SELECT toString(toStartOfHour(occurred_at)) AS hour_start, event, count() AS n,
           uniqExact(participant_id) AS participants, sum(value) AS total
    FROM ${src} GROUP BY hour_start, event ORDER BY hour_start, event`);
  return rows.map((r) => ({
    hour: String(r.hour_start),
    event: String(r.event),
    events: num(r.n),
    participants: num(r.participants),
    value: num(r.total),
  }));
}

export async function leaderboard(scope: Scope, campaignId: string | undefined, limit: number) {
  const src = scope.from(
    'analytics_events',
    campaignId ? cond`campaign_id = ${campaignId}` : new Raw('1'),
    cond`referrer_id != ''`,
  );
  const rows = await scope.query<Record<string, string>>(chSql`
    SELECT referrer_id, uniqExactIf(event_id, kind = 'signup') AS signups,
           uniqExactIf(event_id, kind = 'conversion') AS conversions, sumIf(value, kind = 'conversion') AS total
    FROM ${src} GROUP BY referrer_id
    ORDER BY conversions DESC, total DESC, referrer_id ASC LIMIT ${Math.trunc(limit)}`);
  return rows.map((r) => ({
    referrer_id: String(r.referrer_id),
    signups: num(r.signups),
    conversions: num(r.conversions),
    value: num(r.total),
  }));
}
