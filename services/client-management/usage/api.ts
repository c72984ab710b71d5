import { api, describe } from '../../platform/openapi.ts';

const AUDIT_FILTERS = [
  { name: 'action', description: 'Only entries with this action (e.g. `key.create`, `campaign.deployed`).' },
  { name: 'actor_key_id', description: 'Only changes made with this key.' },
  { name: 'actor_member_id', description: 'Only changes made by this member.' },
  { name: 'route', description: 'Only changes through this route pattern (e.g. `/v1/api-keys/:id`).' },
  {
    name: 'since',
    description: 'Entries at or after this time (ISO 8601).',
    schema: { type: 'string', format: 'date-time' },
  },
  {
    name: 'until',
    description: 'Entries before this time (ISO 8601).',
    schema: { type: 'string', format: 'date-time' },
  },
];
const PARTICIPANT = { name: 'id', description: 'The participant id (as the client names its users).' };

/** The OpenAPI description of usage, plans, billing, the audit log and data-subject requests. */
export const opsApi = [
  describe({
    method: 'get',
    path: '/v1/usage',
    operationId: 'getUsage',
    summary: 'Usage of a month against the plan',
    description:
      'Events accepted and monthly active participants (ClickHouse), journeys started (Temporal), rewards issued; each with the plan’s limit, and the warnings sent (80%, 100%).',
    tags: ['account'],
    permission: 'usage.read',
    query: [
      {
        name: 'month',
        description: '`YYYY-MM` (UTC); default the current month.',
        schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' },
      },
    ],
    responses: { 200: api('usageEnvelope') },
  }),
  describe({
    method: 'get',
    path: '/v1/admin/clients/:id/usage',
    operationId: 'getClientUsageAsAdmin',
    summary: 'One client’s usage of a month',
    description:
      'The platform admin’s view of `GET /v1/usage` for one client (events, active participants, journeys, rewards against the plan). One client per request: each answer queries ClickHouse and Temporal.',
    tags: ['admin'],
    permission: 'client.admin',
    pathParams: [{ name: 'id', description: 'The client id (`cli_…`).' }],
    query: [
      {
        name: 'month',
        description: '`YYYY-MM` (UTC); default the current month.',
        schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' },
      },
    ],
    errors: [404],
    responses: { 200: api('usageEnvelope') },
  }),
  describe({
    method: 'get',
    path: '/v1/plans',
    operationId: 'listPlans',
    summary: 'The plans and their limits',
    tags: ['account'],
    permission: 'usage.read',
    responses: { 200: api('planList') },
  }),
  describe({
    method: 'get',
    path: '/v1/invoices',
    operationId: 'listInvoices',
    summary: 'The client’s invoices',
    tags: ['account'],
    permission: 'usage.read',
    responses: { 200: api('invoiceList') },
  }),
  describe({
    method: 'get',
    path: '/v1/invoices/:id',
    operationId: 'getInvoice',
    summary: 'One invoice with its lines',
    tags: ['account'],
    permission: 'usage.read',
    pathParams: [{ name: 'id', description: 'The invoice id (`inv_…`).' }],
    responses: { 200: api('invoiceEnvelope') },
    errors: [404],
  }),
  describe({
    method: 'post',
    path: '/v1/admin/clients/:id/invoices',
    operationId: 'generateInvoice',
    summary: 'Invoice a client’s month',
    description:
      'Generates the invoice of an ended month from the metered usage, once (a repeat answers the same invoice), and pushes it to Stripe when configured.',
    tags: ['admin'],
    permission: 'client.admin',
    pathParams: [{ name: 'id', description: 'The client id (`cli_…`).' }],
    body: api('invoiceGenerateBody'),
    responses: { 201: { description: 'Generated (or already generated)', schema: api('invoiceEnvelope') } },
    errors: [404],
  }),
  describe({
    method: 'get',
    path: '/v1/audit',
    operationId: 'listAudit',
    summary: 'The audit log',
    description:
      'Every change made through the API by the client’s keys and members, and by platform admins to the client; newest first.',
    tags: ['account'],
    permission: 'audit.read',
    paginated: true,
    query: AUDIT_FILTERS,
    responses: { 200: api('auditList') },
  }),
  describe({
    method: 'get',
    path: '/v1/audit/export.csv',
    operationId: 'exportAuditCsv',
    summary: 'The audit log as CSV',
    tags: ['account'],
    permission: 'audit.read',
    query: AUDIT_FILTERS,
    responses: { 200: { description: 'CSV, one entry a line, newest first', text: 'text/csv' } },
  }),
  describe({
    method: 'get',
    path: '/v1/audit/export.jsonl',
    operationId: 'exportAuditJsonl',
    summary: 'The audit log as JSON lines',
    tags: ['account'],
    permission: 'audit.read',
    query: AUDIT_FILTERS,
    responses: {
      200: { description: 'One JSON entry a line, newest first', text: 'application/x-ndjson' },
    },
  }),
  describe({
    method: 'post',
    path: '/v1/participants/:id/export',
    operationId: 'exportParticipant',
    summary: 'Export everything held about a participant',
    description:
      'A zip: `postgres/<table>.jsonl` (every table’s rows naming the participant), `clickhouse/<table>.jsonl`, `temporal/<workflow>/<run>/execution.json` and `history.json` of their journeys, and `manifest.json`.',
    tags: ['account'],
    permission: 'dsr.manage',
    pathParams: [PARTICIPANT],
    responses: { 200: { description: 'The archive', text: 'application/zip' } },
  }),
  describe({
    method: 'post',
    path: '/v1/participants/:id/erase',
    operationId: 'eraseParticipant',
    summary: 'Erase a participant',
    description:
      'Ends and deletes their journeys, deletes or pseudonymises their rows in every service (the ledger keeps amounts and ids under a pseudonym), deletes their ClickHouse rows; logged.',
    tags: ['account'],
    permission: 'dsr.manage',
    pathParams: [PARTICIPANT],
    responses: { 200: api('dsrEraseResult') },
  }),
];
