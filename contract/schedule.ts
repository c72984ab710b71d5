/**
 * What a campaign-wide schedule (`trigger.schedule`) starts at each firing: one campaign-level journey of
 * the deployed plan. Shared by the campaign service (which puts it into the Temporal Schedule's action)
 * and the simulator (which starts it at each firing on the time-skipping server), so both run the same.
 */

import type { CampaignRef, Plan, RunCampaignInput } from './plan.ts';

/** The engine's workflow type (engine/signals.ts RUN_CAMPAIGN). */
export const RUN_CAMPAIGN_WORKFLOW = 'runCampaign';
/** The trigger event a scheduled journey starts with (its `event.event`). */
export const SCHEDULE_EVENT = 'pulse_schedule_fired';
/** The journey key of scheduled journeys (Temporal appends the firing time to the workflow id). */
export const SCHEDULE_JOURNEY_KEY = 'schedule';

export function scheduleIdOf(clientId: string, campaignId: string): string {
  return `pulse-schedule:${clientId}:${campaignId}`;
}

/** The workflow id prefix of a campaign's scheduled journeys. */
export function scheduledWorkflowId(campaign: Pick<CampaignRef, 'clientId' | 'campaignId'>): string {
  return `pulse:${campaign.clientId}:${campaign.campaignId}:${SCHEDULE_JOURNEY_KEY}`;
}

/** The workflow input of every firing of a scheduled plan; `at` stamps the trigger event. */
export function scheduledRunInput(plan: Plan, campaign: CampaignRef, at: string): RunCampaignInput {
  const s = plan.trigger.schedule;
  return {
    plan,
    campaign,
    journeyKey: SCHEDULE_JOURNEY_KEY,
    trigger: {
      event: SCHEDULE_EVENT,
      event_id: `${scheduleIdOf(campaign.clientId, campaign.campaignId)}:v${campaign.version}`,
      occurred_at: at,
      client_id: campaign.clientId,
      properties: { cron: s?.cron ?? null, timezone: s?.timezone ?? 'UTC' },
    },
  };
}
