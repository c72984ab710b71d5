import { Hono } from 'hono';
import type { ApiKeyResolver } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { Mailer } from './mailer.ts';
import { createNotificationInternalRoutes, createNotificationRoutes } from './routes.ts';

export { startContactTracking } from './contacts.ts';
export { createSmtpMailer, type Mailer } from './mailer.ts';
export { migrations, WEBHOOK_SECRET } from './migrations/index.ts';
export { signPayload } from './service.ts';

/** Notification & content: templates (built-in + client overrides), email over SMTP, in-app, signed webhooks. */
export function createNotificationApp(deps: {
  db: Db;
  mailer: Mailer;
  resolver: ApiKeyResolver;
  internalToken: string;
  /** Encrypts webhook endpoint secrets at rest. */
  secretBox: SecretBox;
}) {
  return withErrorHandling(
    new Hono()
      .route('/v1/notifications', createNotificationRoutes(deps.db, deps.resolver, deps.secretBox))
      .route(
        '/internal/v1/notifications',
        createNotificationInternalRoutes(deps.db, deps.mailer, deps.internalToken, deps.secretBox),
      ),
  );
}
