import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Plan, Step } from '../contract/plan.ts';
import { canonicalJson, planHash } from './compile.ts';
import {
  compileCampaignSource,
  DEFAULT_CAMPAIGNS_DIR,
  formatDiagnostics,
  loadCampaignFile,
} from './index.ts';

const goldenDir = fileURLToPath(new URL('./__golden__/', import.meta.url));
const childrenDir = fileURLToPath(new URL('./fixtures/children/', import.meta.url));
const PULSES = [
  'signup',
  'conversion',
  'reactivation',
  'cross-sell',
  'renewal',
  'feedback',
  'product-education',
  'switchup',
  'newsletter',
];

function load(name: string, settings?: Record<string, unknown>) {
  return loadCampaignFile(`${DEFAULT_CAMPAIGNS_DIR}${name}.pulse.yaml`, settings ? { settings } : {});
}

function walk(steps: readonly Step[], visit: (s: Step) => void): void {
  for (const s of steps) {
    visit(s);
    const lists =
      s.kind === 'if'
        ? [s.then, s.else]
        : s.kind === 'switch'
          ? [...s.cases.map((c) => c.steps), s.default]
          : s.kind === 'parallel'
            ? s.branches.map((b) => b.steps)
            : s.kind === 'wait'
              ? [s.then, s.onTimeout]
              : s.kind === 'repeat' || s.kind === 'for_each'
                ? [s.steps]
                : [];
    for (const list of lists) walk(list, visit);
  }
}

describe('the nine pulses', () => {
  it('campaigns/ holds exactly the nine pulses', () => {
    const files = readdirSync(DEFAULT_CAMPAIGNS_DIR).filter((f) => f.endsWith('.pulse.yaml'));
    assert.deepEqual(files.sort(), PULSES.map((p) => `${p}.pulse.yaml`).sort());
  });

  for (const name of PULSES) {
    it(`${name} validates, compiles and matches its golden plan`, () => {
      const result = load(name);
      // Only signup opts down (browser signups start it, on purpose): a warning, never an error.
      const warnings = name === 'signup' ? ['warning TRUST_OPT_DOWN trigger.trust'] : [];
      assert.deepEqual(
        result.diagnostics.map((d) => `${d.severity} ${d.code} ${d.path}`),
        warnings,
        formatDiagnostics(result.diagnostics),
      );
      const plan = result.plan!;
      const source = readFileSync(`${DEFAULT_CAMPAIGNS_DIR}${name}.pulse.yaml`, 'utf8');
      assert.ok(source.startsWith('# yaml-language-server: $schema=../schemas/campaign.schema.json\n'));
      assert.equal(plan.hash, planHash(plan));
      const golden = `${goldenDir}${name}.plan.json`;
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(golden, `${JSON.stringify(plan, null, 2)}\n`);
      }
      assert.ok(existsSync(golden), `no golden plan ${golden}; run with UPDATE_GOLDEN=1 to create it`);
      // Compared as data, so reformatting the JSON file does not matter.
      const expected = JSON.parse(readFileSync(golden, 'utf8')) as Plan;
      assert.deepEqual(
        plan,
        expected,
        'golden plan drifted; rerun with UPDATE_GOLDEN=1 if the change is intended',
      );
    });
  }

  it('waitsFor lists every event a wait step listens for', () => {
    for (const name of PULSES) {
      const plan = load(name).plan!;
      const waits = new Set<string>();
      walk(plan.steps, (s) => {
        if (s.kind === 'wait') for (const e of s.events) waits.add(e);
      });
      assert.deepEqual(plan.waitsFor, [...waits].sort(), name);
    }
  });

  it('journeys that wait use the pulses the spec describes', () => {
    const waits = Object.fromEntries(PULSES.map((p) => [p, load(p).plan!.waitsFor]));
    assert.deepEqual(waits.reactivation, ['user_reactivated']);
    assert.deepEqual(waits['cross-sell'], ['subscription_upgraded']);
    assert.deepEqual(waits.renewal, ['subscription_renewed']);
    assert.deepEqual(waits.feedback, ['feedback_submitted']);
    assert.deepEqual(waits.switchup, ['switchup_completed', 'switchup_data_imported']);
    assert.deepEqual(waits['product-education'], ['feature_adopted', 'tutorial_completed']);
  });
});

describe('compile', () => {
  it('turns literal durations into milliseconds and keeps expressions', () => {
    const plan = load('cross-sell').plan!;
    const waits: Step[] = [];
    walk(plan.steps, (s) => {
      if (s.kind === 'wait') waits.push(s);
    });
    assert.deepEqual((waits[0] as { timeoutMs: unknown }).timeoutMs, { var: 'settings.follow_up_after' });
    const conversion = load('conversion').plan!;
    let retry: unknown;
    walk(conversion.steps, (s) => {
      if (s.kind === 'do' && s.id === 'fulfil-referrer-reward') retry = s.retry;
    });
    assert.deepEqual(retry, {
      maxAttempts: 5,
      initialIntervalMs: 2000,
      backoffCoefficient: 2,
      maxIntervalMs: 60_000,
    });
  });

  it('expands shorthands: journey path, value switch, default repeat index', () => {
    const signup = load('signup').plan!;
    assert.deepEqual(signup.trigger, {
      events: ['user_signed_up'],
      journey: { var: 'event.participant_id' },
      trust: 'sdk',
    });
    const reactivation = load('reactivation').plan!;
    const sw = reactivation.steps.find((s) => s.id === 'plan-by-risk');
    assert.ok(sw?.kind === 'switch');
    assert.deepEqual(sw.cases[0]?.when, { '==': [{ var: 'churn.level' }, 'high'] });
    const repeat = reactivation.steps.find((s) => s.id === 'attempts');
    assert.ok(repeat?.kind === 'repeat');
    assert.equal(repeat.maxIterations, 3);
    assert.equal(repeat.index, 'attempt');
  });

  it('the hash covers the whole plan except itself, with keys in any order', () => {
    const plan = load('signup').plan!;
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverseKeys(x)]),
            )
          : v;
    const shuffled = reverseKeys(plan) as Plan;
    assert.notEqual(JSON.stringify(shuffled), JSON.stringify(plan));
    assert.equal(planHash(shuffled), plan.hash);
    assert.notEqual(planHash({ ...plan, title: 'Other' }), plan.hash);
    assert.equal(
      canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } }),
      '{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}',
    );
  });

  it('is deterministic: compiling twice gives the same plan and hash', () => {
    assert.deepEqual(load('renewal').plan, load('renewal').plan);
  });
});

describe('settings overrides', () => {
  it('accepts values within the declared type and bounds', () => {
    const result = load('conversion', { min_order: 75, window_days: 14 });
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.plan?.settings.min_order, 75);
    assert.equal(result.plan?.settings.window_days, 14);
    assert.equal(result.plan?.settings.milestones_enabled, true, 'defaults kept for the rest');
    assert.notEqual(result.plan?.hash, load('conversion').plan?.hash);
  });

  it('accepts durations, enums and bounds at their edges', () => {
    assert.deepEqual(load('feedback', { platform: 'capterra', review_window: 'P30D' }).diagnostics, []);
    assert.deepEqual(load('reactivation', { max_attempts: 3, attempt_wait: '1d' }).diagnostics, []);
  });

  it('rejects values out of bounds, of the wrong type, outside the enum, or undeclared', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['conversion', { window_days: 400 }, 'SETTING_OVERRIDE'],
      ['conversion', { window_days: 7.5 }, 'SETTING_OVERRIDE'],
      ['conversion', { min_order: '75' }, 'SETTING_OVERRIDE'],
      ['reactivation', { attempt_wait: '45d' }, 'SETTING_OVERRIDE'],
      ['reactivation', { attempt_wait: 'a fortnight' }, 'SETTING_OVERRIDE'],
      ['feedback', { platform: 'yelp' }, 'SETTING_OVERRIDE'],
      ['signup', { double_sided: 'yes' }, 'SETTING_OVERRIDE'],
      ['signup', { triple_sided: true }, 'UNKNOWN_SETTING'],
    ];
    for (const [name, settings, code] of cases) {
      const result = load(name, settings);
      assert.equal(result.plan, undefined, JSON.stringify(settings));
      assert.deepEqual(
        result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
        [code],
        JSON.stringify(settings),
      );
    }
  });
});

describe('settings of every type', () => {
  const source = `pulse: test
id: typed
version: 1
title: Typed settings
trigger: { event: user_signed_up }
settings:
  starts: { type: date, default: "2025-01-01", min: "2024-01-01", max: "2026-12-31T23:59:59Z" }
  window: { type: duration, default: 14d, min: 1d, max: P30D }
  ratio: { type: number, default: 0.5, min: 0, max: 1 }
  count: { type: integer, default: 2 }
  label: { type: string, default: hi }
  on: { type: boolean, default: false }
steps:
  - id: done
    end: completed
`;
  const compileWith = (settings: Record<string, unknown>) =>
    compileCampaignSource(source, 'typed.pulse.yaml', { settings });

  it('resolves defaults and accepts valid overrides of each type', () => {
    assert.deepEqual(compileWith({}).plan?.settings, {
      starts: '2025-01-01',
      window: '14d',
      ratio: 0.5,
      count: 2,
      label: 'hi',
      on: false,
    });
    const plan = compileWith({
      starts: '2026-06-01T12:00:00Z',
      window: 'PT36H',
      ratio: 1,
      count: -3,
      label: '',
      on: true,
    }).plan;
    assert.equal(plan?.settings.window, 'PT36H');
  });

  it('rejects overrides that do not fit their type or bounds', () => {
    for (const settings of [
      { starts: '2023-12-31' },
      { starts: 'next tuesday' },
      { window: '31d' },
      { window: 14 * 86_400_000 * 10 },
      { ratio: 1.01 },
      { count: 1.5 },
      { label: 5 },
      { on: 'true' },
    ]) {
      assert.deepEqual(
        compileWith(settings).diagnostics.map((d) => d.code),
        ['SETTING_OVERRIDE'],
        JSON.stringify(settings),
      );
    }
  });
});

describe('call: child journeys', () => {
  it('inlines children named by file or by id, once, keyed by their plan id', () => {
    const result = loadCampaignFile(`${childrenDir}parent.pulse.yaml`, { campaignsDir: childrenDir });
    assert.deepEqual(result.diagnostics, [], formatDiagnostics(result.diagnostics));
    const plan = result.plan!;
    assert.deepEqual(Object.keys(plan.children), ['child-journey']);
    assert.equal(plan.children['child-journey']?.version, 2);
    assert.deepEqual(plan.children['child-journey']?.waitsFor, ['user_logged_in']);
    const calls = plan.steps.filter((s) => s.kind === 'call');
    assert.deepEqual(
      calls.map((s) => s.kind === 'call' && [s.plan, s.input, s.as]),
      [
        ['child-journey', { who: { var: 'event.participant_id' } }, 'first'],
        ['child-journey', {}, 'second'],
      ],
    );
    assert.deepEqual(plan.waitsFor, [], 'a parent lists only its own waits');
  });

  it('compileCampaignSource resolves calls from text too', () => {
    const source = readFileSync(`${childrenDir}parent.pulse.yaml`, 'utf8');
    const result = compileCampaignSource(source, 'inline.pulse.yaml', { campaignsDir: childrenDir });
    assert.ok(result.plan);
  });
});
