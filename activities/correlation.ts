import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { CORRELATION_HEADER_KEY } from '../contract/correlation.ts';
import { isAppError } from '../contract/errors.ts';
import type { StructuredLogger } from '../contract/logging.ts';

/** The correlation id of the activity running in this async context (set by the interceptor below). */
const current = new AsyncLocalStorage<string>();

/** The correlation id of the running activity's journey, if the journey has one. */
export function currentCorrelationId(): string | undefined {
  return current.getStore();
}

/** Runs `fn` under `correlationId` (the interceptor does this for every activity; tests may too). */
export function withCorrelationId<T>(correlationId: string, fn: () => T): T {
  return current.run(correlationId, fn);
}

function headerValue(headers: Record<string, unknown>): string | undefined {
  const payload = headers[CORRELATION_HEADER_KEY];
  if (!payload) return undefined;
  try {
    const value = defaultPayloadConverter.fromPayload(payload as never);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The activity side of the correlation chain: reads the id the workflow's outbound interceptor put in
 * the activity's headers, runs the activity under it (so the service client sends it on), and logs the
 * activity's start and end with it, the journey and the attempt.
 */
export function correlationInterceptor(log: StructuredLogger): ActivityInterceptorsFactory {
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const correlationId = headerValue(input.headers as Record<string, unknown>);
        const info = ctx.info;
        const fields = {
          correlation_id: correlationId ?? null,
          activity: info.activityType,
          workflow_id: info.workflowExecution?.workflowId ?? null,
          attempt: info.attempt,
        };
        const started = performance.now();
        log.info(fields, 'activity started');
        const run = () => next(input);
        try {
          const result = await (correlationId ? current.run(correlationId, run) : run());
          log.info({ ...fields, duration_ms: Math.round(performance.now() - started) }, 'activity completed');
          return result;
        } catch (err) {
          log.warn(
            {
              ...fields,
              duration_ms: Math.round(performance.now() - started),
              code: isAppError(err) ? err.code : ((err as { type?: unknown })?.type ?? null),
              error: err instanceof Error ? err.message : String(err),
            },
            'activity failed',
          );
          throw err;
        }
      },
    },
  });
}
