import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../contract/generated/api.generated.ts';

export interface ApiClientOptions {
  /** The platform's public base URL (`PULSE_PUBLIC_URL`), e.g. `https://pulse.example.com`. */
  url: string;
  /** A secret (`sk_…`), publishable (`pk_…`) or admin (`ak_…`) key, sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Another fetch (tests pass the in-process app's, or one with a proxy). */
  fetch?: (input: Request) => Promise<Response>;
}

export type ApiClient = Client<paths>;

/**
 * A typed client of the public API: paths, parameters, bodies and answers are the OpenAPI document's
 * (`paths` is generated from it, with the schemas' own types), so a wrong field is a compile error.
 * Answers come back as `{ data, error, response }`; `error` has the shared error shape.
 */
export function createApiClient(opts: ApiClientOptions): ApiClient {
  return createClient<paths>({
    baseUrl: opts.url.replace(/\/+$/, ''),
    ...(opts.apiKey ? { headers: { Authorization: `Bearer ${opts.apiKey}` } } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
}
