import type { Client } from '@temporalio/client';
import type { ClickHouse } from '../../platform/clickhouse.ts';
import type { Db } from '../../platform/db.ts';
import { countActiveParticipants, type UsageMeter } from './meter.ts';
import { monthRange, type Plan, planOf, USAGE_METRICS, type UsageMetric } from './plans.ts';

/** What other services count for the meter (the composition root wires them). */
export interface UsageSources {
  /** Journeys (workflow executions) started for the client in `[from, to)`. */
  journeysStarted(clientId: string, from: Date, to: Date): Promise<number>;
  /** Rewards allocated to the client's participants in `[from, to)`. */
  rewardsIssued(clientId: string, from: Date, to: Date): Promise<number>;
}

export interface MonthUsage {
  client_id: string;
  month: string;
  plan: string;
  period: { from: string; to: string };
  metrics: Record<UsageMetric, { value: number; limit: number | null; percent: number | null }>;
  /** The ingest's live counter of accepted events (ClickHouse lags it by the outbox). */
  live_events_counter: number;
  notices: { metric: string; threshold: number; at: string }[];
}

/** Journeys started, counted by Temporal's visibility store (the journeys' `client_id` attribute). */
export function temporalJourneyCounter(temporal: Client): UsageSources['journeysStarted'] {
  return async (clientId, from, to) => {
    const lit = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const query = `client_id = ${lit(clientId)} AND StartTime >= ${lit(from.toISOString())} AND StartTime < ${lit(to.toISOString())}`;
    const r = await temporal.workflowService.countWorkflowExecutions({
      namespace: temporal.options.namespace,
      query,
    });
    return Number(r.count ?? 0);
  };
}

/** One client's usage of one month, from ClickHouse (events, participants), Temporal and Postgres. */
export async function monthUsage(
  deps: { db: Db; ch: ClickHouse; meter: UsageMeter; sources: UsageSources; plans?: Record<string, Plan> },
  clientId: string,
  month: string,
): Promise<MonthUsage> {
  const { from, to } = monthRange(month);
  const client = await deps.db
    .selectFrom('clients')
    .select('plan')
    .where('id', '=', clientId)
    .executeTakeFirst();
  const plan = planOf(client?.plan as string | undefined, deps.plans);
  const reconciled = await deps.meter.reconcile(clientId, month);
  const [participants, journeys, rewards] = await Promise.all([
    countActiveParticipants(deps.ch, clientId, month),
    deps.sources.journeysStarted(clientId, from, to),
    deps.sources.rewardsIssued(clientId, from, to),
  ]);
  const values: Record<UsageMetric, number> = {
    events_accepted: reconciled.clickhouse,
    monthly_active_participants: participants,
    journeys_started: journeys,
    rewards_issued: rewards,
  };
  const metrics = Object.fromEntries(
    USAGE_METRICS.map((m) => {
      const limit = plan.limits[m];
      const value = values[m];
      return [m, { value, limit, percent: limit === null ? null : Math.floor((value * 100) / limit) }];
    }),
  ) as MonthUsage['metrics'];
  // Participants, journeys and rewards are not refused on the hot path; their warnings go out when metered.
  for (const m of USAGE_METRICS)
    if (m !== 'events_accepted')
      await deps.meter.warnIfNear(clientId, month, m, metrics[m].value, metrics[m].limit);
  return {
    client_id: clientId,
    month,
    plan: plan.name,
    period: { from: from.toISOString(), to: to.toISOString() },
    metrics,
    live_events_counter: reconciled.counter,
    notices: await deps.meter.notices(clientId, month),
  };
}
