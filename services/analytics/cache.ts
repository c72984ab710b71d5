import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Report cache in Redis: a report's answer is kept `maxAge` seconds under a key naming the client, the
 * report and a hash of its parameters. Every answer says how fresh it is (`as_of`, `cached`, `max_age`).
 * Without Redis, or while Redis fails, reports are computed each time (`cached: false`).
 */
export interface Fresh<T> {
  as_of: string;
  cached: boolean;
  max_age: number;
  data: T;
}

export interface ReportCache {
  get<T>(clientId: string, report: string, params: unknown, compute: () => Promise<T>): Promise<Fresh<T>>;
}

export const DEFAULT_REPORT_MAX_AGE = 30;

export function createReportCache(redis: Redis | undefined, maxAge = DEFAULT_REPORT_MAX_AGE): ReportCache {
  return {
    async get(clientId, report, params, compute) {
      const key = `pulse:analytics:${createHash('sha256')
        .update(JSON.stringify([clientId, report, params]))
        .digest('base64url')}`;
      if (redis && maxAge > 0) {
        const hit = await redis.get(key).catch(() => null);
        if (hit) {
          const { as_of, data } = JSON.parse(hit) as { as_of: string; data: never };
          return { as_of, cached: true, max_age: maxAge, data };
        }
      }
      const as_of = new Date().toISOString();
      const data = await compute();
      if (redis && maxAge > 0)
        await redis.set(key, JSON.stringify({ as_of, data }), 'EX', maxAge).catch(() => undefined);
      return { as_of, cached: false, max_age: maxAge, data };
    },
  };
}
