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
}

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
