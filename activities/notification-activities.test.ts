import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import type { ActivityContext } from '../contract/activity-context.ts';
import {
  createNotificationApp,
  createSmtpMailer,
  type Mailer,
  migrations,
} from '../services/notification/index.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';
import { testSecretBox } from '../test/support/secret-box.ts';
import { createNotificationActivities } from './notification-activities.ts';
import { createServiceClient } from './service-client.ts';

const KEY = 'internal-test-signing-key';

describe('SendNotification marks the last attempt of its retry policy as final', () => {
  let t: TestDatabase;
  let hole: Server;
  let down: Mailer;
  let activities: ReturnType<typeof createNotificationActivities>;

  before(async () => {
    t = await createTestDatabase({ notification: migrations });
    // SMTP down: every connection is dropped at once.
    hole = createServer((s) => s.on('error', () => {}).destroy());
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    down = createSmtpMailer({
      host: '127.0.0.1',
      port: (hole.address() as { port: number }).port,
      from: 'x@pulse.test',
      log: () => {},
    });
    const app = createNotificationApp({
      db: t.db,
      mailer: down,
      resolver: { resolve: async () => null },
      internalToken: KEY,
      secretBox: testSecretBox(),
    });
    activities = createNotificationActivities({
      notification: createServiceClient({
        baseUrl: 'http://in-process',
        signingKey: KEY,
        audience: 'notification',
        fetch: (r) => app.fetch(r),
      }),
    });
  });
  after(async () => {
    down.close();
    await new Promise<void>((r) => hole.close(() => r()));
    await t.drop();
  });

  const ctx = (key: string): ActivityContext => ({
    campaign: { clientId: 'cli_a', campaignId: 'cmp_1', version: 1, pulse: 'signup' },
    workflowId: `pulse:cli_a:cmp_1:${key}`,
    journeyKey: key,
    stepId: 'welcome',
    idempotencyKey: `pulse:cli_a:cmp_1:${key}/welcome`,
    planHash: 'h',
  });
  const attempt = async (key: string, n: number, max: number) => {
    const env = new MockActivityEnvironment({ attempt: n, retryPolicy: { maximumAttempts: max } });
    await assert.rejects(
      env.run(
        activities.SendNotification,
        {
          template: 'welcome',
          participant_id: key,
          to: `${key}@example.test`,
          data: { referral: { link: 'l', code: 'C' } },
        },
        ctx(key),
      ),
      { type: 'UPSTREAM_UNAVAILABLE' },
    );
    return (
      await sql<{
        status: string;
        attempts: number;
        workflow_id: string;
        journey_key: string;
        error: string;
      }>`
        select status, attempts, workflow_id, journey_key, error from notifications
        where idempotency_key = ${ctx(key).idempotencyKey}`.execute(t.db)
    ).rows[0];
  };

  it('retrying before the last attempt, failed on it, with the journey and reason recorded', async () => {
    const first = await attempt('ann', 1, 3);
    assert.equal(first?.status, 'retrying');
    assert.equal(first?.workflow_id, 'pulse:cli_a:cmp_1:ann');
    assert.equal(first?.journey_key, 'ann');
    assert.match(first?.error ?? '', /unreachable/);
    assert.equal((await attempt('ann', 2, 3))?.status, 'retrying');
    const last = await attempt('ann', 3, 3);
    assert.deepEqual([last?.status, last?.attempts], ['failed', 3]);
  });

  it('an unlimited retry policy never calls an attempt final', async () => {
    assert.equal((await attempt('bob', 40, 0))?.status, 'retrying');
  });
});
