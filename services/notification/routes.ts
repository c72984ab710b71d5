import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type {
  TemplateBody,
  TemplatePreviewBody,
  WebhookEndpointBody,
} from '../../contract/generated/api.generated.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { readBody, readJsonObject } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { internalAuth } from '../platform/internal-auth.ts';
import { api } from '../platform/openapi.ts';
import type { Outbound } from '../platform/outbound.ts';
import { byCreatedAt, isMicrosecondInstant, pageOf, pageRequest } from '../platform/pagination.ts';
import {
  enumParam,
  idParam,
  intParam,
  optionalIdParam,
  optionalWorkflowIdParam,
} from '../platform/params.ts';
import { refusal } from '../platform/permissions.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { newWebhookSecret } from '../platform/webhooks.ts';
import type { Mailer } from './mailer.ts';
import { previewTemplate } from './preview.ts';
import { builtInTemplates, checkTemplateSource } from './render.ts';
import * as repo from './repo.ts';
import { renderNotification, type SendInput, sendNotification, sendWebhook } from './service.ts';
import { createWebhookEndpointRoutes } from './webhook-routes.ts';

type Body = Record<string, unknown>;
const CHANNELS = ['email', 'in_app', 'push', 'sms'] as const;

function need(b: Body, key: string): string {
  const v = b[key];
  if (typeof v !== 'string' || !v)
    throw new AppError('VALIDATION_FAILED', `${key} is required`, [
      { path: key, message: 'required', expected: 'string' },
    ]);
  return v;
}
/** `as_of` (ISO time: the journey's start) pins the client template version; `default_locale` the fallback. */
function pinOf(b: Body): { asOf?: Date; defaultLocale?: string } {
  const out: { asOf?: Date; defaultLocale?: string } = {};
  if (b.as_of !== undefined) {
    const at = typeof b.as_of === 'string' ? new Date(b.as_of) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime()))
      throw new AppError('VALIDATION_FAILED', 'as_of must be a date-time', [
        { path: 'as_of', message: 'invalid', expected: 'ISO 8601 date-time' },
      ]);
    out.asOf = at;
  }
  if (typeof b.default_locale === 'string' && b.default_locale) out.defaultLocale = b.default_locale;
  return out;
}
/** A BCP 47 tag in canonical case (`fr-ca` → `fr-CA`), or a 400 at `locale`. */
function canonicalLocale(tag: string): string {
  try {
    const canonical = Intl.getCanonicalLocales(tag)[0];
    if (canonical) return canonical;
  } catch {
    // reported below
  }
  throw new AppError('VALIDATION_FAILED', 'locale is not a language tag', [
    { path: 'locale', message: 'invalid', expected: 'BCP 47 tag such as en, fr-CA' },
  ]);
}
function dataOf(b: Body): Record<string, unknown> {
  const d = b.data ?? {};
  if (typeof d !== 'object' || d === null || Array.isArray(d)) {
    throw new AppError('VALIDATION_FAILED', 'data must be an object', [
      { path: 'data', message: 'invalid', expected: 'object' },
    ]);
  }
  return d as Record<string, unknown>;
}

/** Worker-facing routes (RenderNotificationContent, SendNotification, SendWebhook activities). */
export function createNotificationInternalRoutes(
  db: Db,
  mailer: Mailer,
  token: string,
  box: SecretBox,
  outbound: Outbound,
) {
  return new Hono()
    .use('*', internalAuth(token, 'notification'))
    .post('/render', async (c) => {
      const b = await readJsonObject(c);
      return c.json(
        await renderNotification(db, need(b, 'client_id'), {
          template: need(b, 'template'),
          ...(typeof b.locale === 'string' ? { locale: b.locale } : {}),
          ...(typeof b.channel === 'string' ? { channel: b.channel } : {}),
          ...pinOf(b),
          data: dataOf(b),
        }),
      );
    })
    .post('/send', async (c) => {
      const b = await readJsonObject(c);
      const channel = (b.channel ?? 'email') as SendInput['channel'];
      if (!CHANNELS.includes(channel)) {
        throw new AppError('VALIDATION_FAILED', 'bad channel', [
          { path: 'channel', message: 'invalid', expected: CHANNELS.join('|') },
        ]);
      }
      return c.json(
        await sendNotification(db, mailer, {
          clientId: need(b, 'client_id'),
          ...(typeof b.campaign_id === 'string' ? { campaignId: b.campaign_id } : {}),
          idempotencyKey: need(b, 'idempotency_key'),
          participantId: need(b, 'participant_id'),
          channel,
          template: need(b, 'template'),
          ...(typeof b.to === 'string' && b.to ? { to: b.to } : {}),
          ...(typeof b.locale === 'string' ? { locale: b.locale } : {}),
          ...pinOf(b),
          data: dataOf(b),
          ...(typeof b.workflow_id === 'string' && b.workflow_id ? { workflowId: b.workflow_id } : {}),
          ...(typeof b.journey_key === 'string' && b.journey_key ? { journeyKey: b.journey_key } : {}),
          ...(b.final_attempt === true ? { finalAttempt: true } : {}),
        }),
      );
    })
    .post('/webhooks', async (c) => {
      const b = await readJsonObject(c);
      const payload = (b.payload ?? {}) as Record<string, unknown>;
      return c.json(
        await sendWebhook(
          db,
          box,
          {
            clientId: need(b, 'client_id'),
            topic: need(b, 'topic'),
            payload,
            idempotencyKey: need(b, 'idempotency_key'),
          },
          outbound.fetch,
        ),
      );
    });
}

/**
 * Client portal: template overrides, webhook endpoints, the delivery log (`GET /v1/notifications`, by
 * status, journey, campaign or participant, cursor-paginated) and a participant's notifications.
 */
export function createNotificationRoutes(
  db: Db,
  resolver: ApiKeyResolver,
  box: SecretBox,
  outbound: Outbound,
) {
  const manager = authenticate(resolver, { permission: 'notification.manage' });
  const reader = authenticate(resolver, { permission: 'notification.read' });
  return (
    new Hono<{ Variables: AuthVariables }>()
      .put('/templates/:name', manager, async (c) => {
        const name = idParam(c.req.param('name'), 'name');
        const b = await readBody<TemplateBody>(c, api('templateBody'), 'template');
        // Saved only if it parses: a syntax error is a 400 at the part now, not a failed journey later.
        checkTemplateSource({ subject: b.subject, text: b.text, ...(b.html ? { html: b.html } : {}) });
        const version = await repo.insertTemplateVersion(db, {
          client_id: c.get('principal').clientId,
          name,
          locale: canonicalLocale(b.locale ?? 'en'),
          subject: b.subject,
          text: b.text,
          html: b.html ?? null,
        });
        return c.json({ name, version }, 201);
      })
      .get('/templates', reader, async (c) => {
        const page = pageRequest((k) => c.req.query(k));
        const rows = await repo.listTemplates(
          db,
          c.get('principal').clientId,
          page.limit,
          page.after?.id ?? null,
        );
        const builtIns = builtInTemplates();
        return c.json(
          pageOf(
            rows,
            page,
            (r) => ({ at: new Date(0), id: r.name }),
            (r) => ({
              name: r.name,
              locales: r.locales,
              latest_version: Number(r.latest_version),
              updated_at: new Date(r.updated_at).toISOString(),
              built_in: builtIns.has(r.name),
            }),
          ),
        );
      })
      .get('/templates/:name', reader, async (c) => {
        const name = idParam(c.req.param('name'), 'name');
        const rows = await repo.templateVersions(db, c.get('principal').clientId, name);
        const builtIn = [...(builtInTemplates().get(name)?.keys() ?? [])].sort();
        if (!rows.length && !builtIn.length)
          throw new AppError('NOT_FOUND', `no template named "${name}"`, [
            { path: 'name', message: 'unknown template' },
          ]);
        return c.json({
          name,
          versions: rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() })),
          built_in_locales: builtIn,
        });
      })
      // Rendering a stored or built-in template is `read` (nothing is stored or sent). A draft `source` is
      // the caller's own Liquid, up to the body limit, whose rendering can cost seconds of CPU: that is
      // an author's act, so it needs `manage`, like saving the draft would.
      .post('/templates/:name/preview', reader, async (c) => {
        const name = idParam(c.req.param('name'), 'name');
        const b = await readBody<TemplatePreviewBody>(c, api('templatePreviewBody'), 'template preview');
        if (b.source) {
          const refused = refusal(c.get('principal'), 'notification.manage');
          if (refused)
            throw new AppError(refused.code, `previewing a draft: ${refused.message}`, [
              { path: 'source', message: 'a draft needs notification.manage' },
            ]);
        }
        return c.json(
          await previewTemplate(db, c.get('principal').clientId, {
            name,
            ...(b.locale ? { locale: canonicalLocale(b.locale) } : {}),
            ...(b.channel ? { channel: b.channel } : {}),
            ...(b.source
              ? {
                  source: {
                    subject: b.source.subject,
                    text: b.source.text,
                    ...(b.source.html ? { html: b.source.html } : {}),
                  },
                }
              : {}),
            ...(b.data ? { data: b.data as Record<string, unknown> } : {}),
          }),
        );
      })
      .route('/webhook-endpoints', createWebhookEndpointRoutes(db, resolver, box, outbound))
      .post('/webhook-endpoints', manager, async (c) => {
        const b = await readBody<WebhookEndpointBody>(c, api('webhookEndpointBody'), 'webhook endpoint');
        const url = b.url;
        // Refused now rather than at the first delivery: a URL into our own network is never stored.
        await outbound.check(url, 'url');
        const topics = b.topics?.length ? b.topics : ['*'];
        const id = newId('whe');
        const secret = newWebhookSecret();
        await repo.insertEndpoint(db, {
          id,
          client_id: c.get('principal').clientId,
          url,
          secret: box.encrypt(secret),
          topics,
        });
        return c.json({ id, url, topics, secret }, 201);
      })
      .get('/', authenticate(resolver, { permission: 'notification.read' }), async (c) => {
        const q = (k: string) => c.req.query(k);
        const status = enumParam(q('status'), 'status', repo.DELIVERY_STATUSES);
        const workflowId = optionalWorkflowIdParam(q('journey_id'), 'journey_id');
        const campaignId = optionalIdParam(q('campaign_id'), 'campaign_id');
        const participantId = optionalIdParam(q('participant_id'), 'participant_id');
        const after = decodeCursor(q('starting_after'));
        const page = await repo.listDeliveryLog(db, c.get('principal').clientId, {
          ...(status ? { status } : {}),
          ...(workflowId ? { workflowId } : {}),
          ...(campaignId ? { campaignId } : {}),
          ...(participantId ? { participantId } : {}),
          ...(after ? { after } : {}),
          limit: intParam(q('limit'), 'limit', { min: 1, max: 100, fallback: 20 }),
        });
        const last = page.rows.at(-1);
        return c.json({
          data: page.rows.map(deliveryView),
          has_more: page.hasMore,
          next_cursor: page.hasMore && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
        });
      })
      .get('/participants/:id', authenticate(resolver, { permission: 'notification.read' }), async (c) => {
        const q = (k: string) => c.req.query(k);
        const page = pageRequest(q);
        const campaignId = optionalIdParam(q('campaign_id'), 'campaign_id');
        const workflowId = optionalWorkflowIdParam(q('journey_id'), 'journey_id');
        const rows = await repo.listNotifications(
          db,
          c.get('principal').clientId,
          idParam(c.req.param('id'), 'id'),
          page,
          {
            ...(campaignId ? { campaignId } : {}),
            ...(workflowId ? { workflowId } : {}),
          },
        );
        return c.json(pageOf(rows, page, byCreatedAt));
      })
  );
}

type LogRow = Awaited<ReturnType<typeof repo.listDeliveryLog>>['rows'][number];

/** A delivery-log entry as the API shows it: no recipient address and no body, a safe last error. */
function deliveryView(r: LogRow) {
  return {
    id: r.id,
    status: r.status,
    channel: r.channel,
    template: r.template,
    subject: r.subject,
    campaign_id: r.campaign_id,
    participant_id: r.participant_id,
    journey_id: r.workflow_id,
    journey_key: r.journey_key,
    attempts: r.attempts,
    last_error: r.error,
    created_at: r.created_at.toISOString(),
    last_attempt_at: r.last_attempt_at?.toISOString() ?? null,
    sent_at: r.sent_at?.toISOString() ?? null,
  };
}

/** Cursors are opaque to clients: base64url of the last row's microsecond timestamp and id. */
function encodeCursor(c: repo.LogCursor): string {
  return Buffer.from(`${c.at}|${c.id}`).toString('base64url');
}

function decodeCursor(raw: string | undefined): repo.LogCursor | undefined {
  if (raw === undefined || raw === '') return undefined;
  const text = raw.length <= 200 ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|(ntf_[a-z0-9]{1,40})$/.exec(text);
  if (!m || !isMicrosecondInstant(m[1]!))
    throw new AppError('VALIDATION_FAILED', 'starting_after is invalid', [
      {
        path: 'starting_after',
        message: 'not a cursor of this list',
        expected: 'next_cursor of a previous page',
      },
    ]);
  return { at: m[1]!, id: m[2]! };
}
