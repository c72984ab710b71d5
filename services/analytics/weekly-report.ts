import type { ClickHouse } from '../platform/clickhouse.ts';
import type { Db } from '../platform/db.ts';
import { errFields, logger } from '../platform/log.ts';
import { type Holder, type Role, refusal } from '../platform/permissions.ts';
import * as m from './metrics.ts';
import { listWeeklySubscribers } from './repo.ts';
import { createScope } from './scope.ts';

/**
 * The weekly report e-mail (docs/metrics.md#weekly-report): every Monday, each member who opted in
 * (`PUT /v1/analytics/report-subscriptions/me`) gets the client's summary of the ISO week that just ended
 * beside the week before: the funnel, K-factor, CPA and ROI per currency and the top referrers. Sent through
 * the notification service's e-mail path, idempotent per (client, member, week): a second run of the same
 * week (a retried activity, a schedule catching up) sends nothing new.
 */

/** A member as they stand now: address, role and their client's status. */
export interface MemberStanding {
  email: string;
  role: Role;
  clientStatus: Holder['clientStatus'];
}

/** Who a member is now, or null when they are no longer a member of the client. */
export interface MemberDirectory {
  standingOf(clientId: string, memberId: string): Promise<MemberStanding | null>;
}

/** Why a subscriber got no report this run. */
export type SkipReason = 'not_a_member' | 'lacks_analytics_read' | 'client_inactive';

/**
 * Whether the member may still read the figures, decided by the permission matrix as for their session
 * now (a member demoted below analytics.read, or of a suspended client, gets nothing), or why not.
 */
export function reportRefusal(member: MemberStanding | null): SkipReason | null {
  if (!member) return 'not_a_member';
  const why = refusal(
    { keyKind: 'secret', role: member.role, clientStatus: member.clientStatus, via: 'session' },
    'analytics.read',
  );
  if (!why) return null;
  return why.code === 'CLIENT_INACTIVE' ? 'client_inactive' : 'lacks_analytics_read';
}

export interface WeeklyReportEmail {
  clientId: string;
  memberId: string;
  to: string;
  /** Monday of the week reported, YYYY-MM-DD: with client and member, the idempotency key. */
  week: string;
  report: WeeklySummary;
}

/** Sends one report e-mail (the notification service's send route, wired by the composition root). */
export interface ReportDelivery {
  send(mail: WeeklyReportEmail): Promise<void>;
}

export interface WeeklyReportDeps {
  db: Db;
  ch: ClickHouse;
  members: MemberDirectory;
  delivery: ReportDelivery;
}

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The ISO week (Monday–Sunday, UTC) that ended before `now`, and the week before it. */
export function reportWeeks(now: Date): {
  week: { from: string; to: string };
  previous: { from: string; to: string };
} {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const thisMonday = midnight - ((now.getUTCDay() + 6) % 7) * DAY_MS;
  const monday = thisMonday - 7 * DAY_MS;
  return {
    week: { from: day(monday), to: day(monday + 6 * DAY_MS) },
    previous: { from: day(monday - 7 * DAY_MS), to: day(monday - DAY_MS) },
  };
}

export interface WeekFigures {
  from: string;
  to: string;
  participants: number;
  shares: number;
  clickers: number;
  signups: number;
  conversions: number;
  conversion_rate: number | null;
  k_factor: number | null;
  money: {
    currency: string;
    reward_cost: number;
    referred_revenue: number;
    cpa: number | null;
    roi: number | null;
  }[];
}

export interface WeeklySummary {
  week: WeekFigures;
  previous: WeekFigures;
  /** This week minus the previous one, for the headline counts. */
  change: Record<'participants' | 'shares' | 'clickers' | 'signups' | 'conversions', number>;
  top_referrers: { referrer_id: string; signups: number; conversions: number }[];
}

async function figures(ch: ClickHouse, clientId: string, w: m.Window): Promise<WeekFigures> {
  const scope = createScope(ch, clientId);
  const [funnel, k, cost] = await Promise.all([
    m.funnelReport(scope, w),
    m.kFactorReport(scope, w),
    m.costReport(scope, w),
  ]);
  const t = funnel.total;
  return {
    from: w.from,
    to: w.to,
    participants: t.participants,
    shares: t.shares,
    clickers: t.clickers,
    signups: t.signups,
    conversions: t.conversions,
    conversion_rate: t.conversion_rate,
    k_factor: k.k_factor,
    money: cost.currencies.map((c) => ({
      currency: c.currency,
      reward_cost: c.reward_cost,
      referred_revenue: c.referred_revenue,
      cpa: c.cpa,
      roi: c.roi,
    })),
  };
}

/** The client's summary of a week beside the week before (every figure through the client's scope). */
export async function weeklySummary(ch: ClickHouse, clientId: string, now: Date): Promise<WeeklySummary> {
  const { week, previous } = reportWeeks(now);
  const [a, b, top] = await Promise.all([
    figures(ch, clientId, week),
    figures(ch, clientId, previous),
    m.referrerReport(createScope(ch, clientId), week, 5),
  ]);
  const keys = ['participants', 'shares', 'clickers', 'signups', 'conversions'] as const;
  return {
    week: a,
    previous: b,
    change: Object.fromEntries(keys.map((k) => [k, a[k] - b[k]])) as WeeklySummary['change'],
    top_referrers: top.referrers.map((r) => ({
      referrer_id: r.referrer_id,
      signups: r.signups,
      conversions: r.conversions,
    })),
  };
}

/**
 * One weekly run (the Temporal Schedule's activity): a report to every subscribed member who may still
 * read the client's analytics (a member, with analytics.read, of an active client); the others are
 * skipped and counted by reason in the result (their subscription stays: a member promoted back, or a
 * client reactivated, gets the next week's report). A member whose send fails is counted and the run goes on; the run fails at the end (so the
 * activity retries) when any send failed, and the retry sends only what is missing (idempotency keys).
 */
export async function sendWeeklyReports(deps: WeeklyReportDeps, now: Date = new Date()) {
  const subscribers = await listWeeklySubscribers(deps.db);
  const { week } = reportWeeks(now);
  const summaries = new Map<string, Promise<WeeklySummary>>();
  let sent = 0;
  const skips: Record<SkipReason, number> = { not_a_member: 0, lacks_analytics_read: 0, client_inactive: 0 };
  let failed = 0;
  for (const s of subscribers) {
    const member = await deps.members.standingOf(s.client_id, s.member_id);
    const skip = reportRefusal(member);
    if (skip || !member) {
      skips[skip ?? 'not_a_member']++;
      continue;
    }
    const to = member.email;
    let summary = summaries.get(s.client_id);
    if (!summary) {
      summary = weeklySummary(deps.ch, s.client_id, now);
      summaries.set(s.client_id, summary);
    }
    try {
      await deps.delivery.send({
        clientId: s.client_id,
        memberId: s.member_id,
        to,
        week: week.from,
        report: await summary,
      });
      sent++;
    } catch (err) {
      failed++;
      logger.warn(
        { ...errFields(err), component: 'analytics-weekly', client_id: s.client_id },
        'weekly report not sent; the run will retry',
      );
    }
  }
  if (failed > 0) throw new WeeklyReportIncomplete(failed);
  const skipped = skips.not_a_member + skips.lacks_analytics_read + skips.client_inactive;
  return { week: week.from, sent, skipped, skipped_because: skips };
}

/** Some reports of a run were not sent: the activity fails and Temporal retries the run. */
export class WeeklyReportIncomplete extends Error {
  override readonly name = 'WeeklyReportIncomplete';
  readonly code = 'WEEKLY_REPORT_INCOMPLETE';
  constructor(readonly failed: number) {
    super(`${failed} weekly report(s) not sent`);
  }
}

const shown = (v: number | null, digits = 2): string =>
  v === null ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(digits);
const signed = (v: number): string => (v > 0 ? `+${v}` : String(v));

/** What the e-mail template reads (`report.*`): figures as display text, nothing to compute in Liquid. */
export function emailView(s: WeeklySummary) {
  const line = (label: string, key: keyof WeeklySummary['change']) => ({
    label,
    week: String(s.week[key]),
    previous: String(s.previous[key]),
    change: signed(s.change[key]),
  });
  return {
    from: s.week.from,
    to: s.week.to,
    previous_from: s.previous.from,
    previous_to: s.previous.to,
    lines: [
      line('Participants', 'participants'),
      line('Invites sent', 'shares'),
      line('People who clicked', 'clickers'),
      line('Referred signups', 'signups'),
      line('Referred conversions', 'conversions'),
    ],
    k_factor: shown(s.week.k_factor),
    previous_k_factor: shown(s.previous.k_factor),
    conversion_rate:
      s.week.conversion_rate === null ? 'n/a' : `${(s.week.conversion_rate * 100).toFixed(1)}%`,
    money: s.week.money.map((x) => ({
      currency: x.currency || '(none)',
      reward_cost: shown(x.reward_cost),
      referred_revenue: shown(x.referred_revenue),
      cpa: shown(x.cpa),
      roi: shown(x.roi),
    })),
    top_referrers: s.top_referrers,
  };
}
