import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalPlatform } from '../../scripts/journey/local-platform.ts';
import { type JourneyReport, runSignupReferralJourney } from '../../scripts/journey/signup-referral.ts';
import { platformOpenApi } from '../../services/openapi.ts';
import type { TestClickHouse } from '../support/clickhouse.ts';
import { startIsolatedPlatform } from '../support/isolated-platform.ts';
import { createSpecChecker } from '../support/openapi.ts';
import type { TestDatabase } from '../support/postgres.ts';

/**
 * The whole platform end to end on the real stack: HTTP event intake → Postgres outbox → bus → router →
 * Temporal (dev server) → activities → services (Postgres) → SMTP, and the outbox → ClickHouse funnel.
 */
describe('complete referral journey (signup)', () => {
  let platform: LocalPlatform;
  let report: JourneyReport;
  let pg: TestDatabase;
  let ch: TestClickHouse;

  before(async () => {
    // Fresh databases of its own: the journey never depends on what earlier runs left behind.
    ({ platform, pg, ch } = await startIsolatedPlatform());
    report = await runSignupReferralJourney({
      baseUrl: platform.runtime.url,
      adminKey: platform.adminKey,
      smtp: platform.smtp,
    });
  });
  after(async () => {
    await platform?.stop();
    await ch?.drop();
    await pg?.drop();
  });

  it('answers the journey status and the rewards as the OpenAPI document says', () => {
    const checker = createSpecChecker(platformOpenApi());
    for (const journey of [report.journeyA, report.journeyB]) {
      const r = checker.check('GET', `/v1/journeys/${report.campaignId}/x`, 200, 'application/json', journey);
      assert.deepEqual(r.problems, [], JSON.stringify(journey));
    }
    const reward = checker.check('GET', '/v1/rewards', 200, 'application/json', {
      data: report.rewardsA,
      has_more: false,
      next_cursor: null,
    });
    assert.deepEqual(reward.problems, []);
  });

  it('gives user A a referral code and link, delivered in a real welcome email', () => {
    assert.match(report.userA.code, /^[A-Z2-9]{8}$/);
    assert.ok(report.userA.link.endsWith(`/r/${report.clientId}/${report.userA.code}`));
    assert.ok(report.userA.email.body.includes(report.userA.code));
  });

  it('attributes B to A and rewards both sides exactly once despite redelivered events', () => {
    assert.equal(report.duplicate.status, 202);
    assert.equal(report.rewardsA.length, 1, `A rewards: ${JSON.stringify(report.rewardsA)}`);
    assert.equal(report.rewardsB.length, 1, `B rewards: ${JSON.stringify(report.rewardsB)}`);
    const [a] = report.rewardsA;
    const [b] = report.rewardsB;
    assert.deepEqual([a?.side, a?.category, a?.amount, a?.currency], ['referrer', 'store_credit', 20, 'USD']);
    assert.deepEqual([b?.side, b?.category, b?.amount, b?.currency], ['referee', 'store_credit', 10, 'USD']);
    for (const r of [a, b])
      assert.ok(['FULFILLED', 'REDEEMED'].includes(String(r?.state)), `auto-fulfilled, got ${r?.state}`);
  });

  it('tells the referrer and welcomes the referee by email', () => {
    const toA = platform.smtp.messages.filter(
      (m) => m.raw.includes(report.userA.code) || /friend joined/i.test(m.subject),
    );
    assert.ok(toA.length >= 1);
    assert.ok(
      platform.smtp.messages.some((m) => /friend joined/i.test(m.subject)),
      'referrer notice sent',
    );
  });

  it('shows the funnel from ClickHouse: shared → clicked → signed up', () => {
    assert.deepEqual(report.funnel, { shared: 1, clicked: 1, signed_up: 1, converted: 0 });
  });
});
