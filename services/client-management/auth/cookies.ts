import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SESSION_COOKIE } from '../../platform/auth.ts';

/** How session cookies are written: Secure unless development on plain http. */
export interface CookiePolicy {
  secure: boolean;
}

/** The session cookie: HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it). */
export function setSessionCookie(c: Context, policy: CookiePolicy, token: string, maxAgeSeconds: number) {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    path: '/',
    secure: policy.secure,
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(c: Context, policy: CookiePolicy) {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: policy.secure, httpOnly: true, sameSite: 'Lax' });
}

export const sessionToken = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE);

/** A same-origin relative path (`/portal/x?y`), never `//host` or `/\host`; anything else is `/`. */
export function safeReturnTo(raw: string | undefined | null): string {
  if (!raw || raw.length > 2000) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  // Control characters and backslashes have no place in a path we redirect to.
  for (const ch of raw) if (ch === '\\' || ch.charCodeAt(0) < 0x20) return '/';
  return raw;
}
