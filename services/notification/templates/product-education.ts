import type { TemplateContent } from './content.ts';
import { amountOf, email, inApp } from './layout.ts';

// `features` is the list of unused features, often empty: only its first entry is shown, with a default.
const NEXT_FEATURE = '{{ features.0 | default: "a feature you haven\'t tried yet" }}';

/** Product Education Pulse (campaigns/product-education.pulse.yaml): a rewarded learning path. */
export const PRODUCT_EDUCATION_TEMPLATES: Record<string, TemplateContent> = {
  // data: features, adoption_score (internal: not shown)
  'education-invitation': email({
    subject: 'Your personal learning path is ready',
    body: [
      "You've got the basics down, and there's a lot more waiting for you. We've put together a short learning path based on how you work.",
      'Step one is a quick tutorial. After that, a good place to start: {{ features.0 | default: "the feature that fits your work best" }}.',
      'Every milestone you reach along the way earns a reward, and power users get something extra.',
      "You'll find your learning path in the app whenever you're ready.",
    ],
  }),
  // data: features
  'education-learning-path': inApp(
    'Your learning path is ready',
    `Start with the quick tutorial, then try ${NEXT_FEATURE}. Each milestone earns a reward.`,
  ),
  // data: reward (the tutorial badge: no amount)
  'education-badge': inApp(
    'Tutorial complete: you earned a badge!',
    `Nice work finishing the tutorial. Your reward: ${amountOf('reward', 'a new badge on your profile')}`,
  ),
  // data: features
  'education-tutorial-nudge': email({
    subject: 'Your quick tutorial is still waiting',
    body: [
      'A little while ago we set up a learning path for you. The first step, a short tutorial, is still waiting.',
      `Finish it to earn your first badge, then try ${NEXT_FEATURE}.`,
      "Not the right time? No problem: it will be there when you're ready.",
    ],
  }),
  // data: features
  'education-feature-nudge': email({
    subject: 'Ready for your next step?',
    body: [
      `You're making progress on your learning path. Next up: ${NEXT_FEATURE}.`,
      'Trying it brings you one step closer to your next reward, and to power-user status.',
    ],
  }),
  // data: feature, features_adopted (CheckMilestone count), reached
  'education-milestone': inApp(
    'Milestone reached! Features adopted: {{ features_adopted }}',
    'You started using {{ feature | default: "a new feature" }}: great choice. Your milestone reward is on its way.',
  ),
  // data: share_link
  'education-power-user': email({
    subject: "You're officially a power user!",
    body: [
      "You've adopted the features that make the biggest difference. Welcome to power-user status!",
      'Your power-user reward is on its way to your account, as a thank-you for learning the ropes.',
      'Your team could work the same way. Invite them with your personal link:',
    ],
    action: { label: 'Invite your team', url: '{{ share_link }}' },
  }),
};
