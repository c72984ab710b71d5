import type { TemplateContent } from './content.ts';
import { amountOf, email } from './layout.ts';

/** Reactivation Pulse (campaigns/reactivation.pulse.yaml): the comeback offer and the welcome back. */
export const REACTIVATION_TEMPLATES: Record<string, TemplateContent> = {
  // data: offer (a reward rule name, not for people: not shown), attempt, expires_at.
  // Sent by email, in-app and push (the channel is chosen by churn risk), so the text stays short.
  'reactivation-offer': email({
    subject: "We've missed you! A welcome-back gift is waiting",
    body: [
      "It's been a while since we've seen you, and we'd love to have you back.",
      'Log in again before {{ expires_at | default: "the offer ends" }} and a welcome-back gift is yours, as a thank-you for giving us another try.',
      "If now isn't the right time, no hard feelings.",
    ],
  }),
  // data: reward (allocated once the user returned)
  'reactivation-welcome-back': email({
    subject: 'Welcome back! Your gift is ready',
    body: [
      "It's great to see you again.",
      `Your welcome-back gift: ${amountOf('reward', 'details in your account')}`,
      'Take a look around, and tell us if anything could work better for you.',
    ],
  }),
};
