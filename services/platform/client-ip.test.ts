import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIp, inAnyCidr, parseCidr, parseCidrList, parseIp } from './cidr.ts';
import { clientIp } from './client-ip.ts';
import { loadConfig } from './config.ts';

const trusted = parseCidrList('10.0.0.0/8, 192.168.1.1, 2001:db8:1::/48').ranges;

describe('clientIp: X-Forwarded-For only from trusted proxies', () => {
  test('no trusted proxies: the socket peer, whatever the header says', () => {
    assert.equal(clientIp('203.0.113.5', '1.2.3.4', []), '203.0.113.5');
  });

  test('an untrusted peer: XFF ignored entirely (a spoofed chain changes nothing)', () => {
    assert.equal(clientIp('203.0.113.5', '10.0.0.1, 1.2.3.4', trusted), '203.0.113.5');
  });

  test('a trusted peer: the rightmost untrusted hop wins; spoofed left entries are ignored', () => {
    assert.equal(clientIp('10.0.0.9', '6.6.6.6, 198.51.100.1, 10.1.2.3', trusted), '198.51.100.1');
    assert.equal(clientIp('10.0.0.9', '198.51.100.1', trusted), '198.51.100.1');
    assert.equal(clientIp('192.168.1.1', '127.0.0.1, 198.51.100.1', trusted), '198.51.100.1');
  });

  test('a trusted-looking address the client wrote left of the real hop is never reached', () => {
    // The client wrote "10.9.9.9"; our proxy appended the real peer 198.51.100.1: that is the client.
    assert.equal(clientIp('10.0.0.9', '10.9.9.9, 198.51.100.1', trusted), '198.51.100.1');
  });

  test('every hop trusted: the leftmost one (an internal caller)', () => {
    assert.equal(clientIp('10.0.0.9', '10.0.0.7, 10.0.0.8', trusted), '10.0.0.7');
  });

  test('a malformed hop stops the walk at the last trusted address', () => {
    assert.equal(clientIp('10.0.0.9', '198.51.100.1, not-an-ip, 10.0.0.8', trusted), '10.0.0.8');
    assert.equal(clientIp('10.0.0.9', 'garbage', trusted), '10.0.0.9');
    assert.equal(clientIp('10.0.0.9', '', trusted), '10.0.0.9');
  });

  test('ports and brackets are stripped; IPv6 chains and trusted IPv6 proxies work', () => {
    assert.equal(clientIp('10.0.0.9', '198.51.100.1:4431', trusted), '198.51.100.1');
    assert.equal(
      clientIp('2001:db8:1::5', '[2001:db8:ff::1]:443, 2001:db8:1::4', trusted),
      '2001:db8:ff:0:0:0:0:1',
    );
  });

  test('IPv4-mapped IPv6 peers match IPv4 ranges and hash as IPv4', () => {
    assert.equal(clientIp('::ffff:10.0.0.9', '198.51.100.1', trusted), '198.51.100.1');
    assert.equal(clientIp('::ffff:203.0.113.5', null, trusted), '203.0.113.5');
  });

  test('an absurdly long header is not walked', () => {
    const long = `${'1.1.1.1, '.repeat(1000)}198.51.100.1`;
    assert.equal(clientIp('10.0.0.9', long, trusted), '10.0.0.9');
  });

  test('no peer: null', () => {
    assert.equal(clientIp(undefined, '1.2.3.4', trusted), null);
  });
});

describe('cidr', () => {
  test('parses IPv4, IPv6, embedded and mapped forms', () => {
    assert.equal(formatIp(parseIp('127.0.0.1') as Uint8Array), '127.0.0.1');
    assert.equal(formatIp(parseIp('::1') as Uint8Array), '0:0:0:0:0:0:0:1');
    assert.equal(formatIp(parseIp('::ffff:7f00:1') as Uint8Array), '127.0.0.1');
    assert.equal(formatIp(parseIp('[fe80::1%eth0]') as Uint8Array), 'fe80:0:0:0:0:0:0:1');
    assert.equal(parseIp('1.2.3'), null);
    assert.equal(parseIp('localhost'), null);
  });

  test('ranges match by prefix and reject malformed entries', () => {
    const r = parseCidrList('172.16.0.0/12 fc00::/7 ::ffff:100.64.0.0/106 nope 10.0.0.0/33');
    assert.deepEqual(r.invalid, ['nope', '10.0.0.0/33']);
    const hit = (ip: string) => inAnyCidr(parseIp(ip) as Uint8Array, r.ranges);
    assert.ok(hit('172.31.255.255'));
    assert.ok(!hit('172.32.0.0'));
    assert.ok(hit('fd12::1'));
    assert.ok(!hit('fe00::1'));
    assert.ok(hit('100.127.0.1'));
    assert.ok(!hit('100.128.0.1'));
    assert.deepEqual(parseCidr('0.0.0.0/0')?.prefix, 0);
    assert.ok(inAnyCidr(parseIp('8.8.8.8') as Uint8Array, [parseCidr('0.0.0.0/0') as never]));
  });
});

describe('configuration', () => {
  test('PULSE_TRUSTED_PROXIES is parsed once; a bad entry fails at boot, named', () => {
    const c = loadConfig({
      PULSE_TRUSTED_PROXIES: '10.0.0.0/8,::1',
      PULSE_OUTBOUND_ALLOW: '127.0.0.1/32 localhost',
    });
    assert.equal(c.trustedProxies.length, 2);
    assert.deepEqual(c.outboundAllow, ['127.0.0.1/32', 'localhost']);
    assert.equal(loadConfig({}).trustedProxies.length, 0, 'no proxy is trusted by default');
    assert.throws(
      () => loadConfig({ PULSE_TRUSTED_PROXIES: '10.0.0.0/8, 10.0.0.0/99' }),
      /PULSE_TRUSTED_PROXIES.*10\.0\.0\.0\/99/,
    );
  });
});
