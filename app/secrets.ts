import { SERVICE_NAMES, type ServiceName } from '../services/app.ts';
import { reencryptSigningSecrets } from '../services/client-management/index.ts';
import { WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET } from '../services/notification/index.ts';
import type { Db } from '../services/platform/db.ts';
import type { SecretBox } from '../services/platform/secret-box.ts';
import { reencryptColumn } from '../services/platform/secret-columns.ts';
import { FULFILMENT_SECRET } from '../services/reward/index.ts';

/**
 * Secrets at rest: encrypts rows stored in plaintext before encryption existed and re-encrypts those
 * under a retired key (rotation), then validates each table's encrypted-only constraint. Idempotent and
 * cheap when there is nothing to do; runs at startup.
 */
export async function reencryptSecrets(
  db: Db,
  box: SecretBox,
  only: readonly ServiceName[] = SERVICE_NAMES,
): Promise<Record<string, number>> {
  // Each service owns its tables (its own database in production): only mounted services are touched.
  const done: Record<string, number> = {};
  if (only.includes('client-management'))
    done['api_keys.signing_secret'] = await reencryptSigningSecrets(db, box);
  if (only.includes('notification')) {
    done['webhook_endpoints.secret'] = await reencryptColumn(db, box, WEBHOOK_SECRET);
    // The secret a rotation replaced signs until its overlap ends: under a retired key it must move too.
    done['webhook_endpoints.previous_secret'] = await reencryptColumn(db, box, WEBHOOK_PREVIOUS_SECRET);
  }
  if (only.includes('reward'))
    done['fulfilment_endpoints.secret'] = await reencryptColumn(db, box, FULFILMENT_SECRET);
  return done;
}
