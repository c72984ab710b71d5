import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleEvent } from '../../test/support/event.ts';
import { boundHeader, checkSentAt, checkTimestamp, EVENT_LIMITS, sanitizeEvent } from './sanitize.ts';

const now = new Date('2026-06-01T12:00:00.000Z');
const paths = (v: unknown) => {
  const r = sanitizeEvent(v, now);
  return r.ok ? [] : r.details.map((d) => d.path);
};

test('a realistic event passes untouched', () => {
  const e = sampleEvent({ occurred_at: '2026-06-01T11:59:00.000Z' });
  const before = JSON.stringify(e);
  assert.deepEqual(sanitizeEvent(e, now), { ok: true });
  assert.equal(JSON.stringify(e), before);
});

test('lone surrogates in values become U+FFFD in place; pairs are kept', () => {
  const e = { properties: { a: 'x\ud800', b: ['\udc00'], ok: '😀' } };
  assert.deepEqual(sanitizeEvent(e, now), { ok: true });
  assert.deepEqual(e.properties, { a: 'x\ufffd', b: ['\ufffd'], ok: '😀' });
});

test('each refusal names its path', () => {
  assert.deepEqual(paths({ properties: { n: 'a\u0000' } }), ['properties.n']);
  assert.deepEqual(paths({ properties: { 'k\u0000': 1 } }), ['properties.k\u0000']);
  assert.deepEqual(paths({ properties: { 'k\udfff': 1 } }), ['properties.k\udfff']);
  assert.deepEqual(paths(JSON.parse('{"traits":{"__proto__":1}}')), ['traits.__proto__']);
  assert.deepEqual(paths({ context: { constructor: 1, prototype: 2 } }), [
    'context.constructor',
    'context.prototype',
  ]);
  assert.deepEqual(paths({ properties: { [`k${'x'.repeat(128)}`]: 1 } }), [`properties.k${'x'.repeat(128)}`]);
  assert.deepEqual(paths({ properties: { s: 'x'.repeat(EVENT_LIMITS.maxStringChars + 1) } }), [
    'properties.s',
  ]);
  assert.deepEqual(paths({ properties: { n: Number.POSITIVE_INFINITY } }), ['properties.n']);
  assert.deepEqual(paths({ properties: { l: Array.from({ length: 101 }, () => 1) } }), ['properties.l']);
  const wide = Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [`o${i}`, Array.from({ length: 60 }, () => 0)]),
  );
  assert.equal(paths({ properties: wide })[0]?.startsWith('properties.o'), true, 'over 1,000 values');
});

test('depth: 8 levels of containers are allowed, the 9th is refused without walking further', () => {
  const nest = (d: number): unknown => (d === 0 ? 1 : [nest(d - 1)]);
  assert.deepEqual(paths({ properties: { a: nest(7) } }), []);
  assert.deepEqual(paths({ properties: { a: nest(8) } }), ['properties.a.0.0.0.0.0.0.0']);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.deepEqual(paths({ properties: { a: deep } }), ['properties.a.0.0.0.0.0.0.0']);
});

test('size: over 32 KiB of JSON is "too large", not a field error', () => {
  const big = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'é'.repeat(3_500)]));
  const r = sanitizeEvent({ properties: big }, now);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.tooLarge, true);
});

test('timestamps: strict ISO-8601, 4-digit year, between 2000-01-01 and 24 h ahead', () => {
  assert.equal(checkTimestamp('2026-06-01T11:00:00Z', now), null);
  assert.equal(checkTimestamp('2026-06-02T11:59:59.999+00:00', now), null);
  for (const bad of [
    '+275760-09-13T00:00:00Z',
    '-271821-04-20T00:00:00Z',
    '1999-12-31T23:59:59Z',
    '2026-06-02T12:00:01Z',
    '2026-06-01T11:00:00',
    '2026-06-01 11:00:00Z',
    '2026-02-30T00:00:00Z'.replace('30', '3x'),
  ])
    assert.notEqual(checkTimestamp(bad, now), null, bad);
  assert.deepEqual(paths({ occurred_at: '1970-01-01T00:00:00Z' }), ['occurred_at']);
  assert.equal(checkSentAt(undefined, now), null);
  assert.equal(checkSentAt(42, now)?.path, 'sent_at');
  assert.equal(checkSentAt('+275760-09-13T00:00:00Z', now)?.path, 'sent_at');
});

test('header-derived text is bounded and well-formed', () => {
  assert.equal(boundHeader('a'.repeat(10_000))?.length, EVENT_LIMITS.maxHeaderChars);
  assert.equal(boundHeader(null), null);
  assert.equal(boundHeader('ok'), 'ok');
});
