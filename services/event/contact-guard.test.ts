import assert from 'node:assert/strict';
import { it } from 'node:test';
import { carriesContactTraits, guardContactTraits } from './contact-guard.ts';

const event = (traits?: Record<string, unknown>) => ({
  event: 'user_identified',
  event_id: 'evt_00000001',
  participant_id: 'alice',
  ...(traits ? { traits } : {}),
});

it('strips email and phone (any case) from untrusted events and keeps the other traits', () => {
  const r = guardContactTraits(event({ email: 'x@y.z', Phone: '+1555', plan: 'pro', name: 'Al' }), false);
  assert.deepEqual(r.event.traits, { plan: 'pro', name: 'Al' });
  assert.deepEqual(r.stripped, ['traits.email', 'traits.Phone']);
});

it('leaves trusted events and events without contact traits untouched', () => {
  const e = event({ email: 'x@y.z' });
  assert.equal(guardContactTraits(e, true).event, e);
  const plain = event({ plan: 'pro' });
  assert.deepEqual(guardContactTraits(plain, false), { event: plain, stripped: [] });
  assert.deepEqual(guardContactTraits(event(), false).stripped, []);
});

it('tells which raw events carry contact traits', () => {
  assert.equal(carriesContactTraits(event({ EMAIL: 'x@y.z' })), true);
  for (const v of [event({ plan: 'pro' }), event(), null, 'x', { traits: 'email' }])
    assert.equal(carriesContactTraits(v), false);
});
