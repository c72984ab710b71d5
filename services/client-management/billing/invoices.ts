import { AppError } from '../../../contract/errors.ts';
import type { Db } from '../../platform/db.ts';
import { newId } from '../../platform/ids.ts';
import { logger } from '../../platform/log.ts';
import { monthOf, type Plan, planOf } from '../usage/plans.ts';
import type { MonthUsage } from '../usage/usage.ts';
import { type StripeBilling, StripeError } from './stripe.ts';

export interface InvoiceLine {
  position: number;
  kind: 'base_fee' | 'event_overage' | 'usage';
  description: string;
  quantity: number;
  /** Minor units of the invoice's currency. */
  unit_amount: number;
  amount: number;
}

/** The lines of a month's invoice: the plan's fee, events beyond the included ones, and the metered usage. */
export function invoiceLines(plan: Plan, usage: MonthUsage): InvoiceLine[] {
  const lines: InvoiceLine[] = [
    {
      position: 1,
      kind: 'base_fee',
      description: `Plan ${plan.name}, ${usage.month}`,
      quantity: 1,
      unit_amount: plan.base_fee,
      amount: plan.base_fee,
    },
  ];
  const events = usage.metrics.events_accepted.value;
  const over = Math.max(0, events - plan.included_events);
  if (over > 0 && plan.overage_per_1000_events !== null) {
    const thousands = Math.ceil(over / 1000);
    lines.push({
      position: 2,
      kind: 'event_overage',
      description: `Events beyond ${plan.included_events} (${over}), per 1,000`,
      quantity: thousands,
      unit_amount: plan.overage_per_1000_events,
      amount: thousands * plan.overage_per_1000_events,
    });
  }
  // What was metered, at no charge of its own: the invoice shows what the month held.
  let position = 10;
  for (const [metric, m] of Object.entries(usage.metrics))
    lines.push({
      position: position++,
      kind: 'usage',
      description: metric,
      quantity: m.value,
      unit_amount: 0,
      amount: 0,
    });
  return lines;
}

export interface BillingDeps {
  db: Db;
  usageOf(clientId: string, month: string): Promise<MonthUsage>;
  stripe?: StripeBilling | null;
  now?: () => Date;
  /** The plans (default PLANS). */
  plans?: Record<string, Plan>;
}

export type InvoiceView = Awaited<ReturnType<typeof readInvoice>>;

export async function readInvoice(db: Db, clientId: string, id: string) {
  const inv = await db
    .selectFrom('invoices')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!inv) return null;
  const lines = await db
    .selectFrom('invoice_lines')
    .select(['position', 'kind', 'description', 'quantity', 'unit_amount', 'amount'])
    .where('invoice_id', '=', id)
    .orderBy('position')
    .execute();
  return {
    id: inv.id as string,
    client_id: inv.client_id as string,
    month: inv.month as string,
    plan: inv.plan as string,
    currency: inv.currency as string,
    subtotal: Number(inv.subtotal),
    total: Number(inv.total),
    status: inv.status as string,
    usage: inv.usage as Record<string, unknown>,
    provider: (inv.provider as string | null) ?? null,
    provider_invoice_id: (inv.provider_invoice_id as string | null) ?? null,
    provider_error: (inv.provider_error as string | null) ?? null,
    lines: lines.map((l) => ({
      position: Number(l.position),
      kind: l.kind as string,
      description: l.description as string,
      quantity: Number(l.quantity),
      unit_amount: Number(l.unit_amount),
      amount: Number(l.amount),
    })),
    created_at: (inv.created_at as Date).toISOString(),
  };
}

/**
 * The invoice of one client-month, generated once from the metered usage: a second call (or a
 * concurrent one) answers the same invoice. Only closed months are billed. With Stripe configured the
 * invoice is then pushed (customer, draft, items, finalisation); a push that failed is retried by the next
 * call, with the same idempotency keys.
 */
export async function generateInvoice(deps: BillingDeps, clientId: string, month: string) {
  const now = (deps.now ?? (() => new Date()))();
  if (month >= monthOf(now))
    throw new AppError('VALIDATION_FAILED', 'only a month that has ended can be invoiced', [
      { path: 'month', message: `${month} has not ended`, expected: `a month before ${monthOf(now)}` },
    ]);
  const client = await deps.db
    .selectFrom('clients')
    .select(['id', 'name', 'plan'])
    .where('id', '=', clientId)
    .executeTakeFirst();
  if (!client) throw new AppError('NOT_FOUND', 'no such client');
  let existing = await deps.db
    .selectFrom('invoices')
    .select(['id'])
    .where('client_id', '=', clientId)
    .where('month', '=', month)
    .executeTakeFirst();
  if (!existing) {
    const plan = planOf(client.plan as string, deps.plans);
    const usage = await deps.usageOf(clientId, month);
    const lines = invoiceLines(plan, usage);
    const total = lines.reduce((s, l) => s + l.amount, 0);
    const id = newId('inv');
    await deps.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('invoices')
        .values({
          id,
          client_id: clientId,
          month,
          plan: plan.name,
          currency: plan.currency,
          subtotal: total,
          total,
          usage: JSON.stringify(usage.metrics),
          status: 'open',
        })
        .onConflict((oc) => oc.columns(['client_id', 'month']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted)
        await tx
          .insertInto('invoice_lines')
          .values(lines.map((l) => ({ ...l, invoice_id: id })))
          .execute();
    });
    existing = await deps.db
      .selectFrom('invoices')
      .select(['id'])
      .where('client_id', '=', clientId)
      .where('month', '=', month)
      .executeTakeFirstOrThrow();
  }
  const invoiceId = existing.id as string;
  if (deps.stripe)
    await pushToStripe(
      deps,
      deps.stripe,
      { id: client.id as string, name: client.name as string },
      invoiceId,
    );
  return (await readInvoice(deps.db, clientId, invoiceId)) as NonNullable<InvoiceView>;
}

async function pushToStripe(
  deps: BillingDeps,
  stripe: StripeBilling,
  client: { id: string; name: string },
  invoiceId: string,
): Promise<void> {
  const inv = await readInvoice(deps.db, client.id, invoiceId);
  if (!inv || inv.provider_invoice_id || inv.total === 0) return;
  try {
    let customer = await deps.db
      .selectFrom('billing_customers')
      .select('customer_id')
      .where('client_id', '=', client.id)
      .executeTakeFirst();
    if (!customer) {
      const customerId = await stripe.ensureCustomer(client);
      await deps.db
        .insertInto('billing_customers')
        .values({ client_id: client.id, provider: 'stripe', customer_id: customerId })
        .onConflict((oc) => oc.column('client_id').doNothing())
        .execute();
      customer = { customer_id: customerId };
    }
    const pushed = await stripe.pushInvoice(customer.customer_id as string, inv);
    await deps.db
      .updateTable('invoices')
      .set({
        provider: 'stripe',
        provider_invoice_id: pushed.id,
        provider_error: null,
        status: pushed.status === 'paid' ? 'paid' : 'open',
        updated_at: new Date(),
      })
      .where('id', '=', invoiceId)
      .execute();
  } catch (err) {
    if (!(err instanceof StripeError)) throw err;
    logger.warn({ err, invoice_id: invoiceId }, 'invoice not pushed to Stripe');
    await deps.db
      .updateTable('invoices')
      .set({
        provider: 'stripe',
        provider_error: `${err.transient ? 'transient' : 'permanent'}: ${err.code ?? err.type ?? err.status ?? 'network'}`,
        // A card declined (402) is the customer's to fix; a wrong request or an outage stays open for a retry.
        status: err.status === 402 ? 'failed' : 'open',
        updated_at: new Date(),
      })
      .where('id', '=', invoiceId)
      .execute();
  }
}

/** A client's invoices, newest month first. */
export async function listInvoices(db: Db, clientId: string) {
  const rows = await db
    .selectFrom('invoices')
    .select('id')
    .where('client_id', '=', clientId)
    .orderBy('month', 'desc')
    .limit(120)
    .execute();
  const out: NonNullable<InvoiceView>[] = [];
  for (const r of rows) {
    const inv = await readInvoice(db, clientId, r.id as string);
    if (inv) out.push(inv);
  }
  return out;
}
