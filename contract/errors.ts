/**
 * One error type for services and activities. `code` is stable: clients, tests and Temporal
 * (`ApplicationFailure.type`) all key on it, never on the message.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  BAD_SIGNATURE: 401,
  /** A publishable key asked for a participant's private data without a valid identity token. */
  IDENTITY_REQUIRED: 401,
  FORBIDDEN: 403,
  CLIENT_INACTIVE: 403,
  /** A cookie-authenticated mutation without the session's X-CSRF-Token. */
  CSRF_FAILED: 403,
  /** The development login was asked for where PULSE_ENV=production. */
  DEV_LOGIN_DISABLED: 403,
  /** The signed-in person is not a member of the client (or of any client). */
  NOT_A_MEMBER: 403,
  /** The OIDC sign-in failed: state, PKCE, ID token or an unverified email. */
  OIDC_FAILED: 401,
  /** A member invite that is unknown, expired, revoked or used. */
  INVITE_INVALID: 410,
  NOT_FOUND: 404,
  CONFLICT: 409,
  /** The change would leave the client without an owner. */
  LAST_OWNER: 409,
  ILLEGAL_TRANSITION: 409,
  RATE_LIMITED: 429,
  /** An Idempotency-Key was sent again with a different request (method, path or body). */
  IDEMPOTENCY_KEY_REUSED: 422,
  /** An Idempotency-Key whose first request is still being processed. */
  IDEMPOTENCY_IN_PROGRESS: 409,
  BUDGET_EXHAUSTED: 409,
  NOT_ELIGIBLE: 409,
  /** An outbound call to a client-supplied URL was refused (private/loopback target, http in production…). */
  OUTBOUND_REFUSED: 400,
  UPSTREAM_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Codes a caller may retry: the same request can succeed later without change. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  'RATE_LIMITED',
  'IDEMPOTENCY_IN_PROGRESS',
  'UPSTREAM_UNAVAILABLE',
  'INTERNAL',
]);

/** Whether a caller may retry the same request after an error with this code. */
export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

/** The anchor of a code's section in the error reference (docs/errors.md, served at /docs/errors). */
export function errorDocAnchor(code: ErrorCode): string {
  return code.toLowerCase();
}

/** The one error body every HTTP response carries (the shape clients, the SDK and the docs rely on). */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    /** Only when non-empty. */
    details?: ErrorDetail[];
    request_id: string;
    doc_url: string;
  };
}

export interface ErrorDetail {
  /** JSON pointer or dotted path of the offending field, when there is one. */
  path?: string;
  message: string;
  expected?: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
    this.retryable = RETRYABLE.has(code);
  }

  /** The body without the request's fields (request_id, doc_url), which the HTTP layer adds. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: ErrorDetail[] } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details.length ? { details: this.details } : {}),
      },
    };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/**
 * AppError codes a retry cannot fix (the same request fails the same way). Activities raise
 * `ApplicationFailure` with `type = code`; listing them here spares every plan from repeating them.
 */
export const NON_RETRYABLE_CODES = [
  'VALIDATION_FAILED',
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'BAD_SIGNATURE',
  'FORBIDDEN',
  'CLIENT_INACTIVE',
  'CSRF_FAILED',
  'DEV_LOGIN_DISABLED',
  'NOT_A_MEMBER',
  'OIDC_FAILED',
  'INVITE_INVALID',
  'LAST_OWNER',
  'NOT_FOUND',
  'CONFLICT',
  'ILLEGAL_TRANSITION',
  'BUDGET_EXHAUSTED',
  'NOT_ELIGIBLE',
  'IDEMPOTENCY_KEY_REUSED',
] as const satisfies readonly ErrorCode[];

/**
 * Codes the engine gives journey failures of its own (a `try` step's `catch` may name them): an activity
 * that timed out or failed without a code, an expression that threw, a `for_each` list that is not a list
 * or too long, a child journey (`call`) that failed.
 */
export const JOURNEY_ERROR_CODES = [
  'TIMEOUT',
  'ACTIVITY_FAILED',
  'EXPRESSION_FAILED',
  'INVALID_ITEMS',
  'MAX_ITEMS_EXCEEDED',
  'CHILD_FAILED',
  'UNKNOWN_ACTIVITY',
] as const;

/** The one entry a compiled catch clause lists to catch any error (`errors: any` in the DSL). */
export const ANY_ERROR = '*';
