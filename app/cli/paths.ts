/**
 * The CLI's view of the public API: the `paths` generated from the OpenAPI document (so every call the CLI
 * makes is type-checked against the spec) and the answer types it prints.
 */
import type { APIKeyCreateBody, CampaignStatusBody } from '../../contract/generated/api.generated.ts';

export type {
  APIError as ErrorBody,
  APIKey as KeySummary,
  CampaignResource as Campaign,
  Client,
  IssuedKey,
  PermissionName,
  paths,
} from '../../contract/generated/api.generated.ts';
export type Role = NonNullable<APIKeyCreateBody['role']>;
export type CampaignStatus = CampaignStatusBody['status'];
