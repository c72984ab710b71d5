import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ApiKeyResolver, Principal } from './auth.ts';
import {
  IDENTITY_CLOCK_SKEW_SECONDS,
  IDENTITY_MAX_LIFETIME_SECONDS,
  participantAccess,
  signIdentityToken,
  verifyIdentityToken,
} from './identity-token.ts';

const SECRET = 'whsec_test_identity';
const NOW = 1_800_000_000;
const opts = { secrets: [SECRET], clientId: 'cli_a', nowSeconds: NOW };
const token = (over: Partial<{ pid: string; exp: number; cid: string }> = {}, secret = SECRET) =>
  signIdentityToken(secret, {
    participantId: over.pid ?? 'user_42',
    expiresAt: over.exp ?? NOW + 600,
    ...(over.cid ? { clientId: over.cid } : {}),
  });
const reason = (c: ReturnType<typeof verifyIdentityToken>) => (c.ok ? 'ok' : c.reason);

describe('verifyIdentityToken', () => {
  it('accepts a valid token, with or without the client id, and returns its participant', () => {
    assert.deepEqual(verifyIdentityToken(token(), opts), {
      ok: true,
      participantId: 'user_42',
      expiresAt: NOW + 600,
    });
    assert.equal(reason(verifyIdentityToken(token({ cid: 'cli_a' }), opts)), 'ok');
    assert.match(token(), /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('matches a plain HMAC computed the documented way (what other languages do)', () => {
    const payload = Buffer.from(JSON.stringify({ pid: 'user_42', exp: NOW + 60 })).toString('base64url');
    const mac = createHmac('sha256', SECRET).update(`v1.${payload}`).digest('base64url');
    assert.equal(reason(verifyIdentityToken(`v1.${payload}.${mac}`, opts)), 'ok');
  });

  it('refuses expired tokens beyond the skew, and lifetimes over 24 h', () => {
    assert.equal(
      reason(verifyIdentityToken(token({ exp: NOW - IDENTITY_CLOCK_SKEW_SECONDS }), opts)),
      'ok',
      'inside the skew',
    );
    assert.equal(
      reason(verifyIdentityToken(token({ exp: NOW - IDENTITY_CLOCK_SKEW_SECONDS - 1 }), opts)),
      'identity token expired',
    );
    assert.equal(
      reason(verifyIdentityToken(token({ exp: NOW + IDENTITY_MAX_LIFETIME_SECONDS }), opts)),
      'ok',
    );
    assert.equal(
      reason(
        verifyIdentityToken(
          token({ exp: NOW + IDENTITY_MAX_LIFETIME_SECONDS + IDENTITY_CLOCK_SKEW_SECONDS + 1 }),
          opts,
        ),
      ),
      'identity token lives longer than 24 h',
    );
  });

  it('refuses a tampered payload or mac, another secret and another client', () => {
    const t = token();
    const [v, payload, mac] = t.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ pid: 'user_43', exp: NOW + 600 })).toString('base64url');
    assert.equal(
      reason(verifyIdentityToken(`${v}.${forged}.${mac}`, opts)),
      'identity token signature does not match',
    );
    const flipped = `${mac.slice(0, 10)}${mac[10] === 'A' ? 'B' : 'A'}${mac.slice(11)}`;
    assert.equal(
      reason(verifyIdentityToken(`${v}.${payload}.${flipped}`, opts)),
      'identity token signature does not match',
    );
    assert.equal(
      reason(verifyIdentityToken(token({}, 'whsec_other'), opts)),
      'identity token signature does not match',
    );
    assert.equal(
      reason(verifyIdentityToken(token({ cid: 'cli_b' }), opts)),
      'identity token of another client',
    );
    assert.equal(
      reason(verifyIdentityToken(t, { ...opts, secrets: [] })),
      'identity token signature does not match',
      'no secrets, nothing verifies',
    );
  });

  it('accepts any of several secrets (one per live secret key)', () => {
    assert.equal(
      reason(verifyIdentityToken(token({}, 'whsec_2'), { ...opts, secrets: ['whsec_1', 'whsec_2'] })),
      'ok',
    );
  });

  it('refuses malformed input without throwing', () => {
    const mac = 'A'.repeat(43);
    for (const bad of [
      undefined,
      42,
      '',
      'v1',
      'v2.abc.def',
      `v1..${mac}`,
      `v1.${'a'.repeat(2000)}.${mac}`,
      `v1.abc.${mac}.x`,
    ])
      assert.equal(reason(verifyIdentityToken(bad, opts)), 'malformed identity token', String(bad));
    // A correctly signed payload that is not the expected JSON is still refused.
    const sign = (json: string) => {
      const p = Buffer.from(json).toString('base64url');
      return `v1.${p}.${createHmac('sha256', SECRET).update(`v1.${p}`).digest('base64url')}`;
    };
    for (const json of ['not json', 'null', '{"pid":1,"exp":1}', `{"pid":"x","exp":"${NOW}"}`, '{"exp":1}'])
      assert.equal(reason(verifyIdentityToken(sign(json), opts)), 'malformed identity token', json);
  });
});

describe('participantAccess', () => {
  const pk: Principal = {
    clientId: 'cli_a',
    clientStatus: 'active',
    keyKind: 'publishable',
    keyId: 'k1',
    role: null,
  };
  const resolver: ApiKeyResolver = {
    resolve: async () => null,
    identitySecrets: async (clientId) => (clientId === 'cli_a' ? [SECRET] : []),
  };
  const now = new Date(NOW * 1000);

  it('secret keys see everything; publishable keys only with a token for that participant', async () => {
    const sk: Principal = { ...pk, keyKind: 'secret', role: 'viewer' };
    assert.deepEqual(await participantAccess(resolver, sk, null, 'user_42', now), { full: true });
    assert.deepEqual(await participantAccess(resolver, pk, token(), 'user_42', now), { full: true });
    assert.deepEqual(await participantAccess(resolver, pk, token(), 'user_43', now), {
      full: false,
      reason: 'identity token is for another participant',
    });
    assert.deepEqual(await participantAccess(resolver, pk, undefined, 'user_42', now), {
      full: false,
      reason: 'no identity token',
    });
    const other = { ...pk, clientId: 'cli_b' };
    assert.equal((await participantAccess(resolver, other, token(), 'user_42', now)).full, false);
    const noSecrets: ApiKeyResolver = { resolve: async () => null };
    assert.equal((await participantAccess(noSecrets, pk, token(), 'user_42', now)).full, false);
  });
});
