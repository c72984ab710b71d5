import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serviceMigrations } from '../../app/migrations.ts';
import { call, waitUntil } from '../../scripts/journey/http.ts';
import { type LocalPlatform, startLocalPlatform } from '../../scripts/journey/local-platform.ts';
import { signRequest } from '../../sdk/node/index.ts';
import { migrateClickHouse } from '../../services/platform/clickhouse-migrate.ts';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const SERVICES = fileURLToPath(new URL('../../services/', import.meta.url));

// A journey that waits for a purchase: the platform is stopped (services, drainer, worker) while the
// journey waits, and a new platform process picks it up from Temporal and Postgres alone.
const WAITING_PULSE = `
pulse: first-purchase
id: first-purchase-bonus
version: 1
title: First purchase bonus
trigger: { event: user_signed_up, journey: event.participant_id }
rewards:
  bonus: { type: single, side: referee, give: { category: store_credit, amount: 5, currency: USD } }
steps:
  - id: wait-purchase
    wait: purchase_completed
    match: { "==": [{ var: event.participant_id }, { var: journey.key }] }
    timeout: 30d
    as: purchase
    then:
      - id: bonus
        do: AllocateReward
        with: { participant_id: { var: journey.key }, reward: bonus, side: referee }
        as: bonus
    on_timeout:
      - { id: no-purchase, end: expired }
  - { id: done, end: completed }
`;

describe('a journey survives a restart of the whole platform process', () => {
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let env: Record<string, string | undefined>;
  let platform: LocalPlatform | undefined;

  before(async () => {
    pg = await createTestDatabase(serviceMigrations);
    ch = await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
    env = {
      ...process.env,
      DATABASE_URL: pg.url,
      CLICKHOUSE_DATABASE: ch.database,
      PULSE_TASK_QUEUE: `restart-${Date.now().toString(36)}`,
    };
  });
  after(async () => {
    await platform?.stop();
    await ch.drop();
    await pg.drop();
  });

  it('waits, is stopped, and finishes on a new process exactly once', async () => {
    platform = await startLocalPlatform(env);
    const base = platform.runtime.url;
    const created = await call<{ keys: { secret: { key: string; signing_secret: string } } }>(
      base,
      'POST',
      '/v1/admin/clients',
      {
        key: platform.adminKey,
        body: { name: 'Restart Co' },
      },
    );
    const { secret } = created.body.keys;
    const deployed = await call<{ campaign_id: string }>(base, 'POST', '/v1/campaigns/deploy', {
      key: secret.key,
      body: { source: WAITING_PULSE, file: 'first-purchase.pulse.yaml' },
    });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    const campaignId = deployed.body.campaign_id;
    // Signed server events: the journey pays a bonus, so its trigger and wait require `server` trust.
    const send = async (b: string, event: Record<string, unknown>) => {
      const body = JSON.stringify({
        event_id: crypto.randomUUID(),
        occurred_at: new Date().toISOString(),
        ...event,
      });
      const res = await fetch(new URL('/v1/events', b), {
        method: 'POST',
        body,
        headers: {
          authorization: `Bearer ${secret.key}`,
          'content-type': 'application/json',
          ...signRequest(secret.signing_secret, `msg_${crypto.randomUUID()}`, body),
        },
      });
      await res.body?.cancel();
      return { status: res.status };
    };
    assert.equal((await send(base, { event: 'user_signed_up', participant_id: 'u1' })).status, 202);
    const status = (b: string) =>
      call<{ execution_status: string; journey: { state: string } | null }>(
        b,
        'GET',
        `/v1/journeys/${campaignId}/u1`,
        { key: secret.key },
      );
    await waitUntil('the journey to wait for a purchase', async () =>
      (await status(base)).body.journey?.state === 'waiting' ? true : undefined,
    );

    await platform.stop();
    platform = await startLocalPlatform(env);
    const base2 = platform.runtime.url;
    const purchase = {
      event: 'purchase_completed',
      participant_id: 'u1',
      properties: { order_id: 'o-1', amount: 42, currency: 'USD' },
    };
    assert.equal((await send(base2, purchase)).status, 202);
    await waitUntil(
      'the journey to complete',
      async () => ((await status(base2)).body.execution_status === 'COMPLETED' ? true : undefined),
      60_000,
    );
    assert.equal((await send(base2, purchase)).status, 202, 'a second purchase is accepted');
    await new Promise((r) => setTimeout(r, 1_000));
    const rewards = await call<{ data: { amount: number; state: string }[] }>(
      base2,
      'GET',
      '/v1/rewards?participant_id=u1',
      { key: secret.key },
    );
    assert.deepEqual(
      rewards.body.data.map((r) => r.amount),
      [5],
      'one bonus, allocated by the journey after the restart',
    );
  });
});
