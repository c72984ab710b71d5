import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import type { ServiceClient } from './service-client.ts';

/** Live campaign status (paused, ended, outside its dates) for the journey's pinned campaign. */
export function createFetchCampaignConfig(deps: {
  campaign: ServiceClient;
}): ActivityImplementations['FetchCampaignConfig'] {
  return (_input, ctx) =>
    asActivity(() =>
      deps.campaign.get(
        `/internal/v1/campaigns/${encodeURIComponent(ctx.campaign.clientId)}/${encodeURIComponent(ctx.campaign.campaignId)}`,
      ),
    );
}
