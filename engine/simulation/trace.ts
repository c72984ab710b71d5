import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { JourneyEvent, JourneyOutcome } from '../../contract/plan.ts';
import type { JourneyStatus, TraceRecord } from '../interpreter/types.ts';
import type { RouteResult } from '../router.ts';
import type { ActivityCall, EligibilityVerdict } from './fake-activities.ts';

/** What a simulation reports: each delivered event with its routing, and each journey's outcome and trace. */
export interface DeliveredEvent {
  offsetMs: number;
  at: string;
  event: JourneyEvent;
  routes: RouteResult[];
}

/** One scripted approval decision as sent: when, to which journey, and how the journey answered. */
export interface DeliveredDecision {
  offsetMs: number;
  at: string;
  workflowId?: string;
  task: string;
  decision: 'approve' | 'reject';
  /** `accepted`, `already decided`, `refused: <code>` (CONFLICT, FORBIDDEN, NOT_FOUND) or `no journey`. */
  result: string;
}

/** One journey the script started: its outcome (or failure), last status and step trace. */
export interface JourneyReport {
  workflowId: string;
  outcome?: JourneyOutcome;
  failure?: { type: string; message: string };
  /** True when the journey was still running at the horizon (then terminated). */
  unfinished: boolean;
  /** The journey's (last run's) event history, when asked for. */
  history?: History;
  status: JourneyStatus;
  steps: TraceRecord[];
}

export interface SimulationTrace {
  pulse: string;
  startedAt: string;
  events: DeliveredEvent[];
  journeys: JourneyReport[];
  /** Every activity call of those journeys and their children, in call order. */
  activities: ActivityCall[];
  /** Scripted approval decisions, when the script has any. */
  decisions?: DeliveredDecision[];
  /** Verdicts of the campaign's eligibility rules, when the simulation judged with them. */
  eligibility?: EligibilityVerdict[];
}
