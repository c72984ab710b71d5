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
}
