import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { call } from '../../scripts/journey/http.ts';
import type { LocalPlatform } from '../../scripts/journey/local-platform.ts';
import { type JourneyReport, runSignupReferralJourney } from '../../scripts/journey/signup-referral.ts';
import { captureLogs } from '../../services/platform/log.ts';
import type { TestClickHouse } from '../support/clickhouse.ts';
import { startIsolatedPlatform } from '../support/isolated-platform.ts';
import type { TestDatabase } from '../support/postgres.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Debian's promtool (package prometheus), installed on first use like the browser tests' Chromium. */
async function promtool(): Promise<string> {
  const bin = '/usr/bin/promtool';
  if (!existsSync(bin)) {
    const { aptInstall } = await import('../../scripts/stack/apt.ts');
    await aptInstall('prometheus', ['prometheus'], join(REPO, '.data', 'logs', 'prometheus-install.log'));
  }
  return bin;
}

/**
 * The acceptance of the correlation chain: the whole runtime (HTTP, outbox, drainer, bus, router,
 * Temporal worker, activities, services) writes its JSON log lines to a file; one grep of that file by
 * the correlation id the referee's signup was sent with shows every hop from the ingest to the rewards.
 */
describe('observability of the whole runtime: logs by correlation id, /metrics, health', () => {
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
    ({ platform, pg, ch } = await startIsolatedPlatform());
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

  it('one grep of the logs by correlation id shows the ingest, publish, router start, activities and allocations', () => {
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
    const byMessage = new Map<string, number>();
    for (const l of lines) byMessage.set(String(l.msg), (byMessage.get(String(l.msg)) ?? 0) + 1);
    console.log(
      `grep ${correlationId}: ${lines.length} lines: ${[...byMessage].map(([m, n]) => `${m} ×${n}`).join(', ')}`,
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

  it('serves /metrics that promtool accepts, with the series of the platform and of the Temporal worker', async () => {
    const base = platform.runtime.url;
    // A path with ids in it: the metrics must name its pattern, never the ids.
    await call(base, 'GET', '/v1/journeys/cmp_secretcampaign/user-secret-key', { key: 'sk_wrong' });
    const res = await fetch(new URL('/metrics', base));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const file = join(dir, 'metrics.prom');
    writeFileSync(file, text);
    const check = spawnSync(await promtool(), ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
    const families = text.split('\n').filter((l) => l.startsWith('# TYPE ')).length;
    console.log(
      `/metrics: ${text.length} bytes, ${families} families (${text.split('\n').filter((l) => l.startsWith('# TYPE temporal_')).length} from Temporal), promtool ok`,
    );

    const value = (series: RegExp): number => {
      const line = text.split('\n').find((l) => series.test(l));
      assert.ok(line, `no series ${series} in /metrics`);
      return Number(line.split(' ').at(-1));
    };
    assert.ok(value(/^pulse_http_requests_total\{method="POST",route="\/v1\/events",status="202"\}/) >= 5);
    assert.ok(
      value(
        /^pulse_http_request_duration_seconds_count\{method="POST",route="\/v1\/events",status_class="2xx"\}/,
      ) >= 5,
    );
    assert.ok(
      value(
        /^pulse_http_requests_total\{method="GET",route="\/v1\/journeys\/:campaignId\/:journeyKey",status="401"\}/,
      ) >= 1,
    );
    assert.ok(!text.includes('user-secret-key') && !text.includes('cmp_secretcampaign'), 'a raw path leaked');
    assert.ok(value(/^pulse_ingest_events_total\{outcome="accepted",reason="none"\}/) >= 5);
    assert.ok(value(/^pulse_ingest_events_total\{outcome="duplicate",reason="none"\}/) >= 1);
    assert.ok(value(/^pulse_journeys_started_total\{pulse="signup"\}/) >= 2);
    assert.ok(value(/^pulse_journeys_finished_total\{pulse="signup",status="completed"\}/) >= 2);
    assert.equal(value(/^pulse_reward_allocations_total\{outcome="allocated",reason="none"\}/), 2);
    assert.ok(value(/^pulse_journey_events_routed_total\{pulse="signup",action="started"\}/) >= 2);
    assert.ok(value(/^pulse_event_outbox_lag_seconds\{sink="bus"\}/) >= 0);
    assert.ok(value(/^pulse_event_outbox_pending_events\{sink="clickhouse"\}/) >= 0);
    assert.equal(value(/^pulse_event_dead_letters\{sink="bus"\}/), 0);
    assert.ok(value(/^pulse_bus_messages\{subscription="engine-router",state="dead"\}/) >= 0);
    // The Temporal Runtime's own metrics, merged from its loopback exporter.
    assert.match(text, /^temporal_\w+/m);
    assert.ok(/^temporal_\w*(activity|workflow)\w*\{/m.test(text), 'worker task metrics present');
  });

  it('is live and ready, each dependency up with its latency', async () => {
    const ready = await call<{
      status: string;
      checks: Record<string, { status: string; latency_ms: number }>;
    }>(platform.runtime.url, 'GET', '/health/ready');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual(Object.keys(ready.body.checks).sort(), ['bus', 'clickhouse', 'postgres', 'temporal']);
    for (const c of Object.values(ready.body.checks)) assert.equal(c.status, 'up');
    assert.equal((await call(platform.runtime.url, 'GET', '/health/live')).status, 200);
  });
});
