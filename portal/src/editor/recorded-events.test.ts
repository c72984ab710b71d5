import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { MAX_RECORDED_EVENTS, RecordedEventsError, recordedScript } from './recorded-events.ts';

describe('recorded events → a simulation script', () => {
  it('reads the participant export’s ClickHouse rows: flat columns back to an event, at recorded distances', () => {
    const row = (event: string, occurred_at: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        event_id: `e-${event}`,
        event,
        client_id: 'cl_real',
        campaign_id: '',
        participant_id: 'ada',
        anonymous_id: '',
        referral_id: 'ref-1',
        referral_code: 'GRACE20',
        occurred_at,
        received_at: occurred_at,
        value: 0,
        currency: '',
        source: 'sdk',
        utm_source: '',
        properties: '{"referral_code":"GRACE20"}',
        context: '{}',
        ...extra,
      });
    const file = [
      row('purchase_completed', '2026-05-03 10:00:00', { source: 'server', properties: '{"amount":80}' }),
      row('user_signed_up', '2026-05-01 10:00:00'),
    ].join('\n');
    const made = recordedScript(file, 'events.jsonl');
    assert.deepEqual(made.events, [
      {
        at: 0,
        event: {
          event_id: 'e-user_signed_up',
          event: 'user_signed_up',
          participant_id: 'ada',
          referral_id: 'ref-1',
          properties: { referral_code: 'GRACE20' },
        },
      },
      {
        at: 2 * 86_400_000,
        event: {
          event_id: 'e-purchase_completed',
          event: 'purchase_completed',
          participant_id: 'ada',
          referral_id: 'ref-1',
          properties: { amount: 80 },
          trust: 'server',
        },
      },
    ]);
    assert.equal(made.from, '2026-05-01T10:00:00.000Z');
    // The YAML is the same script, with where it came from.
    assert.match(made.yaml, /^# 2 recorded event\(s\) from events\.jsonl/);
    assert.deepEqual(parse(made.yaml), { events: made.events });
  });

  it('replays an earlier simulation’s trace at its offsets, and SDK envelopes at their times', () => {
    const trace = {
      trace: {
        events: [
          { offsetMs: 60_000, at: 'x', event: { event: 'page_viewed', occurred_at: 'x', client_id: 'sim' } },
          { offsetMs: 0, at: 'x', event: { event: 'user_signed_up', participant_id: 'ada' } },
        ],
      },
    };
    assert.deepEqual(
      recordedScript(JSON.stringify(trace), 't.json').events.map((e) => [
        e.at,
        e.event.event,
        e.event.client_id,
      ]),
      [
        [0, 'user_signed_up', undefined],
        [60_000, 'page_viewed', undefined],
      ],
    );
    const envelopes = [
      { event: 'a', occurred_at: '2026-01-01T00:00:10Z' },
      { event: 'b', occurred_at: '2026-01-01T00:00:00Z' },
    ];
    assert.deepEqual(
      recordedScript(JSON.stringify(envelopes), 'e.json').events.map((e) => [e.at, e.event.event]),
      [
        [0, 'b'],
        [10_000, 'a'],
      ],
    );
  });

  it('keeps at most the simulator’s limit and says how many it dropped; refuses what is not events', () => {
    const many = Array.from({ length: MAX_RECORDED_EVENTS + 5 }, (_, i) =>
      JSON.stringify({ event: `e${i}` }),
    );
    const made = recordedScript(many.join('\n'), 'many.ndjson');
    assert.equal(made.events.length, MAX_RECORDED_EVENTS);
    assert.equal(made.dropped, 5);
    assert.match(made.yaml, /5 more dropped/);
    assert.throws(() => recordedScript('{"event": 3}', 'x.json'), RecordedEventsError);
    assert.throws(() => recordedScript('not json\n{}', 'x.jsonl'), /line 1 is not JSON/);
    assert.throws(() => recordedScript('   ', 'x.jsonl'), /empty/);
  });
});
