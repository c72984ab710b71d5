import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../../contract/errors.ts';

/**
 * Secrets at rest (event signing secrets, webhook secrets): AES-256-GCM, stored as
 * `enc:v1:<kid>:<iv>:<ciphertext+tag>` (base64url parts). The first key encrypts; every key decrypts,
 * so a deployment rotates by putting a new key first and re-encrypting at leisure.
 */
export interface EncryptionKey {
  kid: string;
  key: Buffer;
}

export interface SecretBox {
  encrypt(plain: string): string;
  /** Throws `INTERNAL` for a value that is not ours, names an unknown key, or was tampered with. */
  decrypt(stored: string): string;
  isEncrypted(stored: string): boolean;
  /** Whether the value is encrypted under the current (first) key. */
  isCurrent(stored: string): boolean;
}

const PREFIX = 'enc:v1:';
const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses `kid1:base64key,kid0:base64key`; each key must be 32 bytes. Returns keys and problems. */
export function parseEncryptionKeys(raw: string): { keys: EncryptionKey[]; problems: string[] } {
  const keys: EncryptionKey[] = [];
  const problems: string[] = [];
  for (const [i, part] of raw.split(',').entries()) {
    const at = part.indexOf(':');
    const kid = part.slice(0, at).trim();
    const key = Buffer.from(part.slice(at + 1).trim(), 'base64');
    if (at < 0 || !KID.test(kid))
      problems.push(`PULSE_ENCRYPTION_KEYS entry ${i + 1} needs a kid (kid:base64key)`);
    else if (key.length !== 32)
      problems.push(`PULSE_ENCRYPTION_KEYS key "${kid}" must be 32 bytes of base64, got ${key.length}`);
    else if (keys.some((k) => k.kid === kid)) problems.push(`PULSE_ENCRYPTION_KEYS repeats the kid "${kid}"`);
    else keys.push({ kid, key });
  }
  return { keys, problems };
}

export function createSecretBox(keys: readonly EncryptionKey[]): SecretBox {
  const current = keys[0];
  if (!current) throw new AppError('INTERNAL', 'no encryption key configured');
  const byKid = new Map(keys.map((k) => [k.kid, k.key]));
  const broken = (why: string) => new AppError('INTERNAL', `stored secret cannot be decrypted: ${why}`);
  // The kid is bound into the tag, so a ciphertext cannot be relabelled to another key.
  const aad = (kid: string) => Buffer.from(`${PREFIX}${kid}`);
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv).setAAD(aad(current.kid));
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}${current.kid}:${iv.toString('base64url')}:${ct.toString('base64url')}`;
    },
    decrypt(stored) {
      if (!stored.startsWith(PREFIX)) throw broken('not an encrypted value');
      const [kid, ivText, ctText, ...rest] = stored.slice(PREFIX.length).split(':');
      if (!kid || !ivText || !ctText || rest.length) throw broken('malformed');
      const key = byKid.get(kid);
      if (!key) throw broken(`unknown key id "${kid}"`);
      const iv = Buffer.from(ivText, 'base64url');
      const ct = Buffer.from(ctText, 'base64url');
      if (iv.length !== 12 || ct.length < 16) throw broken('malformed');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aad(kid));
        decipher.setAuthTag(ct.subarray(ct.length - 16));
        return Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw broken('authentication failed');
      }
    },
    isEncrypted: (stored) => stored.startsWith(PREFIX),
    isCurrent: (stored) => stored.startsWith(`${PREFIX}${current.kid}:`),
  };
}
