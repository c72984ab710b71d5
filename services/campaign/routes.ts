import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type { CampaignDeployBody, CampaignStatusBody } from '../../contract/generated/api.generated.ts';
import { setAudit } from '../platform/audit.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { readBody } from '../platform/http.ts';
import { internalAuth } from '../platform/internal-auth.ts';
import { api } from '../platform/openapi.ts';
import { byCreatedAt, pageOf, pageRequest } from '../platform/pagination.ts';
import { idParam, intParam } from '../platform/params.ts';
import * as repo from './repo.ts';
import { type CampaignHooks, deployCampaign } from './service.ts';

/** The client portal's campaign API (secret keys with a role). */
export function createCampaignRoutes(db: Db, resolver: ApiKeyResolver, hooks: CampaignHooks) {
  const read = authenticate(resolver, { permission: 'campaign.read' });
  const deploy = authenticate(resolver, { permission: 'campaign.deploy' });
  const setStatus = authenticate(resolver, { permission: 'campaign.status' });
  return new Hono<{ Variables: AuthVariables }>()
    .post('/deploy', deploy, async (c) => {
      const body = await readBody<CampaignDeployBody>(c, api('campaignDeployBody'), 'deploy request');
      const p = c.get('principal');
      const r = await deployCampaign(db, hooks, {
        source: body.source,
        file: body.file ?? 'campaign.pulse.yaml',
        ...(body.settings ? { settings: body.settings } : {}),
        clientId: p.clientId,
        // The person when a member deployed (session or member key), else the key: the versions list names them.
        deployedBy: p.memberId ?? p.keyId,
      });
      setAudit(c, {
        action: 'campaign.deployed',
        target: { campaign: r.campaign.id, version: r.version },
        after: { version: r.version, plan_hash: r.plan.hash, created: r.created },
      });
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
    .get('/', read, async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const rows = await repo.listCampaigns(db, c.get('principal').clientId, page);
      return c.json(pageOf(rows, page, byCreatedAt));
    })
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
      const { status } = await readBody<CampaignStatusBody>(c, api('campaignStatusBody'), 'campaign status');
      const before = await repo.findCampaign(db, c.get('principal').clientId, id);
      const row = await repo.setStatus(db, c.get('principal').clientId, id, status);
      if (!row) throw new AppError('NOT_FOUND', 'no such campaign');
      setAudit(c, {
        action: 'campaign.status_changed',
        before: { status: before?.status ?? null },
        after: { status: row.status },
      });
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
