import type { Context, Env, Hono, Schema } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, isAppError } from '../../contract/errors.ts';

/** Maps thrown errors to JSON responses: AppError keeps its status and code; anything else is a 500. */
export function errorResponse(err: unknown, c: Context): Response {
  if (isAppError(err)) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(err.toJSON(), err.status as ContentfulStatusCode);
  }
  // Never echo internal messages: they may carry personal data or SQL.
  console.error('unhandled error', err);
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
  try {
    return await c.req.json();
  } catch {
    throw new AppError('BAD_REQUEST', 'request body must be valid JSON');
  }
}
