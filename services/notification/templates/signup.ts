import type { TemplateContent } from './content.ts';
import { amountOf, email } from './layout.ts';

/** Signup Pulse (campaigns/signup.pulse.yaml): the new user's welcome and the referrer's thank-you. */
export const SIGNUP_TEMPLATES: Record<string, TemplateContent> = {
  // data: referral_code, referral_link, reward (absent unless the signup came through a referral)
  'signup-welcome': email({
    subject: 'Welcome aboard! Your referral link is ready',
    body: [
      "Thanks for joining us. We're really glad you're here.",
      'You now have your own referral link. Share it with friends and colleagues: when they sign up, you both get rewarded.',
    ],
    action: { label: 'Your referral link', url: '{{ referral_link }}' },
    after: [
      'Friends who prefer typing can enter your code at signup: {{ referral_code }}',
      `Joined through a friend's invite? Your welcome reward: ${amountOf('reward', 'none on this signup')}`,
    ],
  }),
  // data: reward (sent only when it was allocated)
  'signup-referrer-rewarded': email({
    subject: `Your friend joined: you earned ${amountOf('reward', 'a reward')}`,
    body: [
      'Someone you invited just signed up. Thank you for spreading the word!',
      `Your reward: ${amountOf('reward', 'a thank-you reward')}`,
      'Know someone else who would like it? Your referral link keeps working, and every friend who joins through it is rewarded too.',
    ],
  }),
};
