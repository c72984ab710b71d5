import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ApprovalStep, SetStep } from '../contract/plan.ts';
import { compileCampaignSource, formatDiagnostics, loadCampaignFile, toMermaid } from './index.ts';
import { planReachesReward } from './trust.ts';

const VALID = fileURLToPath(new URL('./fixtures/valid/approval.pulse.yaml', import.meta.url));

const wrap = (steps: string) =>
  [
    'pulse: test',
    'id: approval-unit',
    'version: 1',
    'title: T',
    'trigger: { event: user_signed_up }',
    'steps:',
    steps,
  ].join('\n');

describe('approval step: validate and compile', () => {
  it('the valid fixture validates without a diagnostic and compiles roles, timeouts, escalation and branches', () => {
    const result = loadCampaignFile(VALID);
    assert.deepEqual(result.diagnostics, [], formatDiagnostics(result.diagnostics));
    const plan = result.plan;
    assert.ok(plan);
    const review = plan.steps[0] as ApprovalStep;
    assert.equal(review.kind, 'approval');
    assert.equal(review.title, 'Approve a 250 USD referral bonus');
    assert.deepEqual(review.details, { participant: { var: 'event.participant_id' } });
    assert.deepEqual(review.roles, ['manager']);
    assert.equal(review.timeoutMs, 2 * 86_400_000);
    assert.deepEqual(review.escalate, { roles: ['owner'], timeoutMs: 86_400_000 });
    assert.equal(review.as, 'review');
    assert.equal(review.timeoutDecision, 'reject');
    assert.deepEqual(
      review.then.map((s) => s.id),
      ['grant', 'pay'],
    );
    assert.deepEqual(
      review.onReject.map((s) => s.id),
      ['refused'],
    );
    assert.deepEqual(review.onTimeout, []);
    // A reward behind an approval still counts as reachable (trigger trust defaults to server).
    assert.equal(planReachesReward(plan), true);
    assert.equal(plan.trigger.trust, 'server');
  });

  it('`on_timeout` as steps compiles to a timeout branch, without a timeout decision; `as` defaults to approval', () => {
    const result = compileCampaignSource(
      wrap(`  - id: review
    approval: Check it
    roles: [admin, owner]
    timeout: 4h
    then: []
    on_reject: []
    on_timeout:
      - id: expired
        set: { outcome: { var: approval.decision } }`),
      'inline.pulse.yaml',
    );
    assert.deepEqual(result.diagnostics, [], formatDiagnostics(result.diagnostics));
    const review = result.plan?.steps[0] as ApprovalStep;
    assert.equal(review.timeoutDecision, undefined);
    assert.equal(review.as, undefined);
    assert.equal(review.timeoutMs, 4 * 3_600_000);
    assert.deepEqual((review.onTimeout[0] as SetStep).values, { outcome: { var: 'approval.decision' } });
  });

  it('the decision variable is declared only from the step on', () => {
    const result = compileCampaignSource(
      wrap(`  - id: early
    set: { who: { var: review.decided_by } }
  - id: review
    approval: Check it
    roles: [manager]
    timeout: 1d
    as: review
    then: []
    on_reject: []
    on_timeout: approve`),
      'inline.pulse.yaml',
    );
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.code} ${d.path}`),
      ['UNKNOWN_VARIABLE steps[0].set.who.var'],
    );
  });

  it('an unknown role suggests the closest one; an expression timeout is checked as an expression', () => {
    const result = compileCampaignSource(
      wrap(`  - id: review
    approval: Check it
    roles: [admn]
    timeout: { var: settings.nope }
    then: []
    on_reject: []
    on_timeout: reject`),
      'inline.pulse.yaml',
    );
    const codes = result.diagnostics.map((d) => `${d.code} ${d.path}`);
    assert.ok(codes.includes('UNKNOWN_ROLE steps[0].roles[0]'), codes.join('\n'));
    assert.match(
      result.diagnostics.find((d) => d.code === 'UNKNOWN_ROLE')?.message ?? '',
      /did you mean "admin"/,
    );
    assert.ok(
      codes.some((c) => c.startsWith('UNKNOWN_SETTING') || c.startsWith('UNKNOWN_VARIABLE')),
      codes.join('\n'),
    );
  });

  it('Mermaid draws the approval with its roles, escalation and three exits', () => {
    const plan = loadCampaignFile(VALID).plan;
    assert.ok(plan);
    const chart = toMermaid(plan);
    assert.match(chart, /approval by manager, then owner \(up to 2d\)/);
    assert.match(chart, /\|"approved"\|/);
    assert.match(chart, /\|"rejected \/ timeout"\|/);
    assert.doesNotMatch(chart, /\|"timeout"\|/);
  });
});
