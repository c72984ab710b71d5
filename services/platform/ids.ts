import { createHmac, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Random, URL-safe token of `length` base-36 characters (about 5.17 bits each). */
export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[(bytes[i] ?? 0) % 36];
  return out;
}

/** Prefixed identifier, e.g. `cli_k3j9...`: the prefix tells a reader what kind of thing it names. */
export function newId(prefix: string): string {
  return `${prefix}_${randomToken(20)}`;
}

/** Keyed hash (HMAC-SHA256, hex) for secrets and personal data we must match but never store raw. */
export function keyedHash(secret: string, value: string): string {
  return createHmac('sha256', secret).update(value).digest('hex');
}

/** The stored form of an IP: keyed HMAC, so equal IPs match (fraud signals) but cannot be recovered. */
export function hashIp(secret: string, ip: string): string {
  return keyedHash(secret, `ip:${ip}`);
}
