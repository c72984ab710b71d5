import type {
  ApprovalTaskView,
  EndStatus,
  JourneyEvent,
  JourneyOutcome,
  RunCampaignInput,
  Step,
} from '../../contract/plan.ts';
import type { Flow } from './flow.ts';

/**
 * Engine-only knobs a caller may add to the workflow input. Kept out of `contract/plan.ts` (the DSL
 * contract) on purpose: the router never sets them; tests and the benchmark do.
 */
export interface EngineOptions {
  /** Continue-as-new at the next safe point once history has this many events. Default 10,000. */
  historyThreshold?: number;
  /** Maximum trace records kept for the `trace` query. Default 500. */
  traceLimit?: number;
}

/** One step of the path from the plan root to a safe point (see executor `resume` arguments). */
export type ResumeFrame =
  /** Index of a step inside the current step list. */
  | { step: number }
  /** Which list of a branching step (`if`: then/else, `switch`: case index or default, `wait`: then/onTimeout, `approval`: then/onReject/onTimeout). */
  | { branch: 'then' | 'else' | 'onTimeout' | 'onReject' | 'default' | number }
  /** A loop iteration, with the loop's bounds frozen when the loop started. */
  | { iteration: number; count?: number; items?: unknown[] };

/** What continue-as-new carries in `RunCampaignInput.resume`. */
export interface ResumeState {
  path: ResumeFrame[];
  vars: Record<string, unknown>;
  inbox: JourneyEvent[];
  /** Recently seen event ids (bounded): dedupe survives continue-as-new. */
  seen: string[];
  startedAt: string;
  /** How many times this journey continued as new (for traces and tests). */
  generation: number;
  /** Compensations registered by completed `do` steps, oldest first (absent when none). */
  compensations?: Compensation[];
  /** Decided approval tasks (bounded), so a repeated decision stays harmless after continue-as-new. */
  approvals?: ApprovalTaskView[];
}

/** One registered compensation (saga.ts): the activity and its input, evaluated when the step completed. */
export interface Compensation {
  path: string;
  stepId: string;
  activity: string;
  input: unknown;
}

/**
 * The workflow's input as the engine reads it: the DSL contract plus engine-only fields. `vars` seeds the
 * scope of a child journey started by a `call` step (its evaluated `input` arrives as `vars.input`).
 */
export type EngineInput = RunCampaignInput & { options?: EngineOptions; vars?: Record<string, unknown> };

export type JourneyState = 'running' | 'waiting' | 'sleeping' | 'finished';

/** Answer of the `status` query. */
export interface JourneyStatus {
  state: JourneyState;
  currentStep: string | null;
  waitingFor: string[] | null;
  vars: Record<string, unknown>;
  outcome?: JourneyOutcome;
  generation: number;
}

export type TraceKind =
  | 'enter'
  | 'exit'
  | 'activity'
  | 'activity-failed'
  | 'wait'
  | 'matched'
  | 'timeout'
  | 'timer'
  | 'branch'
  | 'child'
  | 'continue-as-new'
  | 'end'
  | 'raise'
  | 'caught'
  | 'uncaught'
  | 'compensate'
  | 'approval'
  | 'escalated'
  | 'decided';

/** One record of the `trace` query: what the interpreter did, in workflow time. */
export interface TraceRecord {
  at: string;
  kind: TraceKind;
  /** Step path, e.g. `notify.email/email-both` or `offers#2/send`. */
  path: string;
  step?: string;
  detail?: Record<string, unknown>;
}

/** Thrown (never as an Error) by an `end` step; unwinds to `runCampaign`, which returns the outcome. */
export class JourneyEnd {
  constructor(
    readonly status: EndStatus,
    readonly reason: unknown,
  ) {}
}

/** Runs a list of steps; container executors receive it instead of importing the dispatcher (no cycle). */
export type RunSteps = (steps: Step[], loc: Loc, resume?: ResumeFrame[]) => Flow;

/** Where a step runs: its resume path from the plan root and its idempotency prefix. */
export interface Loc {
  frames: ResumeFrame[];
  /** Prefix of step paths: parallel branches (`par.branch/`) and loop iterations (`loop#2/`). */
  prefix: string;
  /** Continue-as-new is never taken inside a parallel branch: siblings could be mid-flight. */
  inParallel: boolean;
}

export const ROOT: Loc = { frames: [], prefix: '', inParallel: false };
