import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Cron } from 'croner';
import type { ScriptedDecision } from '../contract/generated/simulation-script.generated.ts';
import type {
  ApprovalDecisionInput,
  CampaignRef,
  JourneyEvent,
  JourneyOutcome,
  Plan,
} from '../contract/plan.ts';
import { journeyWorkflowId, routedEvents } from '../contract/plan.ts';
import { scheduledRunInput, scheduledWorkflowId } from '../contract/schedule.ts';
import type { EngineInput, EngineOptions } from './interpreter/types.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { createRouter } from './router.ts';
import {
  anniversaryJourneysQuery,
  approvalUpdate,
  RUN_CAMPAIGN,
  statusQuery,
  traceQuery,
} from './signals.ts';
import { createFakeActivities, type EligibilityJudge } from './simulation/fake-activities.ts';
import { formatTrace } from './simulation/format.ts';
import { offsetMs, type SimulationScript } from './simulation/script.ts';
import { createTimeSkippingEnv } from './simulation/time-skipping.ts';
import { createWorker } from './worker.ts';

export type { EligibilityJudge, EligibilityVerdict } from './simulation/fake-activities.ts';
export { formatTrace, journeyFailed } from './simulation/format.ts';
export type { SimulationScript } from './simulation/script.ts';

/** One scripted event as delivered: when (virtual time) and what the router did with it. */
import type {
  DeliveredDecision,
  DeliveredEvent,
  JourneyReport,
  SimulationTrace,
} from './simulation/trace.ts';

export type { DeliveredDecision, DeliveredEvent, JourneyReport, SimulationTrace };

export interface SimulateOptions {
  /** A time-skipping environment to reuse (tests); by default one is started and torn down. */
  env?: TestWorkflowEnvironment;
  /** Prints the formatted trace through this function (the CLI passes console.log). */
  print?: (text: string) => void;
  /** Keep each journey's event history (for replay tests: engine/record-histories.ts). */
  histories?: boolean;
  /** Engine knobs for the journeys (e.g. a low continue-as-new threshold). */
  engineOptions?: EngineOptions;
  /**
   * The campaign's real eligibility rules (segments, reward rules): CheckEligibility and AllocateReward
   * answer from them instead of always-eligible fakes. `pulse simulate` passes the reward service's
   * database-free evaluator; the engine cannot import a service, so it is given, not built here.
   */
  eligibility?: EligibilityJudge;
}

type RunCampaign = (input: EngineInput) => Promise<JourneyOutcome>;

const DEFAULT_HORIZON_MS = 400 * 86_400_000;
let simulations = 0;

/**
 * Runs a plan on the time-skipping test server with fake activities, delivering the scripted events
 * through the real router (trigger `when`, journey key, waitsFor), skipping virtual time between them,
 * then lets the journey run to its end (or the horizon). Weeks of waits take milliseconds.
 */
export async function simulate(
  plan: Plan,
  script: SimulationScript,
  opts: SimulateOptions = {},
): Promise<SimulationTrace> {
  quietTemporalRuntime();
  const env = opts.env ?? (await createTimeSkippingEnv());
  try {
    const trace = await run(env, plan, script, opts);
    opts.print?.(formatTrace(trace));
    return trace;
  } finally {
    if (!opts.env) await env.teardown();
  }
}

async function run(
  env: TestWorkflowEnvironment,
  basePlan: Plan,
  script: SimulationScript,
  opts: SimulateOptions,
): Promise<SimulationTrace> {
  simulations += 1;
  const plan: Plan = { ...basePlan, settings: { ...basePlan.settings, ...script.settings } };
  const campaign: CampaignRef = {
    clientId: 'sim-client',
    campaignId: `sim-${plan.id}`,
    version: 1,
    pulse: plan.pulse,
    ...script.campaign,
  };
  const taskQueue = `simulate-${process.pid}-${simulations}`;
  // Like the campaign service's index: only trigger and waited-for names reach the router.
  const listens = routedEvents(plan);
  const fakes = createFakeActivities(
    script.activities ?? {},
    opts.eligibility ? { judge: opts.eligibility } : {},
  );
  const worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: fakes.activities,
  });
  const router = createRouter({
    client: env.client,
    taskQueue,
    campaigns: {
      forEvent: async (clientId, name) =>
        clientId === campaign.clientId && listens.has(name) ? [{ campaign, plan }] : [],
    },
    ...(opts.engineOptions ? { engineOptions: opts.engineOptions } : {}),
  });

  const start = await env.currentTimeMs();
  const events: DeliveredEvent[] = [];
  const decisions: DeliveredDecision[] = [];
  const journeyIds: string[] = [];

  const horizon = offsetMs(script.horizon) ?? DEFAULT_HORIZON_MS;
  // A scheduled plan: its firings within the horizon (bounded), in the schedule's time zone, each
  // starting the same campaign-level journey the Temporal Schedule starts on the real stack.
  const firings = plan.trigger.schedule ? scheduleFirings(plan.trigger.schedule, start, horizon) : [];

  const fire = async (offset: number) => {
    const at = new Date(start + offset).toISOString();
    const workflowId = `${scheduledWorkflowId(campaign)}-${at}`;
    const input: EngineInput = scheduledRunInput(plan, campaign, at);
    if (opts.engineOptions) input.options = opts.engineOptions;
    await env.client.workflow.start<RunCampaign>(RUN_CAMPAIGN, { taskQueue, workflowId, args: [input] });
    journeyIds.push(workflowId);
  };

  const drive = async (): Promise<JourneyReport[]> => {
    let elapsed = 0;
    let fired = 0;
    const fireUntil = async (offset: number) => {
      while (fired < firings.length && firings[fired]! <= offset) {
        const next = firings[fired]!;
        if (next > elapsed) await env.sleep(next - elapsed);
        elapsed = Math.max(elapsed, next);
        await fire(next);
        fired += 1;
      }
    };
    // Schedule firings due by then come first, then the scripted item at its instant.
    const advance = async (target: number): Promise<string> => {
      await fireUntil(target);
      if (target > elapsed) await env.sleep(target - elapsed);
      elapsed = Math.max(elapsed, target);
      return new Date(start + elapsed).toISOString();
    };
    // Events keep their order ("same time as the previous one" by default); a decision runs after the
    // events of its instant.
    const timeline = scheduleOf(script);
    for (const item of timeline) {
      if (item.kind === 'decision') {
        const at = await advance(item.offsetMs);
        decisions.push(await decide(env, campaign, journeyIds, item.decision, item.offsetMs, at));
        continue;
      }
      const i = item.index;
      const scripted = item.event;
      const at = await advance(item.offsetMs);
      const event: JourneyEvent = {
        event_id: `sim-${simulations}-${i + 1}`,
        occurred_at: at,
        client_id: campaign.clientId,
        ...scripted.event,
      };
      const routes = await router.route(event);
      events.push({ offsetMs: elapsed, at, event, routes });
      for (const r of routes)
        if (r.action === 'started' && r.workflowId && !journeyIds.includes(r.workflowId)) {
          journeyIds.push(r.workflowId);
        }
    }
    // One unlocking call at a time: the test server counts time-skipping unlocks, and two at once
    // (say, a result() beside a sleep()) let time run past in-flight workflow tasks, which then expire.
    await fireUntil(horizon);
    await env.sleep(Math.max(0, horizon - elapsed));
    const reports: JourneyReport[] = [];
    for (const id of await journeysOf(env, journeyIds))
      reports.push(await settle(env, id, opts.histories ?? false));
    return reports;
  };

  const journeys = await worker.runUntil(drive());
  const ids = new Set(journeys.map((j) => j.workflowId));
  const activities = fakes.calls.filter((c) => ids.has(c.workflowId.split('/call/')[0] ?? c.workflowId));
  const trace: SimulationTrace = {
    pulse: plan.pulse,
    startedAt: new Date(start).toISOString(),
    events,
    journeys,
    activities,
  };
  if (decisions.length > 0) trace.decisions = decisions;
  const verdicts = fakes.verdicts.filter((v) => ids.has(v.workflowId.split('/call/')[0] ?? v.workflowId));
  if (opts.eligibility) trace.eligibility = verdicts;
  return trace;
}

type TimelineItem =
  | { kind: 'event'; offsetMs: number; index: number; event: SimulationScript['events'][number] }
  | { kind: 'decision'; offsetMs: number; decision: ScriptedDecision };

function scheduleOf(script: SimulationScript): TimelineItem[] {
  const items: TimelineItem[] = [];
  let last = 0;
  for (const [index, event] of script.events.entries()) {
    last = Math.max(last, offsetMs(event.at) ?? last);
    items.push({ kind: 'event', offsetMs: last, index, event });
  }
  for (const decision of script.decisions ?? [])
    items.push({ kind: 'decision', offsetMs: offsetMs(decision.at) ?? 0, decision });
  // Stable: same-instant events keep their order, and decisions (pushed last) follow them.
  return items
    .map((item, order) => ({ item, order }))
    .sort((a, b) => a.item.offsetMs - b.item.offsetMs || a.order - b.order)
    .map(({ item }) => item);
}

/** Sends one scripted decision as the `approval` update; a refusal is reported, not thrown. */
async function decide(
  env: TestWorkflowEnvironment,
  campaign: CampaignRef,
  journeyIds: string[],
  d: ScriptedDecision,
  offset: number,
  at: string,
): Promise<DeliveredDecision> {
  const workflowId = d.journey !== undefined ? journeyWorkflowId(campaign, d.journey) : journeyIds[0];
  const delivered: DeliveredDecision = {
    offsetMs: offset,
    at,
    task: d.task,
    decision: d.decision,
    result: 'accepted',
  };
  if (!workflowId) return { ...delivered, result: 'no journey' };
  delivered.workflowId = workflowId;
  const input: ApprovalDecisionInput = {
    task: d.task,
    decision: d.decision,
    decidedBy: d.by ?? 'member:simulator',
    role: d.role ?? 'owner',
  };
  if (d.reason !== undefined) input.reason = d.reason;
  try {
    await env.client.workflow.getHandle(workflowId).executeUpdate(approvalUpdate, { args: [input] });
  } catch (err) {
    const cause = err instanceof WorkflowUpdateFailedError ? err.cause : err;
    const code = cause instanceof ApplicationFailure ? cause.type : undefined;
    delivered.result =
      code === 'APPROVAL_ALREADY_DECIDED' ? 'already decided' : `refused: ${code ?? String(cause)}`;
  }
  return delivered;
}

/** At most this many firings of a schedule are simulated (a weekly cron over the default horizon: 10). */
export const MAX_SIMULATED_FIRINGS = 10;

/** Offsets (ms from `start`) of a schedule's firings within the horizon, by croner in its time zone. */
export function scheduleFirings(
  schedule: { cron: string; timezone?: string },
  start: number,
  horizon: number,
): number[] {
  const cron = new Cron(schedule.cron, {
    paused: true,
    mode: '5-part',
    timezone: schedule.timezone ?? 'UTC',
  });
  return cron
    .nextRuns(MAX_SIMULATED_FIRINGS, new Date(start))
    .map((d) => d.getTime() - start)
    .filter((offset) => offset <= horizon);
}

/**
 * The journeys to report: an anniversary keeper (`trigger.anniversary`) stands for the period journeys
 * it started (it is stopped: it would sleep to the next date forever); every other id is a journey.
 */
async function journeysOf(env: TestWorkflowEnvironment, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    if (!id.startsWith(ANNIVERSARY_PREFIX)) {
      out.push(id);
      continue;
    }
    const keeper = env.client.workflow.getHandle(id);
    for (const child of await keeper.query(anniversaryJourneysQuery))
      if (!out.includes(child)) out.push(child);
    if ((await keeper.describe()).status.name === 'RUNNING')
      await keeper.terminate('simulation horizon reached');
  }
  return out;
}

const ANNIVERSARY_PREFIX = 'pulse-anniversary:';

/** After the horizon: the journey's outcome, or its state if it is still running (then terminated). */
async function settle(
  env: TestWorkflowEnvironment,
  workflowId: string,
  keepHistory: boolean,
): Promise<JourneyReport> {
  const handle = env.client.workflow.getHandle(workflowId);
  const status = await handle.query(statusQuery);
  const steps = await handle.query(traceQuery);
  const report: JourneyReport = { workflowId, unfinished: false, status, steps };
  if (keepHistory) report.history = await handle.fetchHistory();
  if ((await handle.describe()).status.name === 'RUNNING') {
    report.unfinished = true;
    await handle.terminate('simulation horizon reached');
    return report;
  }
  try {
    report.outcome = await handle.result();
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    report.failure = {
      type: (cause as { type?: string } | undefined)?.type ?? 'WORKFLOW_FAILED',
      message: cause?.message ?? String(err),
    };
  }
  return report;
}
