import type { ParticipantData } from '../platform/participant-data.ts';

/**
 * What the event service holds about a participant (data-subject requests: platform/participant-data.ts):
 * the outbox and dead letters (swept: rows naming the participant are rewritten), and in ClickHouse the
 * events table, where a referee's events keep their row with the erased referrer pseudonymised.
 */
export const eventParticipantData: ParticipantData = {
  service: 'event',
  tables: [],
  clickhouse: [{ table: 'events', pseudonymise: ['referrer_id'] }],
};
