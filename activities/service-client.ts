import { AppError, ERROR_STATUS, type ErrorCode } from '../contract/errors.ts';
import { createServiceTokenMinter } from '../contract/service-token.ts';
import { currentCorrelationId } from './correlation.ts';

/** The header services read the caller's correlation id from (services/platform/request-id.ts). */
const CORRELATION_HEADER = 'X-Correlation-Id';

/**
 * How activities reach services: one small JSON client over `fetch`. With `fetch` set to a Hono app's
 * `app.fetch` the call stays in-process (the local single-process deployment); with the default global
 * fetch it goes over HTTP to a separately deployed service. Both run the same routes and code path.
 */
export interface ServiceEndpoint {
  baseUrl: string;
  /** Key that signs the short-lived service tokens presented on `/internal` routes. */
  signingKey: string;
  /** The service this endpoint reaches: the token's audience (`campaign`, `reward`, …). */
  audience: string;
  /** Who is calling (the token's issuer). Default `worker`. */
  issuer?: string;
  fetch?: (request: Request) => Response | Promise<Response>;
}

export interface ServiceClient {
  post<T>(path: string, body: unknown): Promise<T>;
  get<T>(path: string): Promise<T>;
}

const KNOWN_CODES = new Set(Object.keys(ERROR_STATUS));

export function createServiceClient(ep: ServiceEndpoint): ServiceClient {
  // A token per call would be one HMAC per activity; one reused for ~30 s of its 60 s life is enough.
  const mint = createServiceTokenMinter({ key: ep.signingKey, issuer: ep.issuer ?? 'worker' });
  const send = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const correlationId = currentCorrelationId();
    const request = new Request(new URL(path, ep.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${mint(ep.audience)}`,
        'content-type': 'application/json',
        // The journey's chain continues into the service: its access log and errors carry the same id.
        ...(correlationId ? { [CORRELATION_HEADER]: correlationId } : {}),
      },
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
