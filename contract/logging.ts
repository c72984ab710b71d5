/**
 * The structured logger the lower layers receive as a dependency (engine, activities): the subset of
 * pino's API they use, so the composition root can hand them services/platform/log.ts's logger (or a
 * child of it) while they stay free of the logging library.
 */
export type LogFields = Record<string, unknown>;

export interface LogFn {
  (fields: LogFields, message: string): void;
  (message: string): void;
}

export interface StructuredLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: LogFields): StructuredLogger;
}

/** Discards everything: the default where no logger was passed (unit tests, simulations). */
export const silentLogger: StructuredLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
