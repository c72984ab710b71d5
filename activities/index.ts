import type { Bus } from '../contract/bus.ts';
import type { ActivityImplementations } from '../contract/catalogue.ts';
import { createAllocateReward } from './allocate-reward.ts';
import { createBusActivities } from './bus-activities.ts';
import { createCalculateLeaderboard } from './calculate-leaderboard.ts';
import { createCheckEligibility } from './check-eligibility.ts';
import { createCheckMilestone } from './check-milestone.ts';
import { createFetchCampaignConfig } from './fetch-campaign-config.ts';
import { createFulfillReward } from './fulfill-reward.ts';
import { createNotificationActivities } from './notification-activities.ts';
import { createReferralActivities } from './referral-activities.ts';
import { createRevokeReward } from './revoke-reward.ts';
import { createScoreParticipant } from './score-participant.ts';
import { createServiceClient, type ServiceEndpoint } from './service-client.ts';
import { createVerifySubmission } from './verify-submission.ts';

export interface ActivityDeps {
  /** Where each service is reached: in-process (`fetch: app.fetch`) or over HTTP; the name is the audience. */
  endpoints: Record<'campaign' | 'referral' | 'notification' | 'reward', Omit<ServiceEndpoint, 'audience'>>;
  bus: Bus;
}

/** Every catalogue activity, built from its dependencies; the worker registers exactly this set. */
export function createActivities(deps: ActivityDeps): ActivityImplementations {
  const campaign = createServiceClient({ ...deps.endpoints.campaign, audience: 'campaign' });
  const referral = createServiceClient({ ...deps.endpoints.referral, audience: 'referral' });
  const notification = createServiceClient({ ...deps.endpoints.notification, audience: 'notification' });
  const reward = createServiceClient({ ...deps.endpoints.reward, audience: 'reward' });
  return {
    FetchCampaignConfig: createFetchCampaignConfig({ campaign }),
    ...createReferralActivities({ referral }),
    ...createNotificationActivities({ notification }),
    ...createBusActivities({ bus: deps.bus }),
    ScoreParticipant: createScoreParticipant(),
    VerifySubmission: createVerifySubmission(),
    CheckEligibility: createCheckEligibility({ reward }),
    AllocateReward: createAllocateReward({ reward }),
    FulfillReward: createFulfillReward({ reward }),
    RevokeReward: createRevokeReward({ reward }),
    CheckMilestone: createCheckMilestone({ reward }),
    CalculateLeaderboard: createCalculateLeaderboard({ reward }),
  };
}
