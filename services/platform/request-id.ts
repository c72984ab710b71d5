import { randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * Every request gets a request id (its own, new each time) and a correlation id (the id of the chain of
 * work it belongs to: an event, the journey it starts, the reward it allocates). A caller may pass its
 * own correlation id in `X-Correlation-Id` (activities do, so a service call joins the journey's chain);
 * otherwise the request id starts a new chain. Both come back as response headers.
 */
export const REQUEST_ID_HEADER = 'X-Request-Id';
export const CORRELATION_ID_HEADER = 'X-Correlation-Id';

export interface RequestIdVariables {
  requestId: string;
  correlationId: string;
}

/** `req_` + 20 random base32 characters: short, unguessable, safe in logs and URLs. */
export function newRequestId(): string {
  return `req_${base32(randomBytes(13)).slice(0, 20)}`;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** A caller-supplied id is kept only when it is short, printable and free of separators. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIds(): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  return async (c, next) => {
    const requestId = newRequestId();
    const given = c.req.header(CORRELATION_ID_HEADER);
    const correlationId = given && SAFE_ID.test(given) ? given : requestId;
    c.set('requestId', requestId);
    c.set('correlationId', correlationId);
    c.header(REQUEST_ID_HEADER, requestId);
    c.header(CORRELATION_ID_HEADER, correlationId);
    await next();
  };
}

/** The request id of a request that went through `requestIds()`, else a fresh one. */
export function requestIdOf(c: Context): string {
  const id = c.get('requestId') as string | undefined;
  return id ?? newRequestId();
}

/** The correlation id of a request that went through `requestIds()`, else its request id. */
export function correlationIdOf(c: Context): string {
  return (c.get('correlationId') as string | undefined) ?? requestIdOf(c);
}
