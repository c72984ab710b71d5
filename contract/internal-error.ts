/**
 * A fault of the platform itself (a bug, a bad deployment, a broken invariant), never of a request:
 * `code` is stable so logs, tests and boot scripts key on it; the HTTP layer reports it as a plain 500
 * without its message. Request faults are `AppError`s (errors.ts).
 */
export type InternalErrorCode =
  /** The environment's configuration is missing or wrong (every problem listed in the message). */
  | 'CONFIG_INVALID'
  /** A database or ClickHouse migration failed or the migration set is inconsistent. */
  | 'MIGRATION_INVALID'
  /** A value that must be a plain SQL identifier or literal is not one. */
  | 'UNSAFE_SQL'
  /** The bus cannot be set up as asked (a queue without an ARN, a subscription it cannot express). */
  | 'BUS_SETUP'
  /** A rule names an operation the rule engine does not know. */
  | 'UNKNOWN_OPERATION'
  /** Code reached a branch the types say cannot happen. */
  | 'UNREACHABLE'
  /** A wait for background work (e.g. the drainer settling) ran out of time. */
  | 'TIMED_OUT';

export class InternalError extends Error {
  override readonly name = 'InternalError';

  constructor(
    readonly code: InternalErrorCode,
    message: string,
  ) {
    super(message);
  }
}
