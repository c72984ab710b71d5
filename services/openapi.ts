import { analyticsApi } from './analytics/api.ts';
import { campaignApi } from './campaign/api.ts';
import { clientManagementApi } from './client-management/api.ts';
import { eventApi } from './event/api.ts';
import { notificationApi } from './notification/api.ts';
import { buildOpenApi, type RouteDoc } from './platform/openapi.ts';
import { referralApi } from './referral/api.ts';
import { rewardApi } from './reward/api.ts';
import { workflowApi } from './workflow/api.ts';

/**
 * Each service's route descriptions (its api.ts). The OpenAPI document of a process is those of the
 * services it mounts; the codegen writes the typed client's `paths` from the full one. Kept apart from
 * app.ts so the codegen loads descriptions, not the services.
 */
export const SERVICE_API = {
  'client-management': clientManagementApi,
  campaign: campaignApi,
  workflow: workflowApi,
  event: eventApi,
  referral: referralApi,
  reward: rewardApi,
  analytics: analyticsApi,
  notification: notificationApi,
} as const satisfies Record<string, readonly RouteDoc[]>;

export type DescribedService = keyof typeof SERVICE_API;

/** The API's version as the document states it. */
export const API_VERSION = '0.1.0';

/** The OpenAPI 3.1 document of the routes the given services mount (default: all). */
export function platformOpenApi(
  only: readonly DescribedService[] = Object.keys(SERVICE_API) as DescribedService[],
  serverUrl?: string,
): Record<string, unknown> {
  return buildOpenApi(
    only.flatMap((name) => SERVICE_API[name]),
    { version: API_VERSION, ...(serverUrl ? { serverUrl } : {}) },
  );
}
