import { ApplicationFailure, type ChildWorkflowHandle, type Workflow } from '@temporalio/workflow';
import { ExpressionError, evaluate, isTruthy } from '../../contract/expr.ts';
import { type Period, periodOf } from '../../contract/period.ts';
import type { Expr, JourneyEvent, JourneyOutcome, Plan, Step } from '../../contract/plan.ts';
import { eventSignal } from '../signals.ts';
import { Approvals } from './approvals.ts';
import type { Inbox } from './inbox.ts';
import type {
  Compensation,
  EngineInput,
  JourneyState,
  JourneyStatus,
  Loc,
  TraceKind,
  TraceRecord,
} from './types.ts';

export { type Loc, ROOT } from './types.ts';

export function stepPath(loc: Loc, step: Step): string {
  return loc.prefix + step.id;
}

/** The mutable state of one journey run, shared by every executor. */
export class Runtime {
  readonly plan: Plan;
  readonly workflowId: string;
  readonly vars: Record<string, unknown>;
  now = '';
  state: JourneyState = 'running';
  currentStep: string | null = null;
  waitingFor: string[] | null = null;
  outcome: JourneyOutcome | undefined;
  /** Running children of `call` steps, with the event names their plans wait for. */
  readonly children = new Set<{ handle: ChildWorkflowHandle<Workflow>; waitsFor: ReadonlySet<string> }>();
  /** Saga: compensations of completed `do` steps, oldest first (engine/interpreter/saga.ts). */
  compensations: Compensation[] = [];
  /** Approval tasks of this journey (engine/interpreter/approval.ts). */
  approvals = new Approvals();
  /** Set once a step ran in this run, so a resumed run never continues-as-new before making progress. */
  madeProgress = false;
  private readonly traceLog: TraceRecord[] = [];
  private readonly journey: { key: string; workflowId: string; startedAt: string };
  /** `period.year|month|week|day` of the journey: the same period its key was made from. */
  private readonly period: Period;
  private base: Record<string, unknown> = {};
  private readonly traceLimit: number;

  constructor(
    readonly input: EngineInput,
    workflowId: string,
    readonly inbox: Inbox,
    readonly startedAt: string,
    vars: Record<string, unknown>,
    readonly generation: number,
  ) {
    this.plan = input.plan;
    this.workflowId = workflowId;
    this.vars = vars;
    this.traceLimit = input.options?.traceLimit ?? 500;
    this.journey = { key: input.journeyKey, workflowId, startedAt };
    this.period = journeyPeriod(input, startedAt);
    this.refreshNow();
  }

  /** The `event` signal: into the inbox (deduplicated) and on to any child that waits for it. */
  receive(event: JourneyEvent): void {
    if (!isEvent(event)) {
      this.trace('wait', 'signal', undefined, { ignored: 'malformed event' });
      return;
    }
    if (this.inbox.push(event) === 'duplicate') return;
    for (const child of this.children) {
      // A child that already finished rejects the signal; that is not this journey's failure.
      if (child.waitsFor.has(event.event)) child.handle.signal(eventSignal, event).catch(() => undefined);
    }
  }

  /** `now` is workflow time (deterministic on replay), refreshed before each step. */
  refreshNow(): void {
    this.now = new Date().toISOString();
    this.base = {
      event: this.input.trigger,
      settings: this.plan.settings,
      rewards: this.plan.rewards,
      segments: this.plan.segments,
      campaign: this.input.campaign,
      journey: this.journey,
      now: this.now,
      period: this.period,
    };
  }

  /** The expression scope: fixed journey data, then the variables (Object.assign: hot path). */
  scope(): Record<string, unknown> {
    return Object.assign({}, this.base, this.vars);
  }

  /** Evaluates an expression; a broken expression fails the journey (the pinned plan cannot heal). */
  eval(expr: Expr, path: string, scope: Record<string, unknown> = this.scope()): unknown {
    try {
      return evaluate(expr, scope);
    } catch (err) {
      if (err instanceof ExpressionError) {
        throw ApplicationFailure.nonRetryable(`step ${path}: ${err.message}`, 'EXPRESSION_FAILED', {
          path,
        });
      }
      throw err;
    }
  }

  test(expr: Expr, path: string, scope?: Record<string, unknown>): boolean {
    return isTruthy(this.eval(expr, path, scope));
  }

  trace(kind: TraceKind, path: string, step?: string, detail?: Record<string, unknown>): void {
    const record: TraceRecord = { at: new Date().toISOString(), kind, path };
    if (step !== undefined) record.step = step;
    if (detail !== undefined) record.detail = detail;
    this.traceLog.push(record);
    if (this.traceLog.length > this.traceLimit) this.traceLog.shift();
  }

  traceRecords(): TraceRecord[] {
    return [...this.traceLog];
  }

  status(): JourneyStatus {
    const status: JourneyStatus = {
      state: this.state,
      currentStep: this.currentStep,
      waitingFor: this.waitingFor,
      vars: this.vars,
      generation: this.generation,
    };
    if (this.outcome) status.outcome = this.outcome;
    return status;
  }
}

function isEvent(value: unknown): value is JourneyEvent {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return typeof e.event === 'string' && typeof e.event_id === 'string' && e.event_id !== '';
}

/**
 * The period a journey belongs to, as the router computed it for the key: the trigger's server time
 * (received_at, then occurred_at) in UTC; an anniversary journey's is its date, and a scheduled run's its
 * firing, in the trigger's time zone. Derived from the input only, so it is the same on replay and after continue-as-new. Plans
 * compiled before `period` was readable in steps could not name it (the validator reserved nothing and
 * knew no such root), and a variable of that name still wins over it: no recorded journey changes.
 */
function journeyPeriod(input: EngineInput, startedAt: string): Period {
  const t = input.trigger;
  const anniversary = input.plan.trigger.anniversary;
  const at = anniversary ? t.occurred_at : (t.received_at ?? t.occurred_at);
  const ms = at === undefined ? Number.NaN : Date.parse(at);
  const zone = anniversary?.timezone ?? input.plan.trigger.schedule?.timezone ?? 'UTC';
  return periodOf(Number.isFinite(ms) ? ms : Date.parse(startedAt), zone);
}
