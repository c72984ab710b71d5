import type { ParticipantData } from '../platform/participant-data.ts';

/**
 * What the event service holds about a participant (data-subject requests: platform/participant-data.ts):
 * the outbox and dead letters (rows whose payload names the participant are deleted), and in ClickHouse the
 * events table, where a referee's events keep their row with the erased referrer pseudonymised.
 */
export const eventParticipantData: ParticipantData = {
  service: 'event',
  // Accepted events waiting for (or kept after) delivery, and the ones parked: the participant's go.
  tables: [
    { table: 'event_outbox', idColumns: [], mentionedIn: ['payload'], erase: 'delete' },
    { table: 'event_dead_letters', idColumns: [], mentionedIn: ['payload'], erase: 'delete' },
  ],
  clickhouse: [{ table: 'events', pseudonymise: ['referrer_id'] }],
};
