import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { serviceToken } from '../../test/support/service-token.ts';
import { parseCidrList } from '../platform/cidr.ts';
import { hashIp } from '../platform/ids.ts';
import { createReferralApp, migrations, registerLanding } from './index.ts';
import * as service from './service.ts';

const TOKEN = 'internal-test-token';
const SECRET = 'test-hash-secret';
const ip = (addr: string) => hashIp(SECRET, addr);
/** What @hono/node-server binds for a request: the socket peer. */
const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
const A = { clientId: 'cli_a', campaignId: 'cmp_1' };
const B = { clientId: 'cli_b', campaignId: 'cmp_9' };

describe('referral service', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createReferralApp>;

  before(async () => {
    t = await createTestDatabase({ referral: migrations });
    const resolver = { resolve: async () => null };
    app = createReferralApp({
      db: t.db,
      resolver,
      internalToken: TOKEN,
      publicBaseUrl: 'http://pulse.test',
      hashSecret: SECRET,
      trustedProxies: parseCidrList('10.0.0.0/8').ranges,
    });
  });
  after(() => t.drop());

  it('gives each participant one stable, readable code and link per campaign', async () => {
    const first = await service.generateAssets(
      t.db,
      A,
      { participantId: 'ann', landingUrl: 'https://acme.test/join' },
      'http://pulse.test',
    );
    const again = await service.generateAssets(t.db, A, { participantId: 'ann' }, 'http://pulse.test');
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.code, first.code);
    assert.match(first.code, /^[A-HJKMNP-Z2-9]{8}$/);
    assert.equal(first.link, `http://pulse.test/r/cli_a/${first.code}`);
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () => service.generateAssets(t.db, A, { participantId: 'bob' }, 'x')),
    );
    assert.equal(new Set(concurrent.map((c) => c.code)).size, 1, 'concurrent calls agree on one code');
  });

  it('attributes a referee once, refuses self-referral and unknown codes, and stays within the tenant', async () => {
    const { code } = await service.generateAssets(t.db, A, { participantId: 'ann' }, 'x');
    assert.equal((await service.attribute(t.db, A, { refereeId: 'ann', code })).reason, 'self_referral');
    assert.equal(
      (await service.attribute(t.db, A, { refereeId: 'cat', code: 'NOPE2345' })).reason,
      'unknown_code',
    );
    assert.equal(
      (await service.attribute(t.db, B, { refereeId: 'cat', code })).reason,
      'unknown_code',
      'client B cannot use client A codes',
    );
    const first = await service.attribute(t.db, A, { refereeId: 'cat', code: code.toLowerCase() });
    assert.equal(first.attributed, true);
    assert.equal(first.referrer_id, 'ann');
    const { code: bobCode } = await service.generateAssets(t.db, A, { participantId: 'bob' }, 'x');
    const second = await service.attribute(t.db, A, { refereeId: 'cat', code: bobCode });
    assert.equal(second.referral_id, first.referral_id, 'first attribution wins');
    assert.equal(second.referrer_id, 'ann');
  });

  it('validates a conversion once, with minimum and window', async () => {
    const { code } = await service.generateAssets(t.db, A, { participantId: 'dan' }, 'x');
    await service.attribute(t.db, A, { refereeId: 'eve', code });
    assert.equal((await service.validateConversion(t.db, A, { refereeId: 'nobody' })).reason, 'not_referred');
    assert.equal(
      (await service.validateConversion(t.db, A, { refereeId: 'eve', orderValue: 10, minOrder: 50 })).reason,
      'below_minimum',
    );
    const future = new Date(Date.now() + 40 * 86_400_000);
    assert.equal(
      (
        await service.validateConversion(
          t.db,
          A,
          { refereeId: 'eve', orderValue: 80, windowDays: 30 },
          future,
        )
      ).reason,
      'outside_window',
    );
    const ok = await service.validateConversion(t.db, A, {
      refereeId: 'eve',
      orderId: 'o-1',
      orderValue: 80,
      minOrder: 50,
      windowDays: 30,
    });
    assert.deepEqual([ok.valid, ok.referrer_id], [true, 'dan']);
    assert.equal(
      (await service.validateConversion(t.db, A, { refereeId: 'eve', orderId: 'o-1' })).valid,
      true,
      'same order replays valid',
    );
    assert.equal(
      (await service.validateConversion(t.db, A, { refereeId: 'eve', orderId: 'o-2' })).reason,
      'already_converted',
    );
  });

  it('serves internal routes only with the token, and forwards share links with ?ref=', async () => {
    const denied = await app.request('/internal/v1/referrals/assets', { method: 'POST', body: '{}' });
    assert.equal(denied.status, 401);
    const bad = await app.request('/internal/v1/referrals/assets', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceToken(TOKEN, 'referral')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ client_id: 'cli_a', campaign_id: 'cmp_1' }),
    });
    assert.equal(bad.status, 400);
    assert.equal(
      ((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
      'participant_id',
    );
    // The campaign's landing page decides the origin; the code's deep link on that origin is used.
    const withPage = { clientId: 'cli_a', campaignId: 'cmp_landing' };
    await registerLanding(t.db, {
      ...withPage,
      landing: { url: 'https://acme.test/', attributionDays: 30 },
      status: 'active',
    });
    const { code } = await service.generateAssets(
      t.db,
      withPage,
      { participantId: 'fay', landingUrl: 'https://acme.test/join?x=1' },
      'x',
    );
    const res = await app.request(`/r/cli_a/${code}`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `https://acme.test/join?x=1&ref=${code}`);
    assert.equal((await app.request(`/r/cli_b/${code}`)).status, 404);
  });

  it('records the keyed IP hash of a link visit, from the trusted proxy chain, once per address', async () => {
    const { code } = await service.generateAssets(t.db, A, { participantId: 'gus' }, 'x');
    const visit = (xff: string, from: string) =>
      app.request(`/r/cli_a/${code}`, { headers: { 'x-forwarded-for': xff } }, peer(from));
    assert.equal((await visit('6.6.6.6, 198.51.100.20', '10.0.0.1')).status, 200);
    await visit('198.51.100.20', '10.0.0.1');
    await visit('198.51.100.20', '203.0.113.80'); // untrusted peer: its own address, not the header's
    const ips = await t.db
      .selectFrom('referral_clicks')
      .select('ip_hash')
      .where('client_id', '=', 'cli_a')
      .where('code', '=', code)
      .orderBy('ip_hash')
      .execute();
    assert.deepEqual(ips.map((r) => r.ip_hash).sort(), [ip('198.51.100.20'), ip('203.0.113.80')].sort());
  });
});
