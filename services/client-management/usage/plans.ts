/**
 * The plans, as data: what each includes per calendar month (UTC) and what it costs. A client's plan is
 * `clients.plan`; an unknown plan name (a custom contract) gets the limits of `PLAN_FALLBACK`. A limit of
 * `null` is unlimited. Prices are in minor units of the plan's currency.
 */

export const USAGE_METRICS = [
  'events_accepted',
  'monthly_active_participants',
  'journeys_started',
  'rewards_issued',
] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

export interface Plan {
  name: string;
  currency: string;
  /** The monthly fee (minor units). */
  base_fee: number;
  limits: Record<UsageMetric, number | null>;
  /** Events beyond `included_events` are billed per 1,000 (minor units); null: none are (hard limit). */
  included_events: number;
  overage_per_1000_events: number | null;
  /** Whether the events limit is hard (429 above it) or only billed as overage. */
  hard_event_limit: boolean;
}

export const PLANS: Record<string, Plan> = {
  starter: {
    name: 'starter',
    currency: 'USD',
    base_fee: 0,
    limits: {
      events_accepted: 100_000,
      monthly_active_participants: 5_000,
      journeys_started: 20_000,
      rewards_issued: 1_000,
    },
    included_events: 100_000,
    overage_per_1000_events: null,
    hard_event_limit: true,
  },
  growth: {
    name: 'growth',
    currency: 'USD',
    base_fee: 49_900,
    limits: {
      events_accepted: 5_000_000,
      monthly_active_participants: 250_000,
      journeys_started: 1_000_000,
      rewards_issued: 50_000,
    },
    included_events: 2_000_000,
    overage_per_1000_events: 20,
    hard_event_limit: true,
  },
  scale: {
    name: 'scale',
    currency: 'USD',
    base_fee: 199_900,
    limits: {
      events_accepted: null,
      monthly_active_participants: null,
      journeys_started: null,
      rewards_issued: null,
    },
    included_events: 20_000_000,
    overage_per_1000_events: 10,
    hard_event_limit: false,
  },
};

export const PLAN_FALLBACK = 'starter';

export function planOf(name: string | null | undefined, plans: Record<string, Plan> = PLANS): Plan {
  return plans[name ?? PLAN_FALLBACK] ?? plans[PLAN_FALLBACK] ?? (PLANS[PLAN_FALLBACK] as Plan);
}

/** Warnings go out at these shares of a limit, once each per client, month and metric. */
export const WARNING_THRESHOLDS = [80, 100] as const;

/** `YYYY-MM` of a moment (UTC). */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** The month's first instant and the next month's (UTC). */
export function monthRange(month: string): { from: Date; to: Date } {
  const from = new Date(`${month}-01T00:00:00Z`);
  const to = new Date(from);
  to.setUTCMonth(to.getUTCMonth() + 1);
  return { from, to };
}
