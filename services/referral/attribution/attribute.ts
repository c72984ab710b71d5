/**
 * Attribution: which referral, if any, a new participant is credited to.
 *
 * The touches are every recorded click on a referral link by this person — their participant id, or
 * any anonymous (device) id an identify merge tied to them, so a click on a phone counts for a signup on
 * a laptop — plus the code they arrived with (cookie, `?ref=`, typed in), which counts as a touch at the
 * signup. Touches older than the campaign's `window_days` before the signup have expired. Among the rest
 * the campaign's model picks one: `first_touch` the earliest, `last_touch` the latest. The person's own
 * codes never count.
 *
 * An *existing customer* is not a new referral. A person is existing when, before the touch being
 * credited, Pulse already knew them as a participant or customer of this client: they held a referral
 * code (every participant gets one at signup), had referred someone, had a conversion event (the
 * campaign's `conversion` list, from ClickHouse, under their participant id or any of their device
 * ids), or the client says they have been a customer since an earlier date (`customer_since`).
 * Identify and page events alone do not make someone existing: a visitor who browses before signing up
 * is exactly who a referral brings.
 */
import type { Kysely, Selectable } from 'kysely';
import { type ClickHouse, chSql, Raw } from '../../platform/clickhouse.ts';
import { newId } from '../../platform/ids.ts';
import { chainOf, depthBelow, edgeProblem } from '../graph/graph.ts';
import { normaliseCode } from '../links/codes.ts';
import type { CodeRow, ReferralClicksTable, ReferralTables } from '../repo.ts';
import { type AttributionModel, attributionOf } from './settings.ts';

type Db = Kysely<ReferralTables>;

export interface AttributionInput {
  refereeId: string;
  code?: string | null;
  referralId?: string | null;
  /** When the person arrived (the signup event's time); default now. */
  at?: Date;
  /** The client's own record of when this person became a customer, if any. */
  customerSince?: Date;
}

export type AttributionReason =
  | 'no_referral'
  | 'unknown_code'
  | 'self_referral'
  | 'window_expired'
  | 'existing_customer'
  | 'referral_cycle';

export interface AttributionResult {
  attributed: boolean;
  referrer_id: string | null;
  referral_id: string | null;
  reason: AttributionReason | null;
  /** The referee's level in the graph (1: the referrer was referred by nobody); null when not attributed. */
  depth: number | null;
  /** The referee's ancestors, nearest first: [referrer, referrer's referrer, …] (up to 10). */
  chain: string[];
  channel: string | null;
  model: AttributionModel | null;
  touched_at: string | null;
  /** Paid-traffic click ids on the credited click ({} when none). */
  click_ids: Record<string, string>;
}

interface Touch {
  code: CodeRow;
  at: Date;
  channel: string | null;
  clickIds: Record<string, string>;
}

const DAY = 86_400_000;
/** A click recorded a little after the signup (clock skew between devices and the server) still counts. */
const SKEW_MS = 5 * 60_000;

const none = (reason: AttributionReason, referrerId: string | null = null): AttributionResult => ({
  attributed: false,
  referrer_id: referrerId,
  referral_id: null,
  reason,
  depth: null,
  chain: [],
  channel: null,
  model: null,
  touched_at: null,
  click_ids: {},
});

async function credited(
  db: Db,
  clientId: string,
  row: Selectable<ReferralTables['referrals']>,
  clickIds: Record<string, string>,
): Promise<AttributionResult> {
  const { ancestors } = await chainOf(db, clientId, row.referee_id);
  return {
    attributed: true,
    referrer_id: row.referrer_id,
    referral_id: row.id,
    reason: null,
    depth: row.depth,
    chain: ancestors.map((a) => a.participant_id),
    channel: row.channel,
    model: (row.model as AttributionModel | null) ?? null,
    touched_at: row.touched_at?.toISOString() ?? null,
    click_ids: clickIds,
  };
}

/** The device ids an identify merge tied to this participant (bounded). */
export async function anonymousIdsOf(db: Db, clientId: string, participantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('referral_identities')
    .select('anonymous_id')
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId)
    .orderBy('first_seen_at', 'desc')
    .limit(100)
    .execute();
  return rows.map((r) => r.anonymous_id);
}

/** Clicks on live codes by this person (participant id or device ids), up to `until`, oldest first. */
async function clicksBy(db: Db, clientId: string, participantId: string, anon: string[], until: Date) {
  const rows = await db
    .selectFrom('referral_clicks as c')
    .innerJoin('referral_codes as k', (j) =>
      j.onRef('k.client_id', '=', 'c.client_id').onRef('k.code', '=', 'c.code'),
    )
    .selectAll('k')
    .select(['c.clicked_at', 'c.channel as click_channel', 'c.click_ids'])
    .where('c.client_id', '=', clientId)
    .where('k.status', '!=', 'deactivated')
    .where((eb) =>
      anon.length
        ? eb.or([eb('c.participant_id', '=', participantId), eb('c.visitor_id', 'in', anon)])
        : eb('c.participant_id', '=', participantId),
    )
    .where('c.clicked_at', '<=', until)
    .orderBy('c.clicked_at', 'asc')
    .limit(500)
    .execute();
  return rows.map(
    (r): Touch => ({
      code: {
        client_id: r.client_id,
        code: r.code,
        campaign_id: r.campaign_id,
        participant_id: r.participant_id,
        link: r.link,
        landing_url: r.landing_url,
        created_at: r.created_at,
        status: r.status,
        kind: r.kind,
        status_changed_at: r.status_changed_at,
      },
      at: r.clicked_at,
      channel: r.click_channel ?? null,
      clickIds: (r.click_ids as ReferralClicksTable['click_ids']) ?? {},
    }),
  );
}

/** Whether the person was a known participant or customer of the client before `before` (see the file comment). */
export async function existingBefore(
  db: Db,
  ch: ClickHouse | undefined,
  input: {
    clientId: string;
    participantId: string;
    anon: string[];
    conversion: string[];
    before: Date;
    customerSince?: Date | undefined;
  },
): Promise<boolean> {
  if (input.customerSince && input.customerSince < input.before) return true;
  const code = await db
    .selectFrom('referral_codes')
    .select('code')
    .where('client_id', '=', input.clientId)
    .where('participant_id', '=', input.participantId)
    .where('created_at', '<', input.before)
    .limit(1)
    .executeTakeFirst();
  if (code) return true;
  const referred = await db
    .selectFrom('referrals')
    .select('id')
    .where('client_id', '=', input.clientId)
    .where('referrer_id', '=', input.participantId)
    .where('attributed_at', '<', input.before)
    .limit(1)
    .executeTakeFirst();
  if (referred) return true;
  if (!ch || input.conversion.length === 0) return false;
  const who = input.anon.length
    ? chSql`(participant_id = ${input.participantId} OR has(${input.anon}, anonymous_id))`
    : chSql`participant_id = ${input.participantId}`;
  const rows = await ch.query<{ n: string | number }>(chSql`
    SELECT count() AS n FROM events
    WHERE client_id = ${input.clientId} AND has(${input.conversion}, event)
      AND occurred_at < ${input.before} AND ${new Raw(who)}`);
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Credits a new participant to a referral (see the file comment), once: the first attribution wins and
 * a repeated call answers the same referral.
 */
export async function attribute(
  db: Db,
  ch: ClickHouse | undefined,
  t: { clientId: string; campaignId: string },
  input: AttributionInput,
  now = new Date(),
): Promise<AttributionResult> {
  const prior = await db
    .selectFrom('referrals')
    .selectAll()
    .where('client_id', '=', t.clientId)
    .where('referee_id', '=', input.refereeId)
    .executeTakeFirst();
  if (prior) return credited(db, t.clientId, prior, {});
  const settings = await attributionOf(db, t.clientId, t.campaignId);
  const at = input.at ?? now;
  const anon = await anonymousIdsOf(db, t.clientId, input.refereeId);
  const touches = await clicksBy(db, t.clientId, input.refereeId, anon, new Date(at.getTime() + SKEW_MS));
  const ref = input.code ?? input.referralId;
  if (ref) {
    // SDKs carry whatever was in the link: a code in either field, case-insensitively.
    const code = await db
      .selectFrom('referral_codes')
      .selectAll()
      .where('client_id', '=', t.clientId)
      .where('code', '=', normaliseCode(ref))
      .where('status', '!=', 'deactivated')
      .executeTakeFirst();
    if (code) touches.push({ code, at, channel: null, clickIds: {} });
    else if (touches.length === 0) return none('unknown_code');
  }
  if (touches.length === 0) return none('no_referral');
  const windowStart = at.getTime() - settings.windowDays * DAY;
  const live = touches.filter((x) => x.at.getTime() >= windowStart);
  if (live.length === 0) return none('window_expired');
  const others = live.filter((x) => x.code.participant_id !== input.refereeId);
  if (others.length === 0) return none('self_referral', input.refereeId);
  // Several touches of one code (a click, then the cookie's code at signup): the click says the channel.
  const pick =
    settings.model === 'first_touch'
      ? others.reduce((a, b) => (b.at < a.at ? b : a))
      : others.reduce((a, b) => (b.at >= a.at ? b : a));
  const sameCode = others.filter((x) => x.code.code === pick.code.code);
  const channel = pick.channel ?? sameCode.find((x) => x.channel)?.channel ?? null;
  const clickIds = Object.keys(pick.clickIds).length
    ? pick.clickIds
    : (sameCode.find((x) => Object.keys(x.clickIds).length)?.clickIds ?? {});
  const referrerId = pick.code.participant_id;
  // A loop (A→B→A) is named as such, before the broader "existing customer" answer.
  const problem = await edgeProblem(db, t.clientId, referrerId, input.refereeId);
  if (problem) return none(problem, referrerId);
  const earliest = sameCode.reduce((a, b) => (b.at < a.at ? b : a)).at;
  if (
    await existingBefore(db, ch, {
      clientId: t.clientId,
      participantId: input.refereeId,
      anon,
      conversion: settings.conversion,
      before: earliest,
      customerSince: input.customerSince,
    })
  )
    return none('existing_customer', referrerId);
  const depth = await depthBelow(db, t.clientId, referrerId);
  const inserted = await db
    .insertInto('referrals')
    .values({
      id: newId('ref'),
      client_id: t.clientId,
      campaign_id: t.campaignId,
      code: pick.code.code,
      referrer_id: referrerId,
      referee_id: input.refereeId,
      depth,
      channel,
      model: settings.model,
      touched_at: pick.at,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  const row =
    inserted ??
    (await db
      .selectFrom('referrals')
      .selectAll()
      .where('client_id', '=', t.clientId)
      .where('referee_id', '=', input.refereeId)
      .executeTakeFirstOrThrow());
  return credited(db, t.clientId, row, inserted ? clickIds : {});
}
