import { api, currentApiKey, must } from '../lib/api.ts';
import { type Async, useAsync } from '../lib/ui.tsx';

/**
 * The analytics API's named reports as the dashboards read them. The OpenAPI document types `data` as an
 * object (one envelope for every report); the shapes below follow docs/metrics.md section by section.
 */
export type ReportName =
  | 'funnel'
  | 'k-factor'
  | 'cost'
  | 'ltv'
  | 'cohorts'
  | 'rewards'
  | 'segments'
  | 'referrers';

export interface ReportAnswer<T> {
  report: string;
  /** `/docs/metrics#<section>`: where the report's metrics are defined. */
  definition: string;
  as_of: string;
  cached: boolean;
  max_age: number;
  campaign_id?: string | null;
  from?: string;
  to?: string;
  data: T;
}

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
export interface FunnelData {
  total: FunnelStage;
  channels: FunnelStage[];
}
export interface KFactorData {
  participants: number;
  invites: number;
  referred_signups: number;
  invites_per_participant: number | null;
  invite_conversion: number | null;
  k_factor: number | null;
  cohort: { from: string; to: string; size: number; referred_signups: number; k_factor: number | null };
  cycle_time: { cycles: number; mean_seconds: number | null; median_seconds: number | null };
}
export interface CostData {
  referred_conversions: number;
  currencies: {
    currency: string;
    reward_cost: number;
    referred_revenue: number;
    rewards_delivered: number;
    cpa: number | null;
    roi: number | null;
  }[];
}
export interface LtvGroup {
  participants: number;
  currencies: { currency: string; revenue: number; buyers: number; ltv: number | null }[];
}
export interface LtvData {
  referred: LtvGroup;
  non_referred: LtvGroup;
}
export interface CohortData {
  cohorts: {
    week_start: string;
    size: number;
    converted: number;
    conversion_rate: number | null;
    weeks: { week: number; active: number; active_rate: number | null; converted: number }[];
  }[];
}
export interface RewardData {
  groups: {
    reward_type: string;
    category: string;
    state: string;
    currency: string;
    rewards: number;
    cost: number;
  }[];
  budgets: {
    campaign_id: string;
    currency: string;
    budget: number | null;
    committed: number;
    spent: number;
    spent_share: number | null;
  }[];
}
export const SEGMENT_DIMENSIONS = ['plan', 'country', 'device_type', 'channel', 'segment'] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];
export interface SegmentData {
  by: SegmentDimension;
  segments: { value: string; signups: number; conversions: number; conversion_rate: number | null }[];
}
export interface Money {
  currency: string;
  amount: number;
}
export interface ReferrerData {
  referrers: {
    referrer_id: string;
    shares: number;
    clickers: number;
    signups: number;
    conversions: number;
    signup_rate: number | null;
    conversion_rate: number | null;
    revenue: Money[];
    reward_cost: Money[];
  }[];
}
export interface SeriesData {
  grain: 'hour' | 'day' | 'week' | 'month';
  dimensions: string[];
  rows: ({ bucket: string } & Record<string, number | string | null>)[];
}

/** One named report for the window (and campaign), loaded on its own so a failure stays in its card. */
export function useReport<T>(
  name: ReportName,
  query: Record<string, string>,
): Async<ReportAnswer<T>> & { reload(): void } {
  const key = new URLSearchParams(query).toString();
  return useAsync(
    () =>
      must(
        // One call site for eight paths of the same shape (the envelope `analyticsReport`).
        api().GET(`/v1/analytics/reports/${name}` as '/v1/analytics/reports/funnel', {
          params: { query: query as never },
        }),
      ) as Promise<ReportAnswer<T>>,
    [name, key],
  );
}

/** The report's URL with `format=csv` (the API streams it; analytics.export). */
export const csvUrl = (path: string, query: Record<string, string>) =>
  `${path}?${new URLSearchParams({ ...query, format: 'csv' })}`;

/**
 * Saves a same-origin download. A member's session cookie rides a plain link; a developer signed in
 * with an API key holds it in the tab only, so the file is fetched with the key and saved from a blob.
 */
export async function downloadWithKey(href: string, filename: string): Promise<void> {
  const key = currentApiKey();
  const res = await fetch(href, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  if (!res.ok) throw new Error(`the download failed (HTTP ${res.status})`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
