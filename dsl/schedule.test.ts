import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronProblem, isTimeZone } from './check-schedule.ts';
import { compileCampaignSource, toMermaid } from './index.ts';

const weekly = `pulse: weekly-digest
id: weekly-digest
version: 1
title: Weekly digest
trigger:
  schedule: { cron: "0  9 * * MON", timezone: Europe/Berlin }
steps:
  - id: pause
    sleep: 1mo
  - id: renew
    wait: user_logged_in
    timeout: P1Y
  - id: done
    end: completed
`;

describe('schedule trigger', () => {
  it('compiles to a plan trigger with no events, the normalised cron and its time zone', () => {
    const r = compileCampaignSource(weekly, 'weekly.pulse.yaml');
    // A month's sleep and a year's wait in a weekly run: warned about (the schedule would skip firings).
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.path}`),
      ['warning WAIT_LONGER_THAN_PERIOD steps[0].sleep', 'warning WAIT_LONGER_THAN_PERIOD steps[1].timeout'],
    );
    assert.deepEqual(r.plan?.trigger.events, []);
    assert.deepEqual(r.plan?.trigger.schedule, { cron: '0 9 * * MON', timezone: 'Europe/Berlin' });
    assert.match(toMermaid(r.plan!), /schedule: 0 9 \* \* MON Europe\/Berlin/);
  });

  it('defaults the time zone to UTC', () => {
    const r = compileCampaignSource(weekly.replace(', timezone: Europe/Berlin', ''), 'w.pulse.yaml');
    assert.equal(r.plan?.trigger.schedule?.timezone, 'UTC');
  });

  it('keeps calendar durations as text for the engine, fixed ones as milliseconds', () => {
    const r = compileCampaignSource(weekly, 'weekly.pulse.yaml');
    const [pause, renew] = r.plan!.steps as { durationMs?: unknown; timeoutMs?: unknown }[];
    assert.equal(pause?.durationMs, '1mo');
    assert.equal(renew?.timeoutMs, 'P1Y');
    const fixed = compileCampaignSource(weekly.replace('sleep: 1mo', 'sleep: 2d'), 'w.pulse.yaml');
    assert.equal((fixed.plan!.steps[0] as { durationMs?: unknown }).durationMs, 2 * 86_400_000);
  });

  it('a trigger with neither event nor schedule is a schema error', () => {
    const r = compileCampaignSource(
      weekly.replace(/trigger:\n.*\n/, 'trigger: { when: true }\n'),
      'w.pulse.yaml',
    );
    assert.ok(
      r.diagnostics.some((d) => d.code === 'SCHEMA' && d.path.startsWith('trigger')),
      JSON.stringify(r.diagnostics),
    );
    assert.equal(r.plan, undefined);
  });

  it('cron and time-zone checks', () => {
    assert.equal(cronProblem('0 9 * * MON'), null);
    assert.equal(cronProblem('*/15 9-17 * * MON-FRI'), null);
    assert.equal(cronProblem('0 0 1 JAN,JUL *'), null);
    assert.match(cronProblem('0 9 * *') ?? '', /4 fields/);
    assert.match(cronProblem('0 0 9 * * MON') ?? '', /6 fields/);
    assert.match(cronProblem('61 * * * *') ?? '', /minute/);
    assert.match(cronProblem('0 0 L * *') ?? '', /L/);
    assert.match(cronProblem('0 0 ? * MON') ?? '', /"\?"/);
    assert.equal(isTimeZone('Europe/Berlin'), true);
    assert.equal(isTimeZone('UTC'), true);
    assert.equal(isTimeZone('Mars/Olympus'), false);
  });
});

describe('period in journey keys', () => {
  const yearly = (key: string) => `pulse: yearly
id: yearly
version: 1
title: Yearly
trigger:
  event: user_signed_up
  journey: ${key}
steps:
  - id: done
    end: completed
`;
  it('the trigger may read period.year|month|week|day', () => {
    const r = compileCampaignSource(
      yearly("{ cat: [{ var: event.participant_id }, ':', { var: period.year }] }"),
      'y.pulse.yaml',
    );
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.plan?.trigger.journey, {
      cat: [{ var: 'event.participant_id' }, ':', { var: 'period.year' }],
    });
  });
  it('an unknown period field is reported with its position', () => {
    const r = compileCampaignSource(
      yearly('{ cat: [{ var: event.participant_id }, { var: period.quarter }] }'),
      'y.pulse.yaml',
    );
    const d = r.diagnostics.find((x) => x.code === 'UNKNOWN_VARIABLE');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.equal(d.line, 7);
  });
  it('anniversary operators: a misspelt period or leap-day rule is reported with its position', () => {
    const src = `pulse: yearly
id: yearly
version: 1
title: Yearly
trigger: { event: user_signed_up }
steps:
  - id: wait
    sleep:
      until: { next_anniversary: [{ var: event.occurred_at }, { var: now }, yearly, feb29] }
  - id: done
    end: completed
`;
    const r = compileCampaignSource(src, 'y.pulse.yaml');
    const bad = r.diagnostics.filter((d) => d.code === 'BAD_EXPRESSION').map((d) => `${d.line} ${d.found}`);
    assert.deepEqual(bad, ['9 "yearly"', '9 "feb29"']);
  });
});

describe('anniversary trigger', () => {
  const yearly = `pulse: anniversary
id: anniversary
version: 1
title: Anniversary
trigger:
  event: [user_signed_up, user_logged_in]
  anniversary: { of: { trait: signup_date }, every: month, leap_day: mar1 }
steps:
  - id: done
    end: completed
`;
  it('compiles with its defaults (09:00 UTC) and draws its start node', () => {
    const r = compileCampaignSource(yearly, 'a.pulse.yaml');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.plan?.trigger.anniversary, {
      of: { trait: 'signup_date' },
      every: 'month',
      at: '09:00',
      timezone: 'UTC',
      leapDay: 'mar1',
    });
    assert.deepEqual(r.plan?.trigger.events, ['user_signed_up', 'user_logged_in']);
    assert.match(toMermaid(r.plan!), /every month on signup_date at 09:00 UTC/);
  });

  it('an event origin enrols by itself; a missing enrolment, a schedule beside it or a bad time is reported', () => {
    const byEvent = compileCampaignSource(
      yearly
        .replace(/ {2}event: .*\n/, '')
        .replace('{ trait: signup_date }', '{ event: purchase_completed }'),
      'a.pulse.yaml',
    );
    assert.deepEqual(byEvent.diagnostics, []);
    assert.deepEqual(byEvent.plan?.trigger.events, ['purchase_completed']);
    const codes = (src: string) =>
      compileCampaignSource(src, 'a.pulse.yaml').diagnostics.map((d) => `${d.code} ${d.path}`);
    assert.deepEqual(codes(yearly.replace('every: month', 'every: month, at: "9am"')), [
      'BAD_ANNIVERSARY trigger.anniversary.at',
    ]);
    assert.deepEqual(
      codes(
        yearly.replace('  event: [user_signed_up, user_logged_in]\n', '  schedule: { cron: "0 9 * * *" }\n'),
      ),
      ['BAD_ANNIVERSARY trigger.anniversary', 'BAD_ANNIVERSARY trigger.anniversary.of'],
    );
    assert.deepEqual(codes(yearly.replace('{ trait: signup_date }', '{ event: purchase_completed }')), [
      'BAD_ANNIVERSARY trigger.anniversary.of.event',
    ]);
    assert.ok(codes(yearly.replace('every: month', 'every: decade')).some((c) => c.startsWith('SCHEMA')));
  });
});
