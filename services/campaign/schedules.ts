/**
 * Campaign-wide schedules (`trigger.schedule` in a campaign file) run on Temporal Schedules, never on a
 * timer of ours: the campaign service creates the schedule when a version is deployed, replaces its spec
 * and action on a redeploy, pauses and unpauses it with the campaign, and deletes it when the campaign
 * ends (or a new version drops the schedule).
 *
 * Each firing starts ONE campaign-level journey (the engine's runCampaign workflow with the deployed
 * plan); the journey fans out itself (`for_each`, EmitEvent, …) if it must reach participants. Temporal
 * appends the firing time to the workflow id, so a firing runs once; overlap SKIP drops a firing while the
 * previous run is still going, and the catch-up window bounds what a server outage replays.
 */

import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { CampaignRef, Plan } from '../../contract/plan.ts';
import {
  RUN_CAMPAIGN_WORKFLOW,
  scheduledRunInput,
  scheduledWorkflowId,
  scheduleIdOf,
} from '../../contract/schedule.ts';
import type { Db } from '../platform/db.ts';
import { type CampaignStatus, everScheduled } from './repo.ts';

/** Missed firings older than this (a server outage) are skipped rather than run late. */
const CATCHUP_WINDOW = '1 hour';

export { SCHEDULE_EVENT, scheduleIdOf } from '../../contract/schedule.ts';

export interface CampaignSchedules {
  /** After a deploy: create or replace the schedule of a scheduled plan, delete it for an event plan. */
  deployed(input: { campaign: CampaignRef; plan: Plan; status: CampaignStatus }): Promise<void>;
  /** After a status change: active unpauses, paused/draft pauses, ended deletes. */
  statusChanged(input: { clientId: string; campaignId: string; status: CampaignStatus }): Promise<void>;
}

export function createCampaignSchedules(deps: {
  db: Db;
  temporal: Client;
  taskQueue: string;
}): CampaignSchedules {
  const { db, temporal, taskQueue } = deps;
  // Event-triggered campaigns never had a schedule: no Temporal call on their deploys and status changes.
  const mayHaveSchedule = (clientId: string, campaignId: string) => everScheduled(db, clientId, campaignId);

  async function remove(clientId: string, campaignId: string): Promise<void> {
    try {
      await temporal.schedule.getHandle(scheduleIdOf(clientId, campaignId)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }

  return {
    async deployed({ campaign, plan, status }) {
      const s = plan.trigger.schedule;
      if (s === undefined) {
        // A new version without a schedule: an earlier scheduled version's schedule must not keep firing.
        if (await mayHaveSchedule(campaign.clientId, campaign.campaignId))
          await remove(campaign.clientId, campaign.campaignId);
        return;
      }
      const scheduleId = scheduleIdOf(campaign.clientId, campaign.campaignId);
      const input = scheduledRunInput(plan, campaign, new Date().toISOString());
      const spec = { cronExpressions: [s.cron], timezone: s.timezone ?? 'UTC' };
      const action = {
        type: 'startWorkflow' as const,
        workflowType: RUN_CAMPAIGN_WORKFLOW,
        workflowId: scheduledWorkflowId(campaign),
        taskQueue,
        args: [input],
      };
      const paused = status !== 'active';
      const note = `${campaign.pulse} v${campaign.version} (${status})`;
      try {
        await temporal.schedule.create({
          scheduleId,
          spec,
          action,
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW },
          state: { paused, note },
          memo: { client_id: campaign.clientId, campaign_id: campaign.campaignId },
        });
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        // A redeploy: the new version's plan, cron and time zone replace the old ones in place.
        await temporal.schedule.getHandle(scheduleId).update((prev) => ({
          ...prev,
          spec,
          action,
          policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW },
          state: { ...prev.state, paused, note },
        }));
      }
    },

    async statusChanged({ clientId, campaignId, status }) {
      if (!(await mayHaveSchedule(clientId, campaignId))) return;
      if (status === 'ended') return remove(clientId, campaignId);
      const handle = temporal.schedule.getHandle(scheduleIdOf(clientId, campaignId));
      try {
        if (status === 'active') await handle.unpause('campaign resumed');
        else await handle.pause(`campaign ${status}`);
      } catch (err) {
        // An event-triggered campaign has no schedule: nothing to pause.
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    },
  };
}
