import { ApplicationFailure } from '@temporalio/workflow';
import { durationFrom, toDuration } from '../../contract/duration.ts';
import type { DurationExpr, Expr } from '../../contract/plan.ts';
import type { Runtime } from './runtime.ts';

/**
 * Milliseconds of a DurationExpr: a number, or an expression yielding ms or a duration text ("3d", "1y").
 * A calendar duration (months, years) is measured from the workflow's own clock (Date.now() in the
 * workflow sandbox is the deterministic workflow time), so "1mo" on Jan 31 sleeps until Feb 28/29 and a
 * replay computes the same timer. Plans recorded before calendar units existed only hold fixed lengths,
 * for which this returns exactly what it did before.
 */
export function resolveDuration(rt: Runtime, value: DurationExpr, path: string): number {
  const raw = typeof value === 'number' ? value : rt.eval(value, path);
  const d = toDuration(raw);
  if (d === null) {
    throw ApplicationFailure.nonRetryable(
      `step ${path}: ${JSON.stringify(raw)} is not a duration (ms or text like "3d", "1mo", "1y")`,
      'INVALID_DURATION',
      { path },
    );
  }
  return d.months === 0 ? d.ms : durationFrom(Date.now(), d);
}

/** Epoch ms of an `until` expression yielding an ISO date or epoch ms. */
export function resolveInstant(rt: Runtime, value: Expr, path: string): number {
  const raw = rt.eval(value, path);
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw ApplicationFailure.nonRetryable(
      `step ${path}: ${JSON.stringify(raw)} is not a date (ISO text or epoch ms)`,
      'INVALID_DATE',
      { path },
    );
  }
  return ms;
}
