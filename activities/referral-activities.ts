import type { ActivityContext } from '../contract/activity-context.ts';
import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import type { ServiceClient } from './service-client.ts';

// The four referral activities share one shape: the journey's tenant plus the step input, posted to one
// internal route of the referral service. Kept together because each is a single line of mapping.

const tenant = (ctx: ActivityContext) => ({
  client_id: ctx.campaign.clientId,
  campaign_id: ctx.campaign.campaignId,
});

type ReferralActivities = Pick<
  ActivityImplementations,
  'GenerateReferralAssets' | 'AttributeReferral' | 'ValidateConversion' | 'CheckFraud'
>;

export function createReferralActivities(deps: { referral: ServiceClient }): ReferralActivities {
  const post = <T>(path: string, input: object, ctx: ActivityContext) =>
    asActivity(() => deps.referral.post<T>(`/internal/v1/referrals/${path}`, { ...input, ...tenant(ctx) }));
  return {
    GenerateReferralAssets: (input, ctx) => post('assets', input, ctx),
    AttributeReferral: (input, ctx) => post('attribute', input, ctx),
    ValidateConversion: (input, ctx) => post('validate-conversion', input, ctx),
    CheckFraud: (input, ctx) => post('fraud-check', input, ctx),
  };
}
