import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DoStep, ForEachStep, ParallelStep, RaiseStep, TryStep } from '../contract/plan.ts';
import { compileCampaignSource, loadCampaignFile, toMermaid } from './index.ts';

const VALID = fileURLToPath(new URL('./fixtures/valid/saga.pulse.yaml', import.meta.url));

const wrap = (steps: string) =>
  [
    'pulse: test',
    'id: saga-unit',
    'version: 1',
    'title: T',
    'trigger: { event: user_signed_up }',
    'steps:',
    steps,
  ].join('\n');

describe('try / raise / compensate / optional: validate and compile', () => {
  it('the valid fixture validates without a diagnostic and compiles every addition', () => {
    const result = loadCampaignFile(VALID);
    assert.deepEqual(result.diagnostics, []);
    const plan = result.plan;
    assert.ok(plan);
    const grant = plan.steps[0] as TryStep;
    assert.equal(grant.kind, 'try');
    assert.deepEqual(
      grant.steps.map((s) => s.id),
      ['allocate', 'too-late', 'email'],
    );
    assert.deepEqual(
      grant.catch.map((c) => [c.errors, c.as ?? null, c.steps.map((s) => s.id)]),
      [
        [['BUDGET_EXHAUSTED', 'CAMPAIGN_CLOSED'], 'err', ['no-credit']],
        [['*'], null, ['note']],
      ],
    );
    assert.deepEqual(
      grant.finally?.map((s) => s.id),
      ['count'],
    );
    const allocate = grant.steps[0] as DoStep;
    assert.deepEqual(allocate.compensate, {
      activity: 'RevokeReward',
      with: { reward_id: { var: 'reward.reward_id' }, reason: 'welcome email failed' },
    });
    const raise = (grant.steps[1] as { then: RaiseStep[] }).then[0];
    assert.deepEqual(raise, {
      id: 'closed',
      kind: 'raise',
      code: 'CAMPAIGN_CLOSED',
      message: 'the offer has ended',
    });
    assert.equal((plan.steps[1] as ParallelStep).optional, true);
    assert.equal((plan.steps[2] as ForEachStep).optional, true);
  });

  it('a raise without a message compiles without one; optional absent stays absent', () => {
    const result = compileCampaignSource(
      wrap(`  - id: stop
    raise: { code: NOPE }`),
      'u.pulse.yaml',
    );
    assert.deepEqual(result.plan?.steps, [{ id: 'stop', kind: 'raise', code: 'NOPE' }]);
    const plain = compileCampaignSource(
      wrap(`  - id: fan
    parallel: { a: [{ id: x, set: { x: 1 } }] }`),
      'u.pulse.yaml',
    );
    assert.equal('optional' in (plain.plan?.steps[0] ?? {}), false);
  });

  it('a catch code raised somewhere in the file, or a platform code, gives no warning', () => {
    const result = compileCampaignSource(
      wrap(`  - id: guarded
    try:
      - id: stop
        raise: { code: MY_OWN_CODE }
    catch:
      - errors: [MY_OWN_CODE, NOT_ELIGIBLE, TIMEOUT, CHILD_FAILED]
        steps: []`),
      'u.pulse.yaml',
    );
    assert.deepEqual(result.diagnostics, []);
  });

  it('an unknown catch code is only a warning: the campaign still compiles', () => {
    const result = compileCampaignSource(
      wrap(`  - id: guarded
    try: [{ id: s, set: { a: 1 } }]
    catch:
      - errors: [NOT_ELIGABLE]
        steps: []`),
      'u.pulse.yaml',
    );
    assert.ok(result.plan);
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.severity, d.path]),
      [['UNKNOWN_ERROR_CODE', 'warning', 'steps[0].catch[0].errors[0]']],
    );
    assert.match(result.diagnostics[0]?.message ?? '', /did you mean "NOT_ELIGIBLE"/);
  });

  it('the schema refuses a lower-case code, an empty catch and `optional` on a wait', () => {
    const result = compileCampaignSource(
      wrap(`  - id: a
    raise: { code: not_upper }
  - id: b
    try: []
    catch: []
  - id: c
    wait: user_logged_in
    timeout: 1d
    optional: true`),
      'u.pulse.yaml',
    );
    assert.equal(result.plan, undefined);
    const paths = result.diagnostics.map((d) => `${d.code} ${d.path}`);
    assert.ok(
      paths.some((p) => p.startsWith('SCHEMA steps[0].raise.code')),
      paths.join('\n'),
    );
    assert.ok(
      paths.some((p) => p.startsWith('SCHEMA steps[1].catch')),
      paths.join('\n'),
    );
    assert.ok(
      paths.some((p) => p.startsWith('SCHEMA steps[2]')),
      paths.join('\n'),
    );
  });

  it('a try whose body and every clause end makes the next step unreachable; a clause that goes on does not', () => {
    const ends = compileCampaignSource(
      wrap(`  - id: guarded
    try: [{ id: stop, end: completed }]
    catch:
      - errors: any
        steps: [{ id: fail, raise: { code: BROKEN } }]
  - id: never
    set: { a: 1 }`),
      'u.pulse.yaml',
    );
    assert.deepEqual(
      ends.diagnostics.map((d) => `${d.code} ${d.path}`),
      ['UNREACHABLE_STEP steps[1]'],
    );
    const goesOn = compileCampaignSource(
      wrap(`  - id: guarded
    try: [{ id: stop, end: completed }]
    catch:
      - errors: any
        steps: []
  - id: reached
    set: { a: 1 }`),
      'u.pulse.yaml',
    );
    assert.deepEqual(goesOn.diagnostics, []);
  });
});

describe('mermaid', () => {
  it('draws the try body, a dashed edge per catch clause and a dashed compensate edge', () => {
    const plan = loadCampaignFile(VALID).plan;
    assert.ok(plan);
    const chart = toMermaid(plan);
    assert.match(chart, /s_grant\[\["grant: try"\]\]/);
    assert.match(chart, /s_grant -\.->\|"catch BUDGET_EXHAUSTED \| CAMPAIGN_CLOSED"\| s_no_credit/);
    assert.match(chart, /s_grant -\.->\|"catch any error"\| s_note/);
    assert.match(chart, /s_allocate -\.->\|"compensate"\| s_allocate_undo/);
    assert.match(chart, /s_allocate_undo\["undo allocate<br\/>RevokeReward"\]/);
    assert.match(chart, /s_closed\(\["raise CAMPAIGN_CLOSED"\]\)/);
    // The clause that goes on and the body both flow into `finally`.
    assert.match(chart, /s_note --> s_count/);
    assert.match(chart, /s_email --> s_count/);
    assert.match(chart, /s_tell\{\{"tell: in parallel \(optional branches\)"\}\}/);
    assert.match(chart, /for each item \(max 2\), failing items skipped/);
  });
});
