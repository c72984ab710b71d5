import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { periodEnd, periodEnded, periodKey, previousPeriodKey } from './periods.ts';

describe('leaderboard periods in the board’s time zone', () => {
  it('months follow the local calendar', () => {
    // 23:30 UTC on 31 Jan is already 1 Feb in Paris, still 31 Jan in New York.
    const at = new Date('2026-01-31T23:30:00Z');
    assert.equal(periodKey('monthly', at, 'UTC'), '2026-01');
    assert.equal(periodKey('monthly', at, 'Europe/Paris'), '2026-02');
    assert.equal(periodKey('monthly', at, 'America/New_York'), '2026-01');
    assert.equal(previousPeriodKey('monthly', at, 'Europe/Paris'), '2026-01');
    assert.equal(previousPeriodKey('monthly', new Date('2026-01-10T00:00:00Z')), '2025-12');
  });

  it('weeks are ISO weeks (Monday first; the Thursday decides the year)', () => {
    assert.equal(periodKey('weekly', new Date('2026-12-31T12:00:00Z')), '2026-W53');
    assert.equal(periodKey('weekly', new Date('2027-01-03T12:00:00Z')), '2026-W53');
    assert.equal(periodKey('weekly', new Date('2027-01-04T12:00:00Z')), '2027-W01');
    // Sunday 23:30 UTC is Monday in Tokyo: the next week there.
    assert.equal(periodKey('weekly', new Date('2026-11-29T23:30:00Z'), 'UTC'), '2026-W48');
    assert.equal(periodKey('weekly', new Date('2026-11-29T23:30:00Z'), 'Asia/Tokyo'), '2026-W49');
    assert.equal(previousPeriodKey('weekly', new Date('2027-01-04T12:00:00Z')), '2026-W53');
  });

  it('a period ends at the next local midnight start, across a DST change', () => {
    // Paris leaves summer time on 25 Oct 2026: November starts at 23:00 UTC on 31 Oct.
    assert.equal(
      periodEnd('monthly', new Date('2026-10-20T12:00:00Z'), 'Europe/Paris')?.toISOString(),
      '2026-10-31T23:00:00.000Z',
    );
    assert.equal(
      periodEnd('monthly', new Date('2026-07-20T12:00:00Z'), 'Europe/Paris')?.toISOString(),
      '2026-07-31T22:00:00.000Z',
    );
    assert.equal(
      periodEnd('weekly', new Date('2026-12-02T12:00:00Z'), 'UTC')?.toISOString(),
      '2026-12-07T00:00:00.000Z',
    );
    assert.equal(periodEnd('campaign', new Date()), null);
  });

  it('only keys before the current one have ended; a campaign board ends with its campaign', () => {
    const at = new Date('2026-12-01T10:00:00Z');
    assert.equal(periodEnded('monthly', '2026-11', at), true);
    assert.equal(periodEnded('monthly', '2026-12', at), false);
    assert.equal(periodEnded('weekly', '2026-W48', at), true);
    assert.equal(periodEnded('weekly', '2026-W49', at), false);
    assert.equal(periodEnded('campaign', 'campaign', at), false);
  });
});
