/**
 * TEMPORARY: a hand-written `paths` interface (the openapi-typescript shape) covering only the routes the
 * CLI calls. It is replaced at merge by the one generated from the OpenAPI document
 * (contract/generated/api.generated.ts); keep it small and in that shape so the swap is an import change.
 */

/** The error envelope every route answers with on failure. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { path: string; message: string; expected?: string }[];
    request_id?: string;
    doc_url?: string;
  };
}

/** A list answer: today `{ <name>: [...] }`, after the pagination change `{ data, has_more, next_cursor }`. */
export type ListBody<Name extends string, T> = { [K in Name]?: T[] } & {
  data?: T[];
  has_more?: boolean;
  next_cursor?: string | null;
};

interface Json<T> {
  headers: { [name: string]: unknown };
  content: { 'application/json': T };
}
type Answers<Status extends number, T> = { [S in Status]: Json<T> } & { default: Json<ErrorBody> };
type NoParams = { query?: never; header?: never; path?: never; cookie?: never };
type PathParams<P> = { query?: never; header?: never; path: P; cookie?: never };
type QueryParams<Q> = { query?: Q; header?: never; path?: never; cookie?: never };
interface Op<Params, Status extends number, T> {
  parameters: Params;
  requestBody?: never;
  responses: Answers<Status, T>;
}
interface BodyOp<Params, Body, Status extends number, T> {
  parameters: Params;
  requestBody: { content: { 'application/json': Body } };
  responses: Answers<Status, T>;
}
interface Unused {
  get?: never;
  put?: never;
  post?: never;
  delete?: never;
  options?: never;
  head?: never;
  patch?: never;
  trace?: never;
}
type Route<Params, Methods> = Omit<Unused, keyof Methods> & Methods & { parameters: Params };

export type Role = 'owner' | 'admin' | 'manager' | 'analyst' | 'viewer';
export type KeyKind = 'publishable' | 'secret' | 'admin';
export type CampaignStatus = 'draft' | 'active' | 'paused' | 'ended';
export type ClientStatus = 'active' | 'suspended' | 'inactive';
export type Page = { limit?: number; starting_after?: string };

export interface Client {
  id: string;
  name: string;
  status: ClientStatus;
  plan: string;
  created_at: string;
}
export interface IssuedKey {
  id: string;
  kind: KeyKind;
  role: Role | null;
  key: string;
  signing_secret?: string;
  name?: string;
}
export interface KeySummary {
  id: string;
  client_id?: string | null;
  name?: string | null;
  kind: KeyKind;
  role: Role | null;
  member_id: string | null;
  key_prefix: string;
  revoked_at: string | null;
  created_at: string;
}
export interface Campaign {
  id: string;
  client_id: string;
  definition_id: string;
  pulse: string;
  title: string;
  status: CampaignStatus;
  current_version: number;
  starts_at: string | null;
  ends_at: string | null;
  created_at: string;
  updated_at: string;
}
export interface DeployBody {
  source: string;
  file: string;
  settings?: Record<string, unknown>;
}
export interface Deployed {
  campaign_id: string;
  version: number;
  created: boolean;
  pulse: string;
  plan_hash: string;
  warnings: unknown[];
}
export interface Journey {
  workflow_id: string;
  execution_status: string;
  started_at: string;
  closed_at: string | null;
  journey: unknown;
  [field: string]: unknown;
}
export interface JourneyQuery extends Page {
  campaign_id?: string;
  participant_id?: string;
  status?: string;
}

export interface paths {
  '/v1/admin/clients': Route<
    NoParams,
    {
      get: Op<QueryParams<Page>, 200, ListBody<'clients', Client>>;
      post: BodyOp<
        NoParams,
        { name: string; plan?: string },
        201,
        { client: Client; keys: { publishable: IssuedKey; secret: IssuedKey } }
      >;
    }
  >;
  '/v1/admin/clients/{id}': Route<
    PathParams<{ id: string }>,
    { patch: BodyOp<PathParams<{ id: string }>, { status: ClientStatus }, 200, { client: Client }> }
  >;
  '/v1/admin/clients/{id}/api-keys': Route<
    PathParams<{ id: string }>,
    {
      get: Op<PathParams<{ id: string }>, 200, ListBody<'keys', KeySummary>>;
      post: BodyOp<
        PathParams<{ id: string }>,
        { kind: 'publishable' | 'secret'; role?: Role; name?: string },
        201,
        { key: IssuedKey }
      >;
    }
  >;
  '/v1/admin/clients/{id}/api-keys/{keyId}': Route<
    PathParams<{ id: string; keyId: string }>,
    { delete: Op<PathParams<{ id: string; keyId: string }>, 200, { revoked: boolean }> }
  >;
  '/v1/client': Route<NoParams, { get: Op<NoParams, 200, { client: Client }> }>;
  '/v1/api-keys': Route<
    NoParams,
    {
      get: Op<QueryParams<Page>, 200, ListBody<'keys', KeySummary>>;
      post: BodyOp<
        NoParams,
        { kind: 'publishable' | 'secret'; role?: Role; name?: string },
        201,
        { key: IssuedKey }
      >;
    }
  >;
  '/v1/api-keys/{id}': Route<
    PathParams<{ id: string }>,
    { delete: Op<PathParams<{ id: string }>, 200, { revoked: boolean }> }
  >;
  '/v1/campaigns': Route<NoParams, { get: Op<QueryParams<Page>, 200, ListBody<'campaigns', Campaign>> }>;
  '/v1/campaigns/deploy': Route<NoParams, { post: BodyOp<NoParams, DeployBody, 200 | 201, Deployed> }>;
  '/v1/campaigns/{id}': Route<
    PathParams<{ id: string }>,
    { get: Op<PathParams<{ id: string }>, 200, { campaign: Campaign; versions: unknown[] }> }
  >;
  '/v1/campaigns/{id}/status': Route<
    PathParams<{ id: string }>,
    { post: BodyOp<PathParams<{ id: string }>, { status: CampaignStatus }, 200, { campaign: Campaign }> }
  >;
  '/v1/journeys': Route<
    NoParams,
    { get: Op<QueryParams<JourneyQuery>, 200, ListBody<'journeys', Record<string, unknown>>> }
  >;
  '/v1/journeys/{campaignId}/{journeyKey}': Route<
    PathParams<{ campaignId: string; journeyKey: string }>,
    { get: Op<PathParams<{ campaignId: string; journeyKey: string }>, 200, Journey> }
  >;
}
