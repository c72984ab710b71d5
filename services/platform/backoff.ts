/**
 * The one retry delay of the server side (bus redelivery, the event drainer, the fulfilment queue):
 * exponential from a base, capped, optionally jittered so many retriers do not wake in step. Pure and,
 * given a `random` source, deterministic.
 */
export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** Largest delay before jitter, however many attempts have failed. */
  maxMs: number;
  /** Each delay is scaled by a factor drawn from [1 − jitter, 1 + jitter); 0 (the default) = none. */
  jitter?: number;
  /** Uniform source in [0, 1) for the jitter; default Math.random. Pass a seeded one for reproducible delays. */
  random?: () => number;
}

/** Past this many doublings every realistic cap is reached; bounding it keeps the power finite. */
const MAX_DOUBLINGS = 30;

/** Delay before retry number `attempt` (1-based; lower counts as 1): base·2^(attempt−1), capped, jittered. */
export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const doublings = Math.min(Math.max(Math.floor(attempt) - 1, 0), MAX_DOUBLINGS);
  const capped = Math.min(o.maxMs, o.baseMs * 2 ** doublings);
  const jitter = o.jitter ?? 0;
  if (jitter === 0) return capped;
  const random = o.random ?? Math.random;
  return Math.round(capped * (1 - jitter + random() * 2 * jitter));
}
