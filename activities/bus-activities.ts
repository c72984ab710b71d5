import { createHash } from 'node:crypto';
import type { Bus } from '../contract/bus.ts';
import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';

type BusActivities = Pick<ActivityImplementations, 'EmitEvent' | 'RecordWorkflowMetrics'>;

/** Stable id from the step's idempotency key: a retried emit publishes the same message, delivered once. */
const stableId = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 32);

/** Journey output onto the bus: emitted events re-enter routing; outcomes feed analytics. */
export function createBusActivities(deps: { bus: Bus; now?: () => Date }): BusActivities {
  const now = deps.now ?? (() => new Date());
  return {
    EmitEvent: (input, ctx) =>
      asActivity(async () => {
        const event_id = `evt_${stableId(ctx.idempotencyKey)}`;
        const event = {
          event: input.event,
          event_id,
          occurred_at: now().toISOString(),
          client_id: ctx.campaign.clientId,
          campaign_id: ctx.campaign.campaignId,
          ...(input.participant_id ? { participant_id: input.participant_id } : {}),
          properties: input.properties ?? {},
          context: { source: 'journey', workflow_id: ctx.workflowId },
        };
        await deps.bus.publish(
          `event.${input.event}.${ctx.campaign.clientId}.${ctx.campaign.campaignId}`,
          event,
          { id: event_id },
        );
        return { event_id };
      }),
    RecordWorkflowMetrics: (input, ctx) =>
      asActivity(async () => {
        const outcome = input.outcome ?? 'completed';
        await deps.bus.publish(
          `workflow.${outcome}.${ctx.campaign.clientId}.${ctx.campaign.campaignId}`,
          {
            client_id: ctx.campaign.clientId,
            campaign_id: ctx.campaign.campaignId,
            campaign_version: ctx.campaign.version,
            pulse: ctx.campaign.pulse,
            workflow_id: ctx.workflowId,
            journey_key: ctx.journeyKey,
            outcome,
            metrics: input.metrics ?? {},
            at: now().toISOString(),
          },
          { id: `wfm_${stableId(ctx.idempotencyKey)}` },
        );
        return { recorded: true };
      }),
  };
}
