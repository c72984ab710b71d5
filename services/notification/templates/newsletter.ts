import type { TemplateContent } from './content.ts';
import { amountOf, email } from './layout.ts';

/** Newsletter Subscription Pulse (campaigns/newsletter.pulse.yaml): welcome ebook and subscriber referrals. */
export const NEWSLETTER_TEMPLATES: Record<string, TemplateContent> = {
  // data: ebook (the ebook id: not shown, it is not a title), reward (the ebook access: no amount), referral_link
  'newsletter-welcome': email({
    subject: 'Welcome! Your free ebook is ready',
    body: [
      'Thanks for subscribing! Expect practical ideas in your inbox, and nothing you did not sign up for.',
      'As promised, your welcome ebook is unlocked in your account.',
      `Your welcome gift: ${amountOf('reward', 'the ebook, on the house')}`,
      'Enjoying the newsletter? Share it with friends: every friend who subscribes through your link earns you a reward, and badges along the way.',
    ],
    action: { label: 'Share your link', url: '{{ referral_link }}' },
  }),
  // data: reward, friends (CheckMilestone count), badges_reached
  'newsletter-friend-subscribed': email({
    subject: 'A friend just subscribed thanks to you',
    body: [
      'Someone subscribed to the newsletter through your link. Thanks for sharing!',
      `Your reward: ${amountOf('reward', 'a thank-you reward')}`,
      'Friends subscribed through your link so far: {{ friends }}',
      'Badges unlock as that number grows. Keep sharing!',
    ],
  }),
  // data: referral_link
  'newsletter-share-reminder': email({
    subject: "Know someone who'd enjoy the newsletter?",
    body: [
      "We hope you're enjoying the newsletter so far!",
      'If a friend or colleague would find it useful, pass it on with your personal link. You earn a reward for every friend who subscribes.',
    ],
    action: { label: 'Share your link', url: '{{ referral_link }}' },
    after: ["This is the only reminder we'll send."],
  }),
};
