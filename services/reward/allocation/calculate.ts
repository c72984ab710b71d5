import { addDuration as addCalendar, parseDurationParts } from '../../../contract/duration.ts';
import { AppError } from '../../../contract/errors.ts';
import type { RewardValue } from '../../../contract/generated/reward.generated.ts';

/**
 * Reward arithmetic: the amount a reward value is worth for a basis (order value), what it costs against
 * the budget, how long a duration lasts. Amounts are decimal currency units rounded to cents (stored as
 * numeric(14,2)); every sum is rounded after each step so Postgres and JS agree to the cent.
 */

export type Category = RewardValue['category'];

const MONETARY_CATEGORIES: ReadonlySet<Category> = new Set(['cash', 'store_credit', 'gift_card']);
const CONSUMED_ON_DELIVERY: ReadonlySet<Category> = new Set([
  'cash',
  'store_credit',
  'feature_access',
  'premium_period',
  'badge',
]);

/** Whether the reward is money (or a fixed-value coupon): its amount counts against the budget by default. */
export function isMonetary(v: RewardValue): boolean {
  return MONETARY_CATEGORIES.has(v.category) || (v.category === 'coupon' && v.amount !== undefined);
}

export function round2(n: number): number {
  return Math.round((n + Math.sign(n) * Number.EPSILON) * 100) / 100;
}

/** The money amount of a value for a basis; null for non-monetary rewards and percent coupons. */
export function amountOf(v: RewardValue, basis: number | undefined): number | null {
  if (v.amount !== undefined) return round2(v.amount);
  if (v.percent_of_value !== undefined) {
    if (basis === undefined) {
      throw new AppError('VALIDATION_FAILED', 'this reward is a percentage of a value: pass basis_value', [
        { path: 'basis_value', message: 'required for percent_of_value rewards', expected: 'a number' },
      ]);
    }
    const raw = round2((basis * v.percent_of_value) / 100);
    return v.max_amount !== undefined ? Math.min(raw, round2(v.max_amount)) : raw;
  }
  return null;
}

/** What a reward costs against the budget: explicit `cost`, else its amount when monetary, else 0. */
export function costOf(v: RewardValue, amount: number | null): number {
  if (v.cost !== undefined) return round2(v.cost);
  return isMonetary(v) && amount !== null ? amount : 0;
}

export interface Computed {
  /** The value with its computed amount filled in (what fulfilment and notifications use). */
  value: RewardValue;
  amount: number | null;
  currency: string | null;
  cost: number;
}

export function compute(v: RewardValue, basis: number | undefined): Computed {
  const amount = amountOf(v, basis);
  const value: RewardValue = amount === null ? { ...v } : { ...v, amount };
  return { value, amount, currency: v.currency ?? null, cost: costOf(v, amount) };
}

/** Cumulative tiers: one reward whose amount and cost are the sums (tiers share category and currency). */
export function sum(values: RewardValue[], basis: number | undefined): Computed {
  const parts = values.map((v) => compute(v, basis));
  const first = parts[0];
  if (!first) throw new AppError('INTERNAL', 'no tiers to add up');
  const amounts = parts.map((p) => p.amount);
  const amount = amounts.every((a) => a === null)
    ? null
    : round2(amounts.reduce<number>((s, a) => round2(s + (a ?? 0)), 0));
  const cost = round2(parts.reduce((s, p) => round2(s + p.cost), 0));
  const { percent_of_value: _p, max_amount: _m, ...rest } = first.value;
  return { value: amount === null ? rest : { ...rest, amount }, amount, currency: first.currency, cost };
}

/** Whether a fulfilled reward is used up on delivery (→ REDEEMED at once) or waits for the participant. */
export function redeemMode(v: RewardValue): 'on_fulfil' | 'manual' {
  return v.redeem ?? (CONSUMED_ON_DELIVERY.has(v.category) ? 'on_fulfil' : 'manual');
}

/**
 * `date` plus a schema duration ("30d", "12h", "2w", "3mo", "1y", "P1Y"): the DSL's one grammar
 * (contract/duration.ts); months and years by the calendar in UTC, clamped (Jan 31 + 1mo = Feb 28/29).
 */
export function addDuration(date: Date, duration: string): Date {
  const d = parseDurationParts(duration);
  if (!d)
    throw new AppError('VALIDATION_FAILED', `"${duration}" is not a duration`, [
      { path: 'duration', message: 'invalid', expected: 'e.g. 30d, 12h, 2w, 3mo, 1y, P1Y' },
    ]);
  return new Date(addCalendar(date.getTime(), d));
}
