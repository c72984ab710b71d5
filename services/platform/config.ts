import { createHash } from 'node:crypto';
/**
 * The only file that reads process.env. Every variable is one entry of CONFIG (name, parser, default,
 * description, production requirement, secret or not, group); loadConfig parses from it once, validates,
 * freezes, and fails at boot with every problem listed. `npm run codegen` writes docs/configuration.md
 * and .env.example from the same table. Adding a variable is adding one entry: its field in `Config`
 * follows from the entry's parser.
 */
import { InternalError } from '../../contract/internal-error.ts';
import { type Cidr, parseCidrList } from './cidr.ts';
import {
  custom,
  type Env,
  flag,
  list,
  oneOf,
  parseTable,
  port,
  type Section,
  secret,
  text,
  type ValuesOf,
} from './config-spec.ts';
import { type EncryptionKey, parseEncryptionKeys } from './secret-box.ts';
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

/** High enough that no test suite or normal integration meets them; deployments tune them per plan. */
export const DEFAULT_RATE_LIMITS = {
  key: { burst: 5_000, perSecond: 1_000 },
  client: { burst: 20_000, perSecond: 4_000 },
  anonymous: { burst: 2_000, perSecond: 500 },
  authFailures: { burst: 200, perSecond: 2 },
} as const satisfies Record<string, BucketConfig>;

// Local-development defaults; production refuses every one of them.
const DEV_HASH_SECRET = 'local-development-only';
const DEV_INTERNAL_KEY = 'local-internal-token';
const DEV_ENCRYPTION_KEY: EncryptionKey = {
  kid: 'dev',
  key: createHash('sha256').update('pulse local development encryption key').digest(),
};
const MIN_SECRET_BYTES = 32;

const bucket = (name: string, fallback: BucketConfig, description: string) =>
  custom<BucketConfig>({
    name,
    group: 'Request limits',
    description: `${description} Written \`<burst>/<per second>\`.`,
    defaultText: `${fallback.burst}/${fallback.perSecond}`,
    fallback: () => fallback,
    parse: (raw) => {
      const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(raw.trim());
      const burst = Number(m?.[1]);
      const perSecond = Number(m?.[2]);
      if (!m || burst < 1 || !(perSecond > 0))
        return { problem: `${name} must be <burst>/<per second>, e.g. 100/10, got "${raw}"` };
      return { value: { burst, perSecond } };
    },
  });

const isProduction = (env: Env) => env.NODE_ENV === 'production';

const minutes = (name: string, fallback: number, description: string) =>
  custom<number>({
    name,
    group: 'Sign-in',
    description: `${description} In minutes.`,
    defaultText: String(fallback),
    fallback: () => fallback,
    parse: (raw) =>
      /^[1-9]\d{0,6}$/.test(raw.trim())
        ? { value: Number(raw.trim()) }
        : { problem: `${name} must be a whole number of minutes, got "${raw}"` },
  });

/** The configuration table. Order is the order of docs/configuration.md and of reported problems. */
export const CONFIG = {
  /** `NODE_ENV=production`: strict secrets, https-only outbound calls and landing URLs, TLS to SMTP. */
  production: custom<boolean>({
    name: 'NODE_ENV',
    group: 'Server',
    description:
      '`production` turns on the production rules: every secret must be your own, outbound calls and landing URLs must use https, email needs TLS.',
    example: 'production',
    fallback: isProduction,
    parse: (raw) => ({ value: raw === 'production' }),
  }),
  httpPort: port({
    name: 'PORT',
    group: 'Server',
    description: 'HTTP port of `npm start` (all services on one port).',
    default: 3000,
  }),
  publicBaseUrl: custom<string>({
    name: 'PULSE_PUBLIC_URL',
    group: 'Server',
    description:
      'The address people and browsers reach Pulse at: share links, SDK URLs in the embed snippet and error `doc_url`s are built on it.',
    defaultText: 'http://127.0.0.1:<PORT>',
    example: 'https://pulse.example.com',
    production: 'should be your public https address',
    fallback: (env) => `http://127.0.0.1:${env.PORT || 3000}`,
    parse: (raw) =>
      /^https?:\/\/[^\s/]+/.test(raw)
        ? { value: raw.replace(/\/+$/, '') }
        : { problem: `PULSE_PUBLIC_URL must be an http(s) URL, got "${raw}"` },
  }),
  databaseUrl: text({
    name: 'DATABASE_URL',
    group: 'Storage',
    description: 'Postgres connection string (every service’s tables, the outbox, the bus).',
    default: 'postgres://postgres@127.0.0.1:5432/pulse',
    example: 'postgres://pulse:<password>@db.internal:5432/pulse',
    secret: true,
  }),
  clickhouseUrl: text({
    name: 'CLICKHOUSE_URL',
    group: 'Storage',
    description: 'ClickHouse HTTP endpoint (events and analytics).',
    default: 'http://127.0.0.1:8123',
  }),
  clickhouseDatabase: text({
    name: 'CLICKHOUSE_DATABASE',
    group: 'Storage',
    description: 'ClickHouse database name.',
    default: 'pulse',
    check: (raw) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw) ? null : 'must be an identifier'),
  }),
  redisUrl: text({
    name: 'REDIS_URL',
    group: 'Storage',
    description: 'Redis for rate-limit buckets shared across processes; unset keeps them in each process.',
    secret: true,
  }),
  temporalAddress: text({
    name: 'TEMPORAL_ADDRESS',
    group: 'Temporal',
    description: 'Temporal frontend, host:port.',
    default: '127.0.0.1:7233',
  }),
  temporalNamespace: text({
    name: 'TEMPORAL_NAMESPACE',
    group: 'Temporal',
    description: 'Temporal namespace of the journeys.',
    default: 'default',
  }),
  taskQueue: text({
    name: 'PULSE_TASK_QUEUE',
    group: 'Temporal',
    description: 'Task queue the worker polls and the router starts journeys on.',
    default: 'pulse-campaigns',
  }),
  busAdapter: oneOf({
    name: 'PULSE_BUS',
    group: 'Bus',
    description: 'The message bus: a Postgres-backed durable queue, or AWS SNS/SQS.',
    values: ['postgres', 'sns'],
    default: 'postgres',
  }),
  awsEndpoint: text({
    name: 'AWS_ENDPOINT_URL',
    group: 'Bus',
    description: 'Endpoint override for SNS/SQS (e.g. a local emulator).',
  }),
  awsRegion: text({
    name: 'AWS_REGION',
    group: 'Bus',
    description: 'AWS region of SNS/SQS.',
    default: 'us-east-1',
  }),
  /** Secret mixed into API-key and IP hashes; a deployment must set its own. */
  hashSecret: secret({
    name: 'PULSE_HASH_SECRET',
    group: 'Secrets',
    description: 'Key of the keyed hashes of API keys and IP addresses. Changing it invalidates every key.',
    devDefault: DEV_HASH_SECRET,
    minBytes: MIN_SECRET_BYTES,
  }),
  /** HS256 key signing the short-lived service tokens presented on `/internal` routes. */
  internalSigningKey: secret({
    name: 'PULSE_INTERNAL_SIGNING_KEY',
    aliases: ['PULSE_INTERNAL_TOKEN'],
    group: 'Secrets',
    description:
      'HS256 key of the one-minute service tokens on `/internal` routes; the same in every process. `PULSE_INTERNAL_TOKEN` is its older name.',
    devDefault: DEV_INTERNAL_KEY,
    minBytes: MIN_SECRET_BYTES,
  }),
  /** AES-256-GCM keys for secrets at rest; the first encrypts, all decrypt (rotation). */
  encryptionKeys: custom<readonly EncryptionKey[]>({
    name: 'PULSE_ENCRYPTION_KEYS',
    group: 'Secrets',
    description:
      'AES-256-GCM keys of the secrets at rest, `kid:base64key,…` (32-byte keys); the first encrypts, all decrypt, so a new key goes first and the old one stays until re-encrypted.',
    defaultText: '(a development key)',
    example: 'k1:<32 random bytes, base64>',
    production: 'required: your own keys',
    secret: true,
    fallback: () => Object.freeze([DEV_ENCRYPTION_KEY]),
    parse: (raw) => {
      const { keys, problems } = parseEncryptionKeys(raw);
      return problems.length ? { problem: problems.join('; ') } : { value: Object.freeze(keys) };
    },
    productionProblems: (raw, keys) => {
      if (!raw) return ['PULSE_ENCRYPTION_KEYS is required in production'];
      return keys.some((k) => k.key.equals(DEV_ENCRYPTION_KEY.key))
        ? ['PULSE_ENCRYPTION_KEYS contains the development key']
        : [];
    },
  }),
  /** `PULSE_ENV`: development allows the development login and plain-http session cookies. */
  environment: custom<'development' | 'production'>({
    name: 'PULSE_ENV',
    group: 'Sign-in',
    description:
      '`development` allows the development login (`POST /v1/auth/dev-login`, no identity provider) and session cookies without `Secure` on a plain-http PULSE_PUBLIC_URL; `production` refuses both.',
    defaultText: '`production` when NODE_ENV=production, else `development`',
    example: 'production',
    production: 'must be `production`',
    fallback: (env) => (isProduction(env) ? 'production' : 'development'),
    parse: (raw) =>
      raw === 'development' || raw === 'production'
        ? { value: raw }
        : { problem: `PULSE_ENV must be development or production, got "${raw}"` },
    productionProblems: (_raw, value) =>
      value === 'production' ? [] : ['PULSE_ENV=development is not allowed with NODE_ENV=production'],
  }),
  /** Emails whose sign-in makes a platform-admin session. */
  platformAdmins: custom<readonly string[]>({
    name: 'PULSE_PLATFORM_ADMINS',
    group: 'Sign-in',
    description:
      'Comma-separated emails of the platform administrators: their sign-in (OIDC or development login) opens a platform-admin session, which administers clients like an `ak_` key.',
    example: 'ops@pulse.example.com',
    fallback: () => Object.freeze([]),
    parse: (raw) => ({
      value: Object.freeze(
        raw
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((e) => e.toLowerCase()),
      ),
    }),
  }),
  sessionIdleMinutes: minutes(
    'PULSE_SESSION_IDLE_MINUTES',
    720,
    'A session unused this long ends (idle expiry); each request extends it.',
  ),
  sessionMaxMinutes: minutes(
    'PULSE_SESSION_MAX_MINUTES',
    10_080,
    'A session ends this long after sign-in however busy it is (absolute expiry).',
  ),
  oidcIssuer: text({
    name: 'OIDC_ISSUER',
    group: 'Sign-in',
    description:
      'Issuer URL of the OpenID Connect provider (Ory Hydra, Keycloak, Auth0, Google…); its discovery document configures sign-in. Unset: no OIDC sign-in.',
    example: 'https://auth.example.com',
    production: 'an https URL',
    check: (raw) => (/^https?:\/\/[^\s/]+/.test(raw) ? null : `must be an http(s) URL, got "${raw}"`),
  }),
  oidcClientId: text({
    name: 'OIDC_CLIENT_ID',
    group: 'Sign-in',
    description: 'The client id Pulse is registered under at the OIDC provider.',
  }),
  oidcClientSecret: text({
    name: 'OIDC_CLIENT_SECRET',
    group: 'Sign-in',
    description: 'The client secret of that registration (client_secret_basic); unset for a public client.',
    secret: true,
  }),
  oidcRedirectUri: text({
    name: 'OIDC_REDIRECT_URI',
    group: 'Sign-in',
    description: 'The redirect URI registered at the provider; unset: `<PULSE_PUBLIC_URL>/v1/auth/callback`.',
  }),
  /** `PULSE_TRUSTED_PROXIES`: proxies whose X-Forwarded-For is believed (none by default). */
  trustedProxies: custom<readonly Cidr[]>({
    name: 'PULSE_TRUSTED_PROXIES',
    group: 'Network',
    description:
      'CIDRs (IPv4/IPv6) of the proxies whose `X-Forwarded-For` is believed; none by default, so the socket peer is the client.',
    example: '10.0.0.0/8',
    fallback: () => Object.freeze([]),
    parse: (raw) => {
      const { ranges, invalid } = parseCidrList(raw);
      return invalid.length
        ? { problem: `PULSE_TRUSTED_PROXIES has entries that are not CIDRs: ${invalid.join(', ')}` }
        : { value: Object.freeze(ranges) };
    },
  }),
  /** `PULSE_OUTBOUND_ALLOW`: CIDRs and host names outbound calls may reach despite the SSRF rules. */
  outboundAllow: list({
    name: 'PULSE_OUTBOUND_ALLOW',
    group: 'Network',
    description:
      'CIDRs and host names that calls to client-supplied URLs (webhooks, fulfilment) may reach although private; for local development.',
    example: '127.0.0.1/32',
    production: 'should be empty',
  }),
  smtpHost: text({
    name: 'SMTP_HOST',
    group: 'Email',
    description: 'SMTP relay host. Locally the stack’s development mailbox (maildev) listens here.',
    default: '127.0.0.1',
  }),
  smtpPort: port({
    name: 'SMTP_PORT',
    group: 'Email',
    description: 'SMTP relay port (587 for STARTTLS, 465 for TLS at a real relay).',
    default: 2525,
  }),
  smtpSecure: oneOf({
    name: 'SMTP_SECURE',
    group: 'Email',
    description:
      'Transport security to the relay: `none` never encrypts (local mailbox), `opportunistic` upgrades with STARTTLS when offered, `starttls` requires STARTTLS and fails otherwise, `tls` speaks TLS from the first byte.',
    values: ['none', 'opportunistic', 'starttls', 'tls'],
    default: 'none',
    production: '`starttls` or `tls` (credentials and mail must not cross the network in clear)',
  }),
  smtpUser: text({
    name: 'SMTP_USER',
    group: 'Email',
    description: 'SMTP AUTH user name; unset sends without AUTH. Needs SMTP_PASSWORD.',
  }),
  smtpPassword: text({
    name: 'SMTP_PASSWORD',
    group: 'Email',
    description: 'SMTP AUTH password (never logged, never in a notification’s error).',
    secret: true,
  }),
  smtpFrom: text({
    name: 'SMTP_FROM',
    group: 'Email',
    description: 'The From address of every email, e.g. `Acme Rewards <rewards@acme.example>`.',
    default: 'Pulse <no-reply@pulse.local>',
    production: 'required: an address of a domain you send from',
    check: (raw) =>
      /@[^\s@>]+\.?[^\s@>]*>?\s*$/.test(raw) ? null : `must contain an email address, got "${raw}"`,
  }),
  smtpTlsRejectUnauthorized: flag({
    name: 'SMTP_TLS_REJECT_UNAUTHORIZED',
    group: 'Email',
    description:
      'Verify the relay’s TLS certificate. `false` accepts self-signed certificates, for development relays only.',
    default: true,
    production: 'must stay `true`',
  }),
  sdkDir: text({
    name: 'PULSE_SDK_DIR',
    group: 'SDK',
    description:
      'Folder of the built browser SDK served under `/sdk/`; built there at start when missing (`npm run build:sdk`).',
    default: 'dist/sdk',
  }),
  portalDir: text({
    name: 'PULSE_PORTAL_DIR',
    group: 'Portal',
    description:
      'Folder of the built portal served at `/` and `/admin`; built there at start when missing (`npm run build:portal`).',
    default: 'portal/dist',
  }),
  temporalUiUrl: text({
    name: 'PULSE_TEMPORAL_UI_URL',
    group: 'Portal',
    description:
      "Base URL of the Temporal Web UI the portal's journey pages link to (e.g. `http://127.0.0.1:8233`); unset, no link is shown.",
  }),
  logLevel: oneOf({
    name: 'PULSE_LOG_LEVEL',
    group: 'Observability',
    description: 'Level of the JSON logs on stdout (pino).',
    values: LOG_LEVELS,
    default: 'info',
  }),
  metricsToken: text({
    name: 'PULSE_METRICS_TOKEN',
    group: 'Observability',
    description:
      'Bearer token `GET /metrics` requires; unset, `/metrics` answers loopback callers only (set it behind a reverse proxy).',
    secret: true,
  }),
  /** Stripe (billing): invoices of the metered usage are pushed there when a key is set. */
  stripeSecretKey: text({
    name: 'PULSE_STRIPE_SECRET_KEY',
    group: 'Billing',
    description:
      'Stripe secret key (`sk_live_…`) for billing clients: customers, invoice items, invoices. Unset, invoices are kept in Pulse only.',
    secret: true,
  }),
  stripeApiUrl: custom<string>({
    name: 'PULSE_STRIPE_API_URL',
    group: 'Billing',
    description: 'Base URL of the Stripe API (a local server in tests).',
    defaultText: 'https://api.stripe.com',
    production: 'should stay https://api.stripe.com',
    fallback: () => 'https://api.stripe.com',
    parse: (raw) =>
      /^https?:\/\/[^\s/]+/.test(raw)
        ? { value: raw.replace(/\/+$/, '') }
        : { problem: `PULSE_STRIPE_API_URL must be an http(s) URL, got "${raw}"` },
  }),
  /** Request budgets of the public routes (services/platform/rate-limit.ts). */
  rateLimits: {
    /** Per API key. */
    key: bucket('PULSE_RATE_KEY', DEFAULT_RATE_LIMITS.key, 'Request budget per API key.'),
    /** Per client, all its keys together. */
    client: bucket(
      'PULSE_RATE_CLIENT',
      DEFAULT_RATE_LIMITS.client,
      'Request budget per client, all keys together.',
    ),
    /** Requests without a valid key, per IP hash. */
    anonymous: bucket(
      'PULSE_RATE_ANONYMOUS',
      DEFAULT_RATE_LIMITS.anonymous,
      'Request budget per IP address for requests without a valid key.',
    ),
    /** Failed authentications (401), per IP hash: small, against key guessing. */
    authFailures: bucket(
      'PULSE_RATE_AUTH_FAILURES',
      DEFAULT_RATE_LIMITS.authFailures,
      'Budget of failed authentications per IP address; once spent, unknown keys get 429 instead of 401.',
    ),
  },
} as const satisfies Section;

export type Config = ValuesOf<typeof CONFIG>;
export type RateLimitConfig = Config['rateLimits'];

/** Rules between variables, and production rules the single entries cannot state alone. */
function crossProblems(c: Config, env: Env): string[] {
  const problems: string[] = [];
  if (c.smtpUser && !c.smtpPassword) problems.push('SMTP_USER is set without SMTP_PASSWORD');
  if (c.smtpPassword && !c.smtpUser) problems.push('SMTP_PASSWORD is set without SMTP_USER');
  if (c.oidcIssuer && !c.oidcClientId) problems.push('OIDC_ISSUER is set without OIDC_CLIENT_ID');
  if (c.sessionIdleMinutes > c.sessionMaxMinutes)
    problems.push('PULSE_SESSION_IDLE_MINUTES is longer than PULSE_SESSION_MAX_MINUTES');
  if (!c.production) return problems;
  if (c.oidcIssuer?.startsWith('http:'))
    problems.push('OIDC_ISSUER must use https in production (the ID token keys are fetched from it)');
  if (c.internalSigningKey === c.hashSecret)
    problems.push('PULSE_INTERNAL_SIGNING_KEY must differ from PULSE_HASH_SECRET');
  if (c.smtpSecure === 'none' || c.smtpSecure === 'opportunistic')
    problems.push(
      `SMTP_SECURE must be starttls or tls in production, got "${c.smtpSecure}": with ${c.smtpSecure} the mail${c.smtpUser ? ' and SMTP_PASSWORD' : ''} can cross the network in clear`,
    );
  if (!c.smtpTlsRejectUnauthorized)
    problems.push('SMTP_TLS_REJECT_UNAUTHORIZED=false is for development relays only, not production');
  if (!env.SMTP_FROM) problems.push('SMTP_FROM is required in production');
  return problems;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const production = isProduction(env);
  const parsed = parseTable(CONFIG, env, production);
  const config: Config = Object.freeze(parsed.values);
  const problems = [...parsed.problems, ...parsed.productionProblems, ...crossProblems(config, env)];
  if (problems.length)
    throw new InternalError('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
