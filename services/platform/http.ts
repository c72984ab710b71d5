import type { Context, Env, Hono, MiddlewareHandler, Schema } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, type ErrorBody, errorDocAnchor, isAppError } from '../../contract/errors.ts';
import { assertValid, validatorFor } from '../../contract/validation.ts';
import { logger } from './log.ts';
import { correlationIdOf, REQUEST_ID_HEADER, requestIdOf } from './request-id.ts';

/** Where the error reference is served (docs/errors.md); each code's section is `#<code in lower case>`. */
export const ERROR_DOCS_PATH = '/docs/errors';

export type ErrorDocsVariables = { errorDocsBase: string };

/**
 * Tells the error handler the public base URL (PULSE_PUBLIC_URL) its `doc_url` links point at. Mounted
 * first on the composed app; without it the links use the request's own origin.
 */
export function errorDocs(publicBaseUrl: string): MiddlewareHandler<{ Variables: ErrorDocsVariables }> {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return async (c, next) => {
    c.set('errorDocsBase', base);
    await next();
  };
}

/** The one error body: code, message, details (when any), the request's id and the code's doc link. */
export function errorBody(err: AppError, c: Context): ErrorBody {
  const base = (c.get('errorDocsBase') as string | undefined) ?? new URL(c.req.url).origin;
  const { error } = err.toJSON();
  return {
    error: {
      ...error,
      request_id: requestIdOf(c),
      doc_url: `${base}${ERROR_DOCS_PATH}#${errorDocAnchor(err.code)}`,
    },
  };
}

/** Maps thrown errors to JSON responses: AppError keeps its status and code; anything else is a 500. */
export function errorResponse(err: unknown, c: Context): Response {
  if (!c.get('requestId')) {
    // Outside requestIds() (a service app on its own): one id for the body, the header and the log.
    c.set('requestId', requestIdOf(c));
    c.header(REQUEST_ID_HEADER, requestIdOf(c));
  }
  const appError = isAppError(err) ? err : new AppError('INTERNAL', 'internal error');
  if (!isAppError(err)) {
    // Never echo internal messages: they may carry personal data or SQL.
    logger.error(
      { err, request_id: requestIdOf(c), correlation_id: correlationIdOf(c), method: c.req.method },
      'unhandled error',
    );
  }
  for (const [k, v] of Object.entries(appError.headers)) c.header(k, v);
  return c.json(errorBody(appError, c), appError.status as ContentfulStatusCode);
}

/** Installs the shared error handler and a JSON 404 on an app. */
export function withErrorHandling<E extends Env, S extends Schema, B extends string>(
  app: Hono<E, S, B>,
): Hono<E, S, B> {
  app.onError(errorResponse);
  app.notFound((c) => errorResponse(new AppError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), c));
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

/**
 * Reads a JSON body and validates it with the schema `ref` (the same one the route's OpenAPI description
 * names), or throws a 400 VALIDATION_FAILED listing every failing field path.
 */
export async function readBody<T>(c: Context, ref: string, what: string): Promise<T> {
  return assertValid(validatorFor<T>(ref), await readJson(c), what);
}
