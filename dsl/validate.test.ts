import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTemplateDir } from '../contract/template-files.ts';
import { DIAGNOSTIC_CODES, hasErrors } from './errors.ts';
import {
  compileCampaignSource,
  DEFAULT_CAMPAIGNS_DIR,
  formatDiagnostics,
  loadCampaignFile,
} from './index.ts';

/** The shipped templates, as `pulse validate` loads them: fixtures' sends are checked against them. */
const templates = { catalog: loadTemplateDir(`${DEFAULT_CAMPAIGNS_DIR}templates`) };

const invalidDir = fileURLToPath(new URL('./fixtures/invalid/', import.meta.url));
const fixtures = readdirSync(invalidDir).filter((f) => f.endsWith('.pulse.yaml'));

/** Each fixture states what it must produce: `# expect: CODE line:col` lines, optional `# settings: {json}`. */
function expectations(text: string): { expected: string[]; settings?: Record<string, unknown> } {
  const expected = [...text.matchAll(/^# expect: (\S+) (\d+):(\d+)$/gm)].map(
    (m) => `${m[1]} ${m[2]}:${m[3]}`,
  );
  const settings = /^# settings: (.*)$/m.exec(text)?.[1];
  return settings ? { expected, settings: JSON.parse(settings) as Record<string, unknown> } : { expected };
}

describe('invalid fixtures', () => {
  for (const file of fixtures) {
    it(`${file} reports exactly its expected diagnostics`, () => {
      const path = invalidDir + file;
      const { expected, settings } = expectations(readFileSync(path, 'utf8'));
      assert.ok(expected.length > 0, 'fixture declares its expectations');
      const result = loadCampaignFile(path, {
        campaignsDir: invalidDir,
        templates,
        ...(settings ? { settings } : {}),
      });
      // Errors block compilation; a fixture of warnings only (TRUST_OPT_DOWN) still compiles.
      assert.equal(result.plan === undefined, hasErrors(result.diagnostics));
      assert.ok(result.diagnostics.length > 0);
      const got = result.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`);
      assert.deepEqual(got.sort(), expected.sort(), formatDiagnostics(result.diagnostics));
    });
  }

  it('there is one fixture per diagnostic code', () => {
    const covered = new Set<string>();
    for (const file of fixtures) {
      for (const e of expectations(readFileSync(invalidDir + file, 'utf8')).expected)
        covered.add(e.split(' ')[0]!);
    }
    const missing = DIAGNOSTIC_CODES.filter((c) => c !== 'FILE_NOT_FOUND' && !covered.has(c));
    assert.deepEqual(missing, []);
  });
});

describe('diagnostics', () => {
  it('a file with several errors reports all of them at once, formatted file:line:col', () => {
    const path = `${invalidDir}several-errors.pulse.yaml`;
    const result = loadCampaignFile(path, { campaignsDir: invalidDir });
    assert.equal(result.diagnostics.length, 9);
    const text = formatDiagnostics(result.diagnostics);
    assert.match(
      text,
      /several-errors\.pulse\.yaml:19:9 error UNKNOWN_ACTIVITY steps\[0\]\.do: .*found "SendEmal"/,
    );
    assert.match(text, /:27:22 error UNKNOWN_SETTING steps\[4\]\.set\.b\.var: .*did you mean "window"/);
    assert.equal(text.split('\n').length, 9);
  });

  it('every diagnostic carries code, file, position, path and message', () => {
    const result = loadCampaignFile(`${invalidDir}several-errors.pulse.yaml`, { campaignsDir: invalidDir });
    for (const d of result.diagnostics) {
      assert.ok(d.code && d.file && d.line > 0 && d.column > 0 && d.path && d.message, JSON.stringify(d));
    }
  });

  it('a missing file is a diagnostic, not an exception', () => {
    const result = loadCampaignFile(`${invalidDir}no-such-file.pulse.yaml`);
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      ['FILE_NOT_FOUND'],
    );
  });

  it('never throws, whatever the input', () => {
    const inputs = [
      '',
      '42',
      '[1, 2]',
      'steps: 5',
      'steps: [1, null, "x", { id: 3 }]',
      'steps: [{ id: a, if: {}, then: 3 }]',
      'steps: [{ id: a, parallel: [1] }, { id: b, switch: 1, cases: [] }]',
      'steps: [{ id: a, wait: [], timeout: {}, then: {} }]',
      'steps: [{ id: a, for_each: 3, as: 7, max_items: x }]',
      'settings: { a: 1, b: { type: duration, default: 3, min: x } }',
      'trigger: { event: [], when: { var: [] }, journey: 5 }',
      'rewards: { a: 1, constraints: 2 }\nsteps: [{ id: a, do: AllocateReward, with: 5 }]',
      'a: &x [*x]',
    ];
    for (const source of inputs) {
      const result = compileCampaignSource(source, 'odd.yaml');
      assert.equal(result.plan, undefined, source);
      assert.ok(result.diagnostics.length > 0, source);
    }
  });
});

describe('JSON Logic 2 operators in campaigns', () => {
  const campaign = (expr: string) =>
    [
      'pulse: test',
      'id: jsonlogic2',
      'version: 1',
      'title: JSON Logic 2 operators',
      'trigger: { event: user_signed_up }',
      'steps:',
      '  - id: compute',
      `    set: { x: ${expr} }`,
      '  - { id: done, end: completed }',
    ].join('\n');

  it('val, exists, ??, try, throw and preserve validate and compile', () => {
    const exprs = [
      '{ val: [event, properties, plan] }',
      '{ exists: [event, properties, coupon] }',
      '{ "??": [{ val: [event, properties, plan] }, free] }',
      '{ try: [{ "/": [1, { var: event.properties.amount }] }, { val: type }] }',
      '{ if: [{ exists: [event, participant_id] }, 1, { throw: NO_PARTICIPANT }] }',
      '{ preserve: { anything: [goes, here] } }',
      '{ map: [[1, 2], { "+": [{ val: [] }, { val: [[1], index] }] }] }',
    ];
    for (const e of exprs) {
      const result = compileCampaignSource(campaign(e), 'ok.yaml');
      assert.deepEqual(result.diagnostics, [], e);
      assert.ok(result.plan, e);
    }
  });

  it('a misspelt val root is UNKNOWN_VARIABLE at its position, with a suggestion; throw takes one argument', () => {
    const bad = compileCampaignSource(campaign('{ val: [evnt, properties] }'), 'bad.yaml').diagnostics;
    assert.deepEqual(
      bad.map((d) => [d.code, d.line, d.column]),
      [['UNKNOWN_VARIABLE', 8, 23]],
    );
    assert.match(bad[0]?.message ?? '', /did you mean "event"/);
    const arity = compileCampaignSource(campaign('{ throw: [a, b] }'), 'arity.yaml').diagnostics;
    assert.deepEqual(
      arity.map((d) => d.code),
      ['BAD_EXPRESSION'],
    );
  });
});
