import { fileURLToPath } from 'node:url';
import type { SimulationScript } from '../../../engine/simulation/script.ts';

/**
 * Simulation scenarios of the nine pulses in campaigns/: the events a journey receives and how the fake
 * activities answer. engine/pulses.test.ts asserts what each journey did; engine/record-histories.ts
 * records their histories for the replay test. `start` is the virtual time the simulation begins at
 * (for scripts that carry absolute dates, like a subscription's renewal date).
 */
export interface PulseScenario {
  pulse: string;
  name: string;
  script(start: number): SimulationScript;
}

export const CAMPAIGNS_DIR = fileURLToPath(new URL('../../../campaigns/', import.meta.url));
export const pulseFile = (pulse: string): string => `${CAMPAIGNS_DIR}${pulse}.pulse.yaml`;

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

// Events a client's backend sends signed carry `trust: 'server'` (the event service stamps it); browser
// events (signup, shares) carry none and count as `sdk`, which the campaigns accept for those events.
export const scenarios: PulseScenario[] = [
  // signup ──────────────────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'signup',
    name: 'referred',
    script: () => ({
      events: [
        {
          event: {
            event: 'user_signed_up',
            participant_id: 'ada',
            referral_id: 'ref-grace-ada',
            properties: { referral_code: 'GRACE20' },
            traits: { country: 'GB' },
          },
        },
      ],
      activities: {
        AttributeReferral: {
          returns: { attributed: true, referrer_id: 'grace', referral_id: 'ref-grace-ada' },
        },
      },
    }),
  },
  {
    pulse: 'signup',
    name: 'organic',
    script: () => ({
      events: [{ event: { event: 'user_signed_up', participant_id: 'bob' } }],
      activities: {
        AttributeReferral: {
          returns: { attributed: false, referrer_id: null, referral_id: null, reason: 'no referral' },
        },
      },
    }),
  },
  {
    pulse: 'signup',
    name: 'ineligible',
    script: () => ({
      events: [{ event: { event: 'user_signed_up', participant_id: 'eve' } }],
      activities: { CheckEligibility: { returns: { eligible: false, reason: 'blocked_segment' } } },
    }),
  },

  // conversion ──────────────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'conversion',
    name: 'tiered-with-milestone',
    script: () => {
      const purchase = {
        event: 'referred_made_purchase',
        trust: 'server' as const,
        event_id: 'purchase-o-1',
        participant_id: 'friend-1',
        referral_id: 'ref-1',
        properties: { order_id: 'o-1', amount: 180 },
      };
      return {
        events: [
          // Not a conversion: no amount. The trigger filter drops it before Temporal.
          {
            event: {
              event: 'purchase_completed',
              trust: 'server',
              participant_id: 'friend-1',
              properties: { order_id: 'o-0' },
            },
          },
          { event: purchase },
          // The bus redelivers the same purchase a minute later: the finished journey is not restarted.
          { at: '1m', event: purchase },
        ],
        activities: {
          CheckMilestone: { returns: { count: 5, reached: [5], reward_ids: ['rw-milestone-5'] } },
        },
      };
    },
  },
  {
    pulse: 'conversion',
    name: 'invalid',
    script: () => ({
      events: [
        {
          event: {
            event: 'referred_made_purchase',
            trust: 'server',
            participant_id: 'friend-2',
            properties: { order_id: 'o-2', amount: 20 },
          },
        },
      ],
      activities: { ValidateConversion: { returns: { valid: false, reason: 'below_min_order' } } },
    }),
  },
  {
    pulse: 'conversion',
    name: 'fraud',
    script: () => ({
      events: [
        {
          event: {
            event: 'purchase_completed',
            trust: 'server',
            participant_id: 'friend-3',
            properties: { order_id: 'o-3', amount: 90 },
          },
        },
      ],
      activities: { CheckFraud: { returns: { score: 95, blocked: true, flags: ['self_referral'] } } },
    }),
  },

  // reactivation ────────────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'reactivation',
    name: 'returns-after-second-offer',
    script: () => ({
      events: [
        {
          event: {
            event: 'user_became_inactive',
            trust: 'server',
            participant_id: 'sam',
            properties: { days_inactive: 45 },
          },
        },
        { at: '12d', event: { event: 'user_reactivated', trust: 'server', participant_id: 'sam' } },
      ],
      // The default fake scores churn risk "high": premium offers on three channels.
    }),
  },
  {
    pulse: 'reactivation',
    name: 'never-returns',
    script: () => ({
      events: [
        {
          event: {
            event: 'user_became_inactive',
            trust: 'server',
            participant_id: 'kim',
            properties: { days_inactive: 60 },
          },
        },
      ],
      activities: { ScoreParticipant: { returns: { score: 20, level: 'low' } } },
    }),
  },

  // renewal ─────────────────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'renewal',
    name: 'renews-after-two-reminders',
    script: (start) => ({
      events: [
        {
          event: {
            event: 'subscription_ending_soon',
            trust: 'server',
            participant_id: 'ola',
            properties: { subscription_id: 'sub-1', renews_at: iso(start + 40 * DAY), plan: 'pro' },
          },
        },
        {
          at: '28d',
          event: {
            event: 'subscription_renewed',
            trust: 'server',
            participant_id: 'ola',
            referral_id: 'ref-renew-1',
            properties: { subscription_id: 'sub-1', referral_id: 'ref-renew-1' },
          },
        },
      ],
      activities: {
        AttributeReferral: { returns: { attributed: true, referrer_id: 'pat', referral_id: 'ref-renew-1' } },
      },
    }),
  },
  {
    pulse: 'renewal',
    name: 'lapses',
    script: (start) => ({
      events: [
        {
          event: {
            event: 'subscription_ending_soon',
            trust: 'server',
            participant_id: 'lee',
            properties: { subscription_id: 'sub-2', renews_at: iso(start + 40 * DAY), plan: 'pro' },
          },
        },
      ],
      activities: { ScoreParticipant: { returns: { score: 30, level: 'low' } } },
    }),
  },

  // cross-sell ──────────────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'cross-sell',
    name: 'upgrades-after-reminder',
    script: () => ({
      events: [
        // Already on the plan the feature needs: no journey.
        {
          event: {
            event: 'feature_viewed',
            trust: 'server',
            participant_id: 'max',
            properties: { feature: 'sso', plan_required: 'pro' },
            traits: { plan: 'pro' },
          },
        },
        {
          event: {
            event: 'feature_viewed',
            trust: 'server',
            participant_id: 'mia',
            properties: { feature: 'sso', plan_required: 'pro' },
            traits: { plan: 'free' },
          },
        },
        {
          at: '9d',
          event: {
            event: 'subscription_upgraded',
            trust: 'server',
            participant_id: 'mia',
            referral_id: 'ref-up-1',
            properties: { plan: 'pro', amount: 49, referral_id: 'ref-up-1' },
          },
        },
      ],
      activities: {
        AttributeReferral: { returns: { attributed: true, referrer_id: 'ned', referral_id: 'ref-up-1' } },
      },
    }),
  },
  {
    pulse: 'cross-sell',
    name: 'offer-expires',
    script: () => ({
      events: [
        {
          event: {
            event: 'feature_viewed',
            trust: 'server',
            participant_id: 'noa',
            properties: { feature: 'audit-log', plan_required: 'enterprise' },
            traits: { plan: 'pro' },
          },
        },
      ],
    }),
  },
  {
    pulse: 'cross-sell',
    name: 'low-intent',
    script: () => ({
      events: [
        {
          event: {
            event: 'feature_viewed',
            trust: 'server',
            participant_id: 'ron',
            properties: { feature: 'sso', plan_required: 'pro' },
            traits: { plan: 'free' },
          },
        },
      ],
      activities: { ScoreParticipant: { returns: { score: 20, level: 'low' } } },
    }),
  },

  // feedback ────────────────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'feedback',
    name: 'review-after-reminder',
    script: () => ({
      events: [
        // A detractor's survey does not start a review journey.
        {
          event: {
            event: 'survey_completed',
            trust: 'server',
            participant_id: 'dan',
            properties: { score: 6 },
          },
        },
        {
          event: {
            event: 'survey_completed',
            trust: 'server',
            participant_id: 'liv',
            properties: { score: 10 },
          },
        },
        // A submission without a review URL does not satisfy the wait's match.
        {
          at: '1d',
          event: {
            event: 'feedback_submitted',
            trust: 'server',
            participant_id: 'liv',
            properties: { rating: 5 },
          },
        },
        {
          at: '8d',
          event: {
            event: 'feedback_submitted',
            trust: 'server',
            participant_id: 'liv',
            properties: { url: 'https://g2.example/review/1', rating: 5, platform: 'G2' },
          },
        },
      ],
    }),
  },
  {
    pulse: 'feedback',
    name: 'unverified',
    script: () => ({
      events: [
        {
          event: {
            event: 'survey_completed',
            trust: 'server',
            participant_id: 'ray',
            properties: { score: 9 },
          },
        },
        {
          at: '2d',
          event: {
            event: 'feedback_submitted',
            trust: 'server',
            participant_id: 'ray',
            properties: { url: 'https://capterra.example/r/9', rating: 2, platform: 'capterra' },
          },
        },
      ],
      activities: { VerifySubmission: { returns: { verified: false, reason: 'review not found' } } },
    }),
  },

  // product-education ───────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'product-education',
    name: 'power-user',
    script: () => ({
      events: [
        {
          event: {
            event: 'user_logged_in',
            trust: 'server',
            participant_id: 'ivy',
            traits: { adoption_score: 12 },
          },
        },
        { at: '1d', event: { event: 'tutorial_completed', trust: 'server', participant_id: 'ivy' } },
        {
          at: '2d',
          event: {
            event: 'feature_adopted',
            trust: 'server',
            participant_id: 'ivy',
            properties: { feature: 'reports' },
          },
        },
        {
          at: '4d',
          event: {
            event: 'feature_adopted',
            trust: 'server',
            participant_id: 'ivy',
            properties: { feature: 'api' },
          },
        },
        // The third feature comes after the first 14-day window: the nudge's second chance catches it.
        {
          at: '20d',
          event: {
            event: 'feature_adopted',
            trust: 'server',
            participant_id: 'ivy',
            properties: { feature: 'sso' },
          },
        },
      ],
      activities: {
        ScoreParticipant: {
          returns: { score: 12, level: 'low', signals: { unused_features: ['reports', 'api', 'sso'] } },
        },
        CheckMilestone: [
          { when: { '==': [{ var: 'call' }, 1] }, returns: { count: 1, reached: [1], reward_ids: ['ms-1'] } },
          { when: { '==': [{ var: 'call' }, 2] }, returns: { count: 2, reached: [], reward_ids: [] } },
          { when: { '==': [{ var: 'call' }, 3] }, returns: { count: 3, reached: [3], reward_ids: ['ms-3'] } },
        ],
      },
    }),
  },
  {
    pulse: 'product-education',
    name: 'stalls',
    script: () => ({
      events: [
        {
          event: {
            event: 'user_logged_in',
            trust: 'server',
            participant_id: 'jay',
            traits: { adoption_score: 5 },
          },
        },
      ],
      activities: { ScoreParticipant: { returns: { score: 5, level: 'low', signals: {} } } },
    }),
  },

  // switchup ────────────────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'switchup',
    name: 'full-migration',
    script: () => ({
      events: [
        {
          event: {
            event: 'switchup_initiated',
            trust: 'server',
            participant_id: 'acme-admin',
            properties: { competitor: 'OldCRM', records: 1200, plan: 'business' },
          },
        },
        {
          at: '5d',
          event: {
            event: 'switchup_data_imported',
            trust: 'server',
            participant_id: 'acme-admin',
            properties: { records: 1180 },
          },
        },
        { at: '20d', event: { event: 'switchup_completed', trust: 'server', participant_id: 'acme-admin' } },
      ],
    }),
  },
  {
    pulse: 'switchup',
    name: 'abandons-before-import',
    script: () => ({
      events: [
        {
          event: {
            event: 'switchup_initiated',
            trust: 'server',
            participant_id: 'beta-admin',
            properties: { competitor: 'OldCRM' },
          },
        },
      ],
    }),
  },
  {
    pulse: 'switchup',
    name: 'unverified-proof',
    script: () => ({
      events: [
        {
          event: {
            event: 'switchup_initiated',
            trust: 'server',
            participant_id: 'gamma-admin',
            properties: { competitor: 'Nope' },
          },
        },
      ],
      activities: { VerifySubmission: { returns: { verified: false, reason: 'invoice unreadable' } } },
    }),
  },

  // newsletter ──────────────────────────────────────────────────────────────────────────────────────
  {
    pulse: 'newsletter',
    name: 'referred-and-shares',
    script: () => ({
      events: [
        {
          event: {
            event: 'newsletter_subscribed',
            trust: 'server',
            participant_id: 'zoe',
            referral_id: 'ref-news-1',
          },
        },
        { at: '2d', event: { event: 'referral_shared_x', participant_id: 'zoe' } },
      ],
      activities: {
        AttributeReferral: { returns: { attributed: true, referrer_id: 'yan', referral_id: 'ref-news-1' } },
        CheckMilestone: { returns: { count: 5, reached: [5], reward_ids: ['badge-5'] } },
      },
    }),
  },
  {
    pulse: 'newsletter',
    name: 'no-share',
    script: () => ({
      events: [{ event: { event: 'newsletter_subscribed', trust: 'server', participant_id: 'xia' } }],
      activities: {
        AttributeReferral: {
          returns: { attributed: false, referrer_id: null, referral_id: null, reason: 'none' },
        },
      },
    }),
  },
];
