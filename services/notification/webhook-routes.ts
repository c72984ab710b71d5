import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type {
  WebhookEndpointUpdateBody,
  WebhookSecretRotateBody,
} from '../../contract/generated/api.generated.ts';
import { setAudit } from '../platform/audit.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { readBody } from '../platform/http.ts';
import { api } from '../platform/openapi.ts';
import type { Outbound } from '../platform/outbound.ts';
import { byCreatedAt, pageOf, pageRequest } from '../platform/pagination.ts';
import { enumParam, idParam } from '../platform/params.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { newWebhookSecret } from '../platform/webhooks.ts';
import { attemptWebhook } from './service.ts';
import * as hooks from './webhook-repo.ts';

const DAY_SECONDS = 86_400;

type EndpointRow = NonNullable<Awaited<ReturnType<typeof hooks.findEndpoint>>>;
type DeliveryRow = Awaited<ReturnType<typeof hooks.listEndpointDeliveries>>[number];
type Stats = Awaited<ReturnType<typeof hooks.deliveryStats>>;

const noEndpoint = () =>
  new AppError('NOT_FOUND', 'no such webhook endpoint', [{ path: 'id', message: 'unknown endpoint' }]);

function endpointView(r: EndpointRow, stats: Stats) {
  const s = stats.get(r.id);
  const overlap = r.previous_secret_expires_at;
  return {
    id: r.id,
    url: r.url,
    topics: r.topics,
    enabled: r.enabled,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at?.toISOString() ?? null,
    previous_secret_expires_at: overlap && overlap.getTime() > Date.now() ? overlap.toISOString() : null,
    deliveries: {
      total: s?.total ?? 0,
      failed: s?.failed ?? 0,
      last_attempt_at: s?.last?.toISOString() ?? null,
    },
  };
}

/** A log entry as the API shows it: outcome, status code, attempts, latency, a safe error; never the body. */
function deliveryView(r: DeliveryRow) {
  return {
    id: r.id,
    endpoint_id: r.endpoint_id,
    message_id: r.idempotency_key,
    topic: r.topic,
    status: r.delivered_at ? ('delivered' as const) : ('failed' as const),
    status_code: r.status_code,
    attempts: r.attempts,
    latency_ms: r.latency_ms,
    error: r.error,
    created_at: r.created_at.toISOString(),
    last_attempt_at: r.last_attempt_at?.toISOString() ?? null,
    delivered_at: r.delivered_at?.toISOString() ?? null,
  };
}

/**
 * `/v1/notifications/webhook-endpoints/…` beyond creation: list, read, change, delete, rotate the signing
 * secret, and each endpoint's delivery log with the redelivery of one message. Every query is scoped to
 * the caller's client: another client's id reads as 404.
 */
export function createWebhookEndpointRoutes(
  db: Db,
  resolver: ApiKeyResolver,
  box: SecretBox,
  outbound: Outbound,
) {
  const manager = authenticate(resolver, { permission: 'notification.manage' });
  const reader = authenticate(resolver, { permission: 'notification.read' });
  const withStats = async (clientId: string, row: EndpointRow) =>
    endpointView(row, await hooks.deliveryStats(db, clientId, [row.id]));
  return new Hono<{ Variables: AuthVariables }>()
    .get('/', reader, async (c) => {
      const clientId = c.get('principal').clientId;
      const page = pageRequest((k) => c.req.query(k));
      const rows = await hooks.listEndpoints(db, clientId, page);
      const stats = await hooks.deliveryStats(
        db,
        clientId,
        rows.map((r) => r.id),
      );
      return c.json(pageOf(rows, page, byCreatedAt, (r) => endpointView(r, stats)));
    })
    .get('/:id', reader, async (c) => {
      const clientId = c.get('principal').clientId;
      const row = await hooks.findEndpoint(db, clientId, idParam(c.req.param('id'), 'id'));
      if (!row) throw noEndpoint();
      return c.json(await withStats(clientId, row));
    })
    .patch('/:id', manager, async (c) => {
      const clientId = c.get('principal').clientId;
      const id = idParam(c.req.param('id'), 'id');
      const b = await readBody<WebhookEndpointUpdateBody>(
        c,
        api('webhookEndpointUpdateBody'),
        'webhook endpoint',
      );
      const before = await hooks.findEndpoint(db, clientId, id);
      if (!before) throw noEndpoint();
      // A new URL passes the same guard as at creation: never stored when it points into our network.
      if (b.url !== undefined) await outbound.check(b.url, 'url');
      const row = await hooks.updateEndpoint(db, clientId, id, {
        ...(b.url !== undefined ? { url: b.url } : {}),
        ...(b.topics !== undefined ? { topics: b.topics.length ? b.topics : ['*'] } : {}),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      });
      if (!row) throw noEndpoint();
      setAudit(c, {
        action: 'webhook_endpoint.updated',
        before: { url: before.url, topics: before.topics, enabled: before.enabled },
        after: { url: row.url, topics: row.topics, enabled: row.enabled },
      });
      return c.json(await withStats(clientId, row));
    })
    .delete('/:id', manager, async (c) => {
      const id = idParam(c.req.param('id'), 'id');
      if (!(await hooks.deleteEndpoint(db, c.get('principal').clientId, id))) throw noEndpoint();
      setAudit(c, { action: 'webhook_endpoint.deleted' });
      return c.json({ deleted: true });
    })
    .post('/:id/rotate-secret', manager, async (c) => {
      const clientId = c.get('principal').clientId;
      const id = idParam(c.req.param('id'), 'id');
      // Every field is optional, so no body at all means the defaults, as `{}` does (Hono caches the
      // text, so readBody parses the same bytes).
      const b =
        (await c.req.text()).trim() === ''
          ? ({} as WebhookSecretRotateBody)
          : await readBody<WebhookSecretRotateBody>(c, api('webhookSecretRotateBody'), 'rotation');
      const now = new Date();
      const overlap = b.overlap_seconds ?? DAY_SECONDS;
      const overlapUntil = new Date(now.getTime() + overlap * 1000);
      const secret = newWebhookSecret();
      const row = await hooks.rotateEndpointSecret(db, clientId, id, box.encrypt(secret), overlapUntil, {
        now,
        endNow: overlap === 0,
      });
      if (!row) {
        const until = await hooks.overlapRunning(db, clientId, id, now);
        if (!until) throw noEndpoint();
        throw new AppError(
          'CONFLICT',
          `a rotation is in progress: the original secret keeps signing until ${until.toISOString()}; rotate again after that, or with overlap_seconds 0 to end it now`,
          [
            {
              path: 'overlap_seconds',
              message: 'rotation in progress',
              expected: `0, or a rotation after ${until.toISOString()}`,
            },
          ],
        );
      }
      setAudit(c, {
        action: 'webhook_endpoint.secret_rotated',
        after: { overlap_until: overlapUntil.toISOString() },
      });
      return c.json({ id, secret, previous_secret_expires_at: overlapUntil.toISOString() });
    })
    .get('/:id/deliveries', reader, async (c) => {
      const clientId = c.get('principal').clientId;
      const id = idParam(c.req.param('id'), 'id');
      const page = pageRequest((k) => c.req.query(k));
      const status = enumParam(c.req.query('status'), 'status', ['delivered', 'failed'] as const);
      if (!(await hooks.findEndpoint(db, clientId, id))) throw noEndpoint();
      const rows = await hooks.listEndpointDeliveries(db, clientId, id, page, status);
      return c.json(pageOf(rows, page, byCreatedAt, deliveryView));
    })
    .post('/:id/deliveries/:deliveryId/redeliver', manager, async (c) => {
      const clientId = c.get('principal').clientId;
      const id = idParam(c.req.param('id'), 'id');
      const deliveryId = idParam(c.req.param('deliveryId'), 'deliveryId');
      const ep = await hooks.endpointTarget(db, clientId, id);
      if (!ep) throw noEndpoint();
      const d = await hooks.findEndpointDelivery(db, clientId, id, deliveryId);
      if (!d)
        throw new AppError('NOT_FOUND', 'no such delivery', [
          { path: 'deliveryId', message: 'unknown delivery' },
        ]);
      if (d.payload === null)
        throw new AppError(
          'CONFLICT',
          'this delivery was logged before bodies were kept; it cannot be resent',
          [{ path: 'deliveryId', message: 'no stored body' }],
        );
      if (!ep.enabled)
        throw new AppError('CONFLICT', 'the endpoint is disabled; enable it before redelivering', [
          { path: 'id', message: 'endpoint disabled' },
        ]);
      // The same message (webhook-id and body) signed afresh: a receiver that already has it deduplicates.
      const attempt = await attemptWebhook(
        db,
        box,
        ep,
        { id: d.idempotency_key, topic: d.topic, body: d.payload },
        outbound.fetch,
      );
      if (attempt.refused)
        throw new AppError('OUTBOUND_REFUSED', 'the endpoint URL is not allowed', [
          { path: 'url', message: 'points into a private network' },
        ]);
      setAudit(c, {
        action: 'webhook_delivery.redelivered',
        target: { delivery: deliveryId },
        after: { status_code: attempt.statusCode },
      });
      const after = await hooks.findEndpointDelivery(db, clientId, id, deliveryId);
      if (!after) throw noEndpoint();
      return c.json({ delivery: deliveryView(after) });
    });
}
