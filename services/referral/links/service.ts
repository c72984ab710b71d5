/**
 * Code life cycle and share links.
 *
 * Rotation: a participant's new code becomes the one they share; the old one is *retired*, not freed,
 * and keeps resolving to the same participant forever. Printed flyers, QR codes and old messages keep
 * working, and a code is never handed to someone else (a reused code would credit the wrong person for
 * a link its first owner already spread). Deactivation is the way to kill a code: it stops resolving
 * everywhere (links, attribution, the SDK check) and is never reused either.
 */
import type { Kysely, Selectable } from 'kysely';
import QRCode from 'qrcode';
import { AppError } from '../../../contract/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { CodeRow, ReferralCodesTable, ReferralTables } from '../repo.ts';
import { type Channel, normaliseCode, randomCode, vanityProblems } from './codes.ts';
import type { ReferralLinksTable } from './tables.ts';

type Db = Kysely<ReferralTables>;

export interface Owner {
  clientId: string;
  campaignId: string;
  participantId: string;
}

const base = (publicBaseUrl: string) => publicBaseUrl.replace(/\/$/, '');
export const codeUrl = (publicBaseUrl: string, clientId: string, code: string) =>
  `${base(publicBaseUrl)}/r/${clientId}/${code}`;
export const linkUrl = (publicBaseUrl: string, clientId: string, linkId: string) =>
  `${base(publicBaseUrl)}/r/${clientId}/l/${linkId}`;

export interface CodeView {
  code: string;
  campaign_id: string | null;
  participant_id: string;
  status: 'active' | 'retired' | 'deactivated';
  kind: 'random' | 'vanity';
  link: string;
  created_at: string;
  status_changed_at: string | null;
}

export function codeView(row: Selectable<ReferralCodesTable>): CodeView {
  return {
    code: row.code,
    campaign_id: row.campaign_id || null,
    participant_id: row.participant_id,
    status: row.status,
    kind: row.kind,
    link: row.link,
    created_at: row.created_at.toISOString(),
    status_changed_at: row.status_changed_at?.toISOString() ?? null,
  };
}

/**
 * Gives the owner a new active code (the vanity one asked for, or a random one) and retires the
 * current one, in one transaction. A vanity code must pass the shape, reserved-word and profanity
 * checks (400 at `code`) and be free in the client, whatever its status (409): codes are never reused.
 */
export async function issueCode(
  db: Db,
  owner: Owner,
  input: { vanity?: string | undefined; publicBaseUrl: string },
  now = new Date(),
): Promise<{ code: CodeRow; retired: string | null }> {
  const vanity = input.vanity === undefined ? undefined : normaliseCode(input.vanity);
  if (vanity !== undefined) {
    const problems = vanityProblems(vanity);
    if (problems.length) throw new AppError('VALIDATION_FAILED', `code ${problems[0]?.message}`, problems);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const code = vanity ?? randomCode();
    // Thrown to roll the retirement back when the insert lost a race (the code or the owner's slot).
    const lost = new AppError('CONFLICT', 'the code was taken concurrently');
    type Outcome = { taken: string } | { row: CodeRow; retired: string | null } | { race: true };
    const result: Outcome = await db
      .transaction()
      .execute(async (tx): Promise<Outcome> => {
        const taken = await tx
          .selectFrom('referral_codes')
          .select('participant_id')
          .where('client_id', '=', owner.clientId)
          .where('code', '=', code)
          .executeTakeFirst();
        if (taken) return { taken: taken.participant_id };
        const current = await tx
          .updateTable('referral_codes')
          .set({ status: 'retired', status_changed_at: now })
          .where('client_id', '=', owner.clientId)
          .where('campaign_id', '=', owner.campaignId)
          .where('participant_id', '=', owner.participantId)
          .where('status', '=', 'active')
          .returning('code')
          .executeTakeFirst();
        const row = await tx
          .insertInto('referral_codes')
          .values({
            client_id: owner.clientId,
            campaign_id: owner.campaignId,
            participant_id: owner.participantId,
            code,
            link: codeUrl(input.publicBaseUrl, owner.clientId, code),
            landing_url: null,
            kind: vanity ? 'vanity' : 'random',
            status: 'active',
            status_changed_at: null,
          })
          .onConflict((oc) => oc.doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!row) throw lost;
        return { row, retired: current?.code ?? null };
      })
      .catch((err: unknown) => {
        if (err === lost) return { race: true as const };
        throw err;
      });
    if ('row' in result) return { code: result.row, retired: result.retired };
    if ('taken' in result) {
      if (vanity === undefined) continue;
      if (result.taken === owner.participantId)
        throw new AppError('CONFLICT', `code ${code} is already this participant's`, [
          { path: 'code', message: 'already yours', expected: 'a new code' },
        ]);
      throw new AppError('CONFLICT', `code ${code} is taken`, [
        { path: 'code', message: 'is taken', expected: 'a free code' },
      ]);
    }
  }
  throw new AppError('CONFLICT', 'the participant’s code changed concurrently; try again');
}

/** Vanity codes a participant may choose per campaign (each choice retires the previous code for good). */
export const MAX_VANITY_PER_PARTICIPANT = 5;

/** How many vanity codes the owner has had in the campaign (all states). */
export async function vanityCount(db: Db, owner: Owner): Promise<number> {
  const r = await db
    .selectFrom('referral_codes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('client_id', '=', owner.clientId)
    .where('campaign_id', '=', owner.campaignId)
    .where('participant_id', '=', owner.participantId)
    .where('kind', '=', 'vanity')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Deactivates a code (it stops resolving). Returns the row, or undefined when the client has no such code. */
export async function deactivateCode(db: Db, clientId: string, raw: string, now = new Date()) {
  return db
    .updateTable('referral_codes')
    .set({ status: 'deactivated', status_changed_at: now })
    .where('client_id', '=', clientId)
    .where('code', '=', normaliseCode(raw))
    .returningAll()
    .executeTakeFirst();
}

export function codesOf(db: Db, clientId: string, participantId: string, campaignId?: string) {
  let q = db
    .selectFrom('referral_codes')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId);
  if (campaignId !== undefined) q = q.where('campaign_id', '=', campaignId);
  return q.orderBy('created_at', 'desc').limit(100).execute();
}

export function activeCodeOf(db: Db, owner: Owner) {
  return db
    .selectFrom('referral_codes')
    .selectAll()
    .where('client_id', '=', owner.clientId)
    .where('campaign_id', '=', owner.campaignId)
    .where('participant_id', '=', owner.participantId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

export interface LinkView {
  id: string;
  channel: string;
  campaign_id: string | null;
  participant_id: string;
  code: string;
  url: string;
  qr_png: string;
  qr_svg: string;
}

export function linkView(
  publicBaseUrl: string,
  link: Selectable<ReferralLinksTable>,
  code: string,
): LinkView {
  const url = linkUrl(publicBaseUrl, link.client_id, link.id);
  return {
    id: link.id,
    channel: link.channel,
    campaign_id: link.campaign_id || null,
    participant_id: link.participant_id,
    code,
    url,
    qr_png: `${url}/qr.png`,
    qr_svg: `${url}/qr.svg`,
  };
}

/**
 * The owner's link for one channel, created once. It names the owner, not a code, so it follows
 * every rotation. The owner needs an active code (404 otherwise: deactivated and never reissued).
 */
export async function linkFor(db: Db, owner: Owner, channel: Channel) {
  const code = await activeCodeOf(db, owner);
  if (!code) throw new AppError('NOT_FOUND', 'the participant has no active referral code in this campaign');
  await db
    .insertInto('referral_links')
    .values({
      id: newId('lnk'),
      client_id: owner.clientId,
      campaign_id: owner.campaignId,
      participant_id: owner.participantId,
      channel,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const link = await db
    .selectFrom('referral_links')
    .selectAll()
    .where('client_id', '=', owner.clientId)
    .where('campaign_id', '=', owner.campaignId)
    .where('participant_id', '=', owner.participantId)
    .where('channel', '=', channel)
    .executeTakeFirstOrThrow();
  return { link, code };
}

/** A link id → the link and its owner's current active code (undefined when either is gone). */
export async function resolveLink(db: Db, clientId: string, linkId: string) {
  const link = await db
    .selectFrom('referral_links')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('id', '=', linkId)
    .executeTakeFirst();
  if (!link) return undefined;
  const code = await activeCodeOf(db, {
    clientId,
    campaignId: link.campaign_id,
    participantId: link.participant_id,
  });
  return code ? { link, code } : undefined;
}

/** The QR code of a URL: PNG (bytes) or SVG (text), medium error correction, a quiet zone of 2. */
export async function qrPng(url: string): Promise<Uint8Array> {
  return new Uint8Array(
    await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 512 }),
  );
}
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
