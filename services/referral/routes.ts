import { type Context, Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { AppError } from '../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Cidr } from '../platform/cidr.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import { requestClientIp } from '../platform/client-ip.ts';
import { sdkCors } from '../platform/cors.ts';
import type { Db } from '../platform/db.ts';
import { readJsonObject } from '../platform/http.ts';
import { hashIp } from '../platform/ids.ts';
import { internalAuth } from '../platform/internal-auth.ts';
import { pageOf, pageRequest } from '../platform/pagination.ts';
import { idParam } from '../platform/params.ts';
import { clickIdsFrom } from './attribution/click-ids.ts';
import { checkFraud } from './fraud/index.ts';
import { landingFor, pages, REF_COOKIE } from './landing.ts';
import { isChannel } from './links/codes.ts';
import { createLinkRedirects } from './links/routes.ts';
import * as repo from './repo.ts';
import * as service from './service.ts';

type Body = Record<string, unknown>;

function str(body: Body, key: string, required: true): string;
function str(body: Body, key: string, required?: false): string | undefined;
function str(body: Body, key: string, required = false): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required)
      throw new AppError('VALIDATION_FAILED', `${key} is required`, [
        { path: key, message: 'required', expected: 'string' },
      ]);
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0 || v.length > 500) {
    throw new AppError('VALIDATION_FAILED', `${key} is invalid`, [
      { path: key, message: 'invalid', expected: 'non-empty string' },
    ]);
  }
  return v;
}
function num(body: Body, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new AppError('VALIDATION_FAILED', `${key} is invalid`, [
      { path: key, message: 'invalid', expected: 'number' },
    ]);
  }
  return v;
}
/** An optional ISO date-time field (a 400 naming it when it is not one). */
function dateOf(body: Body, key: string): Date | undefined {
  const v = str(body, key);
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new AppError('VALIDATION_FAILED', `${key} is invalid`, [
      { path: key, message: 'invalid', expected: 'ISO 8601 date-time' },
    ]);
  return d;
}
/** A user agent may be longer than other fields; anything else is ignored (a signal, not an input). */
function str1k(body: Body, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : undefined;
}
const tenantOf = (b: Body): service.Tenant => ({
  clientId: str(b, 'client_id', true),
  campaignId: str(b, 'campaign_id', true),
});

/** Routes activities call for a tenant (the tenant comes from the journey's pinned campaign). */
export function createReferralInternalRoutes(
  db: Db,
  token: string,
  publicBaseUrl: string,
  hashSecret: string,
  ch?: ClickHouse,
) {
  return new Hono()
    .use('*', internalAuth(token, 'referral'))
    .post('/assets', async (c) => {
      const b = await readJsonObject(c);
      const r = await service.generateAssets(
        db,
        tenantOf(b),
        { participantId: str(b, 'participant_id', true), landingUrl: str(b, 'landing_url') },
        publicBaseUrl,
      );
      return c.json(r);
    })
    .post('/attribute', async (c) => {
      const b = await readJsonObject(c);
      const at = dateOf(b, 'at');
      const customerSince = dateOf(b, 'customer_since');
      return c.json(
        await service.attribute(
          db,
          tenantOf(b),
          {
            refereeId: str(b, 'referee_id', true),
            code: str(b, 'code') ?? null,
            referralId: str(b, 'referral_id') ?? null,
            ...(at ? { at } : {}),
            ...(customerSince ? { customerSince } : {}),
          },
          ch,
        ),
      );
    })
    .post('/validate-conversion', async (c) => {
      const b = await readJsonObject(c);
      const orderId = str(b, 'order_id');
      const orderValue = num(b, 'order_value');
      const minOrder = num(b, 'min_order');
      const windowDays = num(b, 'window_days');
      const event = str(b, 'event');
      return c.json(
        await service.validateConversion(db, tenantOf(b), {
          refereeId: str(b, 'referee_id', true),
          ...(orderId !== undefined ? { orderId } : {}),
          ...(orderValue !== undefined ? { orderValue } : {}),
          ...(minOrder !== undefined ? { minOrder } : {}),
          ...(windowDays !== undefined ? { windowDays } : {}),
          ...(event !== undefined ? { event } : {}),
        }),
      );
    })
    .post('/fraud-check', async (c) => {
      const b = await readJsonObject(c);
      const o = (k: string) => str(b, k) ?? undefined;
      const kind = o('kind');
      const clickedAt = o('clicked_at');
      const clickIds = b.click_ids;
      // A server event's address, user agent and relayed ids are the client's back end, not the person's.
      const browser = b.source !== 'server';
      return c.json(
        await checkFraud(db, hashSecret, tenantOf(b), {
          participantId: str(b, 'participant_id', true),
          referrerId: o('referrer_id'),
          kind: kind === 'conversion' ? 'conversion' : 'signup',
          ipHash: browser ? o('ip_hash') : undefined,
          email: o('email'),
          emailHash: o('email_hash'),
          phone: o('phone'),
          phoneHash: o('phone_hash'),
          deviceId: browser ? o('device_id') : undefined,
          userAgent: browser ? str1k(b, 'user_agent') : undefined,
          country: o('country'),
          clickedAt: clickedAt && !Number.isNaN(Date.parse(clickedAt)) ? new Date(clickedAt) : undefined,
          clickIds:
            clickIds && typeof clickIds === 'object'
              ? (clickIds as Record<string, unknown> | string[])
              : undefined,
        }),
      );
    });
}

/** What a client's server (secret key) or the SDK (publishable key) may read. */
export function createReferralRoutes(db: Db, resolver: ApiKeyResolver) {
  return new Hono<{ Variables: AuthVariables }>()
    .use('/codes/*', sdkCors())
    .get('/codes/:code', authenticate(resolver, { permission: 'referral.check' }), async (c) => {
      const raw = idParam(c.req.param('code'), 'code').toUpperCase();
      const code = await repo.findCode(db, c.get('principal').clientId, raw);
      // Publishable keys are public: say only whether the code is valid, never who owns it.
      if (!code) return c.json({ valid: false });
      return c.json({ valid: true, code: code.code, campaign_id: code.campaign_id || null });
    })
    .get('/participants/:id', authenticate(resolver, { permission: 'referral.read' }), async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const rows = await repo.listReferralsOf(
        db,
        c.get('principal').clientId,
        idParam(c.req.param('id'), 'id'),
        page,
      );
      return c.json(pageOf(rows, page, (r) => ({ at: r.attributed_at, id: r.id })));
    });
}

export interface RedirectOptions {
  /** Secret of the keyed IP hash (the same as the event service's, so hashes compare across both). */
  hashSecret: string;
  /** Proxies whose X-Forwarded-For is believed (platform/client-ip.ts). */
  trustedProxies: readonly Cidr[];
  /** NODE_ENV=production: landing URLs must be https. */
  production?: boolean;
  /** The public address; `https:` there (or on the request) marks the cookie Secure. */
  publicBaseUrl?: string;
}

/** Pages of the share link: never cached (each visit counts and sets the cookie), never framed. */
function pageHeaders(c: Context): void {
  c.header('Cache-Control', 'no-store');
  c.header(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'strict-origin-when-cross-origin');
}

/**
 * The share link: `/r/:client/:code` forwards (302) to the campaign's landing page with `?ref=CODE`
 * and sets the first-party `pulse_ref` cookie for the attribution window; without a landing page it
 * shows a small page saying the code is valid, and a clear 404 page for an unknown code or an ended
 * campaign. Each visit is recorded with the keyed hash of the visitor's IP (once per code and address,
 * so a flood of requests from one address adds one row) for the fraud check.
 */
export function createReferralRedirect(db: Db, opts: RedirectOptions) {
  const production = opts.production ?? false;
  /** Records the visit (channel, click ids), sets the cookie and forwards: shared by code and link URLs. */
  const land = async (c: Context, code: repo.CodeRow, linkId: string | null, channel: string | null) => {
    const landing = await landingFor(db, code, production);
    if (landing.kind === 'ended') return c.html(pages.ended(), 404);
    const ip = requestClientIp(c.req.raw, c.env, opts.trustedProxies);
    const clickIds = clickIdsFrom(new URL(c.req.url).searchParams);
    if (ip)
      await service.recordRedirectVisit(db, code, hashIp(opts.hashSecret, ip), new Date(), {
        channel,
        linkId,
        clickIds,
      });
    const https = new URL(c.req.url).protocol === 'https:' || (opts.publicBaseUrl ?? '').startsWith('https:');
    setCookie(c, REF_COOKIE, code.code, {
      path: '/',
      maxAge: landing.maxAgeSeconds,
      sameSite: 'Lax',
      httpOnly: true,
      secure: https,
    });
    if (landing.kind === 'no-landing') return c.html(pages.valid(code.code), 200);
    return c.redirect(landing.location, 302);
  };
  return new Hono()
    .get('/:clientId/:code', async (c) => {
      pageHeaders(c);
      const clientId = idParam(c.req.param('clientId'), 'clientId');
      const raw = idParam(c.req.param('code'), 'code');
      const code = await repo.findCode(db, clientId, raw.toUpperCase());
      if (!code) return c.html(pages.unknown(), 404);
      const ch = c.req.query('ch');
      return land(c, code, null, isChannel(ch) ? ch : null);
    })
    .route(
      '/',
      createLinkRedirects(db, opts.publicBaseUrl ?? '', (c, r) => land(c, r.code, r.link.id, r.link.channel)),
    );
}
