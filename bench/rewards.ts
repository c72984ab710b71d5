/**
 * Reward allocations per second against real Postgres, caps enforced, 20 concurrent clients:
 *   hot    — every allocation hits one campaign's budget row;
 *   spread — allocations spread over 1,000 campaigns.
 * Each scenario runs for BENCH_SECONDS (default 10) in its own fresh database, dropped after, and ends by
 * checking that no campaign spent more than its budget and that the counters equal the rewards stored.
 * `npm run bench:rewards`
 */
import { sql } from 'kysely';
import { migrations } from '../services/reward/migrations/index.ts';
import { registerProgram } from '../services/reward/programs/programs.ts';
import { createRewardService } from '../services/reward/service.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { dropQuietly } from '../test/support/reward.ts';
import { testSecretBox } from '../test/support/secret-box.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = 20;
const CLIENT = 'bench-client';

interface Scenario {
  name: string;
  campaigns: number;
  /** Budget per campaign, in rewards of 1 USD. */
  budget: number;
}

async function run(s: Scenario): Promise<{ rate: number; allocated: number; rejected: number }> {
  const test = await createTestDatabase({ reward: migrations }, { poolSize: CONCURRENCY });
  try {
    const service = createRewardService({ db: test.db, secretBox: testSecretBox() });
    const rewards = {
      referrer: { type: 'single', give: { category: 'store_credit', amount: 1, currency: 'USD' } },
      constraints: {
        budget: { amount: s.budget, currency: 'USD' },
        per_referrer_limit: { count: 1_000_000 },
      },
    };
    for (let i = 0; i < s.campaigns; i++) {
      await registerProgram(test.db, {
        clientId: CLIENT,
        campaignId: `camp-${i}`,
        version: 1,
        rewards,
        status: 'active',
      });
    }
    // Warm the program cache and the connection pool outside the measured window.
    await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, w) =>
        service.checkEligibility({
          clientId: CLIENT,
          campaignId: `camp-${w % s.campaigns}`,
          version: 1,
          participantId: 'warm',
          rule: 'referrer',
        }),
      ),
    );
    let allocated = 0;
    let rejected = 0;
    let seq = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        while (performance.now() < deadline) {
          const n = seq++;
          const r = await service.allocate({
            clientId: CLIENT,
            campaignId: `camp-${n % s.campaigns}`,
            version: 1,
            rule: 'referrer',
            participantId: `p-${w}-${n % 5000}`,
            referralId: `ref-${n}`,
            idempotencyKey: `bench/${n}`,
          });
          if (r.allocated) allocated++;
          else rejected++;
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    const { rows } = await sql<{ overspent: number; mismatched: number; spent: number }>`
      select count(*) filter (where c.allocated > c.budget)::int as overspent,
             count(*) filter (where c.allocated <> coalesce(r.total, 0))::int as mismatched,
             coalesce(sum(c.allocated), 0)::float8 as spent
        from reward_campaigns c
        left join (select campaign_id, sum(cost) as total from rewards where state <> 'REJECTED' group by campaign_id) r
          on r.campaign_id = c.campaign_id`.execute(test.db);
    const check = rows[0] ?? { overspent: -1, mismatched: -1, spent: 0 };
    const rate = (allocated + rejected) / elapsed;
    console.log(
      `${s.name.padEnd(7)} ${rate.toFixed(0).padStart(6)} allocations/s (${(allocated / elapsed).toFixed(0)}/s granted, ` +
        `${(rejected / elapsed).toFixed(0)}/s refused at a cap; ${elapsed.toFixed(1)} s, ${CONCURRENCY} clients) — ` +
        `spent ${check.spent} of ${s.budget * s.campaigns}, overspent campaigns: ${check.overspent}, counter mismatches: ${check.mismatched}`,
    );
    if (check.overspent !== 0 || check.mismatched !== 0)
      throw new Error(`${s.name}: budget invariant violated`);
    if (allocated !== check.spent)
      throw new Error(`${s.name}: ${allocated} allocated but ${check.spent} spent`);
    return { rate, allocated, rejected };
  } finally {
    await dropQuietly(test);
  }
}

// Budgets sized for ~2,500 grants/s: on a fast run the caps bite before the end, and refusals are timed too.
const hot = await run({ name: 'hot', campaigns: 1, budget: Math.round(2500 * SECONDS) });
const spread = await run({ name: 'spread', campaigns: 1000, budget: Math.max(2, Math.round(2.5 * SECONDS)) });
console.log(
  `goal hot >= 1000/s: ${hot.rate >= 1000 ? 'met' : 'NOT met'}; goal spread >= 3000/s: ${spread.rate >= 3000 ? 'met' : 'NOT met'}`,
);
