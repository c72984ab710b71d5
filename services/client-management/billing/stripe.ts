/**
 * The billing side of Stripe, over its REST API (form-encoded bodies, `Idempotency-Key` on every
 * create): a customer per client, then per invoice a draft invoice, one invoice item per line attached to
 * it, and the finalisation. Keys are derived from our ids, so a retried push never bills twice. Errors map
 * to `StripeError`: `transient` (network, 429, 5xx: retry later) or not (4xx: the request is wrong, or
 * 402: the customer's payment failed).
 */

export interface StripeBillingOptions {
  secretKey: string;
  /** Default https://api.stripe.com; the contract test points it at a local server. */
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class StripeError extends Error {
  override readonly name = 'StripeError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly transient: boolean,
    /** Stripe's `error.type` / `error.code` when it answered. */
    readonly type: string | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export interface InvoiceToPush {
  id: string;
  client_id: string;
  month: string;
  currency: string;
  lines: { position: number; description: string; quantity: number; unit_amount: number; amount: number }[];
}

export interface StripeBilling {
  ensureCustomer(client: { id: string; name: string }): Promise<string>;
  /** Creates, fills and finalises the invoice at Stripe; answers Stripe's invoice id and status. */
  pushInvoice(customerId: string, invoice: InvoiceToPush): Promise<{ id: string; status: string }>;
}

type Form = Record<string, string | number | undefined>;

export function createStripeBilling(o: StripeBillingOptions): StripeBilling {
  const base = (o.baseUrl ?? 'https://api.stripe.com').replace(/\/+$/, '');
  const fetchImpl = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 10_000;

  async function post(path: string, form: Form, idempotencyKey: string): Promise<Record<string, unknown>> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) if (v !== undefined) body.set(k, String(v));
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${o.secretKey}`,
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': idempotencyKey,
          'stripe-version': '2024-06-20',
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new StripeError(`Stripe ${path} unreachable: ${(err as Error).message}`, null, true, null, null);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // a proxy's HTML error page: the status decides
    }
    if (!res.ok) {
      const e = (json.error ?? {}) as { type?: string; code?: string; message?: string };
      const transient = res.status >= 500 || res.status === 429 || res.status === 408;
      throw new StripeError(
        `Stripe ${path} answered ${res.status}: ${(e.message ?? text).slice(0, 200)}`,
        res.status,
        transient,
        e.type ?? null,
        e.code ?? null,
      );
    }
    return json;
  }

  return {
    async ensureCustomer(client) {
      const c = await post(
        '/v1/customers',
        { name: client.name, 'metadata[pulse_client_id]': client.id },
        `pulse-customer-${client.id}`,
      );
      return String(c.id);
    },
    async pushInvoice(customerId, invoice) {
      const draft = await post(
        '/v1/invoices',
        {
          customer: customerId,
          currency: invoice.currency.toLowerCase(),
          collection_method: 'charge_automatically',
          auto_advance: 'false',
          pending_invoice_items_behavior: 'exclude',
          description: `Pulse usage ${invoice.month}`,
          'metadata[pulse_invoice_id]': invoice.id,
          'metadata[pulse_month]': invoice.month,
        },
        `pulse-invoice-${invoice.id}`,
      );
      const stripeId = String(draft.id);
      for (const line of invoice.lines) {
        if (line.amount === 0) continue;
        await post(
          '/v1/invoiceitems',
          {
            customer: customerId,
            invoice: stripeId,
            currency: invoice.currency.toLowerCase(),
            amount: line.amount,
            description: line.description,
            'metadata[pulse_invoice_id]': invoice.id,
            'metadata[pulse_line]': line.position,
          },
          `pulse-invoice-${invoice.id}-line-${line.position}`,
        );
      }
      const final = await post(
        `/v1/invoices/${encodeURIComponent(stripeId)}/finalize`,
        {},
        `pulse-invoice-${invoice.id}-finalize`,
      );
      return { id: stripeId, status: String(final.status ?? 'open') };
    },
  };
}
