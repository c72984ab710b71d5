import type { Kysely } from 'kysely';
import type { ReferralTables } from '../repo.ts';

type Db = Kysely<ReferralTables>;

export type AttributionModel = 'first_touch' | 'last_touch';
export interface AttributionSettings {
  windowDays: number;
  model: AttributionModel;
  /** Event names that count as a conversion (the funnel's last step; earlier ones make an "existing customer"). */
  conversion: string[];
}

/** Defaults of a campaign without an `attribution` block (campaign.schema.json states the same). */
export const DEFAULT_ATTRIBUTION: AttributionSettings = {
  windowDays: 30,
  model: 'last_touch',
  conversion: ['purchase_completed'],
};

/** Records a deployed campaign's attribution settings (resolved with defaults by the compiler). */
export async function registerAttribution(
  db: Db,
  input: { clientId: string; campaignId: string; attribution: AttributionSettings | undefined },
): Promise<void> {
  if (!input.attribution) {
    // No block: the defaults apply, with the landing block's cookie lifetime as the window.
    await db
      .deleteFrom('referral_attribution_settings')
      .where('client_id', '=', input.clientId)
      .where('campaign_id', '=', input.campaignId)
      .execute();
    return;
  }
  const a = input.attribution;
  const row = { window_days: a.windowDays, model: a.model, conversion: a.conversion };
  await db
    .insertInto('referral_attribution_settings')
    .values({ client_id: input.clientId, campaign_id: input.campaignId, ...row })
    .onConflict((oc) =>
      oc.columns(['client_id', 'campaign_id']).doUpdateSet({ ...row, updated_at: new Date() }),
    )
    .execute();
}

/** A campaign's settings; a campaign deployed before attribution settings existed gets the defaults. */
export async function attributionOf(
  db: Db,
  clientId: string,
  campaignId: string,
): Promise<AttributionSettings> {
  const row = await db
    .selectFrom('referral_attribution_settings')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .executeTakeFirst();
  if (row) return { windowDays: row.window_days, model: row.model, conversion: row.conversion };
  // Older deploys: the landing block's cookie lifetime was the only window there was.
  const landing = await db
    .selectFrom('referral_landings')
    .select('attribution_days')
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .executeTakeFirst();
  return { ...DEFAULT_ATTRIBUTION, windowDays: landing?.attribution_days ?? DEFAULT_ATTRIBUTION.windowDays };
}
