/**
 * The only file that reads process.env. Parsed once, validated, frozen; a bad value fails at boot
 * with every problem listed rather than surfacing as a strange error later.
 */
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
  /** Token services and workers present on `/internal` routes. */
  internalToken: string;
  busAdapter: 'postgres' | 'sns';
  awsEndpoint: string | undefined;
  awsRegion: string;
  /** Request budgets of the public routes (services/platform/rate-limit.ts). */
  rateLimits: RateLimitConfig;
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
    hashSecret: env.PULSE_HASH_SECRET ?? 'local-development-only',
    internalToken: env.PULSE_INTERNAL_TOKEN ?? 'local-internal-token',
    busAdapter: busAdapter as Config['busAdapter'],
    awsEndpoint: env.AWS_ENDPOINT_URL || undefined,
    awsRegion: env.AWS_REGION ?? 'us-east-1',
    rateLimits,
  };
  if (env.NODE_ENV === 'production' && !env.PULSE_HASH_SECRET)
    problems.push('PULSE_HASH_SECRET is required in production');
  if (problems.length) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(config);
}
