import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Bus } from '../contract/bus.ts';
import { createAnalyticsApp } from './analytics/index.ts';
import {
  type CampaignHooks,
  createCampaignApp,
  createCampaignSchedules,
  createDeployedCampaigns,
} from './campaign/index.ts';
import { createClientManagement, createClientManagementApp } from './client-management/index.ts';
import {
  createEventApp,
  createEventDrainer,
  createEventTypeRegistry,
  declareCampaignEvents,
  type SdkBundle,
} from './event/index.ts';
import { clientTemplateNames, createNotificationApp, type Mailer } from './notification/index.ts';
import { createObservability } from './observability.ts';
import { platformOpenApi } from './openapi.ts';
import { accessLog } from './platform/access-log.ts';
import { createApiDocsRoutes } from './platform/api-docs.ts';
import type { ClickHouse } from './platform/clickhouse.ts';
import { requestClientIp } from './platform/client-ip.ts';
import type { Config } from './platform/config.ts';
import type { Db } from './platform/db.ts';
import { createErrorDocsRoute } from './platform/error-docs.ts';
import { errorDocs, withErrorHandling } from './platform/http.ts';
import { idempotency } from './platform/idempotency.ts';
import { childLogger } from './platform/log.ts';
import { observeRequest } from './platform/metrics.ts';
import { rateLimit } from './platform/rate-limit.ts';
import { requestIds } from './platform/request-id.ts';
import { createSecretBox } from './platform/secret-box.ts';
import { createReferralApp, landingProblems, registerLanding, setLandingStatus } from './referral/index.ts';
import {
  createRewardApp,
  createRewardService,
  programProblems,
  registerProgram,
  setProgramStatus,
} from './reward/index.ts';
import { createWorkflowApp } from './workflow/index.ts';

export const SERVICE_NAMES = [
  'client-management',
  'campaign',
  'workflow',
  'event',
  'referral',
  'reward',
  'analytics',
  'notification',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface PlatformDeps {
  config: Readonly<Config>;
  db: Db;
  ch: ClickHouse;
  bus: Bus;
  mailer: Mailer;
  temporal: Client;
  redis?: Redis;
  /** The built browser SDK (event/sdk-files.ts `loadSdkBundle`); absent: /sdk/… answers 404. */
  sdk?: SdkBundle | null;
}

/**
 * The composition root: builds the eight service apps from shared dependencies. Mounted together they
 * are the local single-process deployment; `only` mounts a subset (one service per process in production).
 */
export function createPlatform(deps: PlatformDeps, only: readonly ServiceName[] = SERVICE_NAMES) {
  const { config, db } = deps;
  const secretBox = createSecretBox(config.encryptionKeys);
  const clientManagement = createClientManagement(db, { hashSecret: config.hashSecret, secretBox });
  const resolver = clientManagement.resolver;
  const deployedCampaigns = createDeployedCampaigns(db);
  const drainer = createEventDrainer({ db, ch: deps.ch, bus: deps.bus });
  const eventTypes = createEventTypeRegistry(db);
  // One reward service shared by its routes and its background jobs (fulfilment queue, expiry sweep).
  // Calls to client-supplied URLs (webhooks, fulfilment, payment APIs) pass the SSRF guard.
  const outbound = { allow: config.outboundAllow, httpsOnly: config.production };
  const rewardService = createRewardService({ db, secretBox, providers: { outbound } });
  // `trigger.schedule` campaigns: a Temporal Schedule per campaign, following deploys and status.
  const schedules = createCampaignSchedules({
    db,
    temporal: deps.temporal,
    taskQueue: config.taskQueue,
  });
  const campaignHooks: CampaignHooks = {
    checkPlan: (plan) => [
      ...programProblems({ rewards: plan.rewards, segments: plan.segments }),
      ...landingProblems(plan.landing, config.production),
    ],
    async onDeployed({ campaign, plan, status }) {
      await registerProgram(db, {
        clientId: campaign.clientId,
        campaignId: campaign.campaignId,
        version: campaign.version,
        rewards: plan.rewards,
        segments: plan.segments,
        status,
      });
      // The share links' target: the campaign's landing page, read by the referral redirect.
      await registerLanding(db, {
        clientId: campaign.clientId,
        campaignId: campaign.campaignId,
        landing: plan.landing,
        status,
      });
      await schedules.deployed({ campaign, plan, status });
      deployedCampaigns.invalidate();
    },
    async onStatusChanged({ clientId, campaignId, status }) {
      await setProgramStatus(db, { clientId, campaignId, status });
      await setLandingStatus(db, { clientId, campaignId, status });
      await schedules.statusChanged({ clientId, campaignId, status });
      deployedCampaigns.invalidate();
    },
    // Custom event types live in the event service (it enforces them); a deploy reads and adds to them.
    declaredEvents: async (clientId) => (await eventTypes.forClient(clientId)).names,
    // Templates live in the notification service; a deploy checks the campaign's sends against them.
    clientTemplates: (clientId) => clientTemplateNames(db, clientId),
    async declareEvents({ clientId, campaignKey, events, deployedBy }) {
      await declareCampaignEvents(db, eventTypes, { clientId, campaignKey, events, createdBy: deployedBy });
    },
  };
  const internalToken = config.internalSigningKey;
  const builders: Record<ServiceName, () => Hono> = {
    'client-management': () => createClientManagementApp({ db, clientManagement }),
    campaign: () => createCampaignApp({ db, resolver, internalToken, hooks: campaignHooks }),
    workflow: () => createWorkflowApp({ temporal: deps.temporal, resolver, cursorKey: config.hashSecret }),
    event: () =>
      createEventApp({
        db,
        resolver,
        hashSecret: config.hashSecret,
        trustedProxies: config.trustedProxies,
        ...(deps.redis ? { redis: deps.redis } : {}),
        onAccepted: (n) => drainer.nudge(n),
        sdk: { bundle: deps.sdk ?? null, publicBaseUrl: config.publicBaseUrl },
        eventTypes,
      }),
    referral: () =>
      createReferralApp({
        db,
        resolver,
        internalToken,
        publicBaseUrl: config.publicBaseUrl,
        hashSecret: config.hashSecret,
        trustedProxies: config.trustedProxies,
        production: config.production,
      }),
    reward: () => createRewardApp({ db, secretBox, resolver, internalToken, service: rewardService }),
    analytics: () => createAnalyticsApp({ ch: deps.ch, resolver }),
    notification: () =>
      createNotificationApp({ db, mailer: deps.mailer, resolver, internalToken, secretBox, outbound }),
  };
  const apps = Object.fromEntries(only.map((name) => [name, builders[name]()])) as Partial<
    Record<ServiceName, Hono>
  >;
  const app = withErrorHandling(new Hono());
  // First: a request id and a correlation id for every request (logs, errors, the journey chain).
  app.use('*', requestIds());
  // Every error body links its code's section of the error reference under the public URL.
  app.use('*', errorDocs(config.publicBaseUrl));
  // Then one access-log line per request (route pattern, status, duration, ids, client).
  app.use('*', accessLog({ log: childLogger({ component: 'http' }), onFinished: observeRequest }));
  // Before every route: request budgets and RateLimit-* headers for all public routes.
  app.use(
    '*',
    rateLimit({
      resolver,
      hashSecret: config.hashSecret,
      limits: config.rateLimits,
      // The same client address the ingest and the redirects use: behind a trusted proxy, the caller's.
      clientIp: (c) => requestClientIp(c.req.raw, c.env, config.trustedProxies),
      ...(deps.redis ? { redis: deps.redis } : {}),
    }),
  );
  // Then: Idempotency-Key on mutating requests (a refused 429 above is never stored).
  app.use('*', idempotency({ db, resolver }));
  // /health/live, /health/ready (and /health, its alias) and /metrics.
  const observability = createObservability({
    db,
    ch: deps.ch,
    bus: deps.bus,
    temporal: deps.temporal,
    services: only,
    metricsToken: config.metricsToken,
  });
  app.route('/', observability.app);
  app.route('/', createErrorDocsRoute());
  // The API's description (of what this process mounts) and its interactive page.
  app.route('/', createApiDocsRoutes(platformOpenApi(only, config.publicBaseUrl)));
  for (const sub of Object.values(apps)) app.route('/', sub);
  return {
    app,
    apps,
    clientManagement,
    deployedCampaigns,
    drainer,
    rewardService,
    scrape: observability.scrape,
  };
}

export type Platform = ReturnType<typeof createPlatform>;
