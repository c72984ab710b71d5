import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { periodOf } from '../contract/period.ts';
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

/** Every year on the signup date, 09:00 Berlin time; a Feb 29 signup celebrates on Mar 1 in common years. */
const yearly = (leapDay: string) => `pulse: signup-anniversary
id: signup-anniversary
version: 1
title: Signup anniversary
trigger:
  event: user_signed_up
  anniversary:
    of: { trait: signup_date }
    every: year
    at: "09:00"
    timezone: Europe/Berlin
    leap_day: ${leapDay}
steps:
  - id: note
    set:
      year_n: { var: event.properties.n }
      this_period: { var: period.year }
      from_event: { var: event.properties.period }
      at: { var: event.occurred_at }
  - id: done
    end: completed
`;

const signup = (at: string) => `
  - at: ${at}
    event: { event: user_signed_up, participant_id: leap-1, trust: server, traits: { signup_date: "2024-02-29" } }`;

describe('anniversary trigger (per-participant recurring dates) on the time-skipping server', () => {
  it('year 1 and year 2 each run once, at 09:00 local time, with the leap-day rule', async () => {
    const compiled = compileCampaignSource(yearly('mar1'), 'signup-anniversary.pulse.yaml');
    assert.ok(compiled.plan, formatDiagnostics(compiled.diagnostics));
    assert.deepEqual(compiled.plan.trigger.anniversary, {
      of: { trait: 'signup_date' },
      every: 'year',
      at: '09:00',
      timezone: 'Europe/Berlin',
      leapDay: 'mar1',
    });
    const start = await env.currentTimeMs();
    const startYear = new Date(start).getUTCFullYear();
    // The same participant enrols again a month later (a second signup event): no second journey.
    const script = parseSimulationScript(`horizon: 800d\nevents:${signup('0')}${signup('30d')}`);
    const trace = await simulate(compiled.plan, script, { env });
    const ran = trace.journeys.map((j) => ({
      key: j.workflowId.split(':').slice(3).join(':'),
      status: j.outcome?.status,
      at: j.outcome?.vars?.at,
      period: j.outcome?.vars?.this_period,
      fromEvent: j.outcome?.vars?.from_event,
    }));
    // Within 800 days: two anniversaries (sometimes three), each period exactly once.
    assert.ok(ran.length >= 2, JSON.stringify(ran));
    assert.equal(new Set(ran.map((r) => r.key)).size, ran.length, 'no period runs twice');
    for (const r of ran) {
      assert.equal(r.status, 'completed');
      assert.equal(r.key, `leap-1:${r.period}`);
      assert.equal(r.fromEvent, r.period, 'steps read period.year; the event carries the same period');
      const year = Number(r.period);
      const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
      // 09:00 in Berlin is 08:00 UTC in winter (CET); Mar 1 is still winter time.
      assert.equal(r.at, `${year}-${leap ? '02-29' : '03-01'}T08:00:00.000Z`);
      assert.ok(Date.parse(String(r.at)) > start);
    }
    const first = Date.parse(`${startYear}-03-01T08:00:00Z`) > start ? startYear : startYear + 1;
    assert.deepEqual(
      ran.slice(0, 2).map((r) => r.period),
      [String(first), String(first + 1)],
    );
  });

  it('leap_day feb28 places a Feb 29 origin on Feb 28 in common years', async () => {
    const compiled = compileCampaignSource(yearly('feb28'), 'signup-anniversary.pulse.yaml');
    assert.ok(compiled.plan, formatDiagnostics(compiled.diagnostics));
    const script = parseSimulationScript(`horizon: 400d\nevents:${signup('0')}`);
    const trace = await simulate(compiled.plan, script, { env });
    assert.equal(trace.journeys.length, 1);
    const at = String(trace.journeys[0]?.outcome?.vars?.at);
    const year = Number(at.slice(0, 4));
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    assert.equal(at, `${year}-02-${leap ? '29' : '28'}T08:00:00.000Z`);
  });

  it('an enrolling event without the date starts nothing', async () => {
    const compiled = compileCampaignSource(yearly('feb28'), 'signup-anniversary.pulse.yaml');
    assert.ok(compiled.plan);
    const script = parseSimulationScript(`
events:
  - event: { event: user_signed_up, participant_id: nodate, trust: server, traits: { plan: pro } }
`);
    const trace = await simulate(compiled.plan, script, { env });
    assert.equal(trace.journeys.length, 0);
    assert.equal(trace.events[0]?.routes[0]?.reason, 'no anniversary date');
  });
});

describe('period in steps', () => {
  it('a step reads the period its journey key was made from', async () => {
    const compiled = compileCampaignSource(
      `pulse: yearly-login
id: yearly-login
version: 1
title: Yearly login
trigger:
  event: user_logged_in
  journey: { cat: [{ var: event.participant_id }, ':', { var: period.year }] }
steps:
  - id: note
    set: { year: { var: period.year }, day: { var: period.day }, week: { var: period.week } }
`,
      'yearly-login.pulse.yaml',
    );
    assert.ok(compiled.plan, formatDiagnostics(compiled.diagnostics));
    const trace = await simulate(
      compiled.plan,
      parseSimulationScript('events:\n  - event: { event: user_logged_in, participant_id: ivy }\n'),
      { env },
    );
    const [journey] = trace.journeys;
    const p = periodOf(Date.parse(trace.events[0]!.at));
    assert.equal(journey?.workflowId.endsWith(`:ivy:${p.year}`), true);
    assert.deepEqual(journey?.outcome?.vars, { year: p.year, day: p.day, week: p.week });
  });

  it('a variable may no longer be called period (reserved, like event)', () => {
    const r = compileCampaignSource(
      `pulse: p
id: p
version: 1
title: P
trigger: { event: user_logged_in }
steps:
  - id: note
    set: { period: 1 }
`,
      'p.pulse.yaml',
    );
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      ['RESERVED_VARIABLE'],
    );
  });
});
