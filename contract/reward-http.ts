import type { FromSchema } from 'json-schema-to-ts';
import { createAjv } from './validation.ts';

/** JSON Schemas of the reward service's request bodies (types derived from them; validated once compiled). */

const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const side = { enum: ['referrer', 'referee', 'participant'] } as const;
const traits = { type: ['object', 'null'] } as const;
/** Optional numbers may arrive as null from a journey's `{ var: ... }` of a missing field: null = not given. */
const num = { type: ['number', 'null'] } as const;
const score = { type: ['number', 'null'], minimum: 0, maximum: 100 } as const;

/** What every internal call carries: the journey's tenant and pinned campaign version. */
const tenant = {
  client_id: id,
  campaign_id: id,
  version: { type: 'integer', minimum: 1 },
} as const;

export const eligibilityBody = {
  type: 'object',
  required: ['client_id', 'campaign_id', 'version', 'participant_id'],
  additionalProperties: false,
  properties: {
    ...tenant,
    participant_id: id,
    reward: { type: 'string' },
    side,
    referral_id: { type: ['string', 'null'] },
    basis_value: num,
    traits,
    fraud_score: score,
  },
} as const;

export const allocateBody = {
  type: 'object',
  required: ['client_id', 'campaign_id', 'version', 'participant_id', 'reward', 'idempotency_key'],
  additionalProperties: false,
  properties: {
    ...tenant,
    idempotency_key: { type: 'string', minLength: 1, maxLength: 500 },
    participant_id: id,
    reward: { type: 'string' },
    side,
    basis_value: num,
    referral_id: { type: ['string', 'null'] },
    reason: { type: 'string' },
    traits,
    fraud_score: score,
  },
} as const;

export const fulfilBody = {
  type: 'object',
  required: ['client_id'],
  additionalProperties: false,
  properties: { client_id: id },
} as const;

export const milestoneBody = {
  type: 'object',
  required: ['client_id', 'campaign_id', 'version', 'participant_id', 'milestone', 'idempotency_key'],
  additionalProperties: false,
  properties: {
    ...tenant,
    idempotency_key: { type: 'string', minLength: 1, maxLength: 500 },
    participant_id: id,
    milestone: { type: 'string' },
    increment: { type: ['number', 'null'], minimum: 0 },
    traits,
  },
} as const;

export const leaderboardBody = {
  type: 'object',
  required: ['client_id', 'campaign_id', 'version', 'leaderboard', 'idempotency_key'],
  additionalProperties: false,
  properties: {
    ...tenant,
    idempotency_key: { type: 'string', minLength: 1, maxLength: 500 },
    leaderboard: { type: 'string' },
    participant_id: id,
    value: num,
    quality_score: num,
    period: { type: 'string', maxLength: 20 },
    finalize: { type: 'boolean' },
  },
} as const;

export const programBody = {
  type: 'object',
  required: ['client_id', 'version', 'rewards', 'status'],
  additionalProperties: false,
  properties: {
    client_id: id,
    version: { type: 'integer', minimum: 1 },
    rewards: { type: 'object' },
    segments: { type: 'object' },
    status: { type: 'string', pattern: '^[a-z_]{1,30}$' },
    starts_at: { type: ['string', 'null'], format: 'date-time' },
    ends_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const programStatusBody = {
  type: 'object',
  required: ['client_id', 'status'],
  additionalProperties: false,
  properties: {
    client_id: id,
    status: { type: 'string', pattern: '^[a-z_]{1,30}$' },
    starts_at: { type: ['string', 'null'], format: 'date-time' },
    ends_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const claimBody = {
  type: 'object',
  required: ['participant_id'],
  additionalProperties: false,
  properties: {
    participant_id: id,
    /** What the participant chose for delivery: paypal_email, stripe_account, email, ... */
    details: { type: 'object', maxProperties: 20 },
  },
} as const;

export const rejectBody = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
} as const;

export const endpointBody = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', format: 'uri', pattern: '^https?://' },
    secret: { type: 'string', minLength: 16 },
  },
} as const;

export const sweepBody = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 5000 }, client_id: id },
} as const;

const ajv = createAjv();
export const validators = {
  eligibility: ajv.compile<FromSchema<typeof eligibilityBody>>(eligibilityBody),
  allocate: ajv.compile<FromSchema<typeof allocateBody>>(allocateBody),
  fulfil: ajv.compile<FromSchema<typeof fulfilBody>>(fulfilBody),
  milestone: ajv.compile<FromSchema<typeof milestoneBody>>(milestoneBody),
  leaderboard: ajv.compile<FromSchema<typeof leaderboardBody>>(leaderboardBody),
  program: ajv.compile<FromSchema<typeof programBody>>(programBody),
  programStatus: ajv.compile<FromSchema<typeof programStatusBody>>(programStatusBody),
  claim: ajv.compile<FromSchema<typeof claimBody>>(claimBody),
  reject: ajv.compile<FromSchema<typeof rejectBody>>(rejectBody),
  endpoint: ajv.compile<FromSchema<typeof endpointBody>>(endpointBody),
  sweep: ajv.compile<FromSchema<typeof sweepBody>>(sweepBody),
};
