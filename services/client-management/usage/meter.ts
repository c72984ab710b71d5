import type { Redis } from 'ioredis';
import type { Bus } from '../../../contract/bus.ts';
import { AppError } from '../../../contract/errors.ts';
import { type ClickHouse, chSql } from '../../platform/clickhouse.ts';
import type { Db } from '../../platform/db.ts';
import { logger } from '../../platform/log.ts';
import { monthOf, monthRange, type Plan, planOf, type UsageMetric, WARNING_THRESHOLDS } from './plans.ts';

/** The header a response carries once a client is at 80% or more of a plan limit. */
export const USAGE_WARNING_HEADER = 'X-Pulse-Usage-Warning';

/** Redis keys live this long past their month (the counter is then only history; ClickHouse keeps it). */
const KEY_TTL_SECONDS = 40 * 24 * 3600;
const PLAN_CACHE_MS = 30_000;

export interface Admission {
  /** Events counted in advance; `settle` gives back those not accepted. */
  reserved: number;
  month: string;
  headers: Record<string, string>;
  /** The counter after the reservation, the limit (null: none), the plan and the reset (for `settle`). */
  value?: number;
  limit?: number | null;
  plan?: string;
  resets?: string;
}

/**
 * The events meter on the ingest hot path: one Redis `INCRBY` per request on the client-month counter
 * (`pulse:usage:<client>:<YYYY-MM>:events`), checked against the client's plan. Over a hard limit the
 * request is refused (429 PLAN_LIMIT_EXCEEDED, naming the limit, the count and when it resets) and the
 * reservation given back, so one tenant's counter never touches another's. At 80% and 100% a warning
 * header goes on every answer and a notice is recorded and published once (bus topic
 * `usage.warning.<client>`). The counter is reconciled from ClickHouse (`reconcile`): it is raised to
 * what ClickHouse holds when Redis lost it. Without Redis (or while it is down) each process counts alone.
 */
export interface UsageMeter {
  admit(clientId: string, events: number): Promise<Admission>;
  /** Gives back what was not accepted; answers the warning header once at 80% or more. */
  settle(clientId: string, admission: Admission, accepted: number): Promise<Record<string, string>>;
  /** The counter's value now. */
  counted(clientId: string, month: string): Promise<number>;
  /** Raises the counter to ClickHouse's count of accepted events when it is below; returns both. */
  reconcile(clientId: string, month: string): Promise<{ counter: number; clickhouse: number }>;
  /** Records (once) the highest warning threshold `value` reached of `limit` for a metric; answers it or null. */
  warnIfNear(
    clientId: string,
    month: string,
    metric: UsageMetric,
    value: number,
    limit: number | null,
  ): Promise<number | null>;
  /** Reconciles every active client's counter of the current month (the periodic job); answers how many. */
  reconcileAll(): Promise<number>;
  /** Notices sent for a client-month (what GET /v1/usage lists). */
  notices(clientId: string, month: string): Promise<{ metric: string; threshold: number; at: string }[]>;
}

export interface UsageMeterDeps {
  db: Db;
  ch: ClickHouse;
  redis?: Redis;
  bus?: Bus;
  now?: () => Date;
  /** Redis key prefix (tests use their own). */
  prefix?: string;
  /** The plans (default PLANS). */
  plans?: Record<string, Plan>;
}

export function createUsageMeter(deps: UsageMeterDeps): UsageMeter {
  const now = deps.now ?? (() => new Date());
  const prefix = deps.prefix ?? 'pulse:usage';
  const plans = new Map<string, { at: number; plan: Plan }>();
  const memory = new Map<string, number>();
  const sent = new Set<string>();
  const keyOf = (clientId: string, month: string) => `${prefix}:${clientId}:${month}:events`;

  async function planFor(clientId: string): Promise<Plan> {
    const hit = plans.get(clientId);
    if (hit && Date.now() - hit.at < PLAN_CACHE_MS) return hit.plan;
    const row = await deps.db
      .selectFrom('clients')
      .select('plan')
      .where('id', '=', clientId)
      .executeTakeFirst();
    const plan = planOf(row?.plan as string | undefined, deps.plans);
    plans.set(clientId, { at: Date.now(), plan });
    return plan;
  }

  async function incr(key: string, by: number): Promise<number> {
    if (deps.redis) {
      try {
        const [[e1, v], [e2]] = (await deps.redis
          .multi()
          .incrby(key, by)
          .expire(key, KEY_TTL_SECONDS)
          .exec()) as [[Error | null, number], [Error | null, unknown]];
        if (e1 || e2) throw e1 ?? e2;
        return Number(v);
      } catch (err) {
        logger.warn({ err, component: 'usage' }, 'usage counter on Redis failed; counting in this process');
      }
    }
    const v = (memory.get(key) ?? 0) + by;
    memory.set(key, v);
    return v;
  }

  async function read(key: string): Promise<number> {
    if (deps.redis) {
      try {
        return Number((await deps.redis.get(key)) ?? 0);
      } catch {
        // fall through to this process's count
      }
    }
    return memory.get(key) ?? 0;
  }

  async function notice(
    clientId: string,
    month: string,
    metric: UsageMetric,
    threshold: number,
    value: number,
    limit: number,
  ) {
    const id = `${clientId}:${month}:${metric}:${threshold}`;
    if (sent.has(id)) return;
    sent.add(id);
    try {
      const inserted = await deps.db
        .insertInto('usage_notices')
        .values({ client_id: clientId, month, metric, threshold, value, limit_value: limit })
        .onConflict((oc) => oc.doNothing())
        .returning('client_id')
        .executeTakeFirst();
      if (inserted && deps.bus)
        await deps.bus.publish(
          `usage.warning.${clientId}`,
          { client_id: clientId, month, metric, threshold, value, limit },
          { id: `usage-warning:${id}` },
        );
    } catch (err) {
      sent.delete(id);
      logger.warn({ err, component: 'usage' }, 'usage notice not recorded');
    }
  }

  return {
    async admit(clientId, events) {
      const at = now();
      const month = monthOf(at);
      const plan = await planFor(clientId);
      const limit = plan.limits.events_accepted;
      const key = keyOf(clientId, month);
      const value = await incr(key, events);
      const headers: Record<string, string> = {};
      if (limit === null) return { reserved: events, month, headers };
      const resets = monthRange(month).to;
      if (plan.hard_event_limit && value > limit) {
        await incr(key, -events);
        const current = value - events;
        void notice(clientId, month, 'events_accepted', 100, current, limit);
        const retryAfter = Math.max(1, Math.ceil((resets.getTime() - at.getTime()) / 1000));
        throw new AppError(
          'PLAN_LIMIT_EXCEEDED',
          `plan ${plan.name} allows ${limit} events a month; ${current} accepted in ${month}, ${events} more refused; resets ${resets.toISOString()}`,
          [
            { path: 'limit', message: 'events_accepted', expected: String(limit) },
            { path: 'current', message: String(current) },
            { path: 'resets_at', message: resets.toISOString() },
          ],
          { 'Retry-After': String(retryAfter) },
        );
      }
      return {
        reserved: events,
        month,
        headers,
        value,
        limit,
        plan: plan.name,
        resets: resets.toISOString(),
      };
    },
    async settle(clientId, admission, accepted): Promise<Record<string, string>> {
      const back = admission.reserved - accepted;
      const value = back > 0 ? await incr(keyOf(clientId, admission.month), -back) : (admission.value ?? 0);
      const limit = admission.limit;
      if (limit === undefined || limit === null || accepted === 0) return {};
      const percent = Math.floor((value * 100) / limit);
      const crossed = WARNING_THRESHOLDS.filter((t) => percent >= t).at(-1);
      if (crossed === undefined) return {};
      void notice(clientId, admission.month, 'events_accepted', crossed, value, limit);
      return {
        [USAGE_WARNING_HEADER]: `events_accepted=${value}/${limit}; percent=${percent}; plan=${admission.plan}; resets=${admission.resets}`,
      };
    },
    counted: (clientId, month) => read(keyOf(clientId, month)),
    async reconcile(clientId, month) {
      const clickhouse = await countAcceptedEvents(deps.ch, clientId, month);
      const key = keyOf(clientId, month);
      let counter: number;
      if (deps.redis) {
        try {
          // Raise only: events still on their way to ClickHouse (the outbox) are in Redis already.
          counter = Number(
            await deps.redis.eval(
              "local v = tonumber(redis.call('GET', KEYS[1]) or '0') if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return tonumber(ARGV[1]) end return v",
              1,
              key,
              String(clickhouse),
              String(KEY_TTL_SECONDS),
            ),
          );
          return { counter, clickhouse };
        } catch (err) {
          logger.warn({ err, component: 'usage' }, 'usage reconcile on Redis failed');
        }
      }
      counter = Math.max(memory.get(key) ?? 0, clickhouse);
      memory.set(key, counter);
      return { counter, clickhouse };
    },
    async warnIfNear(clientId, month, metric, value, limit) {
      if (limit === null || limit <= 0) return null;
      const percent = Math.floor((value * 100) / limit);
      const crossed = WARNING_THRESHOLDS.filter((t) => percent >= t).at(-1) ?? null;
      if (crossed !== null) await notice(clientId, month, metric, crossed, value, limit);
      return crossed;
    },
    async reconcileAll() {
      const month = monthOf(now());
      const clients = await deps.db
        .selectFrom('clients')
        .select('id')
        .where('status', '=', 'active')
        .execute();
      for (const c of clients) await this.reconcile(c.id as string, month);
      return clients.length;
    },
    async notices(clientId, month) {
      const rows = await deps.db
        .selectFrom('usage_notices')
        .select(['metric', 'threshold', 'created_at'])
        .where('client_id', '=', clientId)
        .where('month', '=', month)
        .orderBy('created_at')
        .execute();
      return rows.map((r) => ({
        metric: r.metric as string,
        threshold: Number(r.threshold),
        at: (r.created_at as Date).toISOString(),
      }));
    },
  };
}

/** Events accepted in a month (by receipt time), exactly (uniqExact: duplicates of a row count once). */
export async function countAcceptedEvents(ch: ClickHouse, clientId: string, month: string): Promise<number> {
  const { from, to } = monthRange(month);
  const [row] = await ch.query<{ n: string }>(
    chSql`SELECT uniqExact(event_id) AS n FROM events WHERE client_id = ${clientId} AND received_at >= ${from} AND received_at < ${to}`,
  );
  return Number(row?.n ?? 0);
}

/** Distinct participants with an event in the month (by when it happened). */
export async function countActiveParticipants(
  ch: ClickHouse,
  clientId: string,
  month: string,
): Promise<number> {
  const { from, to } = monthRange(month);
  const [row] = await ch.query<{ n: string }>(
    chSql`SELECT uniq(participant_id) AS n FROM events WHERE client_id = ${clientId} AND participant_id != '' AND occurred_at >= ${from} AND occurred_at < ${to}`,
  );
  return Number(row?.n ?? 0);
}
