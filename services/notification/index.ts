import { Hono } from 'hono';
import type { ApiKeyResolver } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createOutbound, type OutboundPolicy } from '../platform/outbound.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { Mailer } from './mailer.ts';
import { createNotificationInternalRoutes, createNotificationRoutes } from './routes.ts';

export { startContactTracking } from './contacts.ts';
export { createSmtpMailer, type Mailer } from './mailer.ts';
export { migrations, WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET } from './migrations/index.ts';
export { clientTemplateNames } from './repo.ts';
export { sendNotification } from './service.ts';

/** Notification & content: templates (built-in + client overrides), email over SMTP, in-app, signed webhooks. */
export function createNotificationApp(deps: {
  db: Db;
  mailer: Mailer;
  resolver: ApiKeyResolver;
  internalToken: string;
  /** Encrypts webhook endpoint secrets at rest. */
  secretBox: SecretBox;
  /** Rules for webhook URLs (platform/outbound.ts); the strict default refuses anything non-public. */
  outbound?: OutboundPolicy;
}) {
  const outbound = createOutbound(deps.outbound);
  return withErrorHandling(
    new Hono()
      .route('/v1/notifications', createNotificationRoutes(deps.db, deps.resolver, deps.secretBox, outbound))
      .route(
        '/internal/v1/notifications',
        createNotificationInternalRoutes(deps.db, deps.mailer, deps.internalToken, deps.secretBox, outbound),
      ),
  );
}
export { notificationParticipantData } from './participant-data.ts';
