import { type AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { correlationInterceptor } from '../activities/correlation.ts';
import { createActivities } from '../activities/index.ts';
import type { ServiceEndpoint } from '../activities/service-client.ts';
import type { Subscription } from '../contract/bus.ts';
import { createTemporalClient } from '../engine/client.ts';
import { quietTemporalRuntime } from '../engine/quiet-runtime.ts';
import { createRouter } from '../engine/router.ts';
import { startRouterSubscription } from '../engine/router-subscriber.ts';
import { ensureSearchAttributes } from '../engine/search-attributes.ts';
import { createWorker } from '../engine/worker.ts';
import {
  ensureWeeklySchedule,
  startIdCheckJob,
  startRewardFactSink,
  startRollupJob,
  startWeeklyReportWorker,
} from '../services/analytics/index.ts';
import { createPlatform, type Platform, SERVICE_NAMES, type ServiceName } from '../services/app.ts';
import { loadSdkBundle } from '../services/event/index.ts';
import { createSmtpMailer, startContactTracking } from '../services/notification/index.ts';
import type { Config } from '../services/platform/config.ts';
import { openConnections } from '../services/platform/connections.ts';
import { childLogger } from '../services/platform/log.ts';
import { metrics } from '../services/platform/metrics.ts';
import { loadPortalBundle } from '../services/platform/portal.ts';
import { createRedis } from '../services/platform/redis.ts';
import { createSecretBox } from '../services/platform/secret-box.ts';
import {
  createSettlementWorker,
  startLeaderboardTracking,
  startReferralTracking,
} from '../services/referral/index.ts';
import { startClawbacks, startRewardFactRelay } from '../services/reward/index.ts';
import { reencryptSecrets } from './secrets.ts';
import { createCampaignSimulator } from './simulator.ts';

export interface RuntimeOptions {
  config: Readonly<Config>;
  /** Services to mount (default: all eight). */
  only?: readonly ServiceName[];
  /** Run the Temporal worker and the event router in this process (default: true with all services). */
  worker?: boolean;
  /** Port to listen on; 0 picks a free one. Default config.httpPort. */
  port?: number;
}

export interface Runtime {
  url: string;
  platform: Platform;
  stop(): Promise<void>;
}

/**
 * Starts services (HTTP), the event drainer, the bus subscribers, and optionally the Temporal worker and
 * the router, all in one process. Stops in reverse order so in-flight work drains.
 */
export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config } = opts;
  const log = childLogger({ component: 'runtime' });
  const only = opts.only ?? SERVICE_NAMES;
  const { db, ch, bus } = openConnections(config, { poolSize: 20 });
  const mailer = createSmtpMailer({
    host: config.smtpHost,
    port: config.smtpPort,
    from: config.smtpFrom,
    security: config.smtpSecure,
    ...(config.smtpUser && config.smtpPassword
      ? { auth: { user: config.smtpUser, password: config.smtpPassword } }
      : {}),
    tlsRejectUnauthorized: config.smtpTlsRejectUnauthorized,
  });
  const temporal = await createTemporalClient(config.temporalAddress, config.temporalNamespace);
  const redis = config.redisUrl ? createRedis(config.redisUrl).redis : undefined;
  // The browser SDK, built by `npm start`'s prestart (or `npm run build:sdk`) into PULSE_SDK_DIR.
  const sdk = only.includes('event') ? await loadSdkBundle(resolve(config.sdkDir)) : null;
  if (only.includes('event') && !sdk)
    console.warn(`pulse: no built SDK in ${config.sdkDir}; /sdk/… answers 404 until \`npm run build:sdk\``);
  // The portal, built by `npm start`'s prestart (or `npm run build:portal`) into PULSE_PORTAL_DIR.
  const portal = await loadPortalBundle(resolve(config.portalDir));
  if (!portal)
    log.info(`no built portal in ${config.portalDir}; / answers 404 until \`npm run build:portal\``);
  const platform = createPlatform(
    {
      config,
      db,
      ch,
      bus,
      mailer,
      temporal,
      sdk,
      portal,
      simulator: createCampaignSimulator(),
      ...(redis ? { redis } : {}),
    },
    only,
  );
  await reencryptSecrets(db, createSecretBox(config.encryptionKeys), only);
  // Every process resolves keys; each hears revocations and suspensions from the others at once.
  const keyNotices = await platform.clientManagement.listen(config.databaseUrl);

  const server = serve({
    fetch: platform.app.fetch,
    port: opts.port ?? config.httpPort,
    hostname: '127.0.0.1',
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const subscriptions: Subscription[] = [];
  if (only.includes('referral')) {
    subscriptions.push(...(await startReferralTracking(bus, db, config.hashSecret)));
    subscriptions.push(await startLeaderboardTracking(bus, platform.leaderboards));
  }
  if (only.includes('notification')) subscriptions.push(...(await startContactTracking(bus, db)));
  // Refunds and cancellations reverse the rewards they caused (clawback).
  if (only.includes('reward'))
    subscriptions.push(...(await startClawbacks(bus, platform.rewardService.deps)));
  // Reward lifecycle facts → ClickHouse (cost, ROI and reward distribution read them).
  if (only.includes('analytics')) subscriptions.push(await startRewardFactSink(bus, ch));
  const background: { stop(): Promise<void> }[] = [];
  // Closed days' rollups recomputed from the deduplicated tables (services/analytics/rollup.ts).
  if (only.includes('analytics')) background.push(startRollupJob(ch));
  // New rows' id hashes checked every few seconds, so reports check only the last seconds' (ids.ts).
  if (only.includes('analytics')) background.push(startIdCheckJob(ch));
  if (only.includes('reward')) {
    background.push(platform.rewardService.startFulfilmentWorker());
    // Unclaimed and unapproved rewards expire on their dates; a minute's lateness is fine.
    const sweep = setInterval(() => {
      platform.rewardService.expireDue().catch((err) => log.warn({ err }, 'reward expiry sweep failed'));
    }, 60_000);
    sweep.unref();
    background.push({ stop: async () => clearInterval(sweep) });
  }

  if (only.includes('event')) {
    // The plan meter's Redis counters, raised to ClickHouse's counts when Redis lost them.
    const reconcile = setInterval(() => {
      platform.usageMeter.reconcileAll().catch((err) => log.warn({ err }, 'usage reconciliation failed'));
    }, 5 * 60_000);
    reconcile.unref();
    background.push({ stop: async () => clearInterval(reconcile) });
  }

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  if (opts.worker ?? only.length === SERVICE_NAMES.length) {
    // In-process calls: activities reach the services through app.fetch, the same routes as over HTTP.
    const local: Omit<ServiceEndpoint, 'audience'> = {
      baseUrl: 'http://in-process',
      signingKey: config.internalSigningKey,
      fetch: (r) => platform.app.fetch(r),
    };
    const activities = createActivities({
      endpoints: { campaign: local, referral: local, notification: local, reward: local },
      bus,
    });
    // The worker's own metrics: the Temporal Runtime exports them on a loopback port of its own, and
    // /metrics merges that text into ours (one scrape target). First install in the process wins.
    const telemetry = quietTemporalRuntime({ metricsAddress: `127.0.0.1:${await freeLoopbackPort()}` });
    if (telemetry.metricsAddress) {
      const temporalMetrics = `http://${telemetry.metricsAddress}/metrics`;
      platform.scrape.addText(async () => {
        const res = await fetch(temporalMetrics, { signal: AbortSignal.timeout(1_500) });
        return res.ok ? await res.text() : '';
      });
    }
    nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
    worker = await createWorker({
      connection: nativeConnection,
      taskQueue: config.taskQueue,
      activities,
      namespace: config.temporalNamespace,
      activityInterceptors: [correlationInterceptor(childLogger({ component: 'activity' }))],
      log: childLogger({ component: 'worker' }),
      onJourneyStarted: (pulse) => metrics.journeysStarted.inc({ pulse }),
      onJourneyFinished: (pulse, status) => metrics.journeysFinished.inc({ pulse, status }),
    });
    workerRun = worker.run();
    // Leaderboard settlements (their Temporal Schedules fire at each period start) run beside the journeys,
    // from the first board this process knows of (bundling the workflow costs seconds).
    if (only.includes('referral')) {
      const settlement = createSettlementWorker({
        address: config.temporalAddress,
        namespace: config.temporalNamespace,
        taskQueue: config.taskQueue,
        boards: platform.leaderboards,
        onError: (err) => log.error({ err }, 'the leaderboard settlement worker stopped with an error'),
      });
      background.push(settlement);
      platform.leaderboards.onBoardsRegistered(() => void settlement.ensure().catch(() => undefined));
      if (await platform.leaderboards.anyBoards()) void settlement.ensure().catch(() => undefined);
    }
    // The weekly analytics report: one Temporal Schedule (Mondays) and the worker of its small workflow,
    // started without holding up the boot (bundling costs seconds).
    if (only.includes('analytics')) {
      const weekly = startWeeklyReportWorker({
        address: config.temporalAddress,
        namespace: config.temporalNamespace,
        taskQueue: config.taskQueue,
        deps: platform.weeklyReports,
      }).catch((err: unknown) => {
        log.error({ err }, 'the weekly report worker did not start');
        return null;
      });
      background.push({ stop: async () => (await weekly)?.stop() });
      ensureWeeklySchedule(temporal, config.taskQueue).catch((err: unknown) =>
        log.warn({ err }, 'the weekly report schedule could not be created; retried at the next start'),
      );
    }
    // Journeys carry client/campaign/pulse/participant/correlation search attributes once the server
    // knows them; a server that refuses to register them still runs journeys, without the attributes.
    const searchAttributes = await ensureSearchAttributes(temporal, config.temporalNamespace).catch(
      (err: unknown) => {
        log.warn({ err }, 'could not register the journey search attributes; journeys start without them');
        return false;
      },
    );
    const router = createRouter({
      client: temporal,
      taskQueue: config.taskQueue,
      campaigns: platform.deployedCampaigns,
      searchAttributes,
      log: childLogger({ component: 'router' }),
      onRouted: (result, pulse) => metrics.journeysRouted.inc({ pulse, action: result.action }),
    });
    subscriptions.push(await startRouterSubscription(bus, router));
  }

  // Last: the bus stores only messages some subscription wants, so subscribers register before the
  // drainer publishes anything (on a fresh database the first events would otherwise reach nobody).
  if (only.includes('event')) platform.drainer.start();
  if (only.includes('reward')) background.push(startRewardFactRelay(db, bus));

  return {
    url,
    platform,
    async stop() {
      for (const s of subscriptions) await s.stop();
      if (worker) {
        // Stopping twice (a second signal, or a worker that already failed) is not an error.
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerRun?.catch((err: unknown) =>
          log.error({ err }, 'the Temporal worker stopped with an error'),
        );
      }
      await nativeConnection?.close();
      for (const job of background) await job.stop();
      if (only.includes('event')) await platform.drainer.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await keyNotices.stop();
      await bus.close();
      await temporal.connection.close();
      mailer.close();
      redis?.disconnect();
      await ch.close();
      await db.destroy();
    },
  };
}

/** A port free on the loopback interface right now (the OS picks it; closed again before use). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
