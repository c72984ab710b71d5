import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { readJson } from '../platform/http.ts';
import { internalAuth } from '../platform/internal-auth.ts';
import { idParam, intParam } from '../platform/params.ts';
import * as repo from './repo.ts';
import { type CampaignHooks, deployCampaign } from './service.ts';

const STATUSES: repo.CampaignStatus[] = ['draft', 'active', 'paused', 'ended'];

function readDeployBody(body: unknown): { source: string; file: string; settings?: Record<string, unknown> } {
  const b = (body ?? {}) as Record<string, unknown>;
  const details = [];
  if (typeof b.source !== 'string' || b.source.length === 0 || b.source.length > 256_000) {
    details.push({
      path: 'source',
      message: 'must be the YAML text of the campaign',
      expected: 'string (≤ 256 kB)',
    });
  }
  if (b.file !== undefined && typeof b.file !== 'string')
    details.push({ path: 'file', message: 'must be a string', expected: 'string' });
  if (
    b.settings !== undefined &&
    (typeof b.settings !== 'object' || b.settings === null || Array.isArray(b.settings))
  ) {
    details.push({ path: 'settings', message: 'must be an object of setting overrides', expected: 'object' });
  }
  if (details.length) throw new AppError('VALIDATION_FAILED', 'deploy request is invalid', details);
  return {
    source: b.source as string,
    file: typeof b.file === 'string' ? b.file : 'campaign.pulse.yaml',
    ...(b.settings ? { settings: b.settings as Record<string, unknown> } : {}),
  };
}

/** The client portal's campaign API (secret keys with a role). */
export function createCampaignRoutes(db: Db, resolver: ApiKeyResolver, hooks: CampaignHooks) {
  const read = authenticate(resolver, { permission: 'campaign.read' });
  const deploy = authenticate(resolver, { permission: 'campaign.deploy' });
  const setStatus = authenticate(resolver, { permission: 'campaign.status' });
  return new Hono<{ Variables: AuthVariables }>()
    .post('/deploy', deploy, async (c) => {
      const body = readDeployBody(await readJson(c));
      const p = c.get('principal');
      const r = await deployCampaign(db, hooks, { ...body, clientId: p.clientId, deployedBy: p.keyId });
      return c.json(
        {
          campaign_id: r.campaign.id,
          version: r.version,
          created: r.created,
          pulse: r.plan.pulse,
          plan_hash: r.plan.hash,
          warnings: r.warnings,
        },
        r.created ? 201 : 200,
      );
    })
    .get('/', read, async (c) =>
      c.json({ campaigns: await repo.listCampaigns(db, c.get('principal').clientId) }),
    )
    .get('/:id', read, async (c) => {
      const clientId = c.get('principal').clientId;
      const campaign = await repo.findCampaign(db, clientId, idParam(c.req.param('id'), 'id'));
      if (!campaign) throw new AppError('NOT_FOUND', 'no such campaign');
      return c.json({ campaign, versions: await repo.listVersions(db, clientId, campaign.id) });
    })
    .get('/:id/versions/:version', read, async (c) => {
      const id = idParam(c.req.param('id'), 'id');
      const version = intParam(c.req.param('version'), 'version', { min: 1, max: 2 ** 31 - 1 });
      const row = await repo.findVersion(db, c.get('principal').clientId, id, version);
      if (!row) throw new AppError('NOT_FOUND', 'no such campaign version');
      return c.json({ version: row });
    })
    .post('/:id/status', setStatus, async (c) => {
      const id = idParam(c.req.param('id'), 'id');
      const status = ((await readJson(c)) as { status?: unknown } | null)?.status;
      if (typeof status !== 'string' || !(STATUSES as string[]).includes(status)) {
        throw new AppError('VALIDATION_FAILED', 'bad status', [
          { path: 'status', message: 'invalid', expected: STATUSES.join('|') },
        ]);
      }
      const row = await repo.setStatus(db, c.get('principal').clientId, id, status as repo.CampaignStatus);
      if (!row) throw new AppError('NOT_FOUND', 'no such campaign');
      await hooks.onStatusChanged({ clientId: row.client_id, campaignId: row.id, status: row.status });
      return c.json({ campaign: row });
    });
}

/** Routes workers call on a tenant's behalf (FetchCampaignConfig). */
export function createCampaignInternalRoutes(db: Db, token: string) {
  return new Hono().use('*', internalAuth(token, 'campaign')).get('/:clientId/:campaignId', async (c) => {
    const campaign = await repo.findCampaign(
      db,
      idParam(c.req.param('clientId'), 'clientId'),
      idParam(c.req.param('campaignId'), 'campaignId'),
    );
    if (!campaign) throw new AppError('NOT_FOUND', 'no such campaign');
    const now = Date.now();
    const active =
      campaign.status === 'active' &&
      (!campaign.starts_at || campaign.starts_at.getTime() <= now) &&
      (!campaign.ends_at || campaign.ends_at.getTime() > now);
    return c.json({
      active,
      status: campaign.status,
      starts_at: campaign.starts_at?.toISOString() ?? null,
      ends_at: campaign.ends_at?.toISOString() ?? null,
    });
  });
}
