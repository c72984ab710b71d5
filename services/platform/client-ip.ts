import { type Cidr, formatIp, inAnyCidr, parseIp } from './cidr.ts';

/** Longest X-Forwarded-For we read; a longer header is a client's doing, not a proxy chain's. */
const MAX_XFF_LENGTH = 4096;
/** Most hops walked from the right; a real chain of trusted proxies is a handful long. */
const MAX_HOPS = 32;

/**
 * The client's IP for one request, the only place X-Forwarded-For is read.
 *
 * The socket peer is the one address nobody can forge. Only when the peer is a trusted proxy is the
 * XFF chain considered at all; it is walked from the right (the hop our proxy appended) skipping
 * trusted proxies, and the first untrusted address is the client. Everything to its left was written
 * by the client itself and is ignored. A malformed hop ends the walk at the last good address.
 * Returns the canonical text form (see `formatIp`), or null when the peer is unknown.
 */
export function clientIp(
  peer: string | null | undefined,
  forwardedFor: string | null | undefined,
  trusted: readonly Cidr[],
): string | null {
  const peerIp = peer ? parseIp(peer) : null;
  if (!peerIp) return null;
  if (!forwardedFor || !trusted.length || !inAnyCidr(peerIp, trusted)) return formatIp(peerIp);
  if (forwardedFor.length > MAX_XFF_LENGTH) return formatIp(peerIp);
  let client = peerIp;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1, walked = 0; i >= 0 && walked < MAX_HOPS; i--, walked++) {
    const hop = parseIp(stripPort(hops[i] ?? ''));
    if (!hop) break;
    client = hop;
    if (!inAnyCidr(hop, trusted)) break;
  }
  return formatIp(client);
}

/** `1.2.3.4:5678` → `1.2.3.4`; `[::1]:80` → `::1`; bare IPv6 is left alone. */
function stripPort(hop: string): string {
  const s = hop.trim();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (v6) return v6[1] ?? '';
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(s);
  return v4 ? (v4[1] ?? '') : s;
}

type NodeBindings = { incoming?: { socket?: { remoteAddress?: string } } } | undefined;

/** The client IP of a Hono request on @hono/node-server (the peer from `c.env.incoming`). */
export function requestClientIp(req: Request, env: unknown, trusted: readonly Cidr[]): string | null {
  const peer = (env as NodeBindings)?.incoming?.socket?.remoteAddress;
  return clientIp(peer, req.headers.get('x-forwarded-for'), trusted);
}
