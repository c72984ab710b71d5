import type { ParticipantData } from '../platform/participant-data.ts';

/** What the referral service holds about a participant (data-subject requests: platform/participant-data.ts). */
export const referralParticipantData: ParticipantData = {
  service: 'referral',
  tables: [
    // Codes and referrals stay (other participants' rewards and counts rest on them), under a pseudonym.
    { table: 'referral_codes', idColumns: ['participant_id'], erase: { pseudonymise: true } },
    {
      table: 'referrals',
      idColumns: ['referrer_id', 'referee_id'],
      erase: { pseudonymise: true, clear: ['order_id'] },
    },
    { table: 'referral_participant_ips', idColumns: ['participant_id'], erase: 'delete' },
    { table: 'referral_shares', idColumns: ['participant_id'], erase: 'delete' },
  ],
};
