import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createRewardFixture, type RewardFixture } from '../../../test/support/reward.ts';
import { newWebhookSecret } from '../../platform/webhooks.ts';
import { findReward, listTransitions } from '../lifecycle/repo.ts';
import { findCampaign } from '../programs/repo.ts';
import { balances, saveEndpoint } from './repo.ts';

/** A local HTTP fake (loopback only) standing in for the client's system and the payment providers. */
interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: Seen, res: ServerResponse) => void;

let server: Server;
let base: string;
const seen: Seen[] = [];
const lastSeen = (pred: (s: Seen) => boolean): Seen | undefined => [...seen].reverse().find(pred);
const routes = new Map<string, Handler>();
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

let f: RewardFixture;
let n = 0;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const h = routes.get(`${s.method} ${s.path.split('?')[0]}`);
      if (h) h(s, res);
      else json(res, 404, { error: 'no route' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  f = await createRewardFixture({
    fulfilment: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    providers: {
      stripe: { apiKey: 'sk_test_123', baseUrl: base },
      paypal: { clientId: 'pp-id', clientSecret: 'pp-secret', baseUrl: base },
      giftcard: { apiKey: 'gc-key', baseUrl: base, fundingSourceId: 'FUND1' },
      timeoutMs: 2_000,
      // The fakes listen on loopback, which the default policy refuses.
      outbound: { allow: ['127.0.0.1/32'] },
    },
  });
  await f.register('acme', 'camp', {
    credit: { type: 'single', give: { category: 'store_credit', amount: 12.5, currency: 'USD' } },
    coupon: {
      type: 'single',
      side: 'referee',
      give: { category: 'coupon', percent: 15, code_prefix: 'FRIEND', expires_in: '30d' },
    },
    cash: { type: 'single', give: { category: 'cash', amount: 20, currency: 'USD' } },
    badge: { type: 'single', give: { category: 'badge', badge: 'ambassador' } },
    stripe_cash: {
      type: 'single',
      give: {
        category: 'cash',
        amount: 20,
        currency: 'USD',
        provider: 'stripe',
        metadata: { stripe_account: 'acct_123' },
      },
    },
    stripe_credit: {
      type: 'single',
      give: { category: 'store_credit', amount: 5, currency: 'USD', provider: 'stripe' },
      fulfilment: 'claim',
    },
    paypal: {
      type: 'single',
      give: { category: 'cash', amount: 7.5, currency: 'USD', provider: 'paypal' },
      fulfilment: 'claim',
    },
    giftcard: {
      type: 'single',
      give: { category: 'gift_card', amount: 25, currency: 'USD', provider: 'giftcard', sku: 'AMAZON-US' },
      fulfilment: 'claim',
    },
  });
});
after(async () => {
  await f.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const allocate = async (rule: string, participantId = 'p1') => {
  const r = await f.service.allocate({
    clientId: 'acme',
    campaignId: 'camp',
    version: 1,
    rule,
    participantId,
    idempotencyKey: `f-${++n}`,
  });
  assert.ok(r.allocated, `${rule} allocated`);
  return r.reward_id;
};
const states = async (id: string) =>
  (await listTransitions(f.test.db, 'acme', id)).map((t) => t.to_state).join('>');
const settle = async (rounds = 10) => {
  for (let i = 0; i < rounds; i++) {
    await f.service.runFulfilmentBatch();
    await new Promise((r) => setTimeout(r, 15));
  }
};

describe('built-in providers', () => {
  it('store credit: ledger entry and balance, consumed on delivery (REDEEMED), fulfilled amount tracked', async () => {
    const id = await allocate('credit', 'ledger-p');
    const s = await f.service.fulfilNow('acme', id);
    assert.equal(s.state, 'REDEEMED');
    assert.equal(s.fulfilment.provider, 'ledger');
    assert.deepEqual(await balances(f.test.db, 'acme', 'ledger-p'), [{ currency: 'USD', balance: 12.5 }]);
    assert.equal(await states(id), 'EARNED>PENDING>ELIGIBLE>APPROVED>FULFILLED>REDEEMED');
    assert.equal((await findCampaign(f.test.db, 'acme', 'camp'))?.fulfilled, 12.5);
    // A second delivery attempt changes nothing.
    assert.equal((await f.service.fulfilNow('acme', id)).state, 'REDEEMED');
    assert.deepEqual(await balances(f.test.db, 'acme', 'ledger-p'), [{ currency: 'USD', balance: 12.5 }]);
  });

  it('coupon: a generated code, valid for expires_in, stays FULFILLED until redeemed', async () => {
    const id = await allocate('coupon');
    const s = await f.service.fulfilNow('acme', id);
    assert.equal(s.state, 'FULFILLED');
    assert.match(String(s.fulfilment.reference), /^FRIEND-[0-9A-Z]{10}$/);
    const row = await findReward(f.test.db, 'acme', id);
    assert.ok(row?.expires_at && row.expires_at.getTime() > Date.now() + 29 * 86_400_000);
    assert.equal((await f.service.redeem('acme', id, 'test')).state, 'REDEEMED');
  });

  it('badge: a recorded grant', async () => {
    const id = await allocate('badge');
    assert.equal((await f.service.fulfilNow('acme', id)).state, 'REDEEMED');
  });
});

describe('signed webhook to the client', () => {
  it('delivers signed with Standard Webhooks (webhook-id = reward id), verified by the standardwebhooks package', async () => {
    const secret = newWebhookSecret();
    // A secret a client chose before the scheme (not whsec_ + base64) signs as its raw bytes.
    const legacy = 'whsec_test_secret_123';
    for (const [stored, receiver] of [
      [secret, new Webhook(secret)],
      [legacy, new Webhook(legacy, { format: 'raw' })],
    ] as const) {
      await saveEndpoint(
        f.test.db,
        'acme',
        `${base}/hooks/rewards`,
        f.service.deps.secretBox.encrypt(stored),
      );
      routes.set('POST /hooks/rewards', (_req, res) => json(res, 200, { reference: 'client-ref-1' }));
      const id = await allocate('cash', `sw-${stored.length}`);
      const s = await f.service.fulfilNow('acme', id);
      assert.deepEqual([s.state, s.fulfilment.reference], ['REDEEMED', 'client-ref-1']);
      const req = lastSeen((x) => x.path === '/hooks/rewards');
      assert.ok(req);
      const headers = req.headers as Record<string, string>;
      assert.equal(headers['webhook-id'], id);
      assert.equal(headers['idempotency-key'], id);
      assert.equal(headers['pulse-signature'], undefined, 'the old header is gone');
      const payload = receiver.verify(req.body, headers) as { reward: { id: string; amount: number } };
      assert.deepEqual([payload.reward.id, payload.reward.amount], [id, 20]);
      const wrong = new Webhook(newWebhookSecret());
      assert.throws(() => wrong.verify(req.body, headers), /No matching signature/);
    }
  });

  it('retries with backoff, FAILED after the last try, and a manual retry goes APPROVED → FULFILLED', async () => {
    let calls = 0;
    let healthy = false;
    routes.set('POST /hooks/rewards', (_req, res) => {
      calls++;
      return healthy ? json(res, 200, {}) : json(res, 503, { error: 'down' });
    });
    const id = await allocate('cash', 'retry-p');
    const first = await f.service.fulfilNow('acme', id);
    assert.equal(first.state, 'APPROVED');
    assert.equal(first.fulfilment.status, 'retrying');
    await settle();
    assert.equal(calls, 3, 'three attempts (maxAttempts)');
    const failed = await findReward(f.test.db, 'acme', id);
    assert.equal(failed?.state, 'FAILED');
    assert.match(failed?.reason ?? '', /UPSTREAM_UNAVAILABLE.*503/);

    healthy = true;
    assert.equal((await f.service.retry('acme', id, 'manager')).state, 'APPROVED');
    await settle(2);
    assert.equal((await findReward(f.test.db, 'acme', id))?.state, 'REDEEMED');
    assert.equal(await states(id), 'EARNED>PENDING>ELIGIBLE>APPROVED>FAILED>APPROVED>FULFILLED>REDEEMED');
  });

  it('a permanent failure (4xx) fails at once', async () => {
    routes.set('POST /hooks/rewards', (_req, res) => json(res, 400, { error: 'unknown participant' }));
    const id = await allocate('cash', 'perm-p');
    assert.equal((await f.service.fulfilNow('acme', id)).state, 'FAILED');
  });
});

describe('provider adapters (contract, against a local fake)', () => {
  it('Stripe transfer: bearer key, form body in cents, idempotency key', async () => {
    routes.set('POST /v1/transfers', (_req, res) => json(res, 200, { id: 'tr_1', object: 'transfer' }));
    const id = await allocate('stripe_cash');
    const s = await f.service.fulfilNow('acme', id);
    assert.deepEqual([s.state, s.fulfilment.reference], ['REDEEMED', 'tr_1']);
    const req = lastSeen((x) => x.path === '/v1/transfers');
    assert.equal(req?.headers.authorization, 'Bearer sk_test_123');
    assert.equal(req?.headers['idempotency-key'], `pulse-${id}`);
    const form = new URLSearchParams(req?.body);
    assert.deepEqual(
      [form.get('amount'), form.get('currency'), form.get('destination'), form.get('metadata[reward_id]')],
      ['2000', 'usd', 'acct_123', id],
    );
  });

  it('Stripe customer balance credit with the customer the participant claimed with', async () => {
    routes.set('POST /v1/customers/cus_9/balance_transactions', (_req, res) =>
      json(res, 200, { id: 'cbtxn_1' }),
    );
    const id = await allocate('stripe_credit');
    await f.service.claim('acme', id, 'p1', { stripe_customer: 'cus_9' });
    assert.equal((await f.service.fulfilNow('acme', id)).fulfilment.reference, 'cbtxn_1');
    assert.equal(
      new URLSearchParams(lastSeen((x) => x.path.includes('balance_transactions'))?.body).get('amount'),
      '-500',
    );
  });

  it('PayPal payout: OAuth token, then a payout item to the claimed email', async () => {
    routes.set('POST /v1/oauth2/token', (_req, res) =>
      json(res, 200, { access_token: 'A21', token_type: 'Bearer', expires_in: 32400 }),
    );
    routes.set('POST /v1/payments/payouts', (_req, res) =>
      json(res, 201, { batch_header: { payout_batch_id: 'PB-1', batch_status: 'PENDING' } }),
    );
    const id = await allocate('paypal');
    await f.service.claim('acme', id, 'p1', { paypal_email: 'ada@example.com' });
    const s = await f.service.fulfilNow('acme', id);
    assert.deepEqual([s.state, s.fulfilment.reference], ['REDEEMED', 'PB-1']);
    const token = lastSeen((x) => x.path === '/v1/oauth2/token');
    assert.equal(token?.headers.authorization, `Basic ${Buffer.from('pp-id:pp-secret').toString('base64')}`);
    const payout = lastSeen((x) => x.path === '/v1/payments/payouts');
    assert.equal(payout?.headers.authorization, 'Bearer A21');
    assert.equal(payout?.headers['paypal-request-id'], `pulse-${id}`);
    const body = JSON.parse(payout?.body ?? '{}');
    assert.deepEqual(body.items[0], {
      recipient_type: 'EMAIL',
      receiver: 'ada@example.com',
      sender_item_id: id,
      amount: { value: '7.50', currency: 'USD' },
    });
  });

  it('gift card order: external id, funding source, denomination and product', async () => {
    routes.set('POST /api/v2/orders', (_req, res) =>
      json(res, 200, { order: { id: 'ORD-1', status: 'EXECUTED' } }),
    );
    const id = await allocate('giftcard');
    await f.service.claim('acme', id, 'p1', { email: 'ada@example.com' });
    const s = await f.service.fulfilNow('acme', id);
    assert.deepEqual([s.state, s.fulfilment.reference], ['FULFILLED', 'ORD-1']);
    const body = JSON.parse(lastSeen((x) => x.path === '/api/v2/orders')?.body ?? '{}');
    assert.equal(body.external_id, id);
    assert.equal(body.payment.funding_source_id, 'FUND1');
    assert.deepEqual(body.reward.value, { denomination: 25, currency_code: 'USD' });
    assert.deepEqual(body.reward.products, ['AMAZON-US']);
  });

  it('a payout without a destination fails permanently', async () => {
    const id = await allocate('paypal', 'no-email');
    await f.service.claim('acme', id, 'no-email', {});
    const s = await f.service.fulfilNow('acme', id);
    assert.equal(s.state, 'FAILED');
    assert.match(String(s.fulfilment.reason), /paypal_email/);
  });
});
