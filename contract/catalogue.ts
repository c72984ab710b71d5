import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { ActivityContext } from './activity-context.ts';

/**
 * The activity catalogue: every activity a campaign may name in a `do` step, with the JSON Schema of its
 * `with` input and of its result. The DSL validator reads this (unknown activity or input that does not
 * match = validation error); the worker registers implementations under the same names; input/output
 * TypeScript types are derived from these schemas, never written twice.
 */
export interface ActivityDefinition {
  description: string;
  input: JSONSchema & object;
  output: JSONSchema & object;
}

const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

export const catalogue = {
  FetchCampaignConfig: {
    description: 'Current status and schedule of this campaign (active, dates, budget use).',
    input: { type: 'object', additionalProperties: false, properties: {} },
    output: {
      type: 'object',
      required: ['active', 'status'],
      properties: {
        active: { type: 'boolean' },
        status: { type: 'string' },
        starts_at: { type: ['string', 'null'] },
        ends_at: { type: ['string', 'null'] },
      },
    },
  },
  CheckEligibility: {
    description: 'Three-phase eligibility (campaign constraints, segmentation, fraud) for one participant.',
    input: {
      type: 'object',
      required: ['participant_id'],
      additionalProperties: false,
      properties: {
        participant_id: id,
        side: { enum: ['referrer', 'referee', 'participant'] },
        reward: { description: 'Name of the reward rule in the campaign `rewards` section', type: 'string' },
        referral_id: {
          description: 'Referral the reward would be for (duplicate-claim check)',
          type: ['string', 'null'],
        },
        basis_value: { description: 'Order value or other basis (minimums, value tiers)', type: 'number' },
        traits: anyObject,
        fraud_score: { type: 'number', minimum: 0, maximum: 100 },
      },
    },
    output: {
      type: 'object',
      required: ['eligible', 'reason'],
      properties: {
        eligible: { type: 'boolean' },
        reason: { type: ['string', 'null'] },
        segment: { type: ['string', 'null'] },
        reward: {},
      },
    },
  },
  CheckFraud: {
    description: 'Fraud signals for a referral: self-referral, duplicate IP/email, velocity, time window.',
    input: {
      type: 'object',
      required: ['participant_id'],
      additionalProperties: false,
      properties: { participant_id: id, referrer_id: id, referral_id: id, ip_hash: { type: 'string' } },
    },
    output: {
      type: 'object',
      required: ['score', 'flags', 'blocked'],
      properties: {
        score: { type: 'number' },
        flags: { type: 'array', items: { type: 'string' } },
        blocked: { type: 'boolean' },
      },
    },
  },
  GenerateReferralAssets: {
    description: 'Create (or return the existing) referral code and share link for a participant.',
    input: {
      type: 'object',
      required: ['participant_id'],
      additionalProperties: false,
      properties: {
        participant_id: id,
        email: { type: 'string' },
        name: { type: 'string' },
        landing_url: {
          description: 'Page the share link forwards to (with ?ref=CODE)',
          type: 'string',
          format: 'uri',
        },
      },
    },
    output: {
      type: 'object',
      required: ['code', 'link'],
      properties: { code: { type: 'string' }, link: { type: 'string' } },
    },
  },
  AttributeReferral: {
    description: 'Link a new participant to the referrer whose code or referral id they arrived with.',
    input: {
      type: 'object',
      required: ['referee_id'],
      additionalProperties: false,
      properties: {
        referee_id: id,
        code: { type: ['string', 'null'] },
        referral_id: { type: ['string', 'null'] },
      },
    },
    output: {
      type: 'object',
      required: ['attributed'],
      properties: {
        attributed: { type: 'boolean' },
        referrer_id: { type: ['string', 'null'] },
        referral_id: { type: ['string', 'null'] },
        reason: { type: ['string', 'null'] },
      },
    },
  },
  ValidateConversion: {
    description: 'Check a referred purchase: attribution exists, order value, timing window, not a repeat.',
    input: {
      type: 'object',
      required: ['referee_id'],
      additionalProperties: false,
      properties: {
        referee_id: id,
        referral_id: { type: ['string', 'null'] },
        order_id: { type: 'string' },
        order_value: { type: 'number', minimum: 0 },
        min_order: { type: 'number', minimum: 0 },
        window_days: { type: 'number', minimum: 0 },
      },
    },
    output: {
      type: 'object',
      required: ['valid', 'reason'],
      properties: {
        valid: { type: 'boolean' },
        reason: { type: ['string', 'null'] },
        referrer_id: { type: ['string', 'null'] },
        referral_id: { type: ['string', 'null'] },
      },
    },
  },
  ScoreParticipant: {
    description:
      'A 0-100 score and low/medium/high level from a named model (churn risk, intent, health, adoption).',
    input: {
      type: 'object',
      required: ['participant_id', 'model'],
      additionalProperties: false,
      properties: {
        participant_id: id,
        model: {
          enum: ['churn_risk', 'purchase_intent', 'customer_health', 'feature_adoption', 'engagement'],
        },
        traits: anyObject,
      },
    },
    output: {
      type: 'object',
      required: ['score', 'level'],
      properties: {
        score: { type: 'number' },
        level: { enum: ['low', 'medium', 'high'] },
        signals: anyObject,
      },
    },
  },
  VerifySubmission: {
    description:
      'Verify proof a participant submitted (a review URL and rating, a competitor invoice, a migration).',
    input: {
      type: 'object',
      required: ['participant_id', 'kind'],
      additionalProperties: false,
      properties: {
        participant_id: id,
        kind: { enum: ['review', 'competitor_proof', 'migration'] },
        url: { type: 'string' },
        rating: { type: 'number' },
        platform: { type: 'string' },
        evidence: anyObject,
      },
    },
    output: {
      type: 'object',
      required: ['verified', 'reason'],
      properties: {
        verified: { type: 'boolean' },
        reason: { type: ['string', 'null'] },
        tier: { type: ['string', 'null'] },
      },
    },
  },
  AllocateReward: {
    description:
      'Allocate a reward under the campaign rule, enforcing budget, winner cap and earning limits.',
    input: {
      type: 'object',
      required: ['participant_id', 'reward'],
      additionalProperties: false,
      properties: {
        participant_id: id,
        reward: { description: 'Name of the reward rule in the campaign `rewards` section', type: 'string' },
        side: { enum: ['referrer', 'referee', 'participant'] },
        basis_value: {
          description: 'Value the reward is computed from (order amount, tier input)',
          type: 'number',
        },
        referral_id: { type: ['string', 'null'] },
        reason: { type: 'string' },
        traits: { ...anyObject, description: 'Participant traits for segmentation (plan, tenure_days, ...)' },
        fraud_score: { type: 'number', minimum: 0, maximum: 100 },
      },
    },
    output: {
      type: 'object',
      required: ['allocated'],
      properties: {
        allocated: { type: 'boolean' },
        reward_id: { type: ['string', 'null'] },
        state: { type: ['string', 'null'] },
        category: { type: ['string', 'null'] },
        amount: { type: ['number', 'null'] },
        currency: { type: ['string', 'null'] },
        reason: { type: ['string', 'null'] },
        segment: { type: ['string', 'null'] },
        fulfilment: { enum: ['auto', 'claim', 'approval'] },
        label: {
          description: 'What the participant gets, in words, e.g. "$20.00 store credit"',
          type: ['string', 'null'],
        },
      },
    },
  },
  FulfillReward: {
    description: 'Move an approved reward through fulfilment (ledger credit, coupon, webhook, provider).',
    input: {
      type: 'object',
      required: ['reward_id'],
      additionalProperties: false,
      properties: { reward_id: id },
    },
    output: {
      type: 'object',
      required: ['state'],
      properties: { state: { type: 'string' }, fulfilment: anyObject },
    },
  },
  CheckMilestone: {
    description: 'Increment a participant counter and report milestones reached (and rewards they earned).',
    input: {
      type: 'object',
      required: ['participant_id', 'milestone'],
      additionalProperties: false,
      properties: {
        participant_id: id,
        milestone: { description: 'Name of the milestone reward rule in `rewards`', type: 'string' },
        increment: { type: 'number', minimum: 0 },
      },
    },
    output: {
      type: 'object',
      required: ['count', 'reached'],
      properties: {
        count: { type: 'number' },
        reached: { type: 'array', items: { type: 'number' } },
        reward_ids: { type: 'array', items: { type: 'string' } },
      },
    },
  },
  CalculateLeaderboard: {
    description: "Recalculate a leaderboard's standings; with `finalize`, distribute its prizes.",
    input: {
      type: 'object',
      required: ['leaderboard'],
      additionalProperties: false,
      properties: {
        leaderboard: { description: 'Name of the leaderboard reward rule in `rewards`', type: 'string' },
        participant_id: { ...id, description: 'Participant whose conversion this is (adds to their score)' },
        value: { description: 'Conversion value added to the score (rank_by: value)', type: 'number' },
        quality_score: { description: 'Quality added to the score (rank_by: quality_score)', type: 'number' },
        period: { description: 'Period key to settle (default: the one that just ended)', type: 'string' },
        finalize: { type: 'boolean' },
      },
    },
    output: {
      type: 'object',
      required: ['standings'],
      properties: {
        standings: { type: 'array' },
        rank: { type: ['number', 'null'] },
        changed: { type: 'boolean' },
        period: { type: 'string' },
        final: { type: 'boolean' },
        reward_ids: { type: 'array', items: { type: 'string' } },
      },
    },
  },
  RenderNotificationContent: {
    description:
      'Render a template (subject, html, text) with participant, referral, reward and campaign data.',
    input: {
      type: 'object',
      required: ['template'],
      additionalProperties: false,
      properties: { template: { type: 'string' }, locale: { type: 'string' }, data: anyObject },
    },
    output: {
      type: 'object',
      required: ['subject', 'text'],
      properties: { subject: { type: 'string' }, html: { type: 'string' }, text: { type: 'string' } },
    },
  },
  SendNotification: {
    description: 'Render and deliver a notification (email, in-app, push, sms) once per idempotency key.',
    input: {
      type: 'object',
      required: ['template', 'participant_id'],
      additionalProperties: false,
      properties: {
        channel: { enum: ['email', 'in_app', 'push', 'sms'] },
        template: { type: 'string' },
        participant_id: id,
        to: { type: 'string' },
        locale: { type: 'string' },
        data: anyObject,
      },
    },
    output: {
      type: 'object',
      required: ['notification_id', 'status'],
      properties: { notification_id: { type: 'string' }, status: { type: 'string' } },
    },
  },
  SendWebhook: {
    description: "Deliver a signed webhook to the client's endpoints subscribed to a topic.",
    input: {
      type: 'object',
      required: ['topic'],
      additionalProperties: false,
      properties: { topic: { type: 'string' }, payload: anyObject },
    },
    output: { type: 'object', required: ['delivered'], properties: { delivered: { type: 'number' } } },
  },
  RecordWorkflowMetrics: {
    description: 'Record a journey outcome and counters for analytics.',
    input: {
      type: 'object',
      additionalProperties: false,
      properties: { outcome: { type: 'string' }, metrics: anyObject },
    },
    output: { type: 'object', required: ['recorded'], properties: { recorded: { type: 'boolean' } } },
  },
  EmitEvent: {
    description:
      'Publish a platform event (used by `emit` steps); it enters the pipeline like any other event.',
    input: {
      type: 'object',
      required: ['event'],
      additionalProperties: false,
      properties: { event: { type: 'string' }, participant_id: id, properties: anyObject },
    },
    output: { type: 'object', required: ['event_id'], properties: { event_id: { type: 'string' } } },
  },
} as const satisfies Record<string, ActivityDefinition>;

export type ActivityName = keyof typeof catalogue;
export const activityNames = Object.keys(catalogue) as ActivityName[];

export type ActivityInput<N extends ActivityName> = FromSchema<(typeof catalogue)[N]['input']>;
export type ActivityOutput<N extends ActivityName> = FromSchema<(typeof catalogue)[N]['output']>;

/** The implementation set the worker registers: one function per catalogue entry. */
export type ActivityImplementations = {
  [N in ActivityName]: (input: ActivityInput<N>, ctx: ActivityContext) => Promise<ActivityOutput<N>>;
};
