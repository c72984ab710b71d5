import {
  ContinueAsNew,
  defaultPayloadConverter,
  type Next,
  proxySinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
  workflowInfo,
} from '@temporalio/workflow';
import { CORRELATION_HEADER_KEY, CORRELATION_MEMO_KEY, type JourneySinks } from '../contract/correlation.ts';

/**
 * Workflow interceptors of the bundle (engine/worker.ts registers this module). Neither adds a command
 * nor changes one the interpreter issues: headers are not part of replay's determinism check, and sink
 * calls are side channels skipped on replay, so recorded histories replay unchanged.
 */
const sinks = proxySinks<JourneySinks>();
/** engine/signals.ts RUN_ANNIVERSARIES (not imported: signals.ts pulls the interpreter's types in). */
const ANNIVERSARY_KEEPER = 'runAnniversaries';

/** The correlation id the router put in the memo (journeys started before it have none). */
function correlationId(): string | undefined {
  const value = workflowInfo().memo?.[CORRELATION_MEMO_KEY];
  return typeof value === 'string' ? value : undefined;
}

const outbound: WorkflowOutboundCallsInterceptor = {
  scheduleActivity(input, next) {
    const id = correlationId();
    if (id === undefined) return next(input);
    return next({
      ...input,
      headers: { ...input.headers, [CORRELATION_HEADER_KEY]: defaultPayloadConverter.toPayload(id) },
    });
  },
};

/** The journey's pulse as the router labels its start: the campaign's (the plan's as a fallback). */
function pulseOf(args: readonly unknown[]): string {
  const input = args[0] as { campaign?: { pulse?: unknown }; plan?: { pulse?: unknown } } | undefined;
  const pulse = input?.campaign?.pulse ?? input?.plan?.pulse;
  return typeof pulse === 'string' ? pulse : 'unknown';
}

/**
 * Skipped on replay (a replayed start or end already happened; a replay worker has no sinks). A run
 * continued-as-new is the same journey: its start is not counted again, as its predecessor's
 * continue-as-new was not counted as an end.
 */
function reportStarted(pulse: string): void {
  const info = workflowInfo();
  if (!info.unsafe.isReplaying && !info.continuedFromExecutionRunId) sinks.journeys.started(pulse);
}
function reportFinished(pulse: string, status: string): void {
  if (!workflowInfo().unsafe.isReplaying) sinks.journeys.finished(pulse, status);
}

const inbound: WorkflowInboundCallsInterceptor = {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    // An anniversary keeper is not a journey: only the period journeys it starts are counted.
    if (workflowInfo().workflowType === ANNIVERSARY_KEEPER) return next(input);
    const pulse = pulseOf(input.args);
    reportStarted(pulse);
    try {
      const outcome = (await next(input)) as { status?: unknown } | undefined;
      reportFinished(pulse, typeof outcome?.status === 'string' ? outcome.status : 'completed');
      return outcome;
    } catch (err) {
      // Continue-as-new is the same journey going on in a fresh run, not an end.
      if (!(err instanceof ContinueAsNew)) reportFinished(pulse, 'failed');
      throw err;
    }
  },
};

export const interceptors = (): WorkflowInterceptors => ({ inbound: [inbound], outbound: [outbound] });
