import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityImplementations } from '../contract/catalogue.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));

type Bundle = { code: string };
/**
 * Bundling the workflow code (webpack) costs seconds on this machine; the bundle is a pure build
 * artefact of the checked-out sources, so one per process and workflows file is enough.
 */
const bundles = new Map<string, Promise<Bundle>>();

/** The workflow bundle of `workflowsPath` (default: engine/workflows.ts), built once per process. */
export function workflowBundle(workflowsPath: string = WORKFLOWS_PATH): Promise<Bundle> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: quietLogger }).then(({ code }) => ({ code }));
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
    workflowBundle: await workflowBundle(opts.workflowsPath),
    activities: opts.activities,
    ...opts.tuning,
  });
}

/** Webpack's per-bundle report is noise in tests; warnings and errors still surface. */
const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};
