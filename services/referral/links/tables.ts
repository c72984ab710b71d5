import type { Generated } from 'kysely';

/** One share link per code owner, campaign and channel: `/r/<client>/l/<id>` follows the owner's current code. */
export interface ReferralLinksTable {
  id: string;
  client_id: string;
  campaign_id: string;
  participant_id: string;
  channel: string;
  created_at: Generated<Date>;
}
/** An anonymous (device) id seen together with a participant id: identify merges, for cross-device attribution. */
export interface ReferralIdentitiesTable {
  client_id: string;
  anonymous_id: string;
  participant_id: string;
  first_seen_at: Date;
}
/** A campaign's `attribution` block, copied from its plan on deploy. */
export interface ReferralAttributionSettingsTable {
  client_id: string;
  campaign_id: string;
  window_days: number;
  model: 'first_touch' | 'last_touch';
  conversion: string[];
  updated_at: Generated<Date>;
}
