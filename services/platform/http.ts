import type { Context, Env, Hono, Schema } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, isAppError } from '../../contract/errors.ts';
import { logger } from './log.ts';
import { correlationIdOf, requestIdOf } from './request-id.ts';

/** Maps thrown errors to JSON responses: AppError keeps its status and code; anything else is a 500. */
export function errorResponse(err: unknown, c: Context): Response {
  if (isAppError(err)) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(err.toJSON(), err.status as ContentfulStatusCode);
  }
  // Never echo internal messages: they may carry personal data or SQL.
  logger.error(
    { err, request_id: requestIdOf(c), correlation_id: correlationIdOf(c), method: c.req.method },
    'unhandled error',
  );
  return c.json(new AppError('INTERNAL', 'internal error').toJSON(), 500);
}

/** Installs the shared error handler and a JSON 404 on an app. */
export function withErrorHandling<E extends Env, S extends Schema, B extends string>(
  app: Hono<E, S, B>,
): Hono<E, S, B> {
  app.onError(errorResponse);
  app.notFound((c) =>
    c.json(new AppError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`).toJSON(), 404),
  );
  return app;
}

/** Reads a JSON body or throws a 400 naming the problem. */
export async function readJson(c: Context): Promise<unknown> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new AppError('BAD_REQUEST', 'request body must be valid JSON');
  }
  const nul = nulPath(body);
  if (nul !== null)
    throw new AppError('VALIDATION_FAILED', 'request body contains a NUL character', [
      { path: nul, message: 'contains \\u0000', expected: 'text without NUL characters' },
    ]);
  return body;
}

/**
 * Path of the first string (or key) holding U+0000, which no Postgres text or jsonb value can store: left
 * in, it surfaces as a database error (a 500) wherever the value is written or compared.
 */
function nulPath(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        const p = path ? `${path}.${k}` : k;
        if (k.includes('\u0000')) return p;
        stack.push([child, p]);
      }
    }
  }
  return null;
}

/** Reads a JSON body that must be an object (not null, an array or a scalar), or throws a 400. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const body = await readJson(c);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AppError('VALIDATION_FAILED', 'request body must be a JSON object', [
      { path: '', message: 'not an object', expected: 'object' },
    ]);
  return body as Record<string, unknown>;
}
