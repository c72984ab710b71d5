import { Hono } from 'hono';
import { AppError } from '../../../contract/errors.ts';
import type { InvoiceGenerateBody } from '../../../contract/generated/api.generated.ts';
import { setAudit } from '../../platform/audit.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import { readBody } from '../../platform/http.ts';
import { api } from '../../platform/openapi.ts';
import { idParam } from '../../platform/params.ts';
import { type BillingDeps, generateInvoice, listInvoices, readInvoice } from './invoices.ts';

/** A client's invoices (`usage.read`) and the operator's monthly run (`client.admin`). */
export function createBillingRoutes(resolver: ApiKeyResolver, deps: BillingDeps) {
  return new Hono<{ Variables: AuthVariables }>()
    .get('/invoices', authenticate(resolver, { permission: 'usage.read' }), async (c) =>
      c.json({ data: await listInvoices(deps.db, c.get('principal').clientId) }),
    )
    .get('/invoices/:id', authenticate(resolver, { permission: 'usage.read' }), async (c) => {
      const inv = await readInvoice(deps.db, c.get('principal').clientId, idParam(c.req.param('id'), 'id'));
      if (!inv) throw new AppError('NOT_FOUND', 'no such invoice');
      return c.json({ invoice: inv });
    })
    .post(
      '/admin/clients/:id/invoices',
      authenticate(resolver, { permission: 'client.admin' }),
      async (c) => {
        const clientId = idParam(c.req.param('id'), 'id');
        const { month } = await readBody<InvoiceGenerateBody>(c, api('invoiceGenerateBody'), 'invoice');
        const invoice = await generateInvoice(deps, clientId, month);
        setAudit(c, { action: 'invoice.generated', target: { invoice: invoice.id, month } });
        return c.json({ invoice }, 201);
      },
    );
}
