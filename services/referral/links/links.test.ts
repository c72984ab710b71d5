import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import QRCode from 'qrcode';
import { createIdentityToken } from '../../../sdk/node/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import type { ApiKeyResolver } from '../../platform/auth.ts';
import { parseCidrList } from '../../platform/cidr.ts';
import { hashIp } from '../../platform/ids.ts';
import { createReferralApp, migrations, registerLanding } from '../index.ts';
import * as service from '../service.ts';
import { CODE_ALPHABET, randomCode, shareChannel, vanityProblems } from './codes.ts';
import { deactivateCode, issueCode, linkFor } from './service.ts';

const BASE = 'http://pulse.test';
const CLIENT = 'cli_links';

describe('referral codes and links', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createReferralApp>;
  const tenant = { clientId: CLIENT, campaignId: 'cmp_links' };
  const owner = (participantId: string) => ({ ...tenant, participantId });

  before(async () => {
    t = await createTestDatabase({ referral: migrations });
    app = createReferralApp({
      db: t.db,
      resolver: { resolve: async () => null },
      internalToken: 'x',
      publicBaseUrl: BASE,
      hashSecret: 's',
      trustedProxies: parseCidrList('').ranges,
    });
    await registerLanding(t.db, {
      ...tenant,
      landing: { url: 'https://shop.test/join', attributionDays: 30 },
      status: 'active',
    });
  });
  after(() => t.drop());

  it('draws random codes uniformly from an alphabet without look-alikes', () => {
    assert.doesNotMatch(CODE_ALPHABET, /[01OIL]/);
    const counts = new Map<string, number>();
    const N = 4000;
    for (let i = 0; i < N; i++) for (const ch of randomCode()) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    assert.equal(counts.size, CODE_ALPHABET.length, 'every symbol appears');
    const expected = (N * 8) / CODE_ALPHABET.length;
    for (const [ch, n] of counts)
      assert.ok(Math.abs(n - expected) < expected * 0.2, `${ch}: ${n} vs ${expected}`);
  });

  it('never hands out a random code that reads as offensive', () => {
    // About 1 in 550 raw draws matches the profanity list ("FKTH…"); 5,000 codes would meet one
    // with near certainty if randomCode did not draw again.
    for (let i = 0; i < 5000; i++) {
      const code = randomCode();
      assert.deepEqual(vanityProblems(code), [], code);
    }
  });

  it('checks vanity codes: shape, reserved words, profanity', () => {
    assert.deepEqual(vanityProblems('SARAH-20'), []);
    assert.match(vanityProblems('AB')[0]?.message ?? '', /4 to 24/);
    assert.match(vanityProblems('HI THERE')[0]?.message ?? '', /letters/);
    assert.match(vanityProblems('ADMIN')[0]?.message ?? '', /reserved/);
    assert.match(vanityProblems('SUP-PORT')[0]?.message ?? '', /reserved/);
    assert.match(vanityProblems('FUCK-YOU')[0]?.message ?? '', /offensive/);
    assert.match(vanityProblems('SH1T-DEAL')[0]?.message ?? '', /offensive/, 'l33t spellings too');
    assert.deepEqual(vanityProblems('SCUNTHORPE'), [], 'no false alarm on a town');
  });

  it('issues a vanity code, refuses a taken one (any case) with 409, and keeps the old code resolving', async () => {
    const first = await service.generateAssets(t.db, tenant, { participantId: 'ann' }, BASE);
    const issued = await issueCode(t.db, owner('ann'), { vanity: 'ann-rocks', publicBaseUrl: BASE });
    assert.deepEqual(
      [issued.code.code, issued.code.kind, issued.retired],
      ['ANN-ROCKS', 'vanity', first.code],
    );
    await assert.rejects(issueCode(t.db, owner('bob'), { vanity: 'Ann-Rocks', publicBaseUrl: BASE }), {
      code: 'CONFLICT',
    });
    await assert.rejects(issueCode(t.db, owner('bob'), { vanity: 'admin', publicBaseUrl: BASE }), {
      code: 'VALIDATION_FAILED',
    });
    // The journey's code step now answers the vanity code; the old one still lands on ann.
    assert.equal(
      (await service.generateAssets(t.db, tenant, { participantId: 'ann' }, BASE)).code,
      'ANN-ROCKS',
    );
    const old = await app.request(`/r/${CLIENT}/${first.code.toLowerCase()}`);
    assert.equal(old.status, 302);
    assert.equal(new URL(old.headers.get('location') ?? '').searchParams.get('ref'), first.code);
    const viaOld = await service.attribute(t.db, tenant, { refereeId: 'cara', code: first.code });
    assert.equal(viaOld.referrer_id, 'ann', 'a retired code still credits its owner');
  });

  it('deactivates a code: it stops resolving and is never handed out again', async () => {
    const { code } = await service.generateAssets(t.db, tenant, { participantId: 'dan' }, BASE);
    assert.equal((await deactivateCode(t.db, CLIENT, code))?.status, 'deactivated');
    assert.equal((await app.request(`/r/${CLIENT}/${code}`)).status, 404);
    const next = await service.generateAssets(t.db, tenant, { participantId: 'dan' }, BASE);
    assert.notEqual(next.code, code, 'a fresh code after deactivation');
    await assert.rejects(issueCode(t.db, owner('eve'), { vanity: code, publicBaseUrl: BASE }), {
      code: 'CONFLICT',
    });
  });

  it('gives one link per channel that survives rotation, records its channel and click ids, and draws it as QR', async () => {
    await service.generateAssets(t.db, tenant, { participantId: 'fay' }, BASE);
    const email = await linkFor(t.db, owner('fay'), 'email');
    const again = await linkFor(t.db, owner('fay'), 'email');
    const sms = await linkFor(t.db, owner('fay'), 'sms');
    assert.equal(again.link.id, email.link.id);
    assert.notEqual(sms.link.id, email.link.id);
    const rotated = await issueCode(t.db, owner('fay'), { publicBaseUrl: BASE });
    const res = await app.request(
      `/r/${CLIENT}/l/${email.link.id}?gclid=AD-123`,
      {},
      {
        incoming: { socket: { remoteAddress: '198.51.100.7' } },
      },
    );
    assert.equal(res.status, 302);
    assert.equal(new URL(res.headers.get('location') ?? '').searchParams.get('ref'), rotated.code.code);
    const click = await t.db
      .selectFrom('referral_clicks')
      .select(['code', 'channel', 'link_id', 'click_ids'])
      .where('client_id', '=', CLIENT)
      .where('link_id', '=', email.link.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(click, {
      code: rotated.code.code,
      channel: 'email',
      link_id: email.link.id,
      click_ids: { gclid: 'AD-123' },
    });
    // ?ch= on a plain code link says the channel too (unknown values are dropped).
    await app.request(
      `/r/${CLIENT}/${rotated.code.code}?ch=whatsapp`,
      {},
      {
        incoming: { socket: { remoteAddress: '198.51.100.8' } },
      },
    );
    const byCh = await t.db
      .selectFrom('referral_clicks')
      .select('channel')
      .where('event_id', '=', `redirect:${rotated.code.code}:${hashIp('s', '198.51.100.8')}`)
      .executeTakeFirstOrThrow();
    assert.equal(byCh.channel, 'whatsapp');
    // The QR code encodes the link URL itself (compared with the library's own rendering of that URL).
    const url = `${BASE}/r/${CLIENT}/l/${email.link.id}`;
    const svg = await app.request(`/r/${CLIENT}/l/${email.link.id}/qr.svg`);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.equal(
      await svg.text(),
      await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
    );
    const png = new Uint8Array(
      await (await app.request(`/r/${CLIENT}/l/${email.link.id}/qr.png`)).arrayBuffer(),
    );
    assert.deepEqual([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(
      (await app.request(`/r/other_client/l/${email.link.id}/qr.png`)).status,
      404,
      'scoped to the client',
    );
  });

  it('reads the channel of every share event form', () => {
    assert.equal(shareChannel('referral_shared', { channel: 'qr' }), 'qr');
    assert.equal(shareChannel('referral_shared_whatsapp', { platform: 'whatsapp' }), 'whatsapp');
    assert.equal(shareChannel('referral_shared_x', {}), 'x');
    assert.equal(shareChannel('referral_shared', { channel: 'carrier-pigeon' }), 'other');
  });

  it('lets a participant choose their own code from the browser, with their identity token only', async () => {
    const SIGNING = 'whsec_links_test';
    const resolver: ApiKeyResolver = {
      async resolve(raw) {
        const kind = raw === 'pk_links' ? 'publishable' : raw === 'sk_links' ? 'secret' : null;
        return kind
          ? {
              clientId: CLIENT,
              clientStatus: 'active',
              keyKind: kind,
              keyId: raw,
              role: kind === 'secret' ? 'owner' : null,
            }
          : null;
      },
      identitySecrets: async () => [SIGNING],
    };
    const sdkApp = createReferralApp({
      db: t.db,
      resolver,
      internalToken: 'x',
      publicBaseUrl: BASE,
      hashSecret: 's',
    });
    await service.generateAssets(t.db, tenant, { participantId: 'gil' }, BASE);
    const choose = (code: string, headers: Record<string, string>) =>
      sdkApp.request('/v1/referrals/participants/gil/vanity-code?key=pk_links', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ campaign_id: tenant.campaignId, code }),
      });
    const anonymous = await choose('GIL-CODE', {});
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'IDENTITY_REQUIRED');
    const someoneElse = await choose('GIL-CODE', { 'x-pulse-identity': createIdentityToken(SIGNING, 'hal') });
    assert.equal(someoneElse.status, 401, 'a token for another participant does not unlock gil');
    const own = { 'x-pulse-identity': createIdentityToken(SIGNING, 'gil') };
    const rude = await choose('BITCH-PLZ', own);
    assert.equal(rude.status, 400);
    assert.equal(
      ((await rude.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
      'code',
    );
    const ok = await choose('gil-code', own);
    assert.equal(ok.status, 201);
    assert.equal(((await ok.json()) as { code: { code: string } }).code.code, 'GIL-CODE');
    for (let i = 1; i < 5; i++) assert.equal((await choose(`GIL-CODE-${i}`, own)).status, 201);
    const sixth = await choose('GIL-CODE-6', own);
    assert.equal(sixth.status, 409, 'at most five vanity codes');
  });
});
