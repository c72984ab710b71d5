/**
 * How a correlation id crosses the Temporal boundary: the router stores it in the journey's memo (and a
 * search attribute) under MEMO_KEY; the workflow's outbound interceptor copies it into every activity's
 * headers under HEADER_KEY; the activity interceptor reads it back and the service client sends it as
 * X-Correlation-Id. Pure constants: the workflow bundle may import this file.
 */
export const CORRELATION_MEMO_KEY = 'correlation_id';
export const CORRELATION_HEADER_KEY = 'pulse-correlation-id';

/** Workflow sinks (calls out of the sandbox, not made during replay) the worker must provide. */
export type JourneySinks = {
  journeys: {
    /** A journey's first run began (not a continued run, not a replay). */
    started(pulse: string): void;
    /** A journey ended: its pulse and end status (completed, ended, failed…). */
    finished(pulse: string, status: string): void;
  };
};
