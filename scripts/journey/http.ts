/** Tiny JSON-over-HTTP helper for scripted journeys (demo and end-to-end test). */
export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; redirect?: RequestRedirect; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(new URL(path, base), {
    method,
    redirect: opts.redirect ?? 'follow',
    headers: {
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
    },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // plain-text answers (redirect pages) stay text
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** Thrown by a probe to stop waiting at once (the awaited thing can no longer happen). */
export class GiveUp extends Error {}

/** Polls `probe` until it returns a value (not undefined) or the time runs out; a `GiveUp` ends it at once. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
  );
}
