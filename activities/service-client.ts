import { AppError, ERROR_STATUS, type ErrorCode } from '../contract/errors.ts';

/**
 * How activities reach services: one small JSON client over `fetch`. With `fetch` set to a Hono app's
 * `app.fetch` the call stays in-process (the local single-process deployment); with the default global
 * fetch it goes over HTTP to a separately deployed service. Both run the same routes and code path.
 */
export interface ServiceEndpoint {
  baseUrl: string;
  /** Internal service token presented on `/internal` routes. */
  token: string;
  fetch?: (request: Request) => Response | Promise<Response>;
}

export interface ServiceClient {
  post<T>(path: string, body: unknown): Promise<T>;
  get<T>(path: string): Promise<T>;
}

const KNOWN_CODES = new Set(Object.keys(ERROR_STATUS));

export function createServiceClient(ep: ServiceEndpoint): ServiceClient {
  const send = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const request = new Request(new URL(path, ep.baseUrl), {
      method,
      headers: { authorization: `Bearer ${ep.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    let res: Response;
    try {
      res = await (ep.fetch ? ep.fetch(request) : fetch(request));
    } catch (err) {
      throw new AppError('UPSTREAM_UNAVAILABLE', `${method} ${path} failed: ${(err as Error).message}`);
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (res.ok) return json as T;
    // Keep the service's own error code so the workflow sees the same stable type.
    const e = (json as { error?: { code?: string; message?: string; details?: [] } } | undefined)?.error;
    const code = (
      e?.code && KNOWN_CODES.has(e.code) ? e.code : res.status >= 500 ? 'UPSTREAM_UNAVAILABLE' : 'BAD_REQUEST'
    ) as ErrorCode;
    throw new AppError(code, e?.message ?? `${method} ${path} answered ${res.status}`, e?.details ?? []);
  };
  return {
    post: (path, body) => send('POST', path, body),
    get: (path) => send('GET', path),
  };
}
