import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUN_CAMPAIGN_WORKFLOW } from '../contract/schedule.ts';
import { compileCampaignSource, formatDiagnostics } from '../dsl/index.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { RUN_CAMPAIGN } from './signals.ts';
import { scheduleFirings, simulate } from './simulate.ts';
import { parseSimulationScript } from './simulation/script.ts';

let env: TestWorkflowEnvironment;
before(async () => {
  quietTemporalRuntime();
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

/** The same schedule-driven pulse the end-to-end test deploys: Mondays 09:00 Berlin, fan out. */
const WEEKLY = `pulse: weekly-fan-out
id: weekly-fan-out
version: 1
title: Weekly fan-out
trigger:
  schedule: { cron: "0 9 * * MON", timezone: Europe/Berlin }
steps:
  - id: members
    for_each: [ana, ben]
    as: member
    max_items: 2
    steps:
      - id: due
        do: EmitEvent
        with:
          event: user_logged_in
          participant_id: { var: member }
          properties: { fired_at: { var: journey.startedAt } }
  - id: done
    end: completed
`;

const berlin = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Berlin',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

describe('schedule-driven pulse (YAML only) on the time-skipping server', () => {
  it('the campaign service and the engine name the same workflow type', () => {
    assert.equal(RUN_CAMPAIGN_WORKFLOW, RUN_CAMPAIGN);
  });

  it('computes the firings in the time zone, bounded by the horizon', () => {
    const start = Date.parse('2027-03-24T12:00:00Z');
    const offsets = scheduleFirings(
      { cron: '0 9 * * MON', timezone: 'Europe/Berlin' },
      start,
      21 * 86_400_000,
    );
    // Mar 29 (CEST from Mar 28: 07:00 UTC), Apr 5, Apr 12.
    assert.deepEqual(
      offsets.map((o) => new Date(start + o).toISOString()),
      ['2027-03-29T07:00:00.000Z', '2027-04-05T07:00:00.000Z', '2027-04-12T07:00:00.000Z'],
    );
  });

  it('validates, then runs one campaign-level journey per firing that fans out to each member', async () => {
    const compiled = compileCampaignSource(WEEKLY, 'weekly.pulse.yaml');
    assert.ok(compiled.plan, formatDiagnostics(compiled.diagnostics));
    const trace = await simulate(
      compiled.plan,
      parseSimulationScript(
        'horizon: 15d\nevents:\n  - at: 1d\n    event: { event: page_viewed, participant_id: nobody }\n',
      ),
      { env },
    );
    assert.ok(trace.journeys.length >= 2 && trace.journeys.length <= 3, `${trace.journeys.length} firings`);
    for (const j of trace.journeys) {
      assert.equal(j.outcome?.status, 'completed', j.workflowId);
      const firedAt = j.workflowId.split(':schedule-')[1] ?? '';
      assert.equal(berlin.format(new Date(firedAt)), 'Mon 09:00', firedAt);
    }
    const emits = trace.activities.filter((a) => a.activity === 'EmitEvent');
    assert.equal(emits.length, trace.journeys.length * 2);
    assert.deepEqual(
      emits.slice(0, 2).map((e) => (e.input as { participant_id: string }).participant_id),
      ['ana', 'ben'],
    );
  });
});
