import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { call, GiveUp, waitUntil } from '../../scripts/journey/http.ts';
import { createPulseServerClient } from '../../sdk/node/index.ts';
import { type IsolatedPlatform, startIsolatedPlatform } from '../support/isolated-platform.ts';

const yaml = (name: string) => readFile(new URL(`./campaigns/${name}.pulse.yaml`, import.meta.url), 'utf8');

interface Reward {
  participant_id: string;
  rule: string;
  amount: number;
  side: string;
}

/**
 * A second-level bonus is a campaign rule, on the real stack (HTTP intake → bus → Temporal → services):
 * A refers B, B refers C; when C buys, B earns the direct bonus and A (C's `referral.chain.1`) the
 * second-level bonus; when B buys, A earns only the direct bonus.
 */
describe('second-level referral bonus (campaign rule over referral.depth and referral.chain)', () => {
  let iso: IsolatedPlatform;
  let base: string;
  let sk: string;
  let pk: string;
  let server: ReturnType<typeof createPulseServerClient>;
  let signupCampaign: string;
  let purchaseCampaign: string;
  const run = randomUUID().slice(0, 8);
  const [A, B, C] = ['a', 'b', 'c'].map((p) => `${p}-${run}`) as [string, string, string];

  const journeyDone = (campaignId: string, key: string) =>
    waitUntil(
      `journey ${key}`,
      async () => {
        const r = await call<{ execution_status: string; journey: unknown }>(
          base,
          'GET',
          `/v1/journeys/${campaignId}/${key}`,
          { key: sk },
        );
        if (r.status !== 200) return undefined;
        if (r.body.execution_status === 'COMPLETED') return r.body;
        if (['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELED'].includes(r.body.execution_status))
          throw new GiveUp(`journey ${key}: ${JSON.stringify(r.body)}`);
        return undefined;
      },
      90_000,
    );
  const send = async (body: Record<string, unknown>) => {
    const res = await call(base, 'POST', '/v1/events', {
      key: pk,
      body: { event_id: randomUUID(), occurred_at: new Date().toISOString(), ...body },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  };
  type FunnelRow = { key: string; shared: number; clicked: number; signed_up: number; converted: number };
  const funnel = async (groupBy: 'channel' | 'referrer') => {
    const r = await call<{ data: FunnelRow[] }>(
      base,
      'GET',
      `/v1/referrals/funnel?campaign_id=${signupCampaign}&group_by=${groupBy}`,
      { key: sk },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.data;
  };
  const signUp = async (participant: string, referralCode?: string, anonymousId?: string) => {
    const res = await call(base, 'POST', '/v1/events', {
      key: pk,
      body: {
        event: 'user_signed_up',
        event_id: randomUUID(),
        occurred_at: new Date().toISOString(),
        participant_id: participant,
        ...(anonymousId ? { anonymous_id: anonymousId } : {}),
        ...(referralCode ? { properties: { referral_code: referralCode } } : {}),
      },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await journeyDone(signupCampaign, participant);
    const codes = await call<{ data: { code: string; status: string }[] }>(
      base,
      'GET',
      `/v1/referrals/participants/${participant}/codes`,
      { key: sk },
    );
    const active = codes.body.data.find((c) => c.status === 'active');
    assert.ok(active, `${participant} has a code`);
    return active.code;
  };
  const buy = async (participant: string, orderId: string) => {
    await server.track({
      event: 'purchase_completed',
      participant_id: participant,
      idempotency_key: orderId,
      properties: { order_id: orderId, amount: 80, currency: 'USD' },
    });
    return journeyDone(purchaseCampaign, orderId);
  };
  const rewardsOf = async (participant: string) => {
    const r = await call<{ data: Reward[] }>(base, 'GET', `/v1/rewards?participant_id=${participant}`, {
      key: sk,
    });
    assert.equal(r.status, 200);
    return r.body.data.map((x) => [x.rule, x.amount]).sort();
  };

  before(async () => {
    iso = await startIsolatedPlatform();
    base = iso.platform.runtime.url;
    const created = await call<{
      client: { id: string };
      keys: { publishable: { key: string }; secret: { key: string; signing_secret: string } };
    }>(base, 'POST', '/v1/admin/clients', { key: iso.platform.adminKey, body: { name: `Chain ${run}` } });
    assert.equal(created.status, 201);
    pk = created.body.keys.publishable.key;
    sk = created.body.keys.secret.key;
    server = createPulseServerClient({
      endpoint: base,
      secret_key: sk,
      signing_secret: created.body.keys.secret.signing_secret,
      max_retries: 1,
    });
    const deploy = async (name: string) => {
      const r = await call<{ campaign_id: string }>(base, 'POST', '/v1/campaigns/deploy', {
        key: sk,
        body: { source: await yaml(name), file: `${name}.pulse.yaml` },
      });
      assert.ok([200, 201].includes(r.status), JSON.stringify(r.body));
      return r.body.campaign_id;
    };
    signupCampaign = await deploy('chain-signup');
    purchaseCampaign = await deploy('second-level-bonus');
  });
  after(async () => {
    await iso?.stop();
  });

  it('builds the chain A → B → C with depths, readable over the API', async () => {
    const codeA = await signUp(A);
    // A shares on WhatsApp (the SDK's canonical share event); B's phone lands with the code, the
    // channel and an ad click id; the referral service records the touch from the event stream.
    await send({
      event: 'referral_shared',
      participant_id: A,
      campaign_id: signupCampaign,
      properties: { channel: 'whatsapp', referral_code: codeA },
    });
    await send({
      event: 'referral_visit',
      anonymous_id: `phone-${B}`,
      campaign_id: signupCampaign,
      properties: {
        referral_code: codeA,
        channel: 'whatsapp',
        landing_page: 'https://shop.example/join?ref=x&gclid=G-77',
      },
    });
    await waitUntil('the visit to reach the funnel', async () => {
      const row = (await funnel('channel')).find((r) => r.key === 'whatsapp');
      return row && row.shared === 1 && row.clicked === 1 ? row : undefined;
    });
    const codeB = await signUp(B, codeA, `phone-${B}`);
    const click = await iso.pg.db
      .selectFrom('referral_clicks')
      .select(['channel', 'click_ids', 'visitor_id'])
      .where('code', '=', codeA)
      .executeTakeFirstOrThrow();
    assert.deepEqual(click, { channel: 'whatsapp', click_ids: { gclid: 'G-77' }, visitor_id: `phone-${B}` });
    await signUp(C, codeB);
    const chain = await call<{ depth: number; ancestors: { participant_id: string; level: number }[] }>(
      base,
      'GET',
      `/v1/participants/${C}/chain`,
      { key: sk },
    );
    assert.equal(chain.status, 200);
    assert.equal(chain.body.depth, 2);
    assert.deepEqual(
      chain.body.ancestors.map((a) => [a.participant_id, a.level]),
      [
        [B, 1],
        [A, 2],
      ],
    );
    const children = await call<{ data: { participant_id: string; depth: number; referrals: number }[] }>(
      base,
      'GET',
      `/v1/participants/${A}/referrals`,
      { key: sk },
    );
    assert.deepEqual(
      children.body.data.map((c) => [c.participant_id, c.depth, c.referrals]),
      [[B, 1, 1]],
    );
  });

  it('pays the second-level bonus to the referrer’s referrer when a level-2 referee buys, and only then', async () => {
    await buy(B, `order-b-${run}`);
    assert.deepEqual(
      await rewardsOf(A),
      [['direct_bonus', 20]],
      'B is level 1: A gets the direct bonus only',
    );
    await buy(C, `order-c-${run}`);
    assert.deepEqual(await rewardsOf(B), [['direct_bonus', 20]]);
    assert.deepEqual(await rewardsOf(A), [
      ['direct_bonus', 20],
      ['second_level_bonus', 5],
    ]);
    assert.deepEqual(await rewardsOf(C), [], 'the buyer earns nothing in this campaign');
  });

  it('counts share → click → signup → conversion in unique people per channel and per referrer', async () => {
    const byChannel = await funnel('channel');
    assert.deepEqual(
      byChannel.map((r) => [r.key, r.shared, r.clicked, r.signed_up, r.converted]),
      [
        ['whatsapp', 1, 1, 1, 1],
        ['unknown', 0, 0, 1, 1],
      ],
    );
    const byReferrer = await funnel('referrer');
    assert.deepEqual(
      byReferrer.map((r) => [r.key, r.shared, r.clicked, r.signed_up, r.converted]),
      [
        [A, 1, 1, 1, 1],
        [B, 0, 0, 1, 1],
      ],
    );
  });
});
