import { createRequire } from 'node:module';
import { keyedHash } from '../../platform/ids.ts';

/**
 * Who a participant is, as the fraud rules compare it: normalised email (keyed hash), the client's own
 * email hash, email domain, phone hash, device / cookie ids, IP hashes, user agent (keyed hash) and
 * country. Nothing raw is stored: emails, phones and user agents are keyed hashes like IPs are.
 */

/** Providers that ignore dots in the local part (a.b@gmail.com is ab@gmail.com). */
const DOTLESS_PROVIDERS = new Set(['gmail.com', 'googlemail.com']);
/** Aliases of one mailbox domain. */
const DOMAIN_ALIASES: Record<string, string> = { 'googlemail.com': 'gmail.com' };

/**
 * Free-mail providers: two people sharing one of these domains say nothing about each other (the
 * company-domain rule skips them). A short list of the big ones; disposable domains are a rule of their own.
 */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'yahoo.com',
  'yahoo.co.uk',
  'yahoo.fr',
  'ymail.com',
  'outlook.com',
  'hotmail.com',
  'hotmail.co.uk',
  'hotmail.fr',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'mail.com',
  'yandex.com',
  'yandex.ru',
  'mail.ru',
  'qq.com',
  '163.com',
  '126.com',
  'zoho.com',
  'fastmail.com',
  'tutanota.com',
  'orange.fr',
  'free.fr',
  'laposte.net',
  't-online.de',
  'libero.it',
  'naver.com',
]);

// The package is a JSON array of domains (no types of its own).
const DISPOSABLE: ReadonlySet<string> = new Set(
  createRequire(import.meta.url)('disposable-email-domains') as string[],
);

/** `Ann.Lee+promo@GoogleMail.com` → `annlee@gmail.com`; null for what is not an email address. */
export function normaliseEmail(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1 || s.length > 320) return null;
  let local = s.slice(0, at);
  let domain = s.slice(at + 1).replace(/\.$/, '');
  if (!/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain)) return null;
  domain = DOMAIN_ALIASES[domain] ?? domain;
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (DOTLESS_PROVIDERS.has(domain)) local = local.replaceAll('.', '');
  if (!local) return null;
  return `${local}@${domain}`;
}

export function emailDomain(normalised: string): string {
  return normalised.slice(normalised.lastIndexOf('@') + 1);
}

/** Whether a domain (or any parent of it) is on the maintained disposable-domain list. */
export function isDisposableDomain(domain: string): boolean {
  const parts = domain.toLowerCase().split('.');
  for (let i = 0; i < parts.length - 1; i++) if (DISPOSABLE.has(parts.slice(i).join('.'))) return true;
  return false;
}

export function isFreeMailDomain(domain: string): boolean {
  return FREE_MAIL_DOMAINS.has(domain.toLowerCase());
}

/** Digits only, with a leading + kept: `+44 (0)20 7946-0000` and `+4420 79460000` compare equal. */
export function normalisePhone(raw: string): string | null {
  const plus = raw.trim().startsWith('+');
  const digits = raw.replace(/\(0\)/g, '').replace(/\D/g, '');
  if (digits.length < 6 || digits.length > 20) return null;
  return `${plus ? '+' : ''}${digits}`;
}

/** What a caller tells us about a participant (from the event that triggered the check). */
export interface IdentityInput {
  email?: string | null | undefined;
  /** The client's own hash of the email (sha256 of the lower-cased address, as the SDK sends). */
  emailHash?: string | null | undefined;
  phone?: string | null | undefined;
  phoneHash?: string | null | undefined;
  deviceId?: string | null | undefined;
  ipHash?: string | null | undefined;
  userAgent?: string | null | undefined;
  country?: string | null | undefined;
}

/** The stored, comparable form. */
export interface IdentityFacts {
  emailKey: string | null;
  emailHash: string | null;
  emailDomain: string | null;
  phoneKey: string | null;
  deviceId: string | null;
  ipHash: string | null;
  uaKey: string | null;
  country: string | null;
}

const clean = (v: string | null | undefined, max = 500): string | null =>
  typeof v === 'string' && v.trim().length > 0 && v.length <= max ? v.trim() : null;

export function identityFacts(secret: string, input: IdentityInput): IdentityFacts {
  const email = clean(input.email, 320);
  const normalised = email ? normaliseEmail(email) : null;
  const phone = clean(input.phone, 50);
  const phoneNorm = phone ? normalisePhone(phone) : null;
  const phoneHash = clean(input.phoneHash, 128);
  const country = clean(input.country, 2);
  const ua = clean(input.userAgent, 1024);
  return {
    emailKey: normalised ? keyedHash(secret, `email:${normalised}`) : null,
    emailHash: clean(input.emailHash, 128)?.toLowerCase() ?? null,
    emailDomain: normalised ? emailDomain(normalised) : null,
    // A client-given phone hash is compared as given; a raw phone is normalised and keyed.
    phoneKey: phoneNorm ? keyedHash(secret, `phone:${phoneNorm}`) : phoneHash ? `h:${phoneHash}` : null,
    deviceId: clean(input.deviceId, 200),
    ipHash: clean(input.ipHash, 128),
    uaKey: ua ? keyedHash(secret, `ua:${ua}`) : null,
    country: country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : null,
  };
}
