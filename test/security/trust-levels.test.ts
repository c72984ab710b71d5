import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { call, waitUntil } from '../../scripts/journey/http.ts';
import type { LocalPlatform } from '../../scripts/journey/local-platform.ts';
import { createPulseServerClient } from '../../sdk/node/index.ts';
import { chSql } from '../../services/platform/clickhouse.ts';
import type { TestClickHouse } from '../support/clickhouse.ts';
import { startIsolatedPlatform } from '../support/isolated-platform.ts';
import type { TestDatabase } from '../support/postgres.ts';

const campaignFile = (name: string) =>
  readFile(fileURLToPath(new URL(`../../campaigns/${name}.pulse.yaml`, import.meta.url)), 'utf8');

interface RewardView {
  reward_id: string;
  participant_id: string;
  side: string | null;
  category: string;
  amount: number | null;
  state: string;
}

/**
 * Attack: a browser (publishable key, no signature) forges the purchase of a referred friend to earn
 * the referrer's conversion reward. On the real stack: HTTP intake → outbox → ClickHouse and bus →
 * router → Temporal → reward service. The forged purchase must reach analytics but pay nothing; the
 * same purchase sent signed by the shop's server pays both sides.
 */
describe('trust levels: a forged browser purchase pays nothing', () => {
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let platform: LocalPlatform;
  let base: string;
  let pk: string;
  let sk: string;
  let signing: string;
  let conversionId: string;
  const run = randomUUID().slice(0, 8);
  const referrer = `ann-${run}`;
  const friend = `bob-${run}`;
  const order = `order-${run}`;
  const forgedIds: string[] = [];

  // The referrer and the friend browse from different addresses (through the loopback proxy), so the
  // shared-IP fraud signal does not block the honest purchase this file is about.
  const track = (key: string, body: Record<string, unknown>) =>
    call(base, 'POST', '/v1/events', {
      key,
      headers: { 'x-forwarded-for': body.participant_id === referrer ? '198.51.100.1' : '198.51.100.2' },
      body: { event_id: randomUUID(), occurred_at: new Date().toISOString(), ...body },
    });
  const rewardsOf = async (participant: string) => {
    const r = await call<{ data: RewardView[] }>(base, 'GET', `/v1/rewards?participant_id=${participant}`, {
      key: sk,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.data;
  };
  const journey = (campaignId: string, key: string) =>
    call<{ execution_status: string; journey: { vars?: Record<string, unknown> } | null }>(
      base,
      'GET',
      `/v1/journeys/${campaignId}/${key}`,
      { key: sk },
    );
  const finished = (campaignId: string, key: string) =>
    waitUntil(
      `journey ${key} to complete`,
      async () => {
        const r = await journey(campaignId, key);
        return r.status === 200 && r.body.execution_status === 'COMPLETED' ? r.body : undefined;
      },
      90_000,
    );

  before(async () => {
    ({ platform, pg, ch } = await startIsolatedPlatform({
      PULSE_TRUSTED_PROXIES: '127.0.0.1/32, ::1/128',
    }));
    base = platform.runtime.url;
    const created = await call<{
      keys: { publishable: { key: string }; secret: { key: string; signing_secret: string } };
    }>(base, 'POST', '/v1/admin/clients', { key: platform.adminKey, body: { name: `Trust Co ${run}` } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    pk = created.body.keys.publishable.key;
    sk = created.body.keys.secret.key;
    signing = created.body.keys.secret.signing_secret;
    assert.match(signing, /^whsec_/);

    // Signup attributes the friend to the referrer (browser signups are accepted there); its own bonus
    // is switched off so every reward below comes from the conversion pulse.
    const signup = await call<{ campaign_id: string; warnings: { code: string; path: string }[] }>(
      base,
      'POST',
      '/v1/campaigns/deploy',
      {
        key: sk,
        body: {
          source: await campaignFile('signup'),
          file: 'signup.pulse.yaml',
          settings: { double_sided: false },
        },
      },
    );
    assert.equal(signup.status, 201, JSON.stringify(signup.body));
    // Its deliberate opt-down to browser signups is deployed, and said out loud.
    assert.deepEqual(
      signup.body.warnings.map((w) => [w.code, w.path]),
      [['TRUST_OPT_DOWN', 'trigger.trust']],
    );
    const conversion = await call<{ campaign_id: string; warnings: unknown[] }>(
      base,
      'POST',
      '/v1/campaigns/deploy',
      {
        key: sk,
        body: { source: await campaignFile('conversion'), file: 'conversion.pulse.yaml' },
      },
    );
    assert.equal(conversion.status, 201, JSON.stringify(conversion.body));
    assert.deepEqual(conversion.body.warnings, []);
    conversionId = conversion.body.campaign_id;
    const signupId = signup.body.campaign_id;

    assert.equal((await track(pk, { event: 'user_signed_up', participant_id: referrer })).status, 202);
    const a = await finished(signupId, referrer);
    const code = (a.journey?.vars?.assets as { code?: string } | undefined)?.code;
    assert.ok(code, `referrer got a code: ${JSON.stringify(a.journey?.vars)}`);
    const b = {
      event: 'user_signed_up',
      participant_id: friend,
      properties: { referral_code: code },
    };
    assert.equal((await track(pk, b)).status, 202);
    const attributed = await finished(signupId, friend);
    const attribution = attributed.journey?.vars?.attribution as { referrer_id?: string } | undefined;
    assert.equal(attribution?.referrer_id, referrer, 'the friend is attributed to the referrer');
  });
  after(async () => {
    await platform?.stop();
    await ch?.drop();
    await pg?.drop();
  });

  it('a client cannot claim trust in the body', async () => {
    for (const claim of [{ trust: 'server' }, { source: 'server' }, { trust: 'integration' }]) {
      const res = await track(pk, {
        event: 'purchase_completed',
        participant_id: friend,
        properties: { order_id: `claim-${run}`, amount: 120, currency: 'USD' },
        ...claim,
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      const details = (res.body as { error: { details: { path: string }[] } }).error.details;
      assert.ok(
        details.some((d) => Object.keys(claim).some((k) => d.path.includes(k))),
        JSON.stringify(details),
      );
    }
  });

  it('a browser cannot take the id a signed server event will use (srv_ ids are reserved)', async () => {
    // The Node SDK derives a purchase's id from its order id; sent first from a browser, that id would
    // make the real signed purchase a duplicate.
    const res = await track(pk, {
      event: 'page_viewed',
      event_id: `srv_${'a'.repeat(40)}`,
      participant_id: friend,
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const details = (res.body as { error: { details: { path: string }[] } }).error.details;
    assert.deepEqual(
      details.map((d) => d.path),
      ['event_id'],
    );
  });

  it('purchases sent with the publishable key reach ClickHouse but allocate no reward', async () => {
    const purchase = { order_id: order, amount: 120, currency: 'USD' };
    for (const event of ['purchase_completed', 'referred_made_purchase']) {
      const id = randomUUID();
      forgedIds.push(id);
      const res = await track(pk, { event, event_id: id, participant_id: friend, properties: purchase });
      assert.equal(res.status, 202, JSON.stringify(res.body));
    }
    // Analytics still see them, marked as browser events. The drainer feeds ClickHouse and the bus
    // from the same outbox batch, so once they are here the router has had them too.
    const rows = await waitUntil(
      'the forged purchases to reach ClickHouse',
      async () => {
        const r = await ch.ch.query<{ event_id: string; source: string }>(
          chSql`SELECT event_id, source FROM events WHERE has(${forgedIds}, event_id)`,
        );
        return r.length === forgedIds.length ? r : undefined;
      },
      30_000,
      250,
    );
    assert.deepEqual(
      rows.map((r) => r.source),
      ['sdk', 'sdk'],
    );
    await new Promise((r) => setTimeout(r, 2_000)); // give a (wrongly) started journey time to pay
    assert.equal((await journey(conversionId, order)).status, 404, 'no conversion journey started');
    assert.deepEqual(await rewardsOf(referrer), [], 'referrer earned nothing');
    assert.deepEqual(await rewardsOf(friend), [], 'friend earned nothing');
  });

  it('the same purchase signed by the shop server (secret key + HMAC) pays both sides', async () => {
    const server = createPulseServerClient({
      endpoint: base,
      secret_key: sk,
      signing_secret: signing,
      max_retries: 0,
    });
    const sent = await server.purchaseCompleted({
      participant_id: friend,
      order_id: order,
      amount: 120,
      currency: 'USD',
    });
    assert.equal(sent.status, 'accepted');
    await finished(conversionId, order);
    const [toReferrer] = await rewardsOf(referrer);
    const [toFriend] = await rewardsOf(friend);
    assert.deepEqual(
      [toReferrer?.side, toReferrer?.category, toReferrer?.amount],
      ['referrer', 'store_credit', 25],
    );
    assert.deepEqual([toFriend?.side, toFriend?.category], ['referee', 'coupon']);
    assert.equal((await rewardsOf(referrer)).length, 1);
    assert.equal((await rewardsOf(friend)).length, 1);
    // ClickHouse and the bus are separate sinks of the outbox: the journey may finish before the row lands.
    let row: { source: string } | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      [row] = await ch.ch.query<{ source: string }>(
        chSql`SELECT source FROM events WHERE event_id = ${sent.event_id}`,
      );
      if (!row) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(row?.source, 'server');
  });
});
