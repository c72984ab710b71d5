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
interface Verdict {
  score: number;
  decision: string;
  flags: string[];
  blocked: boolean;
}
interface RewardView {
  id: string;
  rule: string;
  side: string | null;
  category: string;
  amount: number | null;
  state: string;
  review: { score: number; decision: string; reasons: { rule: string; weight: number }[] } | null;
}
interface JourneyView {
  execution_status: string;
  journey: { vars: Record<string, unknown>; outcome?: Outcome } | null;
}

/**
 * The shared-IP fraud signal on the real stack: every request goes through the platform's HTTP server on
 * loopback, which trusts loopback as its proxy (PULSE_TRUSTED_PROXIES), so X-Forwarded-For stands for
 * each participant's own address. Referrer A and referee B from one address: the fraud engine's same_ip
 * rule fires on the signup and on the purchase and every reward waits in the review queue with that
 * reason; reviewers' decisions are recorded. From two addresses the same journey pays both sides, and a
 * refund of the order reverses the purchase rewards (clawback).
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
    const deploy = async (name: string, extra = '') => {
      const r = await call<{ campaign_id: string }>('POST', '/v1/campaigns/deploy', {
        key: sk,
        body: { source: (await campaignFile(name)) + extra, file: `campaigns/${name}.pulse.yaml` },
      });
      assert.ok([200, 201].includes(r.status), JSON.stringify(r.body));
      return r.body.campaign_id;
    };
    const signup = await deploy('signup');
    // The scripted journey buys within a second of the click (recorded by the referral service): the
    // "conversion too fast" signal (default 30 s) would rightly fire, so this campaign allows any delay
    // above a millisecond; the IP signal is what is under test here.
    const conversion = await deploy('conversion', '\nfraud:\n  conversion_time: { min: 1ms }\n');
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
      (await call<{ data: RewardView[] }>('GET', `/v1/rewards?participant_id=${who}`, { key: sk })).body.data;
    return {
      sk,
      shop,
      order,
      userA,
      userB,
      signupFraud: journeyB.journey?.vars.fraud as Verdict,
      outcome: bought.journey?.outcome as Outcome,
      fraud: bought.journey?.vars.fraud as Verdict,
      rewardsA: await rewards(userA),
      rewardsB: await rewards(userB),
      rewards,
    };
  }

  it('referrer and referee from one address: same_ip fires on signup and purchase, every reward is held for review', async () => {
    const r = await referredPurchase('198.51.100.77', '198.51.100.77');
    for (const v of [r.signupFraud, r.fraud]) {
      assert.ok(v.flags.includes('same_ip'), JSON.stringify(v));
      assert.deepEqual([v.decision, v.blocked], ['review', false]);
    }
    assert.equal(r.outcome.status, 'completed');
    // Signup bonus and purchase reward of the referrer, welcome credit and coupon of the referee: all held.
    const all = [...r.rewardsA, ...r.rewardsB];
    assert.equal(all.length, 4, JSON.stringify(all));
    for (const x of all) {
      assert.equal(x.state, 'PENDING', JSON.stringify(x));
      assert.equal(x.review?.decision, 'review');
      assert.ok(
        x.review?.reasons.some((why) => why.rule === 'same_ip' && why.weight === 40),
        JSON.stringify(x.review),
      );
    }
    const queue = await call<{ data: RewardView[] }>('GET', '/v1/fraud-reviews', { key: r.sk });
    assert.deepEqual(queue.body.data.map((x) => x.id).sort(), all.map((x) => x.id).sort());

    // A reviewer approves the referee's welcome credit and rejects the referrer's signup bonus.
    const welcome = r.rewardsB.find((x) => x.category === 'store_credit') as RewardView;
    const bonus = r.rewardsA.find((x) => x.rule === 'signup_bonus') as RewardView;
    const ok = await call<{ reward: RewardView }>('POST', `/v1/fraud-reviews/${welcome.id}/approve`, {
      key: r.sk,
      body: { reason: 'known customer' },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.reward.state, 'APPROVED');
    const no = await call<{ reward: RewardView }>('POST', `/v1/fraud-reviews/${bonus.id}/reject`, {
      key: r.sk,
      body: { reason: 'same household farming the link' },
    });
    assert.equal(no.body.reward.state, 'REJECTED');
    const decisions = await call<{
      data: { reward_id: string; decision: string; actor: string; reason: string }[];
    }>('GET', `/v1/fraud-decisions?participant_id=${r.userA}`, { key: r.sk });
    const rejected = decisions.body.data.find((d) => d.reward_id === bonus.id);
    assert.equal(rejected?.decision, 'reject');
    assert.match(String(rejected?.actor), /^key:/);
    assert.equal(rejected?.reason, 'same household farming the link');
  });

  it('an honest journey from two addresses: no flag, rewards paid; a refund within the window claws the purchase rewards back', async () => {
    const r = await referredPurchase('198.51.100.10', '192.0.2.20');
    assert.deepEqual([r.fraud.flags, r.fraud.decision, r.fraud.blocked], [[], 'approve', false]);
    assert.equal(r.outcome.status, 'completed');
    const purchase = r.rewardsA.find((x) => x.side === 'referrer' && x.amount === 25);
    assert.ok(purchase, `referrer purchase reward: ${JSON.stringify(r.rewardsA)}`);
    assert.ok(['FULFILLED', 'REDEEMED'].includes(purchase.state), purchase.state);
    assert.equal(purchase.review, null);
    const coupon = r.rewardsB.find((x) => x.category === 'coupon');
    assert.ok(coupon, `referee coupon: ${JSON.stringify(r.rewardsB)}`);
    const balance = async () =>
      (
        await call<{ balances: { currency: string; balance: number }[] }>(
          'GET',
          `/v1/reward-participants/${r.userA}/balance`,
          { key: r.sk },
        )
      ).body.balances.find((b) => b.currency === 'USD')?.balance;
    assert.equal(Number(await balance()), 45, 'signup bonus 20 + purchase 25');

    // The shop refunds the order (signed server event): both sides of that purchase are reversed.
    const refund = await r.shop.track({
      event: 'purchase_refunded',
      participant_id: r.userB,
      event_id: `refund-${r.order}`,
      properties: { order_id: r.order, amount: 120, currency: 'USD' },
    });
    assert.equal(refund.status, 'accepted');
    const reversed = await waitUntil(
      'the purchase rewards to be reversed',
      async () => {
        const a = await r.rewards(r.userA);
        const b = await r.rewards(r.userB);
        const p = a.find((x) => x.id === purchase.id);
        const c = b.find((x) => x.id === coupon.id);
        return p?.state === 'REVERSED' && c?.state === 'REVERSED' ? { a, b } : undefined;
      },
      30_000,
    );
    assert.equal(Number(await balance()), 20, 'the purchase credit is taken back, the signup bonus stays');
    assert.ok(reversed.a.some((x) => x.rule === 'signup_bonus' && x.state !== 'REVERSED'));
    const detail = await call<{ transitions: { to: string; actor: string; reason: string }[] }>(
      'GET',
      `/v1/rewards/${purchase.id}`,
      { key: r.sk },
    );
    const last = detail.body.transitions.at(-1);
    assert.equal(last?.to, 'REVERSED');
    assert.match(String(last?.actor), /^clawback:purchase_refunded:/);
  });
});
