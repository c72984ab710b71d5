import type { ParticipantData } from '../platform/participant-data.ts';

/** What the notification service holds about a participant (data-subject requests: platform/participant-data.ts). */
export const notificationParticipantData: ParticipantData = {
  service: 'notification',
  tables: [
    { table: 'contacts', idColumns: ['participant_id'], contactColumns: ['email'], erase: 'delete' },
    // Sent mail and messages: the recipient address is the participant's too.
    { table: 'notifications', idColumns: ['participant_id'], contactColumns: ['recipient'], erase: 'delete' },
    // The webhook delivery log keeps each body sent (for a redelivery): a body naming the participant goes.
    { table: 'webhook_deliveries', idColumns: [], mentionedIn: ['payload'], erase: 'delete' },
  ],
};
