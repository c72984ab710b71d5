import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import {
  createServiceTokenMinter,
  signServiceToken,
  verifyServiceToken,
} from '../../contract/service-token.ts';
import { withErrorHandling } from './http.ts';
import { internalAuth } from './internal-auth.ts';

const KEY = 'k'.repeat(32);
const now = () => Math.floor(Date.now() / 1000);
const token = (over: Partial<{ aud: string; iat: number; exp: number }> = {}, key = KEY) =>
  signServiceToken(key, { iss: 'worker', aud: 'reward', iat: now(), exp: now() + 60, ...over });

const app = withErrorHandling(
  new Hono().use('*', internalAuth(KEY, 'reward')).get('/internal/x', (c) => c.json({ ok: true })),
);
const call = async (bearer: string | null) => {
  const res = await app.request(
    '/internal/x',
    bearer === null ? {} : { headers: { authorization: `Bearer ${bearer}` } },
  );
  const body = (await res.json()) as { ok?: boolean; error?: { code: string; message: string } };
  return { status: res.status, code: body.error?.code, message: body.error?.message ?? '' };
};

describe('internal routes: short-lived service tokens', () => {
  it('accept a fresh token for this service', async () => {
    assert.equal((await call(token())).status, 200);
  });

  it('refuse missing, expired, wrong-audience, tampered, foreign-key and static tokens with 401', async () => {
    const cases: [string, string | null, RegExp][] = [
      ['missing', null, /missing/],
      ['expired', token({ iat: now() - 120, exp: now() - 60 }), /expired/],
      ['wrong audience', token({ aud: 'notification' }), /wrong-audience/],
      ['signed with another key', token({}, 'x'.repeat(32)), /bad-signature/],
      ['the old static token', KEY, /malformed/],
      ['issued in the future', token({ iat: now() + 600, exp: now() + 660 }), /not-yet-valid/],
    ];
    const [h, p, s] = token().split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: now() + 86_400 })).toString('base64url');
    cases.push(['tampered claims', `${h}.${forged}.${s}`, /bad-signature/]);
    cases.push([
      'alg none',
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`,
      /malformed/,
    ]);
    for (const [name, bearer, why] of cases) {
      const r = await call(bearer);
      assert.equal(r.status, 401, name);
      assert.equal(r.code, 'UNAUTHORIZED', name);
      assert.match(r.message, why, name);
    }
  });

  it('minter reuses a token for about half its life, one per audience', () => {
    let t = 1_000_000_000_000;
    const mint = createServiceTokenMinter({ key: KEY, issuer: 'worker', now: () => t });
    const a = mint('reward');
    assert.equal(mint('reward'), a);
    assert.notEqual(mint('campaign'), a);
    t += 31_000;
    const b = mint('reward');
    assert.notEqual(b, a);
    const v = verifyServiceToken(KEY, b, 'reward', Math.floor(t / 1000) + 59);
    assert.ok(v.ok);
    assert.equal(v.ok && v.claims.exp - v.claims.iat, 60);
    assert.deepEqual(verifyServiceToken(KEY, b, 'reward', Math.floor(t / 1000) + 66), {
      ok: false,
      reason: 'expired',
    });
  });
});
