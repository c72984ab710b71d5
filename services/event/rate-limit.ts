/** The event service's per-client event budget uses the platform's token buckets (one event, one token). */
export {
  createFallbackRateLimiter,
  createMemoryRateLimiter,
  createRedisRateLimiter,
  DEFAULT_RATE_LIMIT,
  type FallbackLimiter,
  type LeaseOptions,
  type RateDecision,
  type RateLimiter,
  type RateLimitPolicy,
} from '../platform/token-bucket.ts';
