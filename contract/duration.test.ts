import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration, parseSignedDuration, toDurationMs } from './duration.ts';

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

  it('rejects everything else (months and years included)', () => {
    for (const bad of ['', '3', '3 days', 'd', 'P', 'PT', 'P1M', 'P1Y', '-3d', '3x', 'P1DT', '1h 30m']) {
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
