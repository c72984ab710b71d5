/**
 * The only file that reads process.env. Parsed once, validated, frozen; a bad value fails at boot
 * with every problem listed rather than surfacing as a strange error later.
 */
import { InternalError } from '../../contract/internal-error.ts';
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
}

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
  };
  if (env.NODE_ENV === 'production' && !env.PULSE_HASH_SECRET)
    problems.push('PULSE_HASH_SECRET is required in production');
  if (problems.length)
    throw new InternalError('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(config);
}
