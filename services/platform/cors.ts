import { cors } from 'hono/cors';

/**
 * CORS for the routes the browser SDK calls from clients' websites. Any origin: these routes take a
 * publishable key, never cookies, so a page on another site gains nothing it could not do itself.
 */
export const sdkCors = () =>
  cors({
    origin: '*',
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['content-type', 'authorization', 'x-api-key', 'x-pulse-identity'],
    maxAge: 600,
  });
