import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCampaignSource } from './index.ts';

const campaign = (trigger: string, events = '') => `pulse: test
id: custom-events
version: 1
title: Webinar follow-up
trigger: { event: ${trigger} }
${events}
steps:
  - id: wait
    wait: custom_webinar_attended
    timeout: 7d
  - id: done
    end: completed
`;

const declared = `events:
  custom_webinar_attended:
    description: A participant attended a webinar
    properties:
      type: object
      required: [webinar_id]
      properties:
        webinar_id: { type: string, maxLength: 64 }
        minutes: { type: integer, minimum: 0 }
  custom_webinar_registered:
    properties: { type: object }`;

const codes = (r: { diagnostics: { code: string; path: string }[] }) =>
  r.diagnostics.map((d) => `${d.code} ${d.path}`);

describe('custom events in a campaign file', () => {
  it('a campaign declaring its events inline validates, compiles and hands the declarations back', () => {
    const r = compileCampaignSource(campaign('custom_webinar_registered', declared), 'c.pulse.yaml');
    assert.deepEqual(codes(r), []);
    assert.ok(r.plan);
    assert.deepEqual(r.plan.trigger.events, ['custom_webinar_registered']);
    assert.deepEqual(r.plan.waitsFor, ['custom_webinar_attended']);
    assert.deepEqual(Object.keys(r.events ?? {}).sort(), [
      'custom_webinar_attended',
      'custom_webinar_registered',
    ]);
    assert.deepEqual(r.events?.custom_webinar_attended?.properties.required, ['webinar_id']);
  });

  it('an undeclared custom event is UNKNOWN_EVENT at its position; the client’s API declarations count at deploy', () => {
    const source = campaign('custom_webinar_registered');
    const r = compileCampaignSource(source, 'c.pulse.yaml');
    assert.deepEqual(codes(r).sort(), ['UNKNOWN_EVENT steps[0].wait', 'UNKNOWN_EVENT trigger.event']);
    const at = r.diagnostics.find((d) => d.path === 'trigger.event');
    assert.equal(at?.line, 5);
    assert.equal(at?.column, 19);
    const ok = compileCampaignSource(source, 'c.pulse.yaml', {
      declaredEvents: ['custom_webinar_registered', 'custom_webinar_attended'],
    });
    assert.deepEqual(codes(ok), []);
    assert.ok(ok.plan);
    assert.equal(ok.events, undefined, 'API declarations are not the file’s');
  });

  it('suggests the closest declared name, and built-in names for built-in typos', () => {
    const r = compileCampaignSource(campaign('custom_webinar_registred', declared), 'c.pulse.yaml');
    assert.match(r.diagnostics[0]?.message ?? '', /did you mean "custom_webinar_registered"/);
    const b = compileCampaignSource(campaign('user_signedup', declared), 'c.pulse.yaml');
    assert.deepEqual(codes(b), ['UNKNOWN_EVENT trigger.event']);
    assert.match(b.diagnostics[0]?.message ?? '', /did you mean "user_signed_up"/);
  });

  it('a declared name outside the custom_ namespace (or a built-in) is refused in the events block', () => {
    for (const name of ['webinar_attended', 'user_signed_up', 'custom_Webinar', `custom_${'a'.repeat(60)}`]) {
      const r = compileCampaignSource(
        campaign('user_signed_up', `events:\n  ${name}:\n    properties: { type: object }`),
        'c.pulse.yaml',
      );
      assert.ok(codes(r).includes(`SCHEMA events.${name}`), `${name}: ${codes(r).join(', ')}`);
    }
  });

  it('declared schemas are bounded: too deep and not compiling are BAD_EVENT_SCHEMA with their path', () => {
    let deep = '{ type: object }';
    for (let i = 0; i < 8; i++) deep = `{ type: object, properties: { a: ${deep} } }`;
    const r = compileCampaignSource(
      campaign('user_signed_up', `events:\n  custom_webinar_attended:\n    properties: ${deep}`),
      'c.pulse.yaml',
    );
    assert.equal(r.plan, undefined);
    const d = r.diagnostics.find((x) => x.code === 'BAD_EVENT_SCHEMA');
    assert.ok(d, codes(r).join(', '));
    assert.match(d.path, /^events\.custom_webinar_attended\.properties(\.properties\.a)+$/);
    assert.match(d.message, /deeper than 6/);
    const bad = compileCampaignSource(
      campaign(
        'user_signed_up',
        `events:\n  custom_webinar_attended:\n    properties: { type: object, properties: { at: { type: string, format: hostname } } }`,
      ),
      'c.pulse.yaml',
    );
    assert.deepEqual(codes(bad), [
      'BAD_EVENT_SCHEMA events.custom_webinar_attended.properties.properties.at.format',
    ]);
  });
});

describe('trust of custom events', () => {
  const compile = (steps: string) =>
    compileCampaignSource(
      `pulse: test\nid: custom-trust\nversion: 1\ntitle: Trust\ntrigger: { event: custom_course_finished }\nrewards:\n  bonus: { type: single, side: referee, give: { category: store_credit, amount: 5, currency: USD } }\nsteps:\n${steps}`,
      'c.pulse.yaml',
      { declaredEvents: ['custom_course_finished'] },
    );

  it('a custom event is sdk-trusted unless what follows reaches a reward, then server (like built-ins)', () => {
    const plain = compile('  - id: done\n    end: completed\n');
    assert.equal(plain.plan?.trigger.trust, 'sdk');
    const paying = compile(
      '  - id: pay\n    do: AllocateReward\n    with: { participant_id: { var: event.participant_id }, reward: bonus, side: referee }\n',
    );
    assert.equal(paying.plan?.trigger.trust, 'server');
  });
});
