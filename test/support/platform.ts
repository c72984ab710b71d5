import type { Client } from '@temporalio/client';
import { serviceMigrations } from '../../app/migrations.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { createPlatform, type Platform, type ServiceName } from '../../services/app.ts';
import type { SdkBundle } from '../../services/event/index.ts';
import { createSmtpMailer } from '../../services/notification/index.ts';
import { createPostgresBus } from '../../services/platform/bus/postgres-bus.ts';
import { type ClickHouse, createClickHouse } from '../../services/platform/clickhouse.ts';
import { type Config, loadConfig } from '../../services/platform/config.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';

export interface PlatformOptions {
  /** Configuration overrides (environment variable → value). */
  env?: Record<string, string>;
  /** Services to mount (default all). */
  only?: readonly ServiceName[];
  /** The built browser SDK to serve under /sdk/. */
  sdk?: SdkBundle | null;
}

/**
 * What most service tests share: a fresh migrated database, a Temporal client, the ClickHouse and bus
 * of the running stack, and a mailer pointed at a closed port (tests that read mail start their own
 * SMTP server). `build()` composes the platform over them, as `npm start` does, without listening.
 */
export interface TestPlatform {
  db: TestDatabase;
  temporal: Client;
  ch: ClickHouse;
  /** The configuration `build()` uses (with the test database). */
  config(env?: Record<string, string>): Readonly<Config>;
  build(opts?: PlatformOptions): Platform;
  close(): Promise<void>;
}

export async function openTestPlatform(baseEnv: Record<string, string> = {}): Promise<TestPlatform> {
  const db = await createTestDatabase(serviceMigrations);
  const config = (env: Record<string, string> = {}) =>
    loadConfig({ ...process.env, DATABASE_URL: db.url, ...baseEnv, ...env });
  const base = config();
  const temporal = await createTemporalClient(base.temporalAddress);
  const ch = createClickHouse(base.clickhouseUrl, base.clickhouseDatabase);
  const bus = createPostgresBus({ db: db.db });
  const mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'x@pulse.test' });
  return {
    db,
    temporal,
    ch,
    config,
    build: (opts = {}) =>
      createPlatform(
        {
          config: opts.env ? config(opts.env) : base,
          db: db.db,
          ch,
          bus,
          mailer,
          temporal,
          ...(opts.sdk !== undefined ? { sdk: opts.sdk } : {}),
        },
        opts.only,
      ),
    async close() {
      mailer.close();
      await ch.close();
      await temporal.connection.close();
      await db.drop();
    },
  };
}
