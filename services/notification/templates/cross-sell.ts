import type { TemplateContent } from './content.ts';
import { amountOf, email, inApp } from './layout.ts';

const FEATURE = '{{ feature | default: "our premium features" }}';
const DISCOUNT = amountOf('coupon', 'saved to your account');

/** Cross-Sell Pulse (campaigns/cross-sell.pulse.yaml): a time-limited upgrade offer for a viewed feature. */
export const CROSS_SELL_TEMPLATES: Record<string, TemplateContent> = {
  // data: feature, plan, coupon (a percent coupon: no amount), offer_ends_at, referral_link
  'cross-sell-offer': email({
    subject: 'Unlock {{ feature | default: "more" }}: an upgrade offer just for you',
    body: [
      `We noticed you've been exploring ${FEATURE}. It's part of the {{ plan | default: "upgraded" }} plan, and we think you'll love it.`,
      'To make the step easier, we have reserved an upgrade offer for you:',
      `Your upgrade discount: ${DISCOUNT}\nValid until: {{ offer_ends_at | default: "the end of the offer period" }}`,
      'Upgrade in the app while the offer is open and the discount is yours.',
      'Know a colleague who would get value from it too? Share your link: when they upgrade, you earn a bonus.',
    ],
    action: { label: 'Share your link', url: '{{ referral_link }}' },
  }),
  // data: feature, coupon
  'cross-sell-modal': inApp(
    `Try ${FEATURE} with an upgrade discount`,
    `Like what you see in ${FEATURE}? It comes with an upgrade, and a discount is reserved for you.\nYour upgrade discount: ${DISCOUNT}`,
  ),
  // data: feature, coupon, offer_ends_at
  'cross-sell-reminder': email({
    subject: 'Your upgrade offer is still open',
    body: [
      `A quick reminder: the discount we reserved for you to unlock ${FEATURE} is still waiting.`,
      `Your upgrade discount: ${DISCOUNT}\nValid until: {{ offer_ends_at | default: "the end of the offer period" }}`,
      "Not the right fit for you? No problem, simply ignore this email. It's the only reminder we'll send.",
    ],
  }),
  // data: plan (from the upgrade event, may be absent), referral_link
  'cross-sell-thanks': email({
    subject: 'Welcome to {{ plan | default: "your new plan" }}!',
    body: [
      'Thanks for upgrading! Everything in {{ plan | default: "your new plan" }} is unlocked and ready to use.',
      'Know a colleague who would get as much out of it? Share your link: when they upgrade, you earn a bonus.',
    ],
    action: { label: 'Share your link', url: '{{ referral_link }}' },
  }),
};
