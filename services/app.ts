import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Bus } from '../contract/bus.ts';
import { AppError } from '../contract/errors.ts';
import { createServiceTokenMinter } from '../contract/service-token.ts';
import { createAnalyticsApp, type MemberDirectory, type ReportDelivery } from './analytics/index.ts';
import { type WeeklyReportDeps, emailView as weeklyEmailView } from './analytics/weekly-report.ts';
import {
  type CampaignHooks,
  type CampaignSimulator,
  createCampaignApp,
  createCampaignSchedules,
  createDeployedCampaigns,
} from './campaign/index.ts';
import {
  type ClientOps,
  createClientManagement,
  createClientManagementApp,
  createStripeBilling,
  createUsageMeter,
  type InviteDelivery,
  monthUsage,
  temporalJourneyCounter,
} from './client-management/index.ts';
import { memberStanding } from './client-management/members/repo.ts';
import {
  createEventApp,
  createEventDrainer,
  createEventTypeRegistry,
  declareCampaignEvents,
  eventParticipantData,
  type SdkBundle,
} from './event/index.ts';
import {
  clientTemplateNames,
  createNotificationApp,
  type Mailer,
  notificationParticipantData,
  sendNotification,
} from './notification/index.ts';
import { createObservability } from './observability.ts';
import { platformOpenApi, SERVICE_API } from './openapi.ts';
import { accessLog } from './platform/access-log.ts';
import { createApiDocsRoutes } from './platform/api-docs.ts';
import { auditLog } from './platform/audit.ts';
import type { ClickHouse } from './platform/clickhouse.ts';
import { requestClientIp } from './platform/client-ip.ts';
import type { Config } from './platform/config.ts';
import type { Db } from './platform/db.ts';
import { createErrorDocsRoute } from './platform/error-docs.ts';
import { errorDocs, withErrorHandling } from './platform/http.ts';
import { idempotency } from './platform/idempotency.ts';
import { childLogger } from './platform/log.ts';
import { observeRequest } from './platform/metrics.ts';
import type { RouteDoc } from './platform/openapi.ts';
import type { Permission } from './platform/permissions.ts';
import { createPortalRoutes, type PortalBundle } from './platform/portal.ts';
import { rateLimit } from './platform/rate-limit.ts';
import { requestIds } from './platform/request-id.ts';
import { createSecretBox } from './platform/secret-box.ts';
import {
  createLeaderboardSchedules,
  createLeaderboards,
  createReferralApp,
  fraudProblems,
  landingProblems,
  referralParticipantData,
  registerAttribution,
  registerFraudPolicy,
  registerLanding,
  setLandingStatus,
} from './referral/index.ts';
import {
  countRewardsIssued,
  createRewardApp,
  createRewardService,
  programProblems,
  registerProgram,
  rewardParticipantData,
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
  /** The built portal (platform/portal.ts `loadPortalBundle`); absent: `/` says how to build it. */
  portal?: PortalBundle | null;
  /** The engine's simulator behind `POST /v1/campaigns/simulate` (app/ passes it; absent: 503). */
  simulator?: CampaignSimulator;
}

/**
 * The composition root: builds the eight service apps from shared dependencies. Mounted together they
 * are the local single-process deployment; `only` mounts a subset (one service per process in production).
 */
export function createPlatform(deps: PlatformDeps, only: readonly ServiceName[] = SERVICE_NAMES) {
  const { config, db } = deps;
  const secretBox = createSecretBox(config.encryptionKeys);
  const clientManagement = createClientManagement(db, {
    hashSecret: config.hashSecret,
    secretBox,
    sessions: {
      platformAdmins: config.platformAdmins,
      idleMinutes: config.sessionIdleMinutes,
      maxMinutes: config.sessionMaxMinutes,
    },
  });
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
  // Campaign leaderboards (referral service): Redis sorted sets over Postgres scores; prizes paid through
  // the reward service's leaderboard rule, rank-change notices through the notification service.
  const leaderboards = createLeaderboards({
    db,
    redis: deps.redis,
    bus: deps.bus,
    award: (req) =>
      rewardService.awardLeaderboardPrizes({
        clientId: req.clientId,
        campaignId: req.campaignId,
        version: req.version,
        rule: req.rule,
        boardId: req.boardId,
        period: req.period,
        placings: req.placings,
      }),
    notify: async (req) => {
      await sendNotification(db, deps.mailer, req);
    },
  });
  const leaderboardSchedules = createLeaderboardSchedules(deps.temporal, config.taskQueue);
  const campaignHooks: CampaignHooks = {
    checkPlan: (plan) => [
      ...programProblems({ rewards: plan.rewards, segments: plan.segments }),
      ...landingProblems(plan.landing, config.production),
      ...fraudProblems(plan.fraud),
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
      await registerAttribution(db, {
        clientId: campaign.clientId,
        campaignId: campaign.campaignId,
        attribution: plan.attribution,
      });
      // The fraud engine's thresholds and weights for this campaign (defaults when it sets none).
      await registerFraudPolicy(db, {
        clientId: campaign.clientId,
        campaignId: campaign.campaignId,
        policy: plan.fraud,
      });
      await schedules.deployed({ campaign, plan, status });
      const before = await leaderboards.boardsOfCampaign(campaign.clientId, campaign.campaignId);
      const boards = await leaderboards.register({
        clientId: campaign.clientId,
        campaignId: campaign.campaignId,
        version: campaign.version,
        boards: plan.leaderboards,
        rewards: plan.rewards,
        status,
      });
      const kept = new Set(boards.map((b) => b.boardId));
      await leaderboardSchedules.deployed(
        boards,
        before.filter((b) => !kept.has(b.boardId)),
      );
      deployedCampaigns.invalidate();
    },
    async onStatusChanged({ clientId, campaignId, status }) {
      if (status === 'ended') {
        // Boards stop counting, then settle while the reward program still pays (an ended program
        // refuses allocations); the final settlement workflow below finds nothing left to pay.
        await leaderboards.setStatus(clientId, campaignId, status);
        for (const b of await leaderboards.boardsOfCampaign(clientId, campaignId))
          await leaderboards
            .settle(b)
            .catch((err: unknown) =>
              childLogger({ component: 'leaderboard' }).error(
                { err, client_id: clientId, campaign_id: campaignId, board: b.boardId },
                'leaderboard settlement at campaign end failed',
              ),
            );
      }
      await setProgramStatus(db, { clientId, campaignId, status });
      await setLandingStatus(db, { clientId, campaignId, status });
      await schedules.statusChanged({ clientId, campaignId, status });
      await leaderboards.setStatus(clientId, campaignId, status);
      await leaderboardSchedules.statusChanged(
        await leaderboards.boardsOfCampaign(clientId, campaignId),
        status,
      );
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
  // Usage against the plans (the ingest's events meter), invoices, data-subject requests.
  const usageMeter = createUsageMeter({
    db,
    ch: deps.ch,
    bus: deps.bus,
    ...(deps.redis ? { redis: deps.redis } : {}),
  });
  const usageSources = {
    journeysStarted: temporalJourneyCounter(deps.temporal),
    rewardsIssued: (clientId: string, from: Date, to: Date) => countRewardsIssued(db, clientId, from, to),
  };
  const usageOf = (clientId: string, month: string) =>
    monthUsage({ db, ch: deps.ch, meter: usageMeter, sources: usageSources }, clientId, month);
  const ops: ClientOps = {
    usageOf,
    billing: {
      db,
      usageOf,
      stripe: config.stripeSecretKey
        ? createStripeBilling({ secretKey: config.stripeSecretKey, baseUrl: config.stripeApiUrl })
        : null,
    },
    dsr: {
      db,
      ch: deps.ch,
      temporal: deps.temporal,
      hashSecret: config.hashSecret,
      // Each service's declaration of the participant data it holds (services/platform/participant-data.ts).
      registry: [
        notificationParticipantData,
        referralParticipantData,
        rewardParticipantData,
        eventParticipantData,
      ],
    },
  };
  const internalToken = config.internalSigningKey;
  // Invites go out as any email does: the notification service's internal send route (in this process
  // through the app's own fetch, the same route and code path as over HTTP).
  const mintToken = createServiceTokenMinter({ key: internalToken, issuer: 'client-management' });
  const inviteDelivery: InviteDelivery = {
    async send(invite) {
      if (!only.includes('notification'))
        throw new AppError('UPSTREAM_UNAVAILABLE', 'invites need the notification service in this process');
      const res = await app.request('/internal/v1/notifications/send', {
        method: 'POST',
        headers: { authorization: `Bearer ${mintToken('notification')}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: invite.clientId,
          idempotency_key: `member-invite/${invite.inviteId}`,
          participant_id: `invite:${invite.inviteId}`,
          channel: 'email',
          template: 'member-invite',
          to: invite.email,
          data: {
            invite: {
              url: invite.url,
              client_name: invite.clientName,
              role: invite.role,
              invited_by: invite.invitedBy,
              expires_on: invite.expiresAt.toISOString().slice(0, 10),
            },
          },
        }),
      });
      const answer = (await res.json().catch(() => ({}))) as { status?: string };
      if (!res.ok || answer.status === 'failed')
        throw new AppError('UPSTREAM_UNAVAILABLE', `the invite email could not be sent (${res.status})`);
    },
  };
  // The weekly analytics report e-mails (services/analytics/weekly-report.ts) go out as invites do: the
  // notification service's send route, one idempotency key per (client, member, week), so a retried or
  // caught-up run sends each member's week once.
  const mintAnalyticsToken = createServiceTokenMinter({ key: internalToken, issuer: 'analytics' });
  const reportDelivery: ReportDelivery = {
    async send(mail) {
      if (!only.includes('notification'))
        throw new AppError(
          'UPSTREAM_UNAVAILABLE',
          'weekly reports need the notification service in this process',
        );
      const res = await app.request('/internal/v1/notifications/send', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${mintAnalyticsToken('notification')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          client_id: mail.clientId,
          idempotency_key: `analytics-weekly/${mail.memberId}/${mail.week}`,
          participant_id: `member:${mail.memberId}`,
          channel: 'email',
          template: 'analytics-weekly-report',
          to: mail.to,
          data: { report: weeklyEmailView(mail.report) },
        }),
      });
      const answer = (await res.json().catch(() => ({}))) as { status?: string };
      if (!res.ok || answer.status === 'failed')
        throw new AppError('UPSTREAM_UNAVAILABLE', `the weekly report could not be sent (${res.status})`);
    },
  };
  const memberDirectory: MemberDirectory = {
    standingOf: async (clientId, memberId) => (await memberStanding(db, clientId, memberId)) ?? null,
  };
  const builders: Record<ServiceName, () => Hono> = {
    'client-management': () =>
      createClientManagementApp({
        db,
        clientManagement,
        ops,
        auth: {
          environment: config.environment,
          secureCookies: !(config.environment === 'development' && config.publicBaseUrl.startsWith('http:')),
          hashSecret: config.hashSecret,
          publicBaseUrl: config.publicBaseUrl,
          invites: inviteDelivery,
          oidc: config.oidcIssuer
            ? {
                issuer: config.oidcIssuer,
                clientId: config.oidcClientId ?? '',
                clientSecret: config.oidcClientSecret,
                redirectUri: config.oidcRedirectUri ?? `${config.publicBaseUrl}/v1/auth/callback`,
              }
            : null,
        },
      }),
    campaign: () =>
      createCampaignApp({ db, resolver, internalToken, hooks: campaignHooks, simulator: deps.simulator }),
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
        quota: usageMeter,
      }),
    referral: () =>
      createReferralApp({
        db,
        ch: deps.ch,
        resolver,
        internalToken,
        publicBaseUrl: config.publicBaseUrl,
        hashSecret: config.hashSecret,
        trustedProxies: config.trustedProxies,
        production: config.production,
        leaderboards,
      }),
    reward: () => createRewardApp({ db, secretBox, resolver, internalToken, service: rewardService }),
    analytics: () =>
      createAnalyticsApp({ ch: deps.ch, db, resolver, ...(deps.redis ? { redis: deps.redis } : {}) }),
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
  app.use('*', idempotency({ db, resolver, box: secretBox }));
  // Every successful change by a key, member or admin, in every service: one append-only audit entry.
  const routePermissions = new Map<string, Permission>(
    Object.values(SERVICE_API).flatMap((docs: readonly RouteDoc[]) =>
      docs.flatMap((d) =>
        d.permission ? [[`${d.method.toUpperCase()} ${d.path}`, d.permission] as const] : [],
      ),
    ),
  );
  app.use(
    '*',
    auditLog({
      db,
      hashSecret: config.hashSecret,
      permissionOf: (method, route) => routePermissions.get(`${method} ${route}`),
      clientIp: (c) => requestClientIp(c.req.raw, c.env, config.trustedProxies),
    }),
  );
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
  // Last: the portal's pages (/, /admin, …) and assets, calling the API above like any client.
  app.route('/', createPortalRoutes({ bundle: deps.portal ?? null, temporalUiUrl: config.temporalUiUrl }));
  return {
    app,
    apps,
    clientManagement,
    deployedCampaigns,
    drainer,
    leaderboards,
    rewardService,
    usageMeter,
    scrape: observability.scrape,
    /** What the weekly report worker needs (app/runtime.ts starts it with the Temporal worker). */
    weeklyReports: {
      db,
      ch: deps.ch,
      members: memberDirectory,
      delivery: reportDelivery,
    } as WeeklyReportDeps,
  };
}

export type Platform = ReturnType<typeof createPlatform>;
