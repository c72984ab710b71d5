import { reencryptSigningSecrets } from '../services/client-management/index.ts';
import type { Db } from '../services/platform/db.ts';
import type { SecretBox } from '../services/platform/secret-box.ts';

/**
 * Secrets at rest: encrypts rows stored in plaintext before encryption existed and re-encrypts those
 * under a retired key (rotation). Idempotent and cheap when there is nothing to do; runs at startup.
 */
export async function reencryptSecrets(db: Db, box: SecretBox): Promise<Record<string, number>> {
  return { api_keys: await reencryptSigningSecrets(db, box) };
}
