import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP addresses as bytes and CIDR ranges over them, shared by the client-IP resolver (trusted proxies)
 * and the outbound target check. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, `::ffff:a00:1`) are
 * normalised to IPv4 first, so one IPv4 rule covers both spellings.
 */
export interface Cidr {
  /** 4 or 16 bytes, host bits zeroed. */
  bytes: Uint8Array;
  prefix: number;
}

/** Parses an IPv4 or IPv6 literal (optionally in brackets, with a zone id) to 4 or 16 bytes; null if not an IP. */
export function parseIp(raw: string): Uint8Array | null {
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIPv4(s)) return Uint8Array.from(s.split('.').map(Number));
  if (!isIPv6(s)) return null;
  const bytes = new Uint8Array(16);
  let tail = s;
  let v4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    v4 = Uint8Array.from(
      s
        .slice(lastColon + 1)
        .split('.')
        .map(Number),
    );
    tail = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = tail.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  if (v4) bytes.set(v4, 12);
  return normalise(bytes);
}

/** `::ffff:a.b.c.d` → the IPv4 address; anything else unchanged. */
function normalise(b: Uint8Array): Uint8Array {
  if (b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return b.slice(12);
  return b;
}

/** Parses `10.0.0.0/8`, `fc00::/7` or a bare address (a /32 or /128); null when malformed. */
export function parseCidr(raw: string): Cidr | null {
  const [addr = '', bits, extra] = raw.trim().split('/');
  if (extra !== undefined) return null;
  const parsed = parseIp(addr);
  if (!parsed) return null;
  // A mapped IPv6 range (::ffff:10.0.0.0/104) becomes the IPv4 range it covers.
  const mapped = parsed.length === 4 && addr.includes(':');
  const max = parsed.length * 8;
  let prefix = bits === undefined ? max : Number(bits);
  if (mapped && bits !== undefined) prefix -= 96;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  const bytes = parsed.slice();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return { bytes, prefix };
}

/** Whether the address (bytes from `parseIp`) falls inside the range; IPv4 never matches an IPv6 range. */
export function inCidr(ip: Uint8Array, range: Cidr): boolean {
  if (ip.length !== range.bytes.length) return false;
  for (let i = 0; i < ip.length; i++) {
    const keep = Math.max(0, Math.min(8, range.prefix - i * 8));
    if (keep === 0) return true;
    const mask = (0xff << (8 - keep)) & 0xff;
    if (((ip[i] ?? 0) & mask) !== range.bytes[i]) return false;
  }
  return true;
}

export function inAnyCidr(ip: Uint8Array, ranges: readonly Cidr[]): boolean {
  return ranges.some((r) => inCidr(ip, r));
}

/** Parses a comma- or space-separated CIDR list; returns the ranges and the entries that failed. */
export function parseCidrList(raw: string | undefined): { ranges: Cidr[]; invalid: string[] } {
  const ranges: Cidr[] = [];
  const invalid: string[] = [];
  for (const part of (raw ?? '').split(/[\s,]+/).filter(Boolean)) {
    const c = parseCidr(part);
    if (c) ranges.push(c);
    else invalid.push(part);
  }
  return { ranges, invalid };
}

/** Canonical text of an address (IPv4 dotted, IPv6 in full lower-case groups): one IP, one hash. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}
