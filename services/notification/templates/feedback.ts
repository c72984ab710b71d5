import type { TemplateContent } from './content.ts';
import { amountOf, email } from './layout.ts';

const PLATFORM = '{{ platform | default: "your favourite review site" }}';
const DEADLINE = 'Open until: {{ deadline | default: "the end of the review window" }}';

/**
 * Feedback Pulse (campaigns/feedback.pulse.yaml). We reward the effort of an honest review, never its
 * sentiment: no copy here may ask for a good rating or tie the gift to one (templates.test.ts checks it).
 */
export const FEEDBACK_TEMPLATES: Record<string, TemplateContent> = {
  // data: platform, deadline
  'feedback-request': email({
    subject: 'Would you share your honest experience?',
    body: [
      'Thank you for answering our survey. Teams choosing their tools rely on real experiences like yours.',
      `Would you write a review on ${PLATFORM}? Tell it as it is: what works for you and what could be better.`,
      'Every verified review earns a gift card as a thank-you for your time, whatever the rating.',
      DEADLINE,
    ],
  }),
  // data: platform, deadline
  'feedback-reminder': email({
    subject: 'A gentle reminder: your review invitation',
    body: [
      `Recently we asked whether you would share your experience on ${PLATFORM}.`,
      'If you have a few minutes, your honest review helps other teams decide, and every verified review earns a gift card, whatever the rating.',
      DEADLINE,
      "Not your thing? No problem at all: this is the last reminder we'll send.",
    ],
  }),
  // data: reason (a verification code such as missing_rating)
  'feedback-unverified': email({
    subject: "We couldn't verify your review",
    body: [
      "Thank you for taking the time to write a review. Unfortunately we couldn't verify it, so we can't send the gift card this time.",
      'To be verified, a review needs a public link and a star rating (any rating counts).',
      'Reference: {{ reason | default: "verification failed" }}',
      'If you think this is a mistake, contact our support team with the link to your review and we will take a look.',
    ],
  }),
  // data: reward (the gift card; absent if it could not be allocated)
  'feedback-thanks': email({
    subject: 'Thank you for your review!',
    body: [
      'Thank you for writing a review. Honest feedback like yours helps other teams choose, and helps us get better.',
      `Your thank-you gift card: ${amountOf('reward', 'details in your account')}`,
      'We read every review, and the critical ones especially closely.',
    ],
  }),
};
