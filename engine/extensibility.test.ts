import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Plan } from '../contract/plan.ts';
import { compileCampaignSource, formatDiagnostics } from '../dsl/index.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { simulate } from './simulate.ts';

/**
 * A tenth pulse type (a webinar pulse), written here as YAML and never seen by any TypeScript: it compiles with the DSL
 * and runs on the same generic workflow. Adding a pulse is a YAML file, nothing else.
 */
const WEBINAR = `
pulse: webinar
id: webinar-default
version: 1
title: Webinar Pulse
goal: Get registrants to attend, reward attendees, and turn them into referrers.
trigger:
  event: webinar_registered
  when: { "!!": { var: event.properties.starts_at } }
  journey: event.participant_id
settings:
  remind_before:
    type: duration
    default: 1h
    title: Reminder before the start
  attend_grace:
    type: duration
    default: 2h
    title: How late attendance still counts
rewards:
  attendee_bonus:
    type: single
    side: participant
    give: { category: store_credit, amount: 5, currency: USD, label: "$5 credit" }
steps:
  - id: confirmation
    do: SendNotification
    with:
      participant_id: { var: event.participant_id }
      channel: email
      template: webinar-confirmation
      data: { starts_at: { var: event.properties.starts_at } }
  - id: until-reminder
    sleep:
      until: { date_sub: [{ var: event.properties.starts_at }, { var: settings.remind_before }] }
  - id: reminder
    do: SendNotification
    with:
      participant_id: { var: event.participant_id }
      channel: email
      template: webinar-reminder
  - id: wait-for-attendance
    wait: webinar_attended
    timeout:
      max:
        - 0
        - ms_between:
            - { var: now }
            - { date_add: [{ var: event.properties.starts_at }, { var: settings.attend_grace }] }
    as: attendance
    then:
      - id: attendee-bonus
        do: AllocateReward
        with:
          participant_id: { var: event.participant_id }
          reward: attendee_bonus
          side: participant
          reason: attended the webinar
        as: bonus
      - id: share-link
        do: GenerateReferralAssets
        with: { participant_id: { var: event.participant_id } }
        as: assets
      - id: thanks
        do: SendNotification
        with:
          participant_id: { var: event.participant_id }
          channel: email
          template: webinar-thanks
          data: { bonus: { var: bonus }, share_link: { var: assets.link } }
    on_timeout:
      - id: recording
        do: SendNotification
        with:
          participant_id: { var: event.participant_id }
          channel: email
          template: webinar-recording
      - id: missed
        end: expired
        reason: did not attend
  - id: done
    end: completed
`;

let env: TestWorkflowEnvironment;
let plan: Plan;
before(async () => {
  quietTemporalRuntime();
  const compiled = compileCampaignSource(WEBINAR, 'webinar.pulse.yaml');
  assert.ok(compiled.plan, formatDiagnostics(compiled.diagnostics));
  plan = compiled.plan;
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

const HOUR = 3_600_000;
// Registrations and attendance come signed from the webinar tool's backend: the bonus pays money, so
// the compiled plan requires server trust for both.
const registered = (who: string, startsAt: number | null) => ({
  event: {
    event: 'webinar_registered',
    trust: 'server' as const,
    participant_id: who,
    properties: startsAt === null ? {} : { starts_at: new Date(startsAt).toISOString() },
  },
});

describe('a new pulse type, YAML only', () => {
  it('compiles and runs end to end: confirmation, reminder an hour before, bonus for attending', async () => {
    const start = await env.currentTimeMs();
    const trace = await simulate(
      plan,
      {
        events: [
          registered('una', start + 72 * HOUR),
          { at: '72h', event: { event: 'webinar_attended', participant_id: 'una', trust: 'server' } },
        ],
      },
      { env },
    );
    const [journey] = trace.journeys;
    assert.equal(journey?.outcome?.status, 'completed');
    assert.deepEqual(
      trace.activities.map((c) => c.stepId),
      ['confirmation', 'reminder', 'attendee-bonus', 'share-link', 'thanks'],
    );
    const hours = trace.activities.map((c) => Math.round((Date.parse(c.scheduledAt) - start) / HOUR));
    assert.deepEqual(hours, [0, 71, 72, 72, 72]);
    assert.equal(trace.activities[2]?.input.reward, 'attendee_bonus');
  });

  it('takes its own timeout path and respects its own trigger filter', async () => {
    const start = await env.currentTimeMs();
    const trace = await simulate(
      plan,
      { events: [registered('nodate', null), registered('vic', start + 24 * HOUR)] },
      { env },
    );
    assert.equal(trace.events[0]?.routes[0]?.reason, 'trigger condition not met');
    const [journey] = trace.journeys;
    assert.equal(journey?.outcome?.status, 'expired');
    assert.equal(journey?.outcome?.reason, 'did not attend');
    const recording = trace.activities.find((c) => c.stepId === 'recording');
    assert.equal(Math.round((Date.parse(recording!.scheduledAt) - start) / HOUR), 26);
  });
});
