import type { TemplateContent } from './content.ts';
import { amountOf, email } from './layout.ts';

/** Conversion Pulse (campaigns/conversion.pulse.yaml): both sides of a referred purchase, and milestones. */
export const CONVERSION_TEMPLATES: Record<string, TemplateContent> = {
  // data: conversions (CheckMilestone count), reached (thresholds just passed, never empty here)
  'referrer-milestone': email({
    subject: 'Milestone unlocked: {{ conversions }} friends have bought through you',
    body: [
      "{{ conversions }} friends have now made a purchase thanks to your recommendation. That's a milestone, and it comes with a bonus.",
      'Your milestone bonus is on its way to your account. Thank you for being one of our best ambassadors!',
    ],
  }),
  // data: reward, rank (absent when the leaderboard is off or could not be updated)
  'conversion-referrer-rewarded': email({
    subject: `Your referral paid off: you earned ${amountOf('reward', 'a reward')}`,
    body: [
      'Good news: a friend you referred just placed an order. Thank you for recommending us!',
      `Your reward: ${amountOf('reward', 'a thank-you reward')}`,
      'Your place on this month\'s referral leaderboard: {{ rank | default: "see your dashboard" }}',
    ],
  }),
  // data: reward (the friend's thank-you, usually a percent coupon: no amount)
  'conversion-referee-thanks': email({
    subject: "Thanks for your order! Here's a little something",
    body: [
      "Thanks for shopping with us, and for giving us a try on a friend's recommendation.",
      `Your thank-you gift: ${amountOf('reward', 'a discount on your next order')}`,
      "You'll find it in your account, ready for next time.",
    ],
  }),
};
