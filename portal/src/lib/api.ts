import { type ApiClient, createApiClient } from '../../../app/api-client.ts';

/**
 * The portal's one API client: the typed OpenAPI client over the public routes of this origin. A
 * signed-in member rides the `pulse_session` cookie and sends its CSRF token on every mutation; a
 * developer who signed in with an API key sends it as a bearer token (kept for the tab only).
 */
let csrfToken: string | null = null;
let apiKey: string | null = sessionStorage.getItem('pulse.apiKey');

export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

export function setApiKey(key: string | null) {
  apiKey = key;
  if (key) sessionStorage.setItem('pulse.apiKey', key);
  else sessionStorage.removeItem('pulse.apiKey');
  client = build();
}

export const currentApiKey = () => apiKey;

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function build(): ApiClient {
  const c = createApiClient({
    url: location.origin,
    ...(apiKey ? { apiKey } : {}),
    fetch: (req) => fetch(req, { credentials: 'same-origin' }),
  });
  c.use({
    onRequest({ request }) {
      if (csrfToken && MUTATING.has(request.method)) request.headers.set('X-CSRF-Token', csrfToken);
      return request;
    },
  });
  return c;
}

let client = build();

/** The current client (rebuilt when the sign-in changes). */
export const api = (): ApiClient => client;

export interface ApiProblem {
  status: number;
  code: string;
  message: string;
  details?: { path?: string; message?: string }[];
  request_id?: string;
}

/** An error answer's shape, or a network failure, as one value the pages show. */
export function problemOf(error: unknown, response?: Response): ApiProblem {
  const body = (error as { error?: Partial<ApiProblem> } | undefined)?.error;
  return {
    status: response?.status ?? 0,
    code: body?.code ?? (response ? `HTTP_${response.status}` : 'NETWORK'),
    message: body?.message ?? (response ? response.statusText : 'the platform could not be reached'),
    ...(body?.details ? { details: body.details } : {}),
    ...(body?.request_id ? { request_id: body.request_id } : {}),
  };
}

/** Unwraps `{ data, error, response }`: the data, or throws the problem (pages catch it in useAsync). */
export async function must<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  let res: { data?: T; error?: unknown; response: Response };
  try {
    res = await call;
  } catch {
    throw problemOf(undefined);
  }
  if (res.error !== undefined || !res.response.ok) throw problemOf(res.error, res.response);
  return res.data as NonNullable<T>;
}

/** A plain same-origin JSON call for routes outside the typed document (sign-in, health). */
export async function rawJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body) headers.set('Content-Type', 'application/json');
  if (csrfToken && MUTATING.has(init.method ?? 'GET')) headers.set('X-CSRF-Token', csrfToken);
  if (apiKey) headers.set('Authorization', `Bearer ${apiKey}`);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  } catch {
    throw problemOf(undefined);
  }
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) throw problemOf(body, res);
  return body as T;
}
