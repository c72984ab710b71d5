import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { nextAnniversary } from '../contract/anniversary.ts';
import { compileCampaignSource, formatDiagnostics } from '../dsl/index.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { simulate } from './simulate.ts';
import { parseSimulationScript } from './simulation/script.ts';

let env: TestWorkflowEnvironment;
before(async () => {
  quietTemporalRuntime();
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

/**
 * An anniversary pulse written as YAML only: on the participant's account-anniversary (a Feb 29 signup
 * celebrates on Mar 1 in common years), one journey per participant per year (the key holds the
 * period), sleeping on a durable timer until the date.
 */
const ANNIVERSARY = `pulse: account-anniversary
id: account-anniversary
version: 1
title: Account anniversary
trigger:
  event: user_logged_in
  journey: { cat: [{ var: event.participant_id }, ':', { var: period.year }] }
steps:
  - id: until-anniversary
    sleep:
      until: { next_anniversary: [{ var: event.properties.signup_date }, { var: journey.startedAt }, year, mar1] }
  - id: congratulate
    do: SendNotification
    with:
      participant_id: { var: event.participant_id }
      template: reminder
      data:
        subject: Happy anniversary!
        message: Another year with us. Thank you for being here.
  - id: done
    end: completed
`;

describe('anniversary pulse (YAML only) on the time-skipping server', () => {
  it('validates, then sleeps to the next anniversary with the leap-day rule and notifies once', async () => {
    const compiled = compileCampaignSource(ANNIVERSARY, 'anniversary.pulse.yaml');
    assert.ok(compiled.plan, formatDiagnostics(compiled.diagnostics));
    const script = parseSimulationScript(`
events:
  - event: { event: user_logged_in, participant_id: leap-1, trust: server, properties: { signup_date: "2024-02-29T09:00:00Z" } }
  - at: 1d
    event: { event: user_logged_in, participant_id: leap-1, trust: server, properties: { signup_date: "2024-02-29T09:00:00Z" } }
`);
    const trace = await simulate(compiled.plan, script, { env });
    assert.equal(trace.journeys.length, 1, 'the second login of the same year joins the same journey');
    assert.equal(trace.journeys[0]?.outcome?.status, 'completed');
    const sent = trace.activities.filter((a) => a.activity === 'SendNotification');
    assert.equal(sent.length, 1);
    const expected = nextAnniversary(
      Date.parse('2024-02-29T09:00:00Z'),
      Date.parse(trace.startedAt),
      'year',
      'mar1',
    )!;
    const day = new Date(expected).toISOString().slice(5, 10);
    const year = new Date(expected).getUTCFullYear();
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    assert.equal(day, leap ? '02-29' : '03-01');
    assert.ok(
      Math.abs(Date.parse(sent[0]!.scheduledAt) - expected) < 60_000,
      `${sent[0]!.scheduledAt} is not ${new Date(expected).toISOString()}`,
    );
  });
});
