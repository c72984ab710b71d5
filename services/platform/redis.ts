import { Redis } from 'ioredis';
import { logger } from './log.ts';

export interface RedisOptions {
  /** Longest wait for a TCP connection. Default 1 s. */
  connectTimeoutMs?: number;
  /** Longest wait for one command's answer once sent. Default 250 ms (the limiter's script is sub-ms). */
  commandTimeoutMs?: number;
  /** Where outage transitions are reported; once per outage, never per command. Default: the process logger at warn. */
  log?: (message: string) => void;
}

/** A Redis client and how many connection errors it has seen (for metrics and tests). */
export interface RedisHandle {
  redis: Redis;
  stats(): { errors: number; outages: number; up: boolean };
}

/**
 * The one way entry points build a Redis client. ioredis by default queues commands while disconnected
 * and retries each up to 20 times, so an unreachable Redis turns every request into a multi-second hang;
 * here a command fails at once when there is no connection (no offline queue, no per-request retries) and
 * within `commandTimeoutMs` when Redis stops answering, so callers can fall back immediately. The client
 * keeps reconnecting in the background with a capped backoff.
 */
export function createRedis(url: string, opts: RedisOptions = {}): RedisHandle {
  const log = opts.log ?? ((m: string) => logger.warn({ component: 'redis' }, m));
  const redis = new Redis(url, {
    lazyConnect: false,
    connectTimeout: opts.connectTimeoutMs ?? 1_000,
    commandTimeout: opts.commandTimeoutMs ?? 250,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
  });
  let errors = 0;
  let outages = 0;
  let up = false;
  const where = safeAddress(url);
  // Without a listener ioredis prints every failed reconnect attempt as an unhandled error event.
  redis.on('error', (err: Error & { code?: string }) => {
    errors++;
    if (up || outages === 0) {
      outages++;
      up = false;
      log(`redis ${where} unavailable (${err.code ?? err.name}); retrying in the background`);
    }
  });
  redis.on('ready', () => {
    if (!up && outages > 0) log(`redis ${where} reachable again`);
    up = true;
  });
  return { redis, stats: () => ({ errors, outages, up }) };
}

/** host:port only: a Redis URL may carry a password. */
function safeAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return '(invalid url)';
  }
}
