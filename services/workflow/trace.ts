import { type Client, isGrpcServiceError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import { AppError } from '../../contract/errors.ts';
import type { JourneyTrace, JourneyTraceEntry } from '../../contract/generated/api.generated.ts';
import { intParam } from '../platform/params.ts';
import { maskText, summarize } from './redact.ts';

type HistoryEvent = proto.api.history.v1.IHistoryEvent;
type Failure = proto.api.failure.v1.IFailure | null | undefined;
type Payloads = proto.api.common.v1.IPayloads | null | undefined;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

/**
 * A run holds at most the engine's continue-as-new threshold of events (10,000 by default), so reading
 * the whole run and paging the entries is bounded; past this many events the trace stops (`truncated`).
 */
export const MAX_HISTORY_EVENTS = 10_000;
const HISTORY_PAGE = 1_000;
/** The whole read (every history page and the pending-activity lookup) must finish by then: else 503. */
const DEADLINE_MS = 5_000;
const FIRST_CALL_MS = 2_000;

export interface TraceQuery {
  runId?: string;
  after: number;
  limit: number;
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const invalid = (path: string, message: string, expected: string) =>
  new AppError('VALIDATION_FAILED', 'invalid query parameter', [{ path, message, expected }]);

/** `run_id`, `starting_after` (`<run id>.<seq>`, the previous page's `next_cursor`) and `limit`. */
export function parseTraceQuery(q: (k: string) => string | undefined): TraceQuery {
  const query: TraceQuery = {
    after: 0,
    limit: intParam(q('limit'), 'limit', { min: 1, max: 100, fallback: 20 }),
  };
  const runId = q('run_id');
  if (runId !== undefined && runId !== '') {
    if (!RUN_ID.test(runId)) throw invalid('run_id', 'not a run id', 'a run id of this journey');
    query.runId = runId;
  }
  const cursor = q('starting_after');
  if (cursor !== undefined && cursor !== '') {
    const m = /^([0-9a-f-]{36})\.(\d{1,9})$/.exec(cursor);
    if (!m || !RUN_ID.test(m[1] ?? ''))
      throw invalid('starting_after', 'not a cursor of this trace', 'the next_cursor of a previous page');
    if (query.runId && query.runId !== m[1])
      throw invalid('starting_after', 'belongs to another run', 'a cursor of the run named by run_id');
    query.runId = m[1] as string;
    query.after = Number(m[2]);
  }
  return query;
}

function iso(t: Timestamp): string | null {
  if (!t || t.seconds === undefined || t.seconds === null) return null;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

function ms(d: Timestamp): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/** The payloads' values (the default JSON converter, as the client and worker use); undefined if unreadable. */
function decode(payloads: Payloads): unknown[] {
  return (payloads?.payloads ?? []).map((p) => {
    try {
      return defaultPayloadConverter.fromPayload(p as never);
    } catch {
      return undefined;
    }
  });
}

const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function failureOf(f: Failure): JourneyTraceEntry['error'] {
  if (!f) return null;
  const type =
    f.applicationFailureInfo?.type ??
    (f.timeoutFailureInfo ? 'TIMEOUT' : f.canceledFailureInfo ? 'CANCELLED' : null) ??
    (f.terminatedFailureInfo ? 'TERMINATED' : null);
  return { type: type || null, message: maskText(f.message ?? '', 300) };
}

/** The step id of a step path: its last segment (`offers#2/send` → `send`, `notify.email/mail` → `mail`). */
function stepOfPath(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function entry(e: HistoryEvent, kind: JourneyTraceEntry['kind'], status: string): JourneyTraceEntry {
  return {
    seq: Number(e.eventId),
    kind,
    status,
    at: iso(e.eventTime) ?? new Date(0).toISOString(),
    ended_at: null,
    duration_ms: null,
    name: null,
    step: null,
    path: null,
    attempt: null,
    summary: null,
    error: null,
    detail: {},
  };
}

function close(x: JourneyTraceEntry, e: HistoryEvent, status: string): void {
  x.status = status;
  x.ended_at = iso(e.eventTime);
  if (x.ended_at) x.duration_ms = Math.max(0, Date.parse(x.ended_at) - Date.parse(x.at));
}

/** What the run's start says about the journey (the engine's input: campaign ref, plan hash, trigger). */
export interface RunFacts {
  continuedFrom: string | null;
  campaignVersion: number | null;
  clientId: string | null;
  pulse: string | null;
  planHash: string | null;
}

/**
 * Turns a run's events into trace entries: one per activity, timer, child and update (its later events
 * fold into it by the scheduled/started/initiated event id they name), one per signal, and the run's
 * start and end. Workflow-task, marker and search-attribute events are the engine's bookkeeping and
 * are left out.
 */
export function traceEntries(
  events: HistoryEvent[],
  workflowId: string,
): { entries: JourneyTraceEntry[]; facts: RunFacts } {
  const entries: JourneyTraceEntry[] = [];
  const byEvent = new Map<number, JourneyTraceEntry>();
  const timers = new Map<string, JourneyTraceEntry>();
  const updates = new Map<string, JourneyTraceEntry>();
  const facts: RunFacts = {
    continuedFrom: null,
    campaignVersion: null,
    clientId: null,
    pulse: null,
    planHash: null,
  };
  const add = (x: JourneyTraceEntry) => {
    entries.push(x);
    byEvent.set(x.seq, x);
    return x;
  };
  const of = (id: unknown) => byEvent.get(Number(id ?? 0));
  const idPrefix = `${workflowId}/`;

  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) {
      const a = e.workflowExecutionStartedEventAttributes;
      const input = record(decode(a.input)[0]);
      const campaign = record(input.campaign);
      const trigger = record(input.trigger);
      const resume = record(input.resume);
      facts.continuedFrom = a.continuedExecutionRunId || null;
      facts.campaignVersion = typeof campaign.version === 'number' ? campaign.version : null;
      facts.clientId = str(campaign.clientId);
      facts.pulse = str(campaign.pulse);
      facts.planHash = str(record(input.plan).hash);
      const x = add(entry(e, 'started', a.continuedExecutionRunId ? 'continued' : 'started'));
      x.name = a.workflowType?.name ?? null;
      x.summary = summarize({ campaign_id: campaign.campaignId, version: campaign.version });
      x.detail = {
        trigger_event: str(trigger.event),
        trigger_event_id: str(trigger.event_id),
        generation: typeof resume.generation === 'number' ? resume.generation : 0,
        continued_from_run_id: a.continuedExecutionRunId || null,
      };
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      const ctx = record(decode(a.input)[1]);
      const x = add(entry(e, 'activity', 'scheduled'));
      x.name = a.activityType?.name ?? null;
      // The engine hands every activity its ActivityContext as the second argument: the step id and
      // the idempotency key `<workflow id>/<step path>` (compensations add `~compensate`).
      const key = str(ctx.idempotencyKey);
      x.step = str(ctx.stepId);
      x.path = key?.startsWith(idPrefix) ? key.slice(idPrefix.length) : null;
      x.detail = { activity_id: a.activityId ?? null };
      if (x.path?.endsWith('~compensate')) x.detail.compensation = true;
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      const x = of(a.scheduledEventId);
      if (x) {
        x.status = 'running';
        x.attempt = a.attempt ?? 1;
        // Temporal writes the started event once, for the attempt that finished: earlier attempts'
        // last failure rides along.
        if (a.lastFailure) x.error = failureOf(a.lastFailure);
      }
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      const x = of(a.scheduledEventId);
      if (x) {
        close(x, e, 'completed');
        x.summary = summarize(decode(a.result)[0]);
      }
    } else if (e.activityTaskFailedEventAttributes) {
      const a = e.activityTaskFailedEventAttributes;
      const x = of(a.scheduledEventId);
      if (x) {
        close(x, e, 'failed');
        x.error = failureOf(a.failure);
      }
    } else if (e.activityTaskTimedOutEventAttributes) {
      const a = e.activityTaskTimedOutEventAttributes;
      const x = of(a.scheduledEventId);
      if (x) {
        close(x, e, 'timed_out');
        x.error = failureOf(a.failure);
      }
    } else if (e.activityTaskCanceledEventAttributes) {
      const x = of(e.activityTaskCanceledEventAttributes.scheduledEventId);
      if (x) close(x, e, 'cancelled');
    } else if (e.timerStartedEventAttributes) {
      const a = e.timerStartedEventAttributes;
      const x = add(entry(e, 'timer', 'started'));
      const fires = Date.parse(x.at) + ms(a.startToFireTimeout);
      x.name = 'timer';
      x.detail = {
        timer_id: a.timerId ?? null,
        timeout_ms: ms(a.startToFireTimeout),
        fires_at: new Date(fires).toISOString(),
      };
      timers.set(a.timerId ?? '', x);
    } else if (e.timerFiredEventAttributes) {
      const x = timers.get(e.timerFiredEventAttributes.timerId ?? '');
      if (x) close(x, e, 'fired');
    } else if (e.timerCanceledEventAttributes) {
      // A wait's or approval's timeout timer is cancelled when the event or decision came first.
      const x = timers.get(e.timerCanceledEventAttributes.timerId ?? '');
      if (x) close(x, e, 'cancelled');
    } else if (e.workflowExecutionSignaledEventAttributes) {
      const a = e.workflowExecutionSignaledEventAttributes;
      const [arg] = decode(a.input);
      if (a.signalName === 'event') {
        // An event routed into the journey; its properties are the participant's data: not shown.
        const ev = record(arg);
        const x = add(entry(e, 'event', 'received'));
        x.name = str(ev.event);
        x.detail = {
          event_id: str(ev.event_id),
          trust: str(ev.trust),
          occurred_at: str(ev.occurred_at),
        };
      } else {
        const x = add(entry(e, 'signal', 'received'));
        x.name = a.signalName ?? null;
      }
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const a = e.workflowExecutionUpdateAcceptedEventAttributes;
      const name = a.acceptedRequest?.input?.name ?? null;
      const [arg] = decode(a.acceptedRequest?.input?.args);
      const x = add(entry(e, name === 'approval' ? 'approval' : 'update', 'accepted'));
      x.name = name;
      if (name === 'approval') {
        // The decision's reason is a member's free text: only whether one was given.
        const d = record(arg);
        const task = str(d.task);
        x.path = task;
        x.step = task ? stepOfPath(task) : null;
        x.detail = {
          task,
          decision: str(d.decision),
          decided_by: str(d.decidedBy),
          role: str(d.role),
          reason_given: typeof d.reason === 'string' && d.reason.length > 0,
        };
      }
      updates.set(a.protocolInstanceId ?? a.acceptedRequest?.meta?.updateId ?? '', x);
    } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
      const a = e.workflowExecutionUpdateCompletedEventAttributes;
      const x = of(a.acceptedEventId) ?? updates.get(a.meta?.updateId ?? '');
      if (x) {
        if (a.outcome?.failure) {
          close(x, e, 'failed');
          x.error = failureOf(a.outcome.failure);
        } else {
          close(x, e, 'completed');
          const result = record(decode(a.outcome?.success)[0]);
          x.summary = summarize({ state: result.state });
        }
      }
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      const a = e.startChildWorkflowExecutionInitiatedEventAttributes;
      const x = add(entry(e, 'child', 'initiated'));
      const childId = a.workflowId ?? '';
      // `call` children are `<parent id>/call/<step path>` (engine/interpreter/call.ts).
      const marker = `${idPrefix}call/`;
      x.name = a.workflowType?.name ?? null;
      x.path = childId.startsWith(marker) ? childId.slice(marker.length) : null;
      x.step = x.path ? stepOfPath(x.path) : null;
      x.detail = { workflow_id: childId };
    } else if (e.childWorkflowExecutionStartedEventAttributes) {
      const a = e.childWorkflowExecutionStartedEventAttributes;
      const x = of(a.initiatedEventId);
      if (x) {
        x.status = 'running';
        x.detail.run_id = a.workflowExecution?.runId ?? null;
      }
    } else if (e.startChildWorkflowExecutionFailedEventAttributes) {
      const x = of(e.startChildWorkflowExecutionFailedEventAttributes.initiatedEventId);
      if (x) close(x, e, 'start_failed');
    } else if (e.childWorkflowExecutionCompletedEventAttributes) {
      const a = e.childWorkflowExecutionCompletedEventAttributes;
      const x = of(a.initiatedEventId);
      if (x) {
        close(x, e, 'completed');
        const outcome = record(decode(a.result)[0]);
        x.summary = summarize({ status: outcome.status });
      }
    } else if (e.childWorkflowExecutionFailedEventAttributes) {
      const a = e.childWorkflowExecutionFailedEventAttributes;
      const x = of(a.initiatedEventId);
      if (x) {
        close(x, e, 'failed');
        x.error = failureOf(a.failure);
      }
    } else if (e.childWorkflowExecutionTimedOutEventAttributes) {
      const x = of(e.childWorkflowExecutionTimedOutEventAttributes.initiatedEventId);
      if (x) close(x, e, 'timed_out');
    } else if (e.childWorkflowExecutionCanceledEventAttributes) {
      const x = of(e.childWorkflowExecutionCanceledEventAttributes.initiatedEventId);
      if (x) close(x, e, 'cancelled');
    } else if (e.childWorkflowExecutionTerminatedEventAttributes) {
      const x = of(e.childWorkflowExecutionTerminatedEventAttributes.initiatedEventId);
      if (x) close(x, e, 'terminated');
    } else if (e.workflowExecutionContinuedAsNewEventAttributes) {
      const x = add(entry(e, 'continued_as_new', 'continued_as_new'));
      x.detail = { new_run_id: e.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId ?? null };
    } else if (e.workflowExecutionCompletedEventAttributes) {
      const x = add(entry(e, 'completed', 'completed'));
      const outcome = record(decode(e.workflowExecutionCompletedEventAttributes.result)[0]);
      x.summary = summarize({ status: outcome.status, reason: outcome.reason });
    } else if (e.workflowExecutionFailedEventAttributes) {
      const x = add(entry(e, 'failed', 'failed'));
      x.error = failureOf(e.workflowExecutionFailedEventAttributes.failure);
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      const x = add(entry(e, 'terminated', 'terminated'));
      x.summary = maskText(e.workflowExecutionTerminatedEventAttributes.reason ?? '', 120) || null;
    } else if (e.workflowExecutionCanceledEventAttributes) {
      add(entry(e, 'cancelled', 'cancelled'));
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      add(entry(e, 'timed_out', 'timed_out'));
    }
  }
  return { entries, facts };
}

/**
 * Activities still open with retries behind them (DescribeWorkflowExecution's pending activities):
 * the history has only their scheduled event until an attempt finishes, so the attempt in progress
 * and the last failure come from here.
 */
function markRetrying(
  entries: JourneyTraceEntry[],
  pending: proto.api.workflow.v1.IPendingActivityInfo[],
): void {
  const open = new Map(
    entries
      .filter((x) => x.kind === 'activity' && x.ended_at === null)
      .map((x) => [String(x.detail.activity_id ?? ''), x]),
  );
  for (const p of pending) {
    const x = open.get(p.activityId ?? '');
    if (!x) continue;
    x.attempt = p.attempt ?? x.attempt;
    if ((p.attempt ?? 1) > 1) {
      x.status = 'retrying';
      if (p.lastFailure) x.error = failureOf(p.lastFailure);
    }
  }
}

const notFound = () => new AppError('NOT_FOUND', 'no such journey');
const unavailable = () =>
  new AppError('UPSTREAM_UNAVAILABLE', 'workflow engine unavailable', [], { 'Retry-After': '5' });

/** gRPC NOT_FOUND (5), or INVALID_ARGUMENT (3) for a run id the server cannot place. */
function isMissing(err: unknown): boolean {
  return isGrpcServiceError(err) && (err.code === 5 || err.code === 3);
}

/**
 * The trace of one run of a journey (the latest unless `runId`), paged by entry `seq`. The workflow id
 * is the caller's own (derived from the principal), and the run's input must name the caller's client
 * too: a run of another tenant's workflow is a 404 like an unknown one.
 */
export async function readTrace(
  temporal: Client,
  clientId: string,
  workflowId: string,
  q: TraceQuery,
): Promise<JourneyTrace> {
  const namespace = temporal.options.namespace;
  const deadline = Date.now() + DEADLINE_MS;
  const service = temporal.workflowService;
  const execution = { workflowId, ...(q.runId ? { runId: q.runId } : {}) };
  const events: HistoryEvent[] = [];
  let truncated = false;
  let pending: proto.api.workflow.v1.IPendingActivityInfo[] = [];
  let runId = q.runId ?? '';
  try {
    // The run's id and its open activities; without `runId` this also pins the latest run, so every
    // history page below reads the same run even if the journey continues as new meanwhile. A first
    // call that takes 2 s is an outage (as for the status route); the pages share the longer deadline.
    const described = await temporal.connection.withDeadline(Date.now() + FIRST_CALL_MS, () =>
      service.describeWorkflowExecution({ namespace, execution }),
    );
    runId = described.workflowExecutionInfo?.execution?.runId ?? runId;
    pending = described.pendingActivities ?? [];
    await temporal.connection.withDeadline(deadline, async () => {
      let token: Uint8Array | undefined;
      do {
        const page = await service.getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId, runId },
          maximumPageSize: HISTORY_PAGE,
          ...(token ? { nextPageToken: token } : {}),
        });
        for (const e of page.history?.events ?? []) events.push(e);
        token = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
        if (events.length >= MAX_HISTORY_EVENTS) {
          truncated = token !== undefined || events.length > MAX_HISTORY_EVENTS;
          events.length = Math.min(events.length, MAX_HISTORY_EVENTS);
          break;
        }
      } while (token);
    });
  } catch (err) {
    if (isMissing(err)) throw notFound();
    if (err instanceof AppError) throw err;
    throw unavailable();
  }
  const { entries, facts } = traceEntries(events, workflowId);
  if (facts.clientId !== null && facts.clientId !== clientId) throw notFound();
  markRetrying(entries, pending);
  const rest = entries.filter((x) => x.seq > q.after);
  const data = rest.slice(0, q.limit);
  const last = data[data.length - 1];
  const hasMore = rest.length > data.length;
  return {
    workflow_id: workflowId,
    run_id: runId,
    namespace,
    continued_from_run_id: facts.continuedFrom,
    campaign_version: facts.campaignVersion,
    pulse: facts.pulse,
    plan_hash: facts.planHash,
    history_length: events.length,
    truncated,
    data,
    has_more: hasMore,
    next_cursor: hasMore && last ? `${runId}.${last.seq}` : null,
  };
}
