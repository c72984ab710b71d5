/**
 * Stable reason codes for a reward that is not allocated, in the order the eligibility flow checks them
 * (spec "Eligibility Check Flow"): phase 1 campaign constraints, phase 2 segmentation, phase 3 fraud. The
 * first failing check is the one reported. Clients, tests and journeys key on these, never on prose.
 */
export const REJECTION_REASONS = [
  // phase 1: campaign constraints
  'PROGRAM_NOT_FOUND',
  'CAMPAIGN_INACTIVE',
  'OUTSIDE_CAMPAIGN_PERIOD',
  'WINNER_CAP_REACHED',
  'BUDGET_EXHAUSTED',
  'EARNING_LIMIT',
  'BELOW_MINIMUM',
  // phase 2: segmentation
  'PLAN_MISMATCH',
  'BILLING_MISMATCH',
  'TENURE_TOO_LOW',
  'WRONG_STAGE',
  'LOW_ENGAGEMENT',
  'CHURN_RISK_TOO_HIGH',
  'SEGMENT_EXCLUDED',
  'RULE_CONDITION_FAILED',
  'NO_MATCHING_TIER',
  // phase 3: fraud
  'FRAUD_DETECTED',
  // the referrer was suspended for confirmed fraud (fraud/review.ts): no further rewards
  'PARTICIPANT_SUSPENDED',
  'DUPLICATE_CLAIM',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Reasons a reward leaves the happy path after allocation (recorded on the transition). */
export const LATER_REASONS = {
  approvalRejected: 'REJECTED_BY_REVIEWER',
  unapproved: 'NOT_APPROVED_IN_TIME',
  unclaimed: 'NOT_CLAIMED_IN_TIME',
  unredeemed: 'NOT_REDEEMED_IN_TIME',
} as const;
