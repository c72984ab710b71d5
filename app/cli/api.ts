import { type ApiClient, createApiClient } from '../api-client.ts';
import { CliError, type CliIo } from './io.ts';
import type { ErrorBody } from './paths.ts';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** Which platform a command talks to and with which key: flags first, then PULSE_URL / PULSE_API_KEY. */
export interface ApiTarget {
  url: string;
  apiKey: string;
}

export interface ConnectionFlags {
  url?: string;
  apiKey?: string;
}

export function resolveTarget(flags: ConnectionFlags, io: CliIo): ApiTarget {
  const url = (flags.url ?? io.env.PULSE_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/.test(url))
    throw new CliError('USAGE', `--url / PULSE_URL must be an http(s) URL, got "${url}"`);
  const apiKey = flags.apiKey ?? io.env.PULSE_API_KEY;
  if (!apiKey)
    throw new CliError(
      'USAGE',
      'this command needs an API key: --api-key <key> or PULSE_API_KEY (an ak_… platform-admin key from `pulse admin init`, or a client sk_… key)',
    );
  return { url, apiKey };
}

export type Api = ApiClient;

/** The one HTTP client of the CLI: the typed OpenAPI client, the key sent as a bearer token on every call. */
export function createApi(target: ApiTarget): Api {
  return createApiClient({ url: target.url, apiKey: target.apiKey });
}

/** Whether the key is a platform-admin key (`ak_…`) rather than a client's. */
export const isAdminKey = (target: ApiTarget): boolean => target.apiKey.startsWith('ak_');

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits one call and returns its data, or throws a CliError naming the cause: the connection failure
 * (refused, unknown host, timeout) or the HTTP error's code, message, field paths and request id.
 */
export async function send<T>(target: ApiTarget, what: string, call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (err) {
    throw new CliError('UNREACHABLE', connectionProblem(target.url, err));
  }
  if (answer.response.ok && answer.data !== undefined) return answer.data;
  throw new CliError('HTTP', httpProblem(what, answer.response, answer.error));
}

/** "cannot reach http://127.0.0.1:3000: connection refused (ECONNREFUSED) — is `npm start` running?" */
export function connectionProblem(url: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (err as { code?: string } | undefined)?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'unknown host',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  };
  const reason = code
    ? `${reasons[code] ?? 'network error'} (${code})`
    : (cause?.message ?? (err instanceof Error ? err.message : String(err)));
  const hint =
    code === 'ECONNREFUSED'
      ? ' — is `npm start` running? (set --url or PULSE_URL for another address)'
      : ' — check --url / PULSE_URL';
  return `cannot reach ${url}: ${reason}${hint}`;
}

/** "list clients failed: HTTP 400 VALIDATION_FAILED name is invalid\n  at name: … (request_id req_…)" */
export function httpProblem(what: string, response: Response, body: unknown): string {
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  const requestId = error?.request_id ?? response.headers.get('x-request-id') ?? undefined;
  const lines = [
    `${what} failed: HTTP ${response.status}${error?.code ? ` ${error.code}` : ''}${error?.message ? `: ${error.message}` : ''}`,
  ];
  for (const d of error?.details ?? [])
    lines.push(`  at ${d.path}: ${d.message}${d.expected ? ` (expected ${d.expected})` : ''}`);
  if (!error && typeof body === 'string' && body) lines.push(`  ${body.slice(0, 500)}`);
  if (requestId) lines.push(`  request_id ${requestId}`);
  if (error?.doc_url) lines.push(`  see ${error.doc_url}`);
  return lines.join('\n');
}

/** One page of a list: `{ data, has_more, next_cursor }`. */
export function listPage<T>(body: { data: T[]; has_more: boolean; next_cursor: string | null }): {
  items: T[];
  nextCursor: string | null;
} {
  return { items: body.data, nextCursor: body.has_more ? body.next_cursor : null };
}

/** At most this many pages are followed, so a server that always says has_more cannot loop us forever. */
const MAX_PAGES = 1_000;

/** Every item of a list, following `next_cursor` page by page. */
export async function listAll<T>(
  page: (cursor: string | undefined) => Promise<Parameters<typeof listPage<T>>[0]>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const p = listPage<T>(await page(cursor));
    items.push(...p.items);
    if (!p.nextCursor) return items;
    cursor = p.nextCursor;
  }
  throw new CliError('FAILED', `the list has more than ${MAX_PAGES} pages; narrow it with filters`);
}
