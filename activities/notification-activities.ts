import { Context } from '@temporalio/activity';
import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import type { ServiceClient } from './service-client.ts';

type NotificationActivities = Pick<
  ActivityImplementations,
  'RenderNotificationContent' | 'SendNotification' | 'SendWebhook'
>;

/** Rendering, delivery and webhooks through the notification service; delivery is once per step execution. */
export function createNotificationActivities(deps: { notification: ServiceClient }): NotificationActivities {
  const n = deps.notification;
  return {
    RenderNotificationContent: (input, ctx) =>
      asActivity(() =>
        n.post('/internal/v1/notifications/render', {
          ...input,
          client_id: ctx.campaign.clientId,
          ...(ctx.journeyStartedAt ? { as_of: ctx.journeyStartedAt } : {}),
          ...(ctx.defaultLocale ? { default_locale: ctx.defaultLocale } : {}),
        }),
      ),
    SendNotification: (input, ctx) =>
      asActivity(() =>
        n.post('/internal/v1/notifications/send', {
          ...input,
          data: {
            ...(input.data ?? {}),
            campaign: { id: ctx.campaign.campaignId, pulse: ctx.campaign.pulse },
          },
          client_id: ctx.campaign.clientId,
          campaign_id: ctx.campaign.campaignId,
          idempotency_key: ctx.idempotencyKey,
          workflow_id: ctx.workflowId,
          journey_key: ctx.journeyKey,
          // Pins the client's template version to the one current when the journey started.
          ...(ctx.journeyStartedAt ? { as_of: ctx.journeyStartedAt } : {}),
          // The campaign's `locale:`: the template fallback when the participant has none.
          ...(ctx.defaultLocale ? { default_locale: ctx.defaultLocale } : {}),
          // The service records `failed` rather than `retrying` when no retry follows.
          final_attempt: isFinalAttempt(),
        }),
      ),
    SendWebhook: (input, ctx) =>
      asActivity(() =>
        n.post('/internal/v1/notifications/webhooks', {
          topic: input.topic,
          payload: {
            ...(input.payload ?? {}),
            campaign_id: ctx.campaign.campaignId,
            journey: ctx.journeyKey,
          },
          client_id: ctx.campaign.clientId,
          idempotency_key: ctx.idempotencyKey,
        }),
      ),
  };
}

/** True on the last attempt the step's retry policy allows; false outside Temporal (tests, direct calls). */
function isFinalAttempt(): boolean {
  let info: { attempt: number; retryPolicy?: { maximumAttempts?: number } };
  try {
    info = Context.current().info;
  } catch {
    return false;
  }
  const max = info.retryPolicy?.maximumAttempts ?? 0;
  return max > 0 && info.attempt >= max;
}
