import { type Context, Hono } from 'hono';
import { AppError } from '../../../contract/errors.ts';
import type {
  ReferralCodeIssueRequest,
  ReferralLinkRequest,
  VanityCodeRequest,
} from '../../../contract/generated/api.generated.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import { sdkCors } from '../../platform/cors.ts';
import type { Db } from '../../platform/db.ts';
import { readBody } from '../../platform/http.ts';
import { IDENTITY_HEADER, participantAccess } from '../../platform/identity-token.ts';
import { api } from '../../platform/openapi.ts';
import { dateParam, enumParam, idParam, optionalIdParam } from '../../platform/params.ts';
import { pages } from '../landing.ts';
import { referralFunnel } from './funnel.ts';
import {
  codesOf,
  codeView,
  deactivateCode,
  issueCode,
  linkFor,
  linkUrl,
  linkView,
  MAX_VANITY_PER_PARTICIPANT,
  qrPng,
  qrSvg,
  resolveLink,
  vanityCount,
} from './service.ts';

/** Codes (vanity, rotation, deactivation), per-channel links and the funnel, under `/v1/referrals`. */
export function createLinkRoutes(db: Db, resolver: ApiKeyResolver, publicBaseUrl: string) {
  return new Hono<{ Variables: AuthVariables }>()
    .use('/participants/:id/vanity-code', sdkCors())
    .post(
      '/participants/:id/vanity-code',
      authenticate(resolver, { permission: 'referral.vanity' }),
      async (c) => {
        const participantId = idParam(c.req.param('id'), 'id');
        const principal = c.get('principal');
        // A publishable key is public: only the participant's own signed-in page may choose their code.
        const access = await participantAccess(
          resolver,
          principal,
          c.req.header(IDENTITY_HEADER),
          participantId,
          new Date(),
        );
        if (!access.full)
          throw new AppError(
            'IDENTITY_REQUIRED',
            `a valid identity token for this participant is required (${access.reason})`,
          );
        const body = await readBody<VanityCodeRequest>(c, api('referralVanityBody'), 'vanity code request');
        const owner = { clientId: principal.clientId, campaignId: body.campaign_id, participantId };
        if ((await vanityCount(db, owner)) >= MAX_VANITY_PER_PARTICIPANT)
          throw new AppError(
            'CONFLICT',
            `at most ${MAX_VANITY_PER_PARTICIPANT} vanity codes per participant and campaign`,
            [
              {
                path: 'code',
                message: 'no more vanity codes',
                expected: `at most ${MAX_VANITY_PER_PARTICIPANT}`,
              },
            ],
          );
        const { code, retired } = await issueCode(db, owner, { vanity: body.code, publicBaseUrl });
        return c.json({ code: codeView(code), retired }, 201);
      },
    )
    .post('/participants/:id/codes', authenticate(resolver, { permission: 'referral.manage' }), async (c) => {
      const participantId = idParam(c.req.param('id'), 'id');
      const body = await readBody<ReferralCodeIssueRequest>(c, api('referralCodeIssueBody'), 'code request');
      const { code, retired } = await issueCode(
        db,
        { clientId: c.get('principal').clientId, campaignId: body.campaign_id, participantId },
        { vanity: body.vanity, publicBaseUrl },
      );
      return c.json({ code: codeView(code), retired }, 201);
    })
    .get('/participants/:id/codes', authenticate(resolver, { permission: 'referral.read' }), async (c) => {
      const rows = await codesOf(
        db,
        c.get('principal').clientId,
        idParam(c.req.param('id'), 'id'),
        optionalIdParam(c.req.query('campaign_id'), 'campaign_id'),
      );
      return c.json({ data: rows.map(codeView) });
    })
    .post('/codes/:code/deactivate', authenticate(resolver, { permission: 'referral.manage' }), async (c) => {
      const row = await deactivateCode(db, c.get('principal').clientId, idParam(c.req.param('code'), 'code'));
      if (!row) throw new AppError('NOT_FOUND', 'no such referral code');
      return c.json({ code: codeView(row) });
    })
    .post('/participants/:id/links', authenticate(resolver, { permission: 'referral.manage' }), async (c) => {
      const participantId = idParam(c.req.param('id'), 'id');
      const body = await readBody<ReferralLinkRequest>(c, api('referralLinkBody'), 'link request');
      const { link, code } = await linkFor(
        db,
        { clientId: c.get('principal').clientId, campaignId: body.campaign_id, participantId },
        body.channel,
      );
      return c.json(linkView(publicBaseUrl, link, code.code));
    })
    .get('/funnel', authenticate(resolver, { permission: 'referral.read' }), async (c) => {
      const groupBy =
        enumParam(c.req.query('group_by'), 'group_by', ['channel', 'referrer'] as const) ?? 'channel';
      const from = dateParam(c.req.query('from'), 'from');
      const to = dateParam(c.req.query('to'), 'to');
      const campaignId = idParam(c.req.query('campaign_id'), 'campaign_id');
      const data = await referralFunnel(db, {
        clientId: c.get('principal').clientId,
        campaignId,
        groupBy,
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
      return c.json({ campaign_id: campaignId, group_by: groupBy, data });
    });
}

type Resolved = NonNullable<Awaited<ReturnType<typeof resolveLink>>>;

/**
 * `/r/:client/l/:link` follows a link id to its owner's current code (so printed links survive a
 * rotation), and `/r/:client/l/:link/qr.png|svg` draws the link as a QR code. Public, like the share link:
 * a link id is random, and the QR code only encodes the public link.
 */
export function createLinkRedirects(
  db: Db,
  publicBaseUrl: string,
  land: (c: Context, r: Resolved) => Promise<Response>,
) {
  const find = async (c: Context) => {
    const clientId = idParam(c.req.param('clientId'), 'clientId');
    return resolveLink(db, clientId, idParam(c.req.param('linkId'), 'linkId'));
  };
  const image = (c: Context, type: string, body: string | Uint8Array) => {
    c.header('Content-Type', type);
    c.header('Cache-Control', 'public, max-age=86400');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(body as never, 200);
  };
  return new Hono()
    .get('/:clientId/l/:linkId', async (c) => {
      c.header('Cache-Control', 'no-store');
      const r = await find(c);
      if (!r) return c.html(pages.unknown(), 404);
      return land(c, r);
    })
    .get('/:clientId/l/:linkId/qr.png', async (c) => {
      const r = await find(c);
      if (!r) throw new AppError('NOT_FOUND', 'no such link');
      return image(c, 'image/png', await qrPng(linkUrl(publicBaseUrl, r.link.client_id, r.link.id)));
    })
    .get('/:clientId/l/:linkId/qr.svg', async (c) => {
      const r = await find(c);
      if (!r) throw new AppError('NOT_FOUND', 'no such link');
      return image(c, 'image/svg+xml', await qrSvg(linkUrl(publicBaseUrl, r.link.client_id, r.link.id)));
    });
}
