import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoWeek, periodOf } from './period.ts';

describe('periodOf', () => {
  it('names the year, month, ISO week and day of an instant (UTC)', () => {
    assert.deepEqual(periodOf(Date.parse('2027-03-01T10:00:00Z')), {
      year: '2027',
      month: '2027-03',
      week: '2027-W09',
      day: '2027-03-01',
    });
  });

  it('uses the ISO week-numbering year at year boundaries', () => {
    assert.deepEqual(isoWeek(2026, 12, 31), { year: 2026, week: 53 });
    assert.deepEqual(isoWeek(2027, 1, 3), { year: 2026, week: 53 });
    assert.deepEqual(isoWeek(2027, 1, 4), { year: 2027, week: 1 });
    assert.deepEqual(isoWeek(2024, 12, 30), { year: 2025, week: 1 });
    assert.equal(periodOf(Date.parse('2024-12-30T12:00:00Z')).week, '2025-W01');
  });

  it('reads the calendar date in the given time zone', () => {
    const lateUtc = Date.parse('2026-12-31T23:30:00Z');
    assert.equal(periodOf(lateUtc).year, '2026');
    assert.equal(periodOf(lateUtc, 'Europe/Berlin').year, '2027');
    assert.equal(periodOf(lateUtc, 'Europe/Berlin').day, '2027-01-01');
    assert.equal(periodOf(Date.parse('2027-01-01T03:00:00Z'), 'America/New_York').day, '2026-12-31');
  });

  it('handles Feb 29', () => {
    assert.equal(periodOf(Date.parse('2028-02-29T00:00:00Z')).day, '2028-02-29');
  });
});
