import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ApprovalDecisionInput, ApprovalRecord, ApprovalTaskView, Plan } from '../../contract/plan.ts';
import { formatDiagnostics } from '../../dsl/errors.ts';
import { compileCampaignSource } from '../../dsl/index.ts';
import { handScenarios } from '../../test/support/engine/hand-scenarios.ts';
import { type Harness, type RunCampaign, startHarness } from '../../test/support/engine/harness.ts';
import { approvalsQuery, approvalUpdate, traceQuery } from '../signals.ts';
import { simulate } from '../simulate.ts';
import { parseSimulationScript } from '../simulation/script.ts';

// The `approval` step, written in YAML, compiled by the real compiler and run by the real interpreter on
// the time-skipping server; decisions arrive through the real `approval` update.
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

function yamlPlan(step: string): Plan {
  const source = [
    'pulse: test',
    'id: approval-test',
    'version: 1',
    'title: Approval test',
    'trigger: { event: user_signed_up }',
    'rewards:',
    '  bonus:',
    '    type: single',
    '    give: { category: store_credit, amount: 50, currency: USD }',
    'steps:',
    step,
    '  - id: after',
    '    set: { after: true }',
  ].join('\n');
  const result = compileCampaignSource(source, 'approval-test.pulse.yaml');
  assert.ok(result.plan, formatDiagnostics(result.diagnostics));
  return result.plan;
}

const REVIEW = (onTimeout: string, extra = '') => `
  - id: review
    approval: Large referral bonus
    details: { var: event.participant_id }
    roles: [manager]
    timeout: 2d${extra}
    then:
      - id: grant
        do: AllocateReward
        with: { participant_id: { var: event.participant_id }, reward: bonus }
    on_reject:
      - id: refused
        set: { refused: true }
    on_timeout: ${onTimeout}`;

const decision = (over: Partial<ApprovalDecisionInput>): ApprovalDecisionInput => ({
  task: 'review',
  decision: 'approve',
  decidedBy: 'member:m_1',
  role: 'manager',
  ...over,
});

/** Polls the `approvals` query until the task is open (the first workflow task may still be running). */
async function openTask(handle: WorkflowHandle<RunCampaign>, task = 'review'): Promise<ApprovalTaskView> {
  for (let i = 0; i < 100; i++) {
    const found = (await handle.query(approvalsQuery)).find((t) => t.task === task);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  return assert.fail(`task ${task} never opened`);
}

async function refusal(handle: WorkflowHandle<RunCampaign>, input: ApprovalDecisionInput): Promise<string> {
  const err = await handle.executeUpdate(approvalUpdate, { args: [input] }).then(
    () => assert.fail('the decision should be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
  assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
  return err.cause.type ?? '';
}

describe('approval step', () => {
  it('opens a task; an approval records who decided and runs `then`; a repeat is harmless, a reversal conflicts', async () => {
    const handle = await h.start(yamlPlan(REVIEW('reject')));
    const open = await openTask(handle);
    assert.equal(open.state, 'pending');
    assert.deepEqual(open.roles, ['manager']);
    assert.equal(open.title, 'Large referral bonus');
    assert.equal(typeof open.details, 'string');
    assert.ok(open.deadline && Date.parse(open.deadline) - Date.parse(open.opened_at) === 2 * 86_400_000);

    assert.equal(await refusal(handle, decision({ role: 'analyst' })), 'FORBIDDEN');
    assert.equal(await refusal(handle, decision({ task: 'nope' })), 'NOT_FOUND');
    const decided = await handle.executeUpdate(approvalUpdate, {
      args: [decision({ reason: 'checked the referral' })],
    });
    assert.equal(decided.state, 'approved');
    assert.equal(decided.decision?.decided_by, 'member:m_1');
    assert.equal(await refusal(handle, decision({})), 'APPROVAL_ALREADY_DECIDED');
    assert.equal(await refusal(handle, decision({ decision: 'reject', role: 'owner' })), 'CONFLICT');

    const outcome = await handle.result();
    assert.equal(outcome.status, 'completed');
    const record = outcome.vars.approval as ApprovalRecord;
    assert.equal(record.decision, 'approve');
    assert.equal(record.decided_by, 'member:m_1');
    assert.equal(record.role, 'manager');
    assert.equal(record.reason, 'checked the referral');
    assert.equal(record.escalated, false);
    assert.ok(!Number.isNaN(Date.parse(record.decided_at)));
    assert.equal(h.fakes.callsOf('AllocateReward', handle.workflowId).length, 1);
    assert.equal(outcome.vars.refused, undefined);
    assert.equal(outcome.vars.after, true);
  });

  it('a higher role may decide; a rejection runs `on_reject` and allocates nothing', async () => {
    const handle = await h.start(yamlPlan(REVIEW('approve')));
    await openTask(handle);
    await handle.executeUpdate(approvalUpdate, {
      args: [decision({ decision: 'reject', role: 'owner', decidedBy: 'key:k_9', reason: 'fraud' })],
    });
    const outcome = await handle.result();
    assert.equal(outcome.vars.refused, true);
    assert.equal((outcome.vars.approval as ApprovalRecord).decided_by, 'key:k_9');
    assert.equal((outcome.vars.approval as ApprovalRecord).reason, 'fraud');
    assert.equal(h.fakes.callsOf('AllocateReward', handle.workflowId).length, 0);
  });

  it('undecided, it escalates to other roles, then runs the timeout branch, and stays listed as timed out', async () => {
    const plan = yamlPlan(
      REVIEW(
        `
      - id: expired
        set: { expired: true }`,
        `
    escalate: { roles: [owner], timeout: 1d }
    as: review_decision`,
      ),
    );
    const handle = await h.start(plan);
    await openTask(handle);
    await h.env.sleep(2 * 86_400_000 + 60_000);
    const escalated = await openTask(handle);
    assert.equal(escalated.escalated, true);
    assert.deepEqual(escalated.roles, ['owner']);
    assert.equal(escalated.state, 'pending');
    // After escalation a manager no longer qualifies.
    assert.equal(await refusal(handle, decision({ role: 'manager' })), 'FORBIDDEN');

    const outcome = await handle.result();
    const record = outcome.vars.review_decision as ApprovalRecord;
    assert.equal(record.decision, 'timeout');
    assert.equal(record.decided_by, 'timeout');
    assert.equal(record.escalated, true);
    assert.equal(outcome.vars.expired, true);
    assert.equal(outcome.vars.refused, undefined);
    assert.equal(h.fakes.callsOf('AllocateReward', handle.workflowId).length, 0);
    const kinds = (await handle.query(traceQuery)).map((r) => r.kind);
    assert.ok(kinds.includes('escalated') && kinds.indexOf('escalated') < kinds.indexOf('decided'));
    // The journey has finished: its task stays readable (the route answers a late decision from it).
    const closed = (await handle.query(approvalsQuery)).find((t) => t.task === 'review');
    assert.equal(closed?.state, 'timed_out');
    assert.equal(closed?.decision?.decided_by, 'timeout');
  });

  it('an escalated task decided by the higher role goes on through `then`', async () => {
    const handle = await h.start(
      yamlPlan(REVIEW('reject', '\n    escalate: { roles: [owner], timeout: 1d }')),
    );
    await openTask(handle);
    await h.env.sleep(2 * 86_400_000 + 60_000);
    await handle.executeUpdate(approvalUpdate, {
      args: [decision({ role: 'owner', decidedBy: 'member:boss' })],
    });
    const outcome = await handle.result();
    const record = outcome.vars.approval as ApprovalRecord;
    assert.equal(record.decision, 'approve');
    assert.equal(record.escalated, true);
    assert.equal(h.fakes.callsOf('AllocateReward', handle.workflowId).length, 1);
  });

  it('`on_timeout: reject` lets the timeout decide: `on_reject` runs, decided by "timeout"', async () => {
    const handle = await h.start(yamlPlan(REVIEW('reject')));
    const outcome = await handle.result();
    const record = outcome.vars.approval as ApprovalRecord;
    assert.equal(record.decision, 'reject');
    assert.equal(record.decided_by, 'timeout');
    assert.equal(record.role, null);
    assert.equal(outcome.vars.refused, true);
    assert.equal(outcome.vars.after, true);
    // The timeout decided: even the same decision from a person afterwards is not "already decided".
    const listed = (await handle.query(approvalsQuery))[0];
    assert.equal(listed?.state, 'rejected');
    assert.equal(listed?.decision?.decided_by, 'timeout');
  });

  it('the simulator sends scripted decisions and reports how the journey answered each', async () => {
    const scenario = handScenarios.find((s) => s.name === 'approval-decide-escalate');
    assert.ok(scenario);
    const trace = await simulate(scenario.plan, scenario.script, { env: h.env });
    assert.deepEqual(
      trace.decisions?.map((d) => [d.task, d.decision, d.result]),
      [
        ['review', 'approve', 'accepted'],
        ['review', 'approve', 'already decided'],
        ['review', 'reject', 'refused: CONFLICT'],
      ],
    );
    const outcome = trace.journeys[0]?.outcome;
    assert.ok(outcome);
    assert.equal(outcome.status, 'completed');
    assert.equal((outcome.vars.approval as ApprovalRecord).decided_by, 'member:m_1');
    assert.equal((outcome.vars.second_decision as ApprovalRecord).decision, 'timeout');
    assert.equal((outcome.vars.second_decision as ApprovalRecord).escalated, true);
    assert.deepEqual(
      trace.activities.map((a) => a.activity),
      ['AllocateReward', 'RecordWorkflowMetrics'],
    );
  });

  it('a simulation script checks its decisions (offset, decision)', () => {
    const ok = parseSimulationScript(
      'events: [{ event: { event: x } }]\ndecisions: [{ at: 1h, task: review, decision: approve, role: admin }]',
    );
    assert.equal(ok.decisions?.[0]?.task, 'review');
    assert.throws(
      () =>
        parseSimulationScript(
          'events: [{ event: { event: x } }]\ndecisions: [{ at: 1h, task: t, decision: maybe }]',
        ),
      /decisions\/0\/decision|decisions\.0\.decision/,
    );
    assert.throws(
      () =>
        parseSimulationScript(
          'events: [{ event: { event: x } }]\ndecisions: [{ at: soon, task: t, decision: approve }]',
        ),
      /decisions\.0\.at/,
    );
  });
});
