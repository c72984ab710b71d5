import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { compileCampaignSource, formatDiagnostics } from '../dsl/index.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { simulate } from './simulate.ts';
import { parseSimulationScript } from './simulation/script.ts';

/**
 * The JSON Logic 2 operators (contract/expr-jsonlogic2.ts) inside a real journey: evaluated by
 * contract/expr.ts in Temporal's workflow sandbox, on the time-skipping test server.
 */
let env: TestWorkflowEnvironment;
before(async () => {
  quietTemporalRuntime();
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

const source = `pulse: test
id: jsonlogic2-journey
version: 1
title: JSON Logic 2 operators in a journey
trigger: { event: user_signed_up }
steps:
  - id: compute
    set:
      plan: { "??": [{ val: [event, properties, plan] }, free] }
      has_coupon: { exists: [event, properties, coupon] }
      ratio: { try: [{ "/": [1, { var: event.properties.zero }] }, -1] }
      shifted: { map: [[10, 20], { "+": [{ val: [] }, { val: [[1], index] }] }] }
      kept: { preserve: { var: plan } }
  - id: decide
    if: { "==": [{ var: plan }, free] }
    then:
      - { id: free_end, end: completed }
  - id: guard
    set: { never: { throw: NOT_FREE } }
`;

describe('JSON Logic 2 operators in a journey', () => {
  it('evaluate in the workflow sandbox; an uncaught throw fails the journey', async () => {
    const { plan, diagnostics } = compileCampaignSource(source, 'jsonlogic2.yaml');
    assert.ok(plan, formatDiagnostics(diagnostics));
    const free = await simulate(
      plan,
      parseSimulationScript(`
events:
  - event: { event: user_signed_up, participant_id: p-free, properties: { zero: 0, coupon: null } }
`),
      { env },
    );
    const outcome = free.journeys[0]?.outcome;
    assert.equal(outcome?.status, 'completed');
    assert.deepEqual(
      {
        plan: outcome?.vars.plan,
        has_coupon: outcome?.vars.has_coupon,
        ratio: outcome?.vars.ratio,
        shifted: outcome?.vars.shifted,
        kept: outcome?.vars.kept,
      },
      { plan: 'free', has_coupon: true, ratio: -1, shifted: [10, 21], kept: { var: 'plan' } },
    );

    const paid = await simulate(
      plan,
      parseSimulationScript(`
events:
  - event: { event: user_signed_up, participant_id: p-pro, properties: { plan: pro, zero: 0 } }
`),
      { env },
    );
    const journey = paid.journeys[0];
    assert.equal(journey?.outcome, undefined, 'the journey did not complete');
    assert.equal(journey?.failure?.type, 'EXPRESSION_FAILED', JSON.stringify(journey?.failure));
    assert.match(journey?.failure?.message ?? '', /NOT_FREE/);
  });
});
