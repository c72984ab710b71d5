import { createHash } from 'node:crypto';
/**
 * The only file that reads process.env. Parsed once, validated, frozen; a bad value fails at boot
 * with every problem listed rather than surfacing as a strange error later.
 */
import { InternalError } from '../../contract/internal-error.ts';
import { type Cidr, parseCidrList } from './cidr.ts';
import { type EncryptionKey, parseEncryptionKeys } from './secret-box.ts';
export interface Config {
  databaseUrl: string;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  redisUrl: string | undefined;
  smtpHost: string;
  smtpPort: number;
  httpPort: number;
  publicBaseUrl: string;
  /** Secret mixed into API-key and IP hashes; a deployment must set its own. */
  hashSecret: string;
  /** HS256 key signing the short-lived service tokens presented on `/internal` routes. */
  internalSigningKey: string;
  /** AES-256-GCM keys for secrets at rest; the first encrypts, all decrypt (rotation). */
  encryptionKeys: readonly EncryptionKey[];
  busAdapter: 'postgres' | 'sns';
  awsEndpoint: string | undefined;
  awsRegion: string;
  /** `PULSE_TRUSTED_PROXIES`: proxies whose X-Forwarded-For is believed (none by default). */
  trustedProxies: readonly Cidr[];
  /** `PULSE_OUTBOUND_ALLOW`: CIDRs and host names outbound calls may reach despite the SSRF rules. */
  outboundAllow: readonly string[];
  /** `NODE_ENV=production`: outbound calls to client URLs must use https. */
  production: boolean;
  /** Request budgets of the public routes (services/platform/rate-limit.ts). */
  rateLimits: RateLimitConfig;
  /** `PULSE_LOG_LEVEL`: trace, debug, info (default), warn, error, fatal or silent. */
  logLevel: LogLevel;
  /** `PULSE_METRICS_TOKEN`: bearer token /metrics requires; unset, /metrics answers loopback callers only. */
  metricsToken: string | undefined;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The log level alone, for the process logger built at import (an invalid value fails loadConfig). */
export function logLevelFromEnv(env: Env = process.env): LogLevel {
  const raw = env.PULSE_LOG_LEVEL || 'info';
  return (LOG_LEVELS as readonly string[]).includes(raw) ? (raw as LogLevel) : 'info';
}

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface BucketConfig {
  burst: number;
  perSecond: number;
}

export interface RateLimitConfig {
  /** Per API key. PULSE_RATE_KEY=burst/perSecond */
  key: BucketConfig;
  /** Per client, all its keys together. PULSE_RATE_CLIENT */
  client: BucketConfig;
  /** Requests without a valid key, per IP hash. PULSE_RATE_ANONYMOUS */
  anonymous: BucketConfig;
  /** Failed authentications (401), per IP hash: small, against key guessing. PULSE_RATE_AUTH_FAILURES */
  authFailures: BucketConfig;
}

/** High enough that no test suite or normal integration meets them; deployments tune them per plan. */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  key: { burst: 5_000, perSecond: 1_000 },
  client: { burst: 20_000, perSecond: 4_000 },
  anonymous: { burst: 2_000, perSecond: 500 },
  authFailures: { burst: 200, perSecond: 2 },
};

type Env = Record<string, string | undefined>;

// Local-development defaults; production refuses every one of them (see weakSecretProblems).
const DEV_HASH_SECRET = 'local-development-only';
const DEV_INTERNAL_KEY = 'local-internal-token';
const DEV_ENCRYPTION_KEY: EncryptionKey = {
  kid: 'dev',
  key: createHash('sha256').update('pulse local development encryption key').digest(),
};
const MIN_SECRET_BYTES = 32;

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const problems: string[] = [];
  const int = (key: string, fallback: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0 || n > 65535)
      problems.push(`${key} must be a port number, got "${raw}"`);
    return n;
  };
  const busAdapter = env.PULSE_BUS ?? 'postgres';
  if (busAdapter !== 'postgres' && busAdapter !== 'sns') problems.push(`PULSE_BUS must be postgres or sns`);
  const clickhouseDatabase = env.CLICKHOUSE_DATABASE ?? 'pulse';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(clickhouseDatabase))
    problems.push('CLICKHOUSE_DATABASE must be an identifier');
  const httpPort = int('PORT', 3000);
  const parsedKeys = env.PULSE_ENCRYPTION_KEYS ? parseEncryptionKeys(env.PULSE_ENCRYPTION_KEYS) : null;
  if (parsedKeys) problems.push(...parsedKeys.problems);
  const encryptionKeys = parsedKeys ? parsedKeys.keys : [DEV_ENCRYPTION_KEY];
  const proxies = parseCidrList(env.PULSE_TRUSTED_PROXIES);
  if (proxies.invalid.length)
    problems.push(`PULSE_TRUSTED_PROXIES has entries that are not CIDRs: ${proxies.invalid.join(', ')}`);
  const outboundAllow = (env.PULSE_OUTBOUND_ALLOW ?? '').split(/[\s,]+/).filter(Boolean);
  const bucket = (key: string, fallback: BucketConfig): BucketConfig => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(raw.trim());
    const burst = Number(m?.[1]);
    const perSecond = Number(m?.[2]);
    if (!m || burst < 1 || !(perSecond > 0)) {
      problems.push(`${key} must be <burst>/<per second>, e.g. 100/10, got "${raw}"`);
      return fallback;
    }
    return { burst, perSecond };
  };
  const rateLimits: RateLimitConfig = {
    key: bucket('PULSE_RATE_KEY', DEFAULT_RATE_LIMITS.key),
    client: bucket('PULSE_RATE_CLIENT', DEFAULT_RATE_LIMITS.client),
    anonymous: bucket('PULSE_RATE_ANONYMOUS', DEFAULT_RATE_LIMITS.anonymous),
    authFailures: bucket('PULSE_RATE_AUTH_FAILURES', DEFAULT_RATE_LIMITS.authFailures),
  };
  const logLevel = env.PULSE_LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    problems.push(`PULSE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const config: Config = {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pulse',
    clickhouseUrl: env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
    clickhouseDatabase,
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.PULSE_TASK_QUEUE ?? 'pulse-campaigns',
    redisUrl: env.REDIS_URL || undefined,
    smtpHost: env.SMTP_HOST ?? '127.0.0.1',
    smtpPort: int('SMTP_PORT', 2525),
    httpPort,
    publicBaseUrl: env.PULSE_PUBLIC_URL ?? `http://127.0.0.1:${httpPort}`,
    hashSecret: env.PULSE_HASH_SECRET || DEV_HASH_SECRET,
    internalSigningKey: env.PULSE_INTERNAL_SIGNING_KEY || env.PULSE_INTERNAL_TOKEN || DEV_INTERNAL_KEY,
    encryptionKeys,
    busAdapter: busAdapter as Config['busAdapter'],
    awsEndpoint: env.AWS_ENDPOINT_URL || undefined,
    awsRegion: env.AWS_REGION ?? 'us-east-1',
    trustedProxies: Object.freeze(proxies.ranges),
    outboundAllow: Object.freeze(outboundAllow),
    production: env.NODE_ENV === 'production',
    rateLimits,
    logLevel: logLevel as LogLevel,
    metricsToken: env.PULSE_METRICS_TOKEN || undefined,
  };
  if (env.NODE_ENV === 'production') problems.push(...weakSecretProblems(env, config));
  if (problems.length)
    throw new InternalError('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(config);
}

/** Every secret must be set, not a development default, and at least 32 bytes; all problems at once. */
function weakSecretProblems(env: Env, config: Config): string[] {
  const problems: string[] = [];
  const check = (name: string, raw: string | undefined, dev: string) => {
    if (!raw) problems.push(`${name} is required in production`);
    else if (raw === dev) problems.push(`${name} is the development default`);
    else if (Buffer.byteLength(raw) < MIN_SECRET_BYTES)
      problems.push(`${name} must be at least ${MIN_SECRET_BYTES} bytes, got ${Buffer.byteLength(raw)}`);
  };
  check('PULSE_HASH_SECRET', env.PULSE_HASH_SECRET, DEV_HASH_SECRET);
  check(
    'PULSE_INTERNAL_SIGNING_KEY (or PULSE_INTERNAL_TOKEN)',
    env.PULSE_INTERNAL_SIGNING_KEY || env.PULSE_INTERNAL_TOKEN,
    DEV_INTERNAL_KEY,
  );
  if (!env.PULSE_ENCRYPTION_KEYS) problems.push('PULSE_ENCRYPTION_KEYS is required in production');
  else if (config.encryptionKeys.some((k) => k.key.equals(DEV_ENCRYPTION_KEY.key)))
    problems.push('PULSE_ENCRYPTION_KEYS contains the development key');
  if (config.internalSigningKey === config.hashSecret)
    problems.push('PULSE_INTERNAL_SIGNING_KEY must differ from PULSE_HASH_SECRET');
  return problems;
}
