import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createTestClickHouse, type TestClickHouse } from '../../test/support/clickhouse.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { busMigrations, createPostgresBus } from '../platform/bus/postgres-bus.ts';
import { chSql } from '../platform/clickhouse.ts';
import { migrateClickHouse } from '../platform/clickhouse-migrate.ts';
import { pruneRewardFacts, relayRewardFacts } from '../reward/facts.ts';
import { moveReward } from '../reward/lifecycle/repo.ts';
import type { RewardState } from '../reward/lifecycle/state-machine.ts';
import { migrations as rewardMigrations } from '../reward/migrations/index.ts';
import { registerProgram } from '../reward/programs/programs.ts';
import { createRewardService } from '../reward/service.ts';
import { startRewardFactSink } from './reward-facts.ts';

const SERVICES = fileURLToPath(new URL('../', import.meta.url));
const FORWARD: RewardState[] = ['EARNED', 'PENDING', 'ELIGIBLE', 'APPROVED', 'FULFILLED', 'REDEEMED'];

/**
 * Reward lifecycle facts end to end on real Postgres and ClickHouse: allocation and moveReward write
 * facts in their transactions (trigger), the relay publishes them on the Postgres bus, the analytics
 * subscriber stores them; publishing everything again changes nothing.
 */
describe('reward lifecycle facts: Postgres transaction → outbox → bus → ClickHouse, exactly once', () => {
  let pg: TestDatabase;
  let ch: TestClickHouse;
  before(async () => {
    pg = await createTestDatabase({ reward: rewardMigrations, bus: busMigrations });
    ch = await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
  });
  after(async () => {
    await ch.drop();
    await pg.db.destroy();
    await new Promise((r) => setTimeout(r, 150));
    await pg.drop();
  });

  it('allocated, fulfilled, redeemed, rejected and reversed facts arrive once each, with amounts and currency', async () => {
    const bus = createPostgresBus({ db: pg.db, pollMs: 50 });
    const sink = await startRewardFactSink(bus, ch.ch);
    try {
      await registerProgram(pg.db, {
        clientId: 'acme',
        campaignId: 'c1',
        version: 1,
        rewards: {
          referrer: { type: 'single', give: { category: 'store_credit', amount: 3, currency: 'USD' } },
          constraints: { budget: { amount: 6, currency: 'USD' } },
        },
        segments: {},
        status: 'active',
      });
      const service = createRewardService({ db: pg.db, secretBox: testSecretBox() });
      const ids: string[] = [];
      for (const p of ['p1', 'p2', 'p3']) {
        const r = (await service.allocate({
          clientId: 'acme',
          campaignId: 'c1',
          version: 1,
          rule: 'referrer',
          participantId: p,
          referralId: `ref-${p}`,
          idempotencyKey: `k-${p}`,
        })) as { reward_id: string };
        ids.push(r.reward_id);
      }
      const [r1, r2, r3] = ids as [string, string, string];
      const state = async (id: string) =>
        (await sql<{ state: RewardState }>`select state from rewards where id = ${id}`.execute(pg.db)).rows[0]
          ?.state;
      // p1's reward is delivered and redeemed; p2's revoked; p3's was rejected (budget of two rewards).
      const s1 = (await state(r1)) as RewardState;
      await moveReward(pg.db, {
        clientId: 'acme',
        rewardId: r1,
        to: FORWARD.slice(FORWARD.indexOf(s1) + 1),
        actor: 'test',
      });
      await moveReward(pg.db, { clientId: 'acme', rewardId: r2, to: 'REVOKED', actor: 'test' });
      assert.equal(await state(r3), 'REJECTED');

      while ((await relayRewardFacts(pg.db, bus)) > 0);
      const expected = [
        `${r1}:allocated`,
        `${r1}:fulfilled`,
        `${r1}:redeemed`,
        `${r2}:allocated`,
        `${r2}:reversed`,
        `${r3}:allocated`,
        `${r3}:rejected`,
      ].sort();
      const stored = async () =>
        ch.ch.query<{
          fact_id: string;
          kind: string;
          cost: number;
          amount: number;
          currency: string;
          budget: number;
        }>(
          chSql`SELECT fact_id, kind, cost, amount, currency, budget FROM reward_facts FINAL ORDER BY fact_id`,
        );
      const deadline = Date.now() + 10_000;
      while ((await stored()).length < expected.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const facts = await stored();
      assert.deepEqual(
        facts.map((f) => f.fact_id),
        expected,
      );
      for (const f of facts) {
        assert.equal(f.currency, 'USD');
        assert.equal(Number(f.cost), 3);
        assert.equal(Number(f.amount), 3);
        assert.equal(Number(f.budget), 6);
      }

      // The relay crashed after publishing, before marking: every fact is published again.
      await sql`update reward_fact_outbox set published_at = null`.execute(pg.db);
      while ((await relayRewardFacts(pg.db, bus)) > 0);
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(
        (await stored()).map((f) => f.fact_id),
        expected,
        'still one of each',
      );

      // Published facts are forgotten after a week, unpublished ones never.
      assert.equal(await pruneRewardFacts(pg.db), 0);
      await sql`update reward_fact_outbox set published_at = now() - interval '8 days' where fact_id like ${`${r1}:%`}`.execute(
        pg.db,
      );
      await sql`update reward_fact_outbox set published_at = null where fact_id like ${`${r2}:%`}`.execute(
        pg.db,
      );
      assert.equal(await pruneRewardFacts(pg.db), 3);
    } finally {
      await sink.stop();
      await bus.close();
    }
  });
});
