import { AppError, type ErrorDetail } from '../../contract/errors.ts';
import type { CampaignRef, Plan } from '../../contract/plan.ts';
import { loadTemplateDir, type TemplateCatalog } from '../../contract/template-files.ts';
import { BUILT_IN_ROOT } from '../../contract/template-render.ts';
import { compileCampaignSource } from '../../dsl/index.ts';
import type { Db } from '../platform/db.ts';
import { newId } from '../platform/ids.ts';
import * as repo from './repo.ts';

export interface DeployedVersion {
  campaign: CampaignRef;
  plan: Plan;
}

/**
 * What other services need to hear about campaigns. The reward service owns rules, budgets and caps:
 * it vets a plan's rewards before the version is stored, registers them after, and follows the status.
 */
export interface CampaignHooks {
  /** Problems that must stop the deploy (empty when fine). */
  checkPlan(plan: Plan): ErrorDetail[];
  onDeployed(deployed: DeployedVersion & { status: repo.CampaignStatus }): Promise<void>;
  onStatusChanged(campaign: {
    clientId: string;
    campaignId: string;
    status: repo.CampaignStatus;
  }): Promise<void>;
  /**
   * Names of the client's published notification templates: with it, a deploy checks every template the
   * campaign sends exists as a built-in file or one of these (TEMPLATE_MISSING with the YAML position).
   */
  clientTemplates?(clientId: string): Promise<readonly string[]>;
  /** Custom event names the client declared through the API: triggers and waits may name them. */
  declaredEvents?(clientId: string): Promise<readonly string[]>;
  /** Stores the file's `events:` declarations (before the version): problems throw with `events.<name>`. */
  declareEvents?(input: {
    clientId: string;
    campaignKey: string;
    events: NonNullable<ReturnType<typeof compileCampaignSource>['events']>;
    deployedBy: string;
  }): Promise<void>;
}

export interface DeployInput {
  clientId: string;
  source: string;
  file: string;
  settings?: Record<string, unknown>;
  deployedBy: string;
}

/**
 * Compiles YAML to a plan (every diagnostic reported with file:line:column) and stores it as the next
 * version. Running journeys keep the plan they started with; only new journeys see the new version.
 */
export async function deployCampaign(
  db: Db,
  hooks: Pick<
    CampaignHooks,
    'checkPlan' | 'onDeployed' | 'declaredEvents' | 'declareEvents' | 'clientTemplates'
  >,
  input: DeployInput,
): Promise<{
  campaign: repo.CampaignRow;
  version: number;
  created: boolean;
  plan: Plan;
  /** Warnings (e.g. TRUST_OPT_DOWN) never block a deploy; they are shown to whoever deployed. */
  warnings: { code: string; path: string; message: string }[];
}> {
  const declaredEvents = hooks.declaredEvents ? await hooks.declaredEvents(input.clientId) : [];
  const clientTemplates = hooks.clientTemplates ? await hooks.clientTemplates(input.clientId) : undefined;
  const { plan, diagnostics, events } = compileCampaignSource(input.source, input.file, {
    settings: input.settings ?? {},
    declaredEvents,
    ...(clientTemplates ? { templates: { catalog: builtInCatalog(), clientTemplates } } : {}),
  });
  const errors = diagnostics.filter((d) => (d.severity ?? 'error') === 'error');
  if (!plan || errors.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${input.file} has ${errors.length} error(s)`,
      errors.map((d) => ({
        path: d.path,
        message: `${d.file}:${d.line}:${d.column} ${d.code}: ${d.message}`,
        ...(d.expected ? { expected: String(d.expected) } : {}),
      })),
    );
  }
  const problems = hooks.checkPlan(plan);
  if (problems.length) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${input.file}: the campaign cannot be registered (${problems.map((p) => p.path).join(', ')})`,
      problems,
    );
  }
  if (events && hooks.declareEvents) {
    await hooks.declareEvents({
      clientId: input.clientId,
      campaignKey: plan.id,
      events,
      deployedBy: input.deployedBy,
    });
  }
  const result = await repo.appendVersion(db, {
    clientId: input.clientId,
    campaignId: newId('cmp'),
    plan,
    source: input.source,
    sourceFile: input.file,
    deployedBy: input.deployedBy,
  });
  if (result.created) {
    await hooks.onDeployed({
      campaign: {
        clientId: input.clientId,
        campaignId: result.campaign.id,
        version: result.version,
        pulse: plan.pulse,
      },
      plan,
      status: result.campaign.status,
    });
  }
  const warnings = diagnostics
    .filter((d) => d.severity === 'warning')
    .map((d) => ({ code: d.code, path: d.path, message: `${d.file}:${d.line}:${d.column} ${d.message}` }));
  return { ...result, plan, warnings };
}

/**
 * The router's view of deployed campaigns, cached briefly per (client, event): routing runs for every
 * event, while deploys are rare. A deploy becomes visible to routing within `cacheMs`.
 */
export function createDeployedCampaigns(db: Db, opts: { cacheMs?: number } = {}) {
  const cacheMs = opts.cacheMs ?? 2_000;
  const cache = new Map<string, { at: number; value: DeployedVersion[] }>();
  return {
    async forEvent(clientId: string, eventName: string): Promise<DeployedVersion[]> {
      const key = `${clientId}\u0000${eventName}`;
      const hit = cache.get(key);
      if (hit && Date.now() - hit.at < cacheMs) return hit.value;
      const rows = await repo.versionsForEvent(db, clientId, eventName);
      const value = rows.map((r) => ({
        campaign: { clientId: r.client_id, campaignId: r.campaign_id, version: r.version, pulse: r.pulse },
        plan: r.plan,
      }));
      if (cache.size > 50_000) cache.clear();
      cache.set(key, { at: Date.now(), value });
      return value;
    },
    invalidate(): void {
      cache.clear();
    },
  };
}

let catalog: TemplateCatalog | undefined;
/** The built-in template files (campaigns/templates), read once: they ship with the code. */
function builtInCatalog(): TemplateCatalog {
  catalog ??= loadTemplateDir(BUILT_IN_ROOT);
  return catalog;
}
