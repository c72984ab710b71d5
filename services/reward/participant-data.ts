import type { ParticipantData } from '../platform/participant-data.ts';

/**
 * What the reward service holds about a participant (data-subject requests: platform/participant-data.ts).
 * The ledger keeps its integrity: rewards, entries and balances stay with their amounts and ids, under a
 * pseudonym; what the participant gave to claim (payout addresses) is cleared.
 */
export const rewardParticipantData: ParticipantData = {
  service: 'reward',
  tables: [
    { table: 'rewards', idColumns: ['participant_id'], erase: { pseudonymise: true, clear: ['claim'] } },
    { table: 'ledger_accounts', idColumns: ['participant_id'], erase: { pseudonymise: true } },
    { table: 'ledger_entries', idColumns: ['participant_id'], erase: { pseudonymise: true } },
    { table: 'reward_earners', idColumns: ['participant_id'], erase: { pseudonymise: true } },
    { table: 'milestone_counters', idColumns: ['participant_id'], erase: { pseudonymise: true } },
    { table: 'leaderboard_scores', idColumns: ['participant_id'], erase: { pseudonymise: true } },
  ],
};
