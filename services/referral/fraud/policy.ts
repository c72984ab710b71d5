import { parseDuration } from '../../../contract/duration.ts';
import { AppError, type ErrorDetail } from '../../../contract/errors.ts';

/**
 * A campaign's fraud policy: its YAML `fraud:` block over the defaults. The defaults follow what the
 * strong referral tools do: flag and hold for a person to review; reject on their own only exact identity
 * matches (the same email, phone or person) and blocklists (countries).
 */
export interface VelocityLimit {
  /** More than this many in the window fires the rule. */
  max: number;
  window: string;
}

export interface FraudPolicy {
  review_at: number;
  reject_at: number;
  /** A referrer with this many confirmed frauds is suspended (no further rewards). */
  suspend_after: number;
  blocked_countries: string[];
  rules: Record<string, { weight?: number; enabled?: boolean }>;
  velocity: { referrer: VelocityLimit; ip: VelocityLimit; device: VelocityLimit };
  conversion_time: { min: string; max: string };
}

export const DEFAULT_POLICY: Readonly<FraudPolicy> = Object.freeze({
  review_at: 30,
  reject_at: 80,
  suspend_after: 3,
  blocked_countries: [],
  rules: {},
  velocity: {
    referrer: { max: 20, window: '1h' },
    ip: { max: 5, window: '24h' },
    device: { max: 3, window: '24h' },
  },
  conversion_time: { min: '30s', max: '90d' },
});

/** The YAML block (already checked against schemas/campaign.schema.json) merged over the defaults. */
export function resolvePolicy(raw: unknown): FraudPolicy {
  const doc = (raw && typeof raw === 'object' ? raw : {}) as Partial<FraudPolicy> & {
    velocity?: Partial<FraudPolicy['velocity']>;
    conversion_time?: Partial<FraudPolicy['conversion_time']>;
  };
  return {
    review_at: doc.review_at ?? DEFAULT_POLICY.review_at,
    reject_at: doc.reject_at ?? DEFAULT_POLICY.reject_at,
    suspend_after: doc.suspend_after ?? DEFAULT_POLICY.suspend_after,
    blocked_countries: (doc.blocked_countries ?? []).map((c) => c.toUpperCase()),
    rules: { ...(doc.rules ?? {}) },
    velocity: {
      referrer: { ...DEFAULT_POLICY.velocity.referrer, ...doc.velocity?.referrer },
      ip: { ...DEFAULT_POLICY.velocity.ip, ...doc.velocity?.ip },
      device: { ...DEFAULT_POLICY.velocity.device, ...doc.velocity?.device },
    },
    conversion_time: { ...DEFAULT_POLICY.conversion_time, ...doc.conversion_time },
  };
}

export function durationMs(text: string): number {
  const ms = parseDuration(text);
  // Checked on deploy (policyProblems); a bad one here is a stored policy that bypassed the check.
  if (ms === null) throw new AppError('INTERNAL', `"${text}" is not a duration`);
  return ms;
}

/** What the schema cannot say: thresholds in order, durations that parse, known rule ids. */
export function policyProblems(raw: unknown, ruleIds: readonly string[]): ErrorDetail[] {
  if (raw === undefined || raw === null) return [];
  const p = resolvePolicy(raw);
  const out: ErrorDetail[] = [];
  if (p.review_at > p.reject_at)
    out.push({
      path: 'fraud.review_at',
      message: `review_at (${p.review_at}) is above reject_at (${p.reject_at})`,
      expected: 'review_at <= reject_at',
    });
  for (const id of Object.keys(p.rules))
    if (!ruleIds.includes(id))
      out.push({ path: `fraud.rules.${id}`, message: 'no such fraud rule', expected: ruleIds.join(' | ') });
  const durations: [string, string][] = [
    ['fraud.conversion_time.min', p.conversion_time.min],
    ['fraud.conversion_time.max', p.conversion_time.max],
    ...(['referrer', 'ip', 'device'] as const).map(
      (k) => [`fraud.velocity.${k}.window`, p.velocity[k].window] as [string, string],
    ),
  ];
  for (const [path, text] of durations)
    if (parseDuration(text) === null)
      out.push({ path, message: 'not a duration', expected: 'e.g. 30s, 1h, 7d' });
  return out;
}
