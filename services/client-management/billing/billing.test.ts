import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createTestClickHouse,
  emptyEventRow,
  type TestClickHouse,
} from '../../../test/support/clickhouse.ts';
import { openTestPlatform, type TestPlatform } from '../../../test/support/platform.ts';
import { testSecretBox } from '../../../test/support/secret-box.ts';
import { migrateClickHouse } from '../../platform/clickhouse-migrate.ts';
import { countRewardsIssued } from '../../reward/index.ts';
import { createClientManagement } from '../index.ts';
import { createUsageMeter } from '../usage/meter.ts';
import { monthOf, PLANS, type Plan } from '../usage/plans.ts';
import { monthUsage, temporalJourneyCounter } from '../usage/usage.ts';
import { type BillingDeps, generateInvoice } from './invoices.ts';
import { createStripeBilling } from './stripe.ts';

const SERVICES_DIR = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A local HTTP server speaking the part of Stripe's API the billing adapter uses, as Stripe does:
 * bearer key, form-encoded bodies, and `Idempotency-Key` replays (the same key answers the first
 * response again and creates nothing new).
 */
interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}
class FakeStripe {
  server!: Server;
  base = '';
  seen: Seen[] = [];
  created: Seen[] = [];
  replays = new Map<string, { status: number; body: unknown }>();
  /** One-off failures: path (or `finalize`) → [status, Stripe error body]. */
  failNext = new Map<string, [number, unknown]>();
  private n = 0;

  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => this.handle(req, body, res));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
  private send(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
  private handle(req: IncomingMessage, body: string, res: ServerResponse) {
    const s: Seen = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      form: new URLSearchParams(body),
    };
    this.seen.push(s);
    if (req.headers.authorization !== 'Bearer sk_test_billing')
      return this.send(res, 401, {
        error: { type: 'invalid_request_error', message: 'Invalid API Key provided' },
      });
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded')
      return this.send(res, 400, { error: { type: 'invalid_request_error', message: 'form bodies only' } });
    const key = String(req.headers['idempotency-key'] ?? '');
    const failKey = s.path.endsWith('/finalize') ? 'finalize' : s.path;
    const fail = this.failNext.get(failKey);
    if (fail) {
      this.failNext.delete(failKey);
      return this.send(res, fail[0], fail[1]);
    }
    const replay = this.replays.get(key);
    if (replay) return this.send(res, replay.status, replay.body);
    let answer: unknown;
    const id = ++this.n;
    if (s.path === '/v1/customers') answer = { id: `cus_${id}`, object: 'customer' };
    else if (s.path === '/v1/invoices') answer = { id: `in_${id}`, object: 'invoice', status: 'draft' };
    else if (s.path === '/v1/invoiceitems')
      answer = { id: `ii_${id}`, object: 'invoiceitem', invoice: s.form.get('invoice') };
    else if (/^\/v1\/invoices\/in_\d+\/finalize$/.test(s.path))
      answer = { id: s.path.split('/')[3], object: 'invoice', status: 'open' };
    else
      return this.send(res, 404, {
        error: { type: 'invalid_request_error', message: 'Unrecognized request URL' },
      });
    this.created.push(s);
    if (key) this.replays.set(key, { status: 200, body: answer });
    this.send(res, 200, answer);
  }
}

const metered: Plan = {
  ...(PLANS.growth as Plan),
  name: 'metered',
  base_fee: 1_000,
  included_events: 100,
  overage_per_1000_events: 50,
};

describe('billing: invoices from metered usage, pushed to Stripe (contract against a local server)', () => {
  let tp: TestPlatform;
  let tch: TestClickHouse;
  const stripe = new FakeStripe();
  let deps: BillingDeps;
  let cm: ReturnType<typeof createClientManagement>;
  const month = monthOf(new Date());
  // Billing runs after the month: "now" is the next month.
  const later = new Date(`${month}-01T00:00:00Z`);
  later.setUTCMonth(later.getUTCMonth() + 1, 2);

  before(async () => {
    await stripe.start();
    tch = await createTestClickHouse((ch) => migrateClickHouse(ch, SERVICES_DIR).then(() => undefined));
    tp = await openTestPlatform();
    const db = tp.db.db;
    cm = createClientManagement(db, { hashSecret: 'h', secretBox: testSecretBox(), cacheMs: 0 });
    const meter = createUsageMeter({
      db,
      ch: tch.ch,
      prefix: `pulse:test-billing:${randomBytes(4).toString('hex')}`,
    });
    const plans = { ...PLANS, metered };
    const sources = {
      journeysStarted: temporalJourneyCounter(tp.temporal),
      rewardsIssued: (c: string, from: Date, to: Date) => countRewardsIssued(db, c, from, to),
    };
    deps = {
      db,
      plans,
      now: () => later,
      usageOf: (clientId, m) => monthUsage({ db, ch: tch.ch, meter, sources, plans }, clientId, m),
      stripe: createStripeBilling({ secretKey: 'sk_test_billing', baseUrl: stripe.base, timeoutMs: 2_000 }),
    };
  });
  after(async () => {
    await stripe.stop();
    await tp.close();
    await tch.drop();
  });

  async function clientWithEvents(events: number) {
    const { client } = await cm.createClient({
      name: `Billed ${randomBytes(2).toString('hex')}`,
      plan: 'metered',
    });
    const at = new Date().toISOString().slice(0, 19).replace('T', ' ');
    await tch.ch.insert(
      'events',
      Array.from({ length: events }, (_, i) =>
        emptyEventRow({
          event_id: randomUUID(),
          event: 'page_viewed',
          client_id: client.id,
          participant_id: `p${i % 7}`,
          occurred_at: at,
          received_at: at,
        }),
      ),
    );
    return client;
  }

  it('one invoice per client-month with lines in minor units; generating again answers the same one', async () => {
    const client = await clientWithEvents(2_345);
    const inv = await generateInvoice(deps, client.id, month);
    assert.equal(inv.currency, 'USD');
    const charged = inv.lines
      .filter((l) => l.amount > 0)
      .map((l) => [l.kind, l.quantity, l.unit_amount, l.amount]);
    // 2,345 events, 100 included: 2,245 over, billed as 3 started thousands at 50.
    assert.deepEqual(charged, [
      ['base_fee', 1, 1_000, 1_000],
      ['event_overage', 3, 50, 150],
    ]);
    assert.equal(inv.total, 1_150);
    assert.equal(inv.lines.find((l) => l.description === 'events_accepted')?.quantity, 2_345);
    assert.equal(inv.lines.find((l) => l.description === 'monthly_active_participants')?.quantity, 7);
    assert.equal(inv.status, 'open');
    assert.equal(inv.provider, 'stripe');

    const again = await Promise.all([
      generateInvoice(deps, client.id, month),
      generateInvoice(deps, client.id, month),
    ]);
    assert.deepEqual(
      again.map((i) => i.id),
      [inv.id, inv.id],
    );
    const rows = await tp.db.db
      .selectFrom('invoices')
      .select('id')
      .where('client_id', '=', client.id)
      .execute();
    assert.equal(rows.length, 1);

    // What Stripe saw: a customer, a draft invoice, one item per charged line, the finalisation.
    const calls = stripe.created.filter(
      (s) =>
        s.form.get('metadata[pulse_client_id]') === client.id ||
        s.form.get('metadata[pulse_invoice_id]') === inv.id ||
        s.path.endsWith('/finalize'),
    );
    const customer = calls.find((s) => s.path === '/v1/customers');
    assert.equal(customer?.headers['idempotency-key'], `pulse-customer-${client.id}`);
    const stored = await tp.db.db
      .selectFrom('billing_customers')
      .select('customer_id')
      .where('client_id', '=', client.id)
      .executeTakeFirstOrThrow();
    assert.match(stored.customer_id as string, /^cus_\d+$/);
    const draft = calls.find((s) => s.path === '/v1/invoices');
    assert.deepEqual(
      [
        draft?.form.get('customer'),
        draft?.form.get('currency'),
        draft?.form.get('auto_advance'),
        draft?.headers['idempotency-key'],
      ],
      [stored.customer_id, 'usd', 'false', `pulse-invoice-${inv.id}`],
    );
    const items = calls.filter((s) => s.path === '/v1/invoiceitems');
    assert.deepEqual(
      items.map((s) => [s.form.get('amount'), s.form.get('invoice'), s.headers['idempotency-key']]),
      [
        ['1000', inv.provider_invoice_id, `pulse-invoice-${inv.id}-line-1`],
        ['150', inv.provider_invoice_id, `pulse-invoice-${inv.id}-line-2`],
      ],
    );
    assert.ok(stripe.created.some((s) => s.path === `/v1/invoices/${inv.provider_invoice_id}/finalize`));
    assert.ok(stripe.seen.every((s) => s.headers.authorization === 'Bearer sk_test_billing'));
  });

  it('maps Stripe errors: an outage leaves the invoice open to retry (same keys, nothing twice); a declined card fails it', async () => {
    const client = await clientWithEvents(10);
    stripe.failNext.set('/v1/invoices', [
      500,
      { error: { type: 'api_error', message: 'Something went wrong' } },
    ]);
    const first = await generateInvoice(deps, client.id, month);
    assert.equal(first.status, 'open');
    assert.equal(first.provider_invoice_id, null);
    assert.match(first.provider_error ?? '', /^transient: api_error/);
    const customersBefore = stripe.created.filter((s) => s.path === '/v1/customers').length;
    const retried = await generateInvoice(deps, client.id, month);
    assert.equal(retried.id, first.id);
    assert.match(retried.provider_invoice_id ?? '', /^in_\d+$/);
    assert.equal(retried.provider_error, null);
    assert.equal(
      stripe.created.filter((s) => s.path === '/v1/customers').length,
      customersBefore,
      'customer kept',
    );

    const declined = await clientWithEvents(5);
    stripe.failNext.set('finalize', [
      402,
      { error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } },
    ]);
    const failed = await generateInvoice(deps, declined.id, month);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.provider_error, 'permanent: card_declined');
  });

  it('bills only months that have ended, and names the field', async () => {
    const client = await clientWithEvents(1);
    await assert.rejects(
      generateInvoice({ ...deps, now: () => new Date() }, client.id, month),
      (err: Error & { details?: { path: string }[] }) => {
        assert.equal(err.details?.[0]?.path, 'month');
        return true;
      },
    );
  });
});
