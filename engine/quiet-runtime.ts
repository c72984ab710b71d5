import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

let installed = false;

/** Worker lifecycle lines and expected activity failures drown test output; keep errors. Once per process. */
export function quietTemporalRuntime(): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      // ERROR, not WARN: simulations fail activities on purpose, and each failure would log a warning.
      logger: new DefaultLogger('ERROR'),
      // Core warns about the test server's version on every worker start; its errors still show.
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
      // The process owns its signals (app/main.ts stops HTTP, subscribers and the worker in order);
      // Temporal's default handlers would stop the worker behind its back on SIGTERM.
      shutdownSignals: [],
    });
  } catch {
    // Already installed by someone else in this process: their logger stays.
  }
}
