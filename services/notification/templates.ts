/**
 * Built-in templates (English). A client overrides any of them by storing a template with the same name;
 * journeys name templates, never inline copy, so marketing can change words without a deploy.
 */
export interface TemplateContent {
  subject: string;
  text: string;
  html?: string;
}

const signoff = '\n\n— {{ campaign.title | default: "The team" }}';

export const BUILT_IN_TEMPLATES: Record<string, TemplateContent> = {
  welcome: {
    subject: 'Welcome! Here is your referral link',
    text:
      'Hi {{ participant.name | default: "there" }},\n\nThanks for signing up. Share your link and you both get rewarded:\n{{ referral.link }}\n\nYour code: {{ referral.code }}' +
      signoff,
    html: '<p>Hi {{ participant.name | default: "there" }},</p><p>Thanks for signing up. Share your link and you both get rewarded:</p><p><a href="{{ referral.link }}">{{ referral.link }}</a></p><p>Your code: <b>{{ referral.code }}</b></p>',
  },
  'signup-welcome': {
    subject: 'Welcome! Your referral link is ready',
    text:
      'Hi {{ participant.name | default: "there" }},\n\nThanks for signing up. Invite friends with your personal link:\n{{ referral_link }}\n\nYour code: {{ referral_code }}\nWelcome reward: {{ reward.amount | default: "none yet" }} {{ reward.currency | default: "" }}' +
      signoff,
    html: '<p>Hi {{ participant.name | default: "there" }},</p><p>Thanks for signing up. Invite friends with your personal link:</p><p><a href="{{ referral_link }}">{{ referral_link }}</a></p><p>Your code: <b>{{ referral_code }}</b></p>',
  },
  'signup-referrer-rewarded': {
    subject:
      'Your friend joined: you earned {{ reward.amount | default: "a reward" }} {{ reward.currency | default: "" }}',
    text:
      'Someone you invited just signed up. Your reward ({{ reward.category | default: "reward" }}): {{ reward.amount | default: "" }} {{ reward.currency | default: "" }}, now {{ reward.state | default: "allocated" }}.' +
      signoff,
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
  'reactivation-offer': {
    subject: 'We miss you: {{ offer.description | default: "a special offer" }}',
    text:
      'It has been a while. Come back and get {{ offer.description | default: "a special offer" }}; it expires in {{ offer.expires_in | default: "30 days" }}.' +
      signoff,
  },
  'cross-sell-offer': {
    subject: 'Unlock {{ feature.name | default: "more" }} with a discount',
    text:
      'You have been looking at {{ feature.name | default: "a premium feature" }}. Upgrade now with {{ offer.description | default: "a discount" }}.' +
      signoff,
  },
  'renewal-reminder': {
    subject: 'Your subscription renews in {{ days_left | default: "a few" }} days',
    text:
      'Your plan ends soon. Renew now and get {{ offer.description | default: "a loyalty discount" }}.' +
      signoff,
  },
  'feedback-request': {
    subject: 'Would you share your experience?',
    text:
      'Could you leave an honest review on {{ platform | default: "a review site" }}? We thank every reviewer, whatever the rating, with {{ reward.description | default: "a gift" }}.' +
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
  'newsletter-welcome': {
    subject: 'Welcome to the newsletter',
    text:
      'Thanks for subscribing. Your download: {{ content.url | default: "in your inbox soon" }}. Invite friends: {{ referral.link | default: "" }}' +
      signoff,
  },
  reminder: {
    subject: '{{ subject | default: "A friendly reminder" }}',
    text: '{{ message | default: "Just a reminder about your open offer." }}' + signoff,
  },
};
