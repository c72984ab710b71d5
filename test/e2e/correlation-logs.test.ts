import assert from 'node:assert/strict';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serviceMigrations } from '../../app/migrations.ts';
import { type LocalPlatform, startLocalPlatform } from '../../scripts/journey/local-platform.ts';
import { type JourneyReport, runSignupReferralJourney } from '../../scripts/journey/signup-referral.ts';
import { migrateClickHouse } from '../../services/platform/clickhouse-migrate.ts';
import { captureLogs } from '../../services/platform/log.ts';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const SERVICES = fileURLToPath(new URL('../../services/', import.meta.url));

/**
 * The acceptance of the correlation chain: the whole runtime (HTTP, outbox, drainer, bus, router,
 * Temporal worker, activities, services) writes its JSON log lines to a file; one grep of that file by
 * the correlation id the referee's signup was sent with shows every hop from the ingest to the rewards.
 */
describe('one grep of the logs by correlation id follows an event to its reward', () => {
  let platform: LocalPlatform;
  let report: JourneyReport;
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let dir: string;
  let logFile: string;
  let restore: () => void;
  const run = `corr-e2e-${process.pid}-${Date.now().toString(36)}`;
  const signupOfB = (event: string, participant: string | undefined) =>
    event === 'user_signed_up' && participant?.startsWith('user-b-') ? `${run}-signup-b` : undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-logs-'));
    logFile = join(dir, 'pulse.log');
    const file = createWriteStream(logFile);
    // Debug: the drainer's per-event publish line is at debug (info carries the rest of the chain).
    restore = captureLogs({ write: (line: string) => file.write(line) }, 'debug');
    pg = await createTestDatabase(serviceMigrations);
    ch = await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
    platform = await startLocalPlatform({
      ...process.env,
      DATABASE_URL: pg.url,
      CLICKHOUSE_DATABASE: ch.database,
    });
    report = await runSignupReferralJourney({
      baseUrl: platform.runtime.url,
      adminKey: platform.adminKey,
      smtp: platform.smtp,
      correlationId: signupOfB,
    });
    await new Promise<void>((resolve) => file.end(resolve));
  });
  after(async () => {
    restore?.();
    await platform?.stop();
    await ch?.drop();
    await pg?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows the ingest, the publish, the router start, the activity calls and the allocations', () => {
    const correlationId = `${run}-signup-b`;
    // The grep: every line of the file holding the id, each a JSON object.
    const lines = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes(correlationId))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.length > 0, 'no line carries the correlation id');
    for (const l of lines) assert.equal(l.correlation_id, correlationId, JSON.stringify(l));
    const has = (what: string, match: (l: Record<string, unknown>) => boolean) =>
      assert.ok(
        lines.some(match),
        `${what} missing from:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`,
      );
    const userB = report.userB;
    assert.ok(userB.attributedTo, 'B was attributed to A');
    has('the ingest request', (l) => l.msg === 'request' && l.route === '/v1/events' && l.status === 202);
    has('the accepted event', (l) => l.msg === 'events accepted' && l.accepted === 1);
    has(
      'the publish to the bus',
      (l) => l.msg === 'event published to the bus' && l.event === 'user_signed_up',
    );
    has('the router start', (l) => l.msg === 'journey started' && l.pulse === 'signup');
    for (const activity of ['FetchCampaignConfig', 'CheckEligibility', 'AttributeReferral', 'AllocateReward'])
      has(`activity ${activity}`, (l) => l.msg === 'activity completed' && l.activity === activity);
    has(
      'the allocation call reaching the reward service',
      (l) => l.msg === 'request' && String(l.route).endsWith('/allocate') && l.status === 200,
    );
    const allocations = lines.filter((l) => l.msg === 'reward allocated');
    assert.deepEqual(
      allocations.map((l) => l.reward_id).sort(),
      // The list route names a reward `id` (the script's view type says reward_id): either will do.
      [...report.rewardsA, ...report.rewardsB].map((r) => (r as { id?: string }).id ?? r.reward_id).sort(),
      'both sides’ allocations are in the chain, and only they',
    );
    // Nothing of the request's secrets: keys and emails never reach a line.
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    assert.ok(!/pk_|sk_|@example\.test/.test(text), 'a key or an email address leaked into the logs');
  });
});
