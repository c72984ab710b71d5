/**
 * Referral codes: random ones from an alphabet without look-alikes, and vanity ones people choose.
 * Codes are stored upper-case, so every lookup (link, SDK check, attribution) is case-insensitive.
 */
import { randomInt } from 'node:crypto';
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import type { ErrorDetail } from '../../../contract/errors.ts';

/** 31 symbols: no 0/O, 1/I/L, so a code read aloud or typed from a print-out comes out right. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
/**
 * 8 symbols: 31^8 ≈ 8.5·10^11 codes (39.6 bits). With a million live codes in one client a blind guess
 * hits one with probability ≈ 1.2·10^-6, so 10,000 guesses (far beyond the API's rate limits) find
 * one with ≈ 1 % probability; and a new code collides with an existing one with ≈ 1.2·10^-6, which
 * the insert detects and retries.
 */
export const CODE_LENGTH = 8;

/**
 * A random code, each symbol uniform over the alphabet (crypto RNG, no modulo bias), drawn again when it
 * reads as offensive (the vanity filter's matcher, l33t spellings included): a client's customers share
 * these codes under the client's name.
 */
export function randomCode(length = CODE_LENGTH): string {
  for (;;) {
    let s = '';
    for (let i = 0; i < length; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
    if (!offensive(s)) return s;
  }
}

/** The stored form of any code a person typed: trimmed and upper-case. */
export const normaliseCode = (raw: string): string => raw.trim().toUpperCase();

export const VANITY_MIN = 4;
export const VANITY_MAX = 24;
const VANITY_SHAPE = /^[A-Z0-9][A-Z0-9_-]*[A-Z0-9]$/;

/**
 * Words no one may take as a code: they read as official, collide with paths of the share link
 * (`/r/<client>/l/<link>`), or are placeholders a broken integration would send.
 */
export const RESERVED_CODES: ReadonlySet<string> = new Set([
  'ADMIN',
  'ADMINISTRATOR',
  'API',
  'APP',
  'BILLING',
  'CODE',
  'DEFAULT',
  'EMPTY',
  'FREE',
  'HELP',
  'INFO',
  'INTERNAL',
  'INVALID',
  'LINK',
  'LOGIN',
  'LOGOUT',
  'MODERATOR',
  'NONE',
  'NULL',
  'OFFICIAL',
  'OWNER',
  'PULSE',
  'QR',
  'REF',
  'REFERRAL',
  'REFERRALS',
  'ROOT',
  'SECURITY',
  'SIGNUP',
  'STAFF',
  'SUPPORT',
  'SYSTEM',
  'TEAM',
  'TEST',
  'UNDEFINED',
  'UNKNOWN',
  'VOID',
  'WWW',
]);

const profanity = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
/** Checked on the lower-case form with separators as spaces: the transformers also see l33t spellings. */
const offensive = (code: string): boolean => profanity.hasMatch(code.toLowerCase().replace(/[-_]/g, ' '));

/** Why `code` (normalised) cannot be a vanity code, as error details at `path`; empty when it can. */
export function vanityProblems(code: string, path = 'code'): ErrorDetail[] {
  if (code.length < VANITY_MIN || code.length > VANITY_MAX)
    return [{ path, message: `must be ${VANITY_MIN} to ${VANITY_MAX} characters`, expected: 'length' }];
  if (!VANITY_SHAPE.test(code))
    return [
      {
        path,
        message:
          'may hold only letters A-Z, digits, "-" and "_", and must start and end with a letter or digit',
        expected: 'pattern',
      },
    ];
  if (RESERVED_CODES.has(code.replace(/[-_]/g, '')))
    return [{ path, message: `"${code}" is a reserved word`, expected: 'not reserved' }];
  if (offensive(code))
    return [{ path, message: 'is not allowed (offensive language)', expected: 'inoffensive' }];
  return [];
}

/** The channels a share or a link can carry (shared with the event schema's `referral_shared`). */
export const CHANNELS = [
  'email',
  'sms',
  'whatsapp',
  'x',
  'linkedin',
  'facebook',
  'copy_link',
  'qr',
  'hashtag',
  'native',
  'other',
] as const;
export type Channel = (typeof CHANNELS)[number];
export const isChannel = (s: unknown): s is Channel =>
  typeof s === 'string' && (CHANNELS as readonly string[]).includes(s);

/** The channel of a share event: `properties.channel`, the older `properties.platform`, or the `_<channel>` suffix. */
export function shareChannel(event: string, properties: Record<string, unknown> | undefined): Channel {
  const named = properties?.channel ?? properties?.platform;
  if (isChannel(named)) return named;
  const suffix = event.startsWith('referral_shared_') ? event.slice('referral_shared_'.length) : '';
  return isChannel(suffix) ? suffix : 'other';
}
