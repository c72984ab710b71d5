import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

let installed: { metricsAddress: string | undefined } | undefined;

export interface RuntimeTelemetry {
  /** `host:port` of the Temporal Runtime's Prometheus exporter (GET /metrics), when this call installed it. */
  metricsAddress: string | undefined;
}

/**
 * Worker lifecycle lines and expected activity failures drown test output; keep errors. Once per
 * process: the first caller decides, later calls get what it installed. With `metricsAddress` (a
 * loopback `host:port`), the Runtime exports the worker's own metrics (task slots, poll latencies,
 * workflow and activity completions) in Prometheus text there; /metrics merges them.
 */
export function quietTemporalRuntime(opts: { metricsAddress?: string } = {}): RuntimeTelemetry {
  if (installed) return installed;
  installed = { metricsAddress: undefined };
  try {
    Runtime.install({
      // ERROR, not WARN: simulations fail activities on purpose, and each failure would log a warning.
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: {
        // Core warns about the test server's version on every worker start; its errors still show.
        logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) },
        ...(opts.metricsAddress
          ? {
              metrics: {
                // Names that pass Prometheus' own lint (promtool): counters end in _total, durations
                // in seconds with the unit in the name.
                prometheus: {
                  bindAddress: opts.metricsAddress,
                  countersTotalSuffix: true,
                  unitSuffix: true,
                  useSecondsForDurations: true,
                },
              },
            }
          : {}),
      },
      // The process owns its signals (app/main.ts stops HTTP, subscribers and the worker in order);
      // Temporal's default handlers would stop the worker behind its back on SIGTERM.
      shutdownSignals: [],
    });
    installed.metricsAddress = opts.metricsAddress;
  } catch {
    // Already installed by someone else in this process: their logger (and metrics) stay.
  }
  return installed;
}
