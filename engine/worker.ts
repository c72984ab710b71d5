import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  type InjectedSinks,
  type NativeConnection,
  Worker,
  type WorkerInterceptors,
  type WorkerOptions,
} from '@temporalio/worker';
import type { ActivityImplementations } from '../contract/catalogue.ts';
import type { JourneySinks } from '../contract/correlation.ts';
import { type StructuredLogger, silentLogger } from '../contract/logging.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));
/** Workflow interceptors in every bundle: correlation id into activity headers, journey-end sink. */
export const INTERCEPTORS_PATH = fileURLToPath(new URL('./interceptors.ts', import.meta.url));

type Bundle = { code: string };
/**
 * Bundling the workflow code (webpack) costs seconds on this machine; the bundle is a pure build
 * artefact of the checked-out sources, so one per process and workflows file is enough.
 */
const bundles = new Map<string, Promise<Bundle>>();

/** The workflow bundle of `workflowsPath` (default: engine/workflows.ts), built once per process. */
export function workflowBundle(
  workflowsPath: string = WORKFLOWS_PATH,
  log: StructuredLogger = silentLogger,
): Promise<Bundle> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: [INTERCEPTORS_PATH],
      logger: bundlerLogger(log),
    }).then(({ code }) => ({ code }));
    bundles.set(workflowsPath, bundle);
    bundle.catch(() => bundles.delete(workflowsPath));
  }
  return bundle;
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  taskQueue: string;
  /** One implementation per catalogue activity (or fakes of them in simulations and tests). */
  activities: ActivityImplementations;
  namespace?: string;
  /** Another workflows file (the benchmark bundles a hand-written workflow beside runCampaign). */
  workflowsPath?: string;
  /** Activity interceptors (the runtime's reads the correlation id from the headers). */
  activityInterceptors?: WorkerInterceptors['activity'];
  /** Called outside the sandbox when a journey starts and ends (never on replay): journey metrics. */
  onJourneyStarted?: (pulse: string) => void;
  onJourneyFinished?: (pulse: string, status: string) => void;
  /** Where the bundler's warnings go (the runtime passes the process logger); default: nowhere. */
  log?: StructuredLogger;
  /** Extra Temporal worker settings (concurrency, cache size); identical for both sides of a benchmark. */
  tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxCachedWorkflows'
      | 'maxConcurrentActivityTaskPolls'
      | 'maxConcurrentWorkflowTaskPolls'
    >
  >;
}

/** A worker for the generic workflow and the catalogue activities on one task queue. */
export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(opts.workflowsPath, opts.log),
    activities: opts.activities,
    sinks: journeySinks(opts),
    ...(opts.activityInterceptors ? { interceptors: { activity: opts.activityInterceptors } } : {}),
    ...opts.tuning,
  });
}

/** The sinks engine/interceptors.ts calls; always registered so a worker without metrics stays quiet. */
function journeySinks(
  opts: Pick<CreateWorkerOptions, 'onJourneyStarted' | 'onJourneyFinished'>,
): InjectedSinks<JourneySinks> {
  return {
    journeys: {
      started: { fn: (_info, pulse) => opts.onJourneyStarted?.(pulse), callDuringReplay: false },
      finished: {
        fn: (_info, pulse, status) => opts.onJourneyFinished?.(pulse, status),
        callDuringReplay: false,
      },
    },
  };
}

/** Webpack's per-bundle report is noise; its warnings and errors go to `log` (a failed build also throws). */
function bundlerLogger(log: StructuredLogger) {
  const quiet = () => undefined;
  return {
    log: quiet,
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: (message: string, meta?: Record<string, unknown>) =>
      log.warn({ component: 'workflow-bundle', ...meta }, message),
    error: (message: string, meta?: Record<string, unknown>) =>
      log.error({ component: 'workflow-bundle', ...meta }, message),
  };
}
