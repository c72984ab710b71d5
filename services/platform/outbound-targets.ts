import { type Cidr, inCidr, parseCidr } from './cidr.ts';

/**
 * Address ranges an outbound call to a client-supplied URL may never reach: anything that is not the
 * public internet (our own hosts, the cloud metadata service, the private network). Checked on the
 * resolved addresses, in order, so the first matching label names the class in the refusal.
 */
const BLOCKED: readonly (readonly [string, string])[] = [
  ['169.254.169.254/32', 'the cloud metadata address'],
  ['0.0.0.0/8', 'an unspecified address'],
  ['10.0.0.0/8', 'a private address'],
  ['100.64.0.0/10', 'a carrier-grade NAT address'],
  ['127.0.0.0/8', 'a loopback address'],
  ['169.254.0.0/16', 'a link-local address'],
  ['172.16.0.0/12', 'a private address'],
  ['192.0.0.0/24', 'an IETF protocol address'],
  ['192.168.0.0/16', 'a private address'],
  ['198.18.0.0/15', 'a benchmarking address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['240.0.0.0/4', 'a reserved address'],
  ['::/128', 'an unspecified address'],
  ['::1/128', 'a loopback address'],
  ['::/96', 'an IPv4-compatible address'],
  ['100::/64', 'a discard address'],
  ['fc00::/7', 'a private (unique local) address'],
  ['fe80::/10', 'a link-local address'],
  ['fec0::/10', 'a site-local address'],
  ['ff00::/8', 'a multicast address'],
];
const RANGES = BLOCKED.map(([cidr, label]) => ({ range: parseCidr(cidr) as Cidr, label }));
const NAT64 = parseCidr('64:ff9b::/96') as Cidr;
const SIX_TO_FOUR = parseCidr('2002::/16') as Cidr;

/**
 * Why the address may not be reached, or null when it is public. IPv4-mapped forms arrive here as IPv4
 * already (cidr.ts normalises them); NAT64 and 6to4 addresses are judged by the IPv4 address they carry.
 */
export function blockedReason(ip: Uint8Array): string | null {
  if (ip.length === 16 && inCidr(ip, NAT64)) return blockedReason(ip.slice(12));
  if (ip.length === 16 && inCidr(ip, SIX_TO_FOUR)) return blockedReason(ip.slice(2, 6));
  for (const { range, label } of RANGES) if (inCidr(ip, range)) return label;
  return null;
}
