import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { jsonOf, pulseIn, pulseSpawned, REPO } from '../test/support/cli.ts';
import { freePort } from '../test/support/net.ts';

const campaigns = [
  'signup',
  'conversion',
  'reactivation',
  'cross-sell',
  'renewal',
  'feedback',
  'product-education',
  'switchup',
  'newsletter',
].map((n) => `campaigns/${n}.pulse.yaml`);
const broken = 'dsl/fixtures/invalid/several-errors.pulse.yaml';
const VERSION = (JSON.parse(readFileSync(`${REPO}package.json`, 'utf8')) as { version: string }).version;

describe('pulse CLI: strict parsing', () => {
  it('--version prints the package version; --help works on the program and on every command', async () => {
    const [version, help, deployHelp, keyHelp] = await Promise.all([
      pulseSpawned(['--version']),
      pulseSpawned(['--help']),
      pulseIn(['campaign', 'deploy', '--help']),
      pulseIn(['key', 'create', '--help']),
    ]);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), VERSION);
    assert.equal(help.code, 0);
    for (const noun of [
      'validate',
      'plan',
      'simulate',
      'campaign',
      'journey',
      'admin',
      'client',
      'key',
      'migrate',
    ])
      assert.match(help.stdout, new RegExp(`^  ${noun}\\b`, 'm'));
    assert.equal(deployHelp.code, 0);
    assert.match(deployHelp.stdout, /Usage: pulse campaign deploy \[options\] <file>/);
    assert.match(deployHelp.stdout, /--dry-run/);
    assert.match(deployHelp.stdout, /-o, --output <format>/);
    assert.match(keyHelp.stdout, /--type <type>[\s\S]*choices:\s+"publishable", "secret"/);
  });

  it('unknown flags, extra or missing arguments, bad choices and unknown commands exit 2 with usage', async () => {
    const cases: [string[], RegExp][] = [
      [['campaign', 'list', '--bogus'], /unknown option '--bogus'/],
      [['campaign', 'show', 'cmp_1', 'cmp_2'], /too many arguments/],
      [['campaign', 'show'], /missing required argument 'id'/],
      [['plan', 'campaigns/signup.pulse.yaml', '--format', 'yaml'], /argument 'yaml' is invalid/],
      [['client', 'list', '-o', 'xml'], /argument 'xml' is invalid/],
      [['deploy', 'campaigns/signup.pulse.yaml'], /unknown command 'deploy'/],
      [['simulate', 'campaigns/signup.pulse.yaml'], /required option '--events <script>' not specified/],
      [['key', 'create', '--client', 'cli_1'], /required option '--type <type>' not specified/],
    ];
    for (const [args, message] of cases) {
      const run = await pulseIn(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.match(run.stderr, /Usage: pulse/, `usage after: ${args.join(' ')}`);
      assert.equal(run.stdout, '', `nothing on stdout for: ${args.join(' ')}`);
    }
    const bare = await pulseIn([]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /Usage: pulse \[options\] \[command\]/);
  });

  it('role rules of key create are usage errors before any network call', async () => {
    const noRole = await pulseIn(['key', 'create', '--type', 'secret'], { PULSE_API_KEY: 'sk_x' });
    assert.equal(noRole.code, 2);
    assert.match(noRole.stderr, /a secret key needs --role/);
    const roleOnPk = await pulseIn(['key', 'create', '--type', 'publishable', '--role', 'owner'], {
      PULSE_API_KEY: 'sk_x',
    });
    assert.equal(roleOnPk.code, 2);
    assert.match(roleOnPk.stderr, /publishable key has no role/);
  });
});

describe('pulse CLI: environment and connection errors', () => {
  it('takes PULSE_URL and PULSE_API_KEY from the environment; --url overrides; a refused connection is named', async () => {
    const port = await freePort();
    const fromEnv = await pulseIn(['campaign', 'list'], {
      PULSE_URL: `http://127.0.0.1:${port}/`,
      PULSE_API_KEY: 'sk_test',
    });
    assert.equal(fromEnv.code, 1);
    assert.match(
      fromEnv.stderr,
      new RegExp(
        `cannot reach http://127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\) — is \`npm start\` running\\?`,
      ),
    );
    const other = await freePort();
    const overridden = await pulseIn(['campaign', 'list', '--url', `http://127.0.0.1:${other}`], {
      PULSE_URL: `http://127.0.0.1:${port}`,
      PULSE_API_KEY: 'sk_test',
    });
    assert.match(overridden.stderr, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${other}:`));

    const noKey = await pulseIn(['campaign', 'list'], { PULSE_URL: `http://127.0.0.1:${port}` });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /needs an API key: --api-key <key> or PULSE_API_KEY/);
    const badUrl = await pulseIn(['campaign', 'list', '--url', 'localhost:3000', '--api-key', 'sk_x']);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /must be an http\(s\) URL/);
  });
});

describe('pulse CLI: local commands', () => {
  it('validate passes on all nine campaigns and reports every error of a broken file (spawned)', async () => {
    const [good, bad] = await Promise.all([
      pulseSpawned(['validate', ...campaigns]),
      pulseSpawned(['validate', campaigns[0]!, broken]),
    ]);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout.trim().split('\n').length, 9);
    assert.match(good.stdout, /^ok campaigns\/signup\.pulse\.yaml \(signup v1, hash [0-9a-f]{12}\)$/m);

    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^ok campaigns\/signup\.pulse\.yaml/m);
    const errors = bad.stderr.split('\n').filter((l) => l.includes(' error '));
    assert.equal(errors.length, 9, bad.stderr);
    for (const line of errors)
      assert.match(line, /^dsl\/fixtures\/invalid\/several-errors\.pulse\.yaml:\d+:\d+ error [A-Z_]+ /);
    assert.match(bad.stderr, /:19:9 error UNKNOWN_ACTIVITY steps\[0\]\.do: .*found "SendEmal"/);
    assert.match(bad.stderr, /1 of 2 file\(s\) failed validation/);
  });

  it('validate checks that every template a campaign sends exists and gets its variables', async () => {
    const run = await pulseIn([
      'validate',
      `${REPO}dsl/fixtures/invalid/template-missing.pulse.yaml`,
      `${REPO}dsl/fixtures/invalid/template-variable-unknown.pulse.yaml`,
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /:15:17 error TEMPLATE_MISSING steps\[0\]\.with\.template: .*did you mean "signup-welcome"/,
    );
    assert.match(
      run.stderr,
      /:17:9 error TEMPLATE_VARIABLE_UNKNOWN steps\[0\]\.with\.data: .*\{\{ referral_link \}\}/,
    );
    assert.match(run.stderr, /2 of 2 file\(s\) failed validation/);
  });

  it('validate -o json prints one document with every diagnostic', async () => {
    const run = await pulseIn(['validate', `${REPO}${campaigns[0]}`, `${REPO}${broken}`, '-o', 'json']);
    assert.equal(run.code, 1);
    const doc = jsonOf<{
      failed: number;
      files: { ok: boolean; diagnostics: { severity: string; code: string }[] }[];
    }>(run);
    assert.equal(doc.failed, 1);
    assert.equal(doc.files[0]!.ok, true);
    assert.equal(doc.files[1]!.ok, false);
    assert.equal(doc.files[1]!.diagnostics.filter((d) => d.severity === 'error').length, 9);
    assert.ok(doc.files[1]!.diagnostics.some((d) => d.code === 'UNKNOWN_ACTIVITY'));
  });

  it('plan prints the compiled plan as JSON, or a Mermaid flowchart; bad settings are diagnostics', async () => {
    const file = `${REPO}campaigns/renewal.pulse.yaml`;
    const json = await pulseIn(['plan', file, '--settings', 'grace_period=5d']);
    assert.equal(json.code, 0, json.stderr);
    const plan = jsonOf<{ pulse: string; settings: Record<string, unknown> }>(json);
    assert.equal(plan.pulse, 'renewal');
    assert.equal(plan.settings.grace_period, '5d');
    const mermaid = await pulseIn(['plan', file, '--format', 'mermaid']);
    assert.match(mermaid.stdout, /^flowchart TD/);
    const out = await pulseIn([
      'plan',
      `${REPO}campaigns/conversion.pulse.yaml`,
      '--settings',
      'window_days=999',
    ]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /error SETTING_OVERRIDE settings\.window_days/);
    const malformed = await pulseIn(['plan', file, '--settings', 'novalue']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /--settings expects name=value, got "novalue"/);
  });

  it('campaign deploy --dry-run compiles locally and deploys nothing (no server, no key needed)', async () => {
    const port = await freePort();
    const file = `${REPO}campaigns/conversion.pulse.yaml`;
    const run = await pulseIn(
      [
        'campaign',
        'deploy',
        file,
        '--dry-run',
        '-o',
        'json',
        '--settings',
        'min_order=75',
        'milestones_enabled=false',
      ],
      { PULSE_URL: `http://127.0.0.1:${port}` },
    );
    assert.equal(run.code, 0, run.stderr);
    const doc = jsonOf<{
      dry_run: boolean;
      pulse: string;
      plan_hash: string;
      request: { file: string; settings: Record<string, unknown>; source_bytes: number };
    }>(run);
    assert.equal(doc.dry_run, true);
    assert.equal(doc.pulse, 'conversion');
    assert.match(doc.plan_hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(doc.request.settings, { min_order: 75, milestones_enabled: false });
    assert.equal(doc.request.file, 'conversion.pulse.yaml');
    assert.equal(doc.request.source_bytes, readFileSync(file).length);
    assert.doesNotMatch(run.stderr, /cannot reach/);
    const invalid = await pulseIn(['campaign', 'deploy', `${REPO}${broken}`, '--dry-run']);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /error UNKNOWN_ACTIVITY/);
  });

  it('simulate labels every line with its journey and exits non-zero when a journey fails', async () => {
    const ok = await pulseIn([
      'simulate',
      `${REPO}campaigns/signup.pulse.yaml`,
      '--events',
      `${REPO}campaigns/scripts/signup.events.yaml`,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const lines = ok.stdout.split('\n');
    assert.equal(lines[0], 'simulation of signup');
    const body = lines.slice(1, -1);
    assert.ok(body.length > 10);
    for (const line of body) assert.match(line, /^\[(ada|-)\] /);
    assert.match(ok.stdout, /^\[ada\] \+0s +event user_signed_up \[sim-\d+-1\] → started$/m);
    assert.match(ok.stdout, /^\[-\] \+1m +event page_viewed \[sim-\d+-2\] → no campaign$/m);
    assert.match(ok.stdout, /^\[ada\] journey pulse:sim-client:sim-signup-default:ada: completed$/m);

    // The same journey with the attribution activity failing for good: the journey fails, exit 1.
    const failing = await pulseIn([
      'simulate',
      `${REPO}campaigns/signup.pulse.yaml`,
      '--events',
      `${REPO}test/fixtures/signup-fails.events.yaml`,
      '-o',
      'json',
    ]);
    const trace = jsonOf<{
      journeys: { workflowId: string; failure?: unknown; outcome?: { status: string } }[];
    }>(failing);
    assert.equal(trace.journeys.length, 1);
    assert.ok(trace.journeys[0]!.failure || trace.journeys[0]!.outcome?.status === 'failed', failing.stdout);
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /1 of 1 journey\(s\) failed/);
  });
  it("simulate judges eligibility by the campaign's own segments and reward rules", async () => {
    const run = await pulseIn([
      'simulate',
      `${REPO}test/fixtures/eligibility.pulse.yaml`,
      '--events',
      `${REPO}test/fixtures/eligibility.events.yaml`,
      '-o',
      'json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const trace = jsonOf<{
      journeys: { workflowId: string; outcome?: { status: string; reason?: unknown } }[];
      eligibility: {
        participantId: string;
        activity: string;
        eligible: boolean;
        reason: string | null;
        refusedBy: string | null;
        segment: string | null;
      }[];
      activities: { activity: string; input: { participant_id?: string } }[];
    }>(run);
    const outcome = (who: string) => trace.journeys.find((j) => j.workflowId.endsWith(`:${who}`))?.outcome;
    assert.equal(outcome('ada')?.status, 'completed');
    assert.deepEqual([outcome('tom')?.status, outcome('tom')?.reason], ['ineligible', 'SEGMENT_EXCLUDED']);
    assert.deepEqual(
      [outcome('nia')?.status, outcome('nia')?.reason],
      ['ineligible', 'RULE_CONDITION_FAILED'],
    );
    const verdict = (who: string, activity = 'CheckEligibility') =>
      trace.eligibility.find((v) => v.participantId === who && v.activity === activity);
    assert.deepEqual(
      [verdict('tom')?.eligible, verdict('tom')?.reason, verdict('tom')?.refusedBy, verdict('tom')?.segment],
      [false, 'SEGMENT_EXCLUDED', 'segments.trial', 'trial'],
    );
    assert.deepEqual(
      [verdict('nia')?.eligible, verdict('nia')?.refusedBy, verdict('nia')?.segment],
      [false, 'rewards.welcome_credit.when', 'customers'],
    );
    assert.equal(verdict('ada')?.eligible, true);
    assert.equal(verdict('ada', 'AllocateReward')?.eligible, true);
    // Only the eligible participant reaches allocation.
    const allocated = trace.activities.filter((a) => a.activity === 'AllocateReward');
    assert.deepEqual(
      allocated.map((a) => a.input.participant_id),
      ['ada'],
    );

    const text = await pulseIn([
      'simulate',
      `${REPO}test/fixtures/eligibility.pulse.yaml`,
      '--events',
      `${REPO}test/fixtures/eligibility.events.yaml`,
    ]);
    assert.match(
      text.stdout,
      /^\[tom\] .*✗ tom for welcome_credit not eligible: SEGMENT_EXCLUDED \(segments\.trial\)/m,
    );
    assert.match(
      text.stdout,
      /^\[nia\] .*not eligible: RULE_CONDITION_FAILED \(rewards\.welcome_credit\.when\)/m,
    );
  });
});
