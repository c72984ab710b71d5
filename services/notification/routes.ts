import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type { TemplateBody, WebhookEndpointBody } from '../../contract/generated/api.generated.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { readBody, readJsonObject } from '../platform/http.ts';
import { newId, randomToken } from '../platform/ids.ts';
import { internalAuth } from '../platform/internal-auth.ts';
import { api } from '../platform/openapi.ts';
import type { Outbound } from '../platform/outbound.ts';
import { byCreatedAt, pageOf, pageRequest } from '../platform/pagination.ts';
import { idParam } from '../platform/params.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { newWebhookSecret } from '../platform/webhooks.ts';
import type { Mailer } from './mailer.ts';
import * as repo from './repo.ts';
import { renderNotification, type SendInput, sendNotification, sendWebhook } from './service.ts';

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
          data: dataOf(b),
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

/** Client portal: template overrides, webhook endpoints, a participant's notification log. */
export function createNotificationRoutes(
  db: Db,
  resolver: ApiKeyResolver,
  box: SecretBox,
  outbound: Outbound,
) {
  const manager = authenticate(resolver, { permission: 'notification.manage' });
  return new Hono<{ Variables: AuthVariables }>()
    .put('/templates/:name', manager, async (c) => {
      const name = idParam(c.req.param('name'), 'name');
      const b = await readBody<TemplateBody>(c, api('templateBody'), 'template');
      const version = await repo.insertTemplateVersion(db, {
        client_id: c.get('principal').clientId,
        name,
        locale: b.locale ?? 'en',
        subject: b.subject,
        text: b.text,
        html: b.html ?? null,
      });
      return c.json({ name, version }, 201);
    })
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
    .get('/participants/:id', authenticate(resolver, { permission: 'notification.read' }), async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const rows = await repo.listNotifications(
        db,
        c.get('principal').clientId,
        idParam(c.req.param('id'), 'id'),
        page,
      );
      return c.json(pageOf(rows, page, byCreatedAt));
    });
}
