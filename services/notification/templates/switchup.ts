import type { TemplateContent } from './content.ts';
import { amountOf, email, inApp } from './layout.ts';

const COMPETITOR = '{{ competitor | default: "your previous tool" }}';
const INVITE = { label: 'Invite your team', url: '{{ team_invite_link }}' };

/** Switchup Pulse (campaigns/switchup.pulse.yaml): a verified switch from a competitor, step by step. */
export const SWITCHUP_TEMPLATES: Record<string, TemplateContent> = {
  // data: reason (a verification code such as missing_proof_url)
  'switchup-proof-needed': email({
    subject: "We couldn't confirm your switch yet",
    body: [
      "Thanks for choosing to switch to us! Before we can unlock your switch rewards, we need to confirm you're coming from another provider.",
      'A recent invoice or a cancellation confirmation from your current provider is all it takes.',
      'Reference: {{ reason | default: "proof not verified" }}',
      "Start the switch again in the app with your proof attached and we'll check it right away.",
    ],
  }),
  // data: competitor, records, reward, team_invite_link
  'switchup-welcome-guide': email({
    subject: 'Welcome! Your move from {{ competitor | default: "your old tool" }} starts here',
    body: [
      `Welcome aboard! We've confirmed your switch from ${COMPETITOR}, and we're here to make the move painless.`,
      `Your welcome credit: ${amountOf('reward', 'details in your account')}`,
      'Your migration plan:\n1. Import your data (records to bring over: {{ records | default: "all of them" }}).\n2. Move the rest of your work and finish the switch.\nEach step earns you more credit, and a migration specialist will be in touch shortly to help.',
      'Switching as a team? Invite your colleagues with your link:',
    ],
    action: INVITE,
  }),
  // data: competitor
  'switchup-import-nudge': email({
    subject: 'Need a hand importing your data?',
    body: [
      `Your account is ready, but your data from ${COMPETITOR} hasn't arrived yet.`,
      'Importing it unlocks your next migration reward. Stuck somewhere? Your migration specialist is happy to walk you through it.',
    ],
  }),
  // data: reward, records (from the import event, may be absent)
  'switchup-import-done': inApp(
    'Data imported: nice work!',
    `Your data is in. Records imported: {{ records | default: "all set" }}\nYour reward: ${amountOf('reward', 'details in your account')}\nNext: finish the move to earn your final migration bonus.`,
  ),
  // data: competitor
  'switchup-completion-nudge': email({
    subject: 'Almost there: finish your move',
    body: [
      `Your data is imported. The last step is moving the rest of your work over from ${COMPETITOR}.`,
      'Complete the move to earn your final migration bonus. Your migration specialist can help with anything left.',
    ],
  }),
  // data: reward, team_invite_link
  'switchup-completed': email({
    subject: 'Welcome home: your move is complete!',
    body: [
      "That's it: you've fully switched. Thank you for trusting us with your work.",
      `Your completion bonus: ${amountOf('reward', 'details in your account')}`,
      'Bring your colleagues along with your personal invite link:',
    ],
    action: INVITE,
  }),
};
