import { type StackPaths, stackPaths } from './paths.ts';

/** Where each part of the stack lives; the defaults are what tests, the demo and CI expect. */
export interface StackSettings {
  paths: StackPaths;
  temporal: { host: string; port: number; uiPort: number; external: boolean };
  clickhouse: { url: string; httpPort: number; tcpPort: number; database: string; external: boolean };
  databaseUrl: string;
  /**
   * Where Postgres comes from: `external` when DATABASE_URL is set (only checked, or a local system
   * cluster started), `own` to force the stack's own cluster under .data/, `auto` otherwise (the machine's
   * server when one answers or is installed, else the stack's own cluster).
   */
  postgres: { mode: 'external' | 'own' | 'auto' };
  /** The development mailbox: SMTP where `npm start` delivers, and its web UI. */
  mailbox: { smtpPort: number; webPort: number };
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_CLICKHOUSE_URL = 'http://127.0.0.1:8123';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/pulse';

type Env = Record<string, string | undefined>;

/**
 * The stack's one reader of the environment. An address that differs from the default means
 * "someone else runs it": the stack only checks its health. An override equal to the default
 * (as `npm test` passes down to test files that call stackUp again) keeps the managed path.
 */
export function stackSettings(env: Env = process.env, paths: StackPaths = stackPaths()): StackSettings {
  const temporalAddress = env.TEMPORAL_ADDRESS || DEFAULT_TEMPORAL_ADDRESS;
  const [host = '127.0.0.1', portText = '7233'] = temporalAddress.split(':');
  const port = Number(portText);
  if (!Number.isInteger(port))
    throw new Error(`TEMPORAL_ADDRESS must be host:port, got "${temporalAddress}"`);
  const clickhouseUrl = (env.CLICKHOUSE_URL || DEFAULT_CLICKHOUSE_URL).replace(/\/+$/, '');
  const database = env.CLICKHOUSE_DATABASE || 'pulse';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database))
    throw new Error('CLICKHOUSE_DATABASE must be an identifier');
  return {
    paths,
    temporal: { host, port, uiPort: 8233, external: temporalAddress !== DEFAULT_TEMPORAL_ADDRESS },
    clickhouse: {
      url: clickhouseUrl,
      httpPort: 8123,
      // 9000 is often taken by other software; only the HTTP port is used by Pulse.
      tcpPort: 9001,
      database,
      external: clickhouseUrl !== DEFAULT_CLICKHOUSE_URL,
    },
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    postgres: { mode: env.DATABASE_URL ? 'external' : env.PULSE_STACK_POSTGRES === 'own' ? 'own' : 'auto' },
    mailbox: {
      smtpPort: portOf(env.SMTP_PORT, 2525, 'SMTP_PORT'),
      webPort: portOf(env.MAILBOX_WEB_PORT, 1080, 'MAILBOX_WEB_PORT'),
    },
  };
}

function portOf(raw: string | undefined, fallback: number, name: string): number {
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535)
    throw new Error(`${name} must be a port number, got "${raw}"`);
  return n;
}
