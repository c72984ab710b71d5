import { ApplicationFailure } from '@temporalio/workflow';
import { toDurationMs } from '../../contract/duration.ts';
import type { DurationExpr, Expr } from '../../contract/plan.ts';
import type { Runtime } from './runtime.ts';

/** Milliseconds of a DurationExpr: a number, or an expression yielding ms or a duration text ("3d"). */
export function resolveDuration(rt: Runtime, value: DurationExpr, path: string): number {
  const raw = typeof value === 'number' ? value : rt.eval(value, path);
  const ms = toDurationMs(raw);
  if (ms === null) {
    throw ApplicationFailure.nonRetryable(
      `step ${path}: ${JSON.stringify(raw)} is not a duration (ms or text like "3d")`,
      'INVALID_DURATION',
      { path },
    );
  }
  return ms;
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
