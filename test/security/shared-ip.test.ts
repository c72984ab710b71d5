import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GiveUp, waitUntil } from '../../scripts/journey/http.ts';
import type { LocalPlatform } from '../../scripts/journey/local-platform.ts';
import { createPulseServerClient } from '../../sdk/node/index.ts';
import type { TestClickHouse } from '../support/clickhouse.ts';
import { startIsolatedPlatform } from '../support/isolated-platform.ts';
import type { TestDatabase } from '../support/postgres.ts';

const campaignFile = (name: string) =>
  readFile(fileURLToPath(new URL(`../../campaigns/${name}.pulse.yaml`, import.meta.url)), 'utf8');

interface Outcome {
  status: string;
  reason?: unknown;
  vars: Record<string, unknown>;
}
interface JourneyView {
  execution_status: string;
  journey: { vars: Record<string, unknown>; outcome?: Outcome } | null;
}

/**
 * The shared-IP fraud signal on the real stack: every request goes through the platform's HTTP server on
 * loopback, which trusts loopback as its proxy (PULSE_TRUSTED_PROXIES), so X-Forwarded-For stands for
 * each participant's own address. Referrer A and referee B from one address: the purchase is refused as
 * fraud and no purchase reward exists. From two addresses: the same journey pays both sides.
 */
describe('shared-IP fraud signal, end to end', () => {
  let platform: LocalPlatform;
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let base: string;
  let adminKey: string;

  before(async () => {
    ({ platform, pg, ch } = await startIsolatedPlatform({
      PULSE_TRUSTED_PROXIES: '127.0.0.1/32, ::1/128',
    }));
    base = platform.runtime.url;
    adminKey = platform.adminKey;
  });
  after(async () => {
    await platform?.stop();
    await ch?.drop();
    await pg?.drop();
  });

  async function call<T>(
    method: string,
    path: string,
    o: { key?: string; body?: unknown; ip?: string } = {},
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(new URL(path, base), {
      method,
      redirect: 'manual',
      headers: {
        ...(o.key ? { authorization: `Bearer ${o.key}` } : {}),
        ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
        // A spoofed left-hand entry, as a client could send: the platform must take the right one.
        ...(o.ip ? { 'x-forwarded-for': `203.0.113.250, ${o.ip}` } : {}),
      },
      ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: body as T };
  }

  /** One client, both pulses, A refers B; returns the conversion journey's outcome and the rewards. */
  async function referredPurchase(ipA: string, ipB: string) {
    const run = randomUUID().slice(0, 8);
    const created = await call<{
      client: { id: string };
      keys: { publishable: { key: string }; secret: { key: string; signing_secret: string } };
    }>('POST', '/v1/admin/clients', { key: adminKey, body: { name: `Shop ${run}` } });
    assert.equal(created.status, 201);
    const pk = created.body.keys.publishable.key;
    const sk = created.body.keys.secret.key;
    const deploy = async (name: string) => {
      const r = await call<{ campaign_id: string }>('POST', '/v1/campaigns/deploy', {
        key: sk,
        body: { source: await campaignFile(name), file: `campaigns/${name}.pulse.yaml` },
      });
      assert.ok([200, 201].includes(r.status), JSON.stringify(r.body));
      return r.body.campaign_id;
    };
    const signup = await deploy('signup');
    const conversion = await deploy('conversion');
    const track = async (ip: string, event: Record<string, unknown>) => {
      const r = await call('POST', '/v1/events', {
        key: pk,
        ip,
        body: { event_id: randomUUID(), occurred_at: new Date().toISOString(), ...event },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    };
    const finished = (campaign: string, key: string) =>
      waitUntil(
        `journey ${key}`,
        async () => {
          const r = await call<JourneyView>('GET', `/v1/journeys/${campaign}/${key}`, { key: sk });
          if (r.status !== 200) return undefined;
          if (r.body.execution_status === 'COMPLETED') return r.body;
          if (['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELED'].includes(r.body.execution_status))
            throw new GiveUp(`journey ${key} ended ${r.body.execution_status}`);
          return undefined;
        },
        90_000,
      );

    const userA = `ann-${run}`;
    const userB = `bob-${run}`;
    await track(ipA, {
      event: 'user_signed_up',
      campaign_id: signup,
      participant_id: userA,
      traits: { email: `ann.${run}@example.test` },
    });
    const journeyA = await finished(signup, userA);
    const code = String((journeyA.journey?.vars.assets as { code?: string } | undefined)?.code);
    assert.match(code, /^[A-Z2-9]{8}$/);
    await track(ipA, {
      event: 'referral_shared',
      campaign_id: signup,
      participant_id: userA,
      properties: { platform: 'email', referral_code: code },
    });
    const clientId = created.body.client.id;
    assert.equal((await call('GET', `/r/${clientId}/${code}`, { ip: ipB })).status, 200);
    await track(ipB, {
      event: 'referral_clicked',
      campaign_id: signup,
      anonymous_id: `anon-${run}`,
      properties: { referral_code: code },
    });
    await track(ipB, {
      event: 'user_signed_up',
      campaign_id: signup,
      participant_id: userB,
      anonymous_id: `anon-${run}`,
      properties: { referral_code: code },
      traits: { email: `bob.${run}@example.test` },
    });
    const journeyB = await finished(signup, userB);
    const attribution = journeyB.journey?.vars.attribution as { referrer_id?: string } | undefined;
    assert.equal(attribution?.referrer_id, userA);
    const order = `order-${run}`;
    // Purchases move money: the shop's server sends them signed (a browser's would start no journey).
    // Its address is the shop's back end, so the signal rests on the addresses the browsers showed.
    const shop = createPulseServerClient({
      endpoint: base,
      secret_key: sk,
      signing_secret: created.body.keys.secret.signing_secret,
      max_retries: 0,
    });
    const sent = await shop.purchaseCompleted({
      participant_id: userB,
      order_id: order,
      amount: 120,
      currency: 'USD',
    });
    assert.equal(sent.status, 'accepted');
    const bought = await finished(conversion, order);
    const rewards = async (who: string) =>
      (
        await call<{ data: { side: string | null; category: string; amount: number | null }[] }>(
          'GET',
          `/v1/rewards?participant_id=${who}`,
          { key: sk },
        )
      ).body.data;
    return {
      outcome: bought.journey?.outcome as Outcome,
      fraud: bought.journey?.vars.fraud as { score: number; flags: string[]; blocked: boolean },
      rewardsA: await rewards(userA),
      rewardsB: await rewards(userB),
    };
  }

  it('referrer and referee from one address: shared_ip raised, the purchase rewards blocked', async () => {
    const r = await referredPurchase('198.51.100.77', '198.51.100.77');
    assert.ok(r.fraud.flags.includes('shared_ip'), JSON.stringify(r.fraud));
    assert.equal(r.fraud.blocked, true);
    assert.equal(r.outcome.status, 'rejected');
    assert.match(String(r.outcome.reason), /shared_ip/);
    // Only the signup bonus (which has no fraud step) exists; the purchase earned nothing on either side.
    assert.deepEqual(
      r.rewardsA.map((x) => x.category),
      ['store_credit'],
    );
    assert.ok(!r.rewardsB.some((x) => x.category === 'coupon'), JSON.stringify(r.rewardsB));
  });

  it('an honest journey from two addresses: no flag, both sides of the purchase rewarded', async () => {
    const r = await referredPurchase('198.51.100.10', '192.0.2.20');
    assert.deepEqual(r.fraud.flags, []);
    assert.equal(r.fraud.blocked, false);
    assert.equal(r.outcome.status, 'completed');
    assert.ok(
      r.rewardsA.some((x) => x.side === 'referrer' && x.amount === 25),
      `referrer purchase reward: ${JSON.stringify(r.rewardsA)}`,
    );
    assert.ok(
      r.rewardsB.some((x) => x.category === 'coupon'),
      `referee coupon: ${JSON.stringify(r.rewardsB)}`,
    );
  });
});
