import type { TemplateContent } from './content.ts';
import { SIGNOFF } from './layout.ts';

const signoff = `\n\n${SIGNOFF}`;

/**
 * Journey-neutral templates for campaigns clients write themselves. Unlike the journey templates they
 * name their data freely (`referral.link`, `reward.description`); `welcome` deliberately has no defaults
 * for the link and code, since a welcome email without them is worse than none.
 */
export const GENERIC_TEMPLATES: Record<string, TemplateContent> = {
  welcome: {
    subject: 'Welcome! Here is your referral link',
    text:
      'Hi {{ participant.name | default: "there" }},\n\nThanks for signing up. Share your link and you both get rewarded:\n{{ referral.link }}\n\nYour code: {{ referral.code }}' +
      signoff,
    html: '<p>Hi {{ participant.name | default: "there" }},</p><p>Thanks for signing up. Share your link and you both get rewarded:</p><p><a href="{{ referral.link }}">{{ referral.link }}</a></p><p>Your code: <b>{{ referral.code }}</b></p>',
  },
  'referral-reward': {
    subject: 'You earned a reward',
    text:
      'Good news: someone you referred joined, and you earned {{ reward.description | default: "a reward" }}.\nKeep sharing: {{ referral.link | default: "" }}' +
      signoff,
  },
  'referee-welcome': {
    subject: 'Your welcome reward is here',
    text:
      'Welcome aboard! Because a friend invited you, you get {{ reward.description | default: "a welcome reward" }}.' +
      signoff,
  },
  'conversion-thanks': {
    subject: 'Thanks: your referral paid off',
    text:
      'Your referral made a purchase. Reward: {{ reward.description | default: "on its way" }}.' + signoff,
  },
  'milestone-reached': {
    subject: 'Milestone reached: {{ milestone.count | default: "new" }} referrals',
    text:
      'You reached {{ milestone.count | default: "a new" }} successful referrals. A bonus is on its way.' +
      signoff,
  },
  'renewal-reminder': {
    subject: 'Your subscription renews in {{ days_left | default: "a few" }} days',
    text:
      'Your plan ends soon. Renew now and get {{ offer.description | default: "a loyalty discount" }}.' +
      signoff,
  },
  'education-invite': {
    subject: 'Get more out of the product',
    text:
      'Here is a short learning path picked for you. Complete it to earn {{ reward.description | default: "badges and rewards" }}.' +
      signoff,
  },
  'switchup-welcome': {
    subject: 'Welcome! Your migration plan',
    text:
      'Welcome! Your migration plan is ready and your specialist will be in touch. First reward: {{ reward.description | default: "on its way" }}.' +
      signoff,
  },
  reminder: {
    subject: '{{ subject | default: "A friendly reminder" }}',
    text: '{{ message | default: "Just a reminder about your open offer." }}' + signoff,
  },
};
