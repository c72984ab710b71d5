import type { CampaignRef } from './plan.ts';

/**
 * What the interpreter passes to every activity beside its `with` input. Built deterministically in the
 * workflow, so retries and replays carry the same values; `idempotencyKey` is what makes a reward or an
 * email happen once even when Temporal runs the activity twice.
 */
export interface ActivityContext {
  campaign: CampaignRef;
  workflowId: string;
  journeyKey: string;
  stepId: string;
  /** `${workflowId}/${stepPath}`: unique per step execution (loop iterations and branches included). */
  idempotencyKey: string;
  planHash: string;
  /**
   * When the journey (its first run, across continue-as-new) started, ISO 8601: from the workflow's
   * history, so the same on replay. The notification service renders the client template version that was
   * current then. Optional: activities scheduled by older workers lack it.
   */
  journeyStartedAt?: string;
  /** The campaign's default locale (`locale:` in the file), when it sets one: the template fallback. */
  defaultLocale?: string;
}
