import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  addDuration,
  addMonths,
  formatDuration,
  formatDurationParts,
  parseDuration,
  parseDurationParts,
  parseSignedDuration,
  toDuration,
  toDurationMs,
} from './duration.ts';

describe('parseDuration', () => {
  it('reads compact units, alone and combined', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('90m'), 5_400_000);
    assert.equal(parseDuration('12h'), 43_200_000);
    assert.equal(parseDuration('30d'), 2_592_000_000);
    assert.equal(parseDuration('2w'), 1_209_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration(' 3d '), 259_200_000);
  });

  it('reads ISO-8601 durations without calendar units', () => {
    assert.equal(parseDuration('P30D'), 2_592_000_000);
    assert.equal(parseDuration('PT12H'), 43_200_000);
    assert.equal(parseDuration('P1W'), 604_800_000);
    assert.equal(parseDuration('P1DT2H30M'), 95_400_000);
    assert.equal(parseDuration('PT0.5S'), 500);
  });

  it('rejects everything else, and calendar units where a fixed length is asked for', () => {
    for (const bad of [
      '',
      '3',
      '3 days',
      'd',
      'P',
      'PT',
      'P1M',
      'P1Y',
      '1mo',
      '1y',
      '-3d',
      '3x',
      'P1DT',
      '1h 30m',
    ]) {
      assert.equal(parseDuration(bad), null, bad);
    }
  });

  it('signed durations and ms for date arithmetic', () => {
    assert.equal(parseSignedDuration('-30d'), -2_592_000_000);
    assert.equal(toDurationMs(1234), 1234);
    assert.equal(toDurationMs('2h'), 7_200_000);
    assert.equal(toDurationMs(Number.NaN), null);
    assert.equal(toDurationMs({}), null);
  });

  it('formatDuration writes the compact form', () => {
    assert.equal(formatDuration(2_592_000_000), '30d');
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(-86_400_000), '-1d');
  });
});

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('calendar durations (months and years)', () => {
  it('parses mo / y and ISO Y / M into months, keeping the fixed part apart', () => {
    assert.deepEqual(parseDurationParts('3mo'), { months: 3, ms: 0 });
    assert.deepEqual(parseDurationParts('1y'), { months: 12, ms: 0 });
    assert.deepEqual(parseDurationParts('1y6mo2d'), { months: 18, ms: 2 * 86_400_000 });
    assert.deepEqual(parseDurationParts('P1Y2M10DT2H30M'), { months: 14, ms: 10 * 86_400_000 + 9_000_000 });
    assert.deepEqual(parseDurationParts('P3M'), { months: 3, ms: 0 });
    assert.deepEqual(parseDurationParts('PT3M'), { months: 0, ms: 180_000 });
    assert.deepEqual(parseDurationParts('90m'), { months: 0, ms: 5_400_000 }, 'm stays minutes');
    assert.deepEqual(toDuration('-1y'), { months: -12, ms: -0 });
    assert.deepEqual(toDuration(500), { months: 0, ms: 500 });
  });

  it('refuses fractional months and years', () => {
    for (const bad of ['1.5mo', '0.5y', 'P1.5Y', 'P0.5M', 'mo', 'y', '1yr', '1 mo'])
      assert.equal(parseDurationParts(bad), null, bad);
  });

  it('adds months by the calendar, clamping to the last day of the month', () => {
    assert.equal(iso(addMonths(at('2027-01-31T09:30:00Z'), 1)), '2027-02-28T09:30:00.000Z');
    assert.equal(iso(addMonths(at('2028-01-31T09:30:00Z'), 1)), '2028-02-29T09:30:00.000Z');
    assert.equal(iso(addMonths(at('2027-03-31T00:00:00Z'), -1)), '2027-02-28T00:00:00.000Z');
    assert.equal(iso(addMonths(at('2027-10-31T00:00:00Z'), 4)), '2028-02-29T00:00:00.000Z');
    assert.equal(iso(addMonths(at('2027-12-15T00:00:00Z'), 1)), '2028-01-15T00:00:00.000Z');
  });

  it('adds years from Feb 29 to Feb 28, and back to Feb 29 four years on', () => {
    const leap = at('2028-02-29T12:00:00Z');
    assert.equal(iso(addDuration(leap, parseDurationParts('1y')!)), '2029-02-28T12:00:00.000Z');
    assert.equal(iso(addDuration(leap, parseDurationParts('4y')!)), '2032-02-29T12:00:00.000Z');
    assert.equal(iso(addDuration(leap, parseDurationParts('P1Y1D')!)), '2029-03-01T12:00:00.000Z');
  });

  it('formats calendar durations', () => {
    assert.equal(formatDurationParts({ months: 12, ms: 0 }), '1y');
    assert.equal(formatDurationParts({ months: 14, ms: 86_400_000 }), '1y2mo1d');
    assert.equal(formatDurationParts({ months: 0, ms: 3_600_000 }), '1h');
  });
});

describe('one grammar: the JSON Schemas agree with the parser', () => {
  const samples = [
    ['30d', true],
    ['1h30m', true],
    ['1.5h', true],
    ['3mo', true],
    ['1y6mo', true],
    ['P1Y', true],
    ['P1Y2M10DT2H30M', true],
    ['PT0.5S', true],
    ['1.5mo', false],
    ['P0.5Y', false],
    ['3 days', false],
    ['P', false],
    ['PT', false],
    ['1yr', false],
  ] as const;
  for (const file of ['campaign', 'reward']) {
    it(`${file}.schema.json $defs.duration`, () => {
      const schema = JSON.parse(
        readFileSync(new URL(`../schemas/${file}.schema.json`, import.meta.url), 'utf8'),
      ) as { $defs: { duration: { pattern: string } } };
      const pattern = new RegExp(schema.$defs.duration.pattern);
      for (const [text, ok] of samples) {
        assert.equal(pattern.test(text), ok, `schema ${text}`);
        assert.equal(parseDurationParts(text) !== null, ok, `parser ${text}`);
      }
    });
  }
});
