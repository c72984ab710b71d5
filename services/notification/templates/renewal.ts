import type { TemplateContent } from './content.ts';
import { amountOf, type EmailCopy, email } from './layout.ts';

/*
 * Renewal Pulse (campaigns/renewal.pulse.yaml). The four reminders receive renews_at, plan, offer_level and
 * referral_link. offer_level (1-5) is an internal step, not a discount people can read, so it is not shown;
 * the discount is applied automatically when the customer renews.
 */
const PLAN = '{{ plan | default: "current" }}';
const SHARE = 'Know someone who would love it too? Share your link: referrals can earn you a free year.';
const SHARE_ACTION = { label: 'Share your link', url: '{{ referral_link }}' };

function reminder(subject: string, body: string[]): EmailCopy {
  return { subject, body: [...body, SHARE], action: SHARE_ACTION };
}

export const RENEWAL_TEMPLATES: Record<string, TemplateContent> = {
  'renewal-reminder-30': email(
    reminder('Your subscription renews in 30 days', [
      `Just a heads-up: your ${PLAN} plan renews on {{ renews_at }}.`,
      'As a thank-you for staying with us, a loyalty discount is waiting for you. Renew and it is applied automatically.',
    ]),
  ),
  'renewal-reminder-14': email(
    reminder('Two weeks to go, and your loyalty discount just went up', [
      `Your ${PLAN} plan renews on {{ renews_at }}.`,
      'Good news: your loyalty discount is now bigger than in our last email. Renew and it is applied automatically.',
    ]),
  ),
  'renewal-reminder-7': email(
    reminder('One week to your renewal, with a bigger loyalty discount', [
      `Your ${PLAN} plan renews on {{ renews_at }}, one week from now.`,
      "We've raised your loyalty discount again. Renew and it is applied automatically.",
    ]),
  ),
  'renewal-reminder-3': email(
    reminder('Your subscription renews in 3 days', [
      `This is our last reminder: your ${PLAN} plan renews on {{ renews_at }}.`,
      'Your loyalty discount is the highest we have offered you, and it is applied automatically when you renew.',
      'Questions about your plan before then? Our team is happy to help.',
    ]),
  ),
  // data: discount (absent when the customer renewed before any reminder), referral_link
  'renewal-thanks': email({
    subject: 'Thank you for renewing!',
    body: [
      "Your subscription is renewed, and we're so glad you're staying with us.",
      `Your loyalty discount: ${amountOf('discount', 'applied to your renewal if your reminder included one')}`,
      SHARE,
    ],
    action: SHARE_ACTION,
  }),
};
