import { randomBytes } from 'node:crypto';
import { createSecretBox, type SecretBox } from '../../services/platform/secret-box.ts';

/** A secret box with a fresh random key, for tests that store secrets. */
export function testSecretBox(): SecretBox {
  return createSecretBox([{ kid: 'test', key: randomBytes(32) }]);
}
