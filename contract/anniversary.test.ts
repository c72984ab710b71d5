import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AnniversarySpec,
  isTimeOfDay,
  nextAnniversary,
  nextOccurrence,
  nthAnniversary,
  nthDay,
  occurrence,
  originDay,
} from './anniversary.ts';
import { evaluate } from './expr.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('anniversaries', () => {
  it('yearly: same day and time of day each year', () => {
    const signup = at('2025-06-15T08:30:00Z');
    assert.equal(iso(nthAnniversary(signup, 1, 'year')), '2026-06-15T08:30:00.000Z');
    assert.equal(iso(nthAnniversary(signup, 3, 'year')), '2028-06-15T08:30:00.000Z');
    assert.equal(iso(nthAnniversary(signup, -1, 'year')), '2024-06-15T08:30:00.000Z');
  });

  it('Feb 29: Feb 28 (feb28) or Mar 1 (mar1) in common years, Feb 29 again in leap years', () => {
    const leap = at('2028-02-29T10:00:00Z');
    assert.equal(iso(nthAnniversary(leap, 1, 'year', 'feb28')), '2029-02-28T10:00:00.000Z');
    assert.equal(iso(nthAnniversary(leap, 1, 'year', 'mar1')), '2029-03-01T10:00:00.000Z');
    assert.equal(iso(nthAnniversary(leap, 3, 'year', 'mar1')), '2031-03-01T10:00:00.000Z');
    assert.equal(iso(nthAnniversary(leap, 4, 'year', 'mar1')), '2032-02-29T10:00:00.000Z');
    assert.equal(iso(nthAnniversary(leap, 4, 'year', 'feb28')), '2032-02-29T10:00:00.000Z');
    // 2100 is not a leap year (divisible by 100, not 400); 2400 is.
    assert.equal(iso(nthAnniversary(at('2096-02-29T00:00:00Z'), 4, 'year')), '2100-02-28T00:00:00.000Z');
    assert.equal(iso(nthAnniversary(at('2396-02-29T00:00:00Z'), 4, 'year')), '2400-02-29T00:00:00.000Z');
  });

  it('monthly from the 31st: the month end, or the 1st of the next month; never drifts', () => {
    const jan31 = at('2027-01-31T00:00:00Z');
    assert.equal(iso(nthAnniversary(jan31, 1, 'month', 'feb28')), '2027-02-28T00:00:00.000Z');
    assert.equal(iso(nthAnniversary(jan31, 1, 'month', 'mar1')), '2027-03-01T00:00:00.000Z');
    assert.equal(iso(nthAnniversary(jan31, 2, 'month')), '2027-03-31T00:00:00.000Z', 'back to the 31st');
    assert.equal(iso(nthAnniversary(jan31, 3, 'month')), '2027-04-30T00:00:00.000Z');
    assert.equal(iso(nthAnniversary(jan31, 13, 'month')), '2028-02-29T00:00:00.000Z');
    assert.equal(iso(nthAnniversary(jan31, 11, 'month')), '2027-12-31T00:00:00.000Z');
  });

  it('weekly: every seven days', () => {
    assert.equal(iso(nthAnniversary(at('2027-03-01T09:00:00Z'), 2, 'week')), '2027-03-15T09:00:00.000Z');
  });

  it('next anniversary strictly after an instant', () => {
    const leap = at('2028-02-29T10:00:00Z');
    assert.equal(
      iso(nextAnniversary(leap, at('2030-01-01T00:00:00Z'), 'year', 'mar1')),
      '2030-03-01T10:00:00.000Z',
    );
    assert.equal(
      iso(nextAnniversary(leap, at('2030-03-01T10:00:00Z'), 'year', 'mar1')),
      '2031-03-01T10:00:00.000Z',
    );
    assert.equal(iso(nextAnniversary(leap, at('2031-12-31T00:00:00Z'), 'year')), '2032-02-29T10:00:00.000Z');
    assert.equal(iso(nextAnniversary(leap, at('2020-01-01T00:00:00Z'), 'year')), '2028-02-29T10:00:00.000Z');
    const jan31 = at('2027-01-31T00:00:00Z');
    assert.equal(
      iso(nextAnniversary(jan31, at('2027-02-10T00:00:00Z'), 'month')),
      '2027-02-28T00:00:00.000Z',
    );
    assert.equal(
      iso(nextAnniversary(jan31, at('2027-02-28T00:00:00Z'), 'month')),
      '2027-03-31T00:00:00.000Z',
    );
    // Exhaustive over three years of days: always after, and never a skipped anniversary.
    for (let t = jan31; t < at('2030-01-31T00:00:00Z'); t += 86_400_000) {
      const next = nextAnniversary(jan31, t, 'month')!;
      assert.ok(next > t);
      assert.ok(next - t <= 31 * 86_400_000, iso(t) ?? '');
    }
  });

  it('as operators in JSON Logic: anniversary and next_anniversary', () => {
    assert.equal(
      evaluate({ anniversary: ['2028-02-29T10:00:00Z', 1, 'year', 'mar1'] }, {}),
      '2029-03-01T10:00:00.000Z',
    );
    assert.equal(
      evaluate(
        { next_anniversary: [{ var: 'signup' }, { var: 'now' }, 'year'] },
        {
          signup: '2028-02-29T10:00:00Z',
          now: '2029-02-01T00:00:00Z',
        },
      ),
      '2029-02-28T10:00:00.000Z',
    );
    assert.equal(evaluate({ anniversary: ['not a date', 1, 'year'] }, {}), null);
    assert.equal(evaluate({ anniversary: ['2028-02-29', 1, 'decade'] }, {}), null);
    assert.equal(evaluate({ next_anniversary: ['2028-02-29', '2029-01-01', 'year', 'feb29'] }, {}), null);
  });
});

describe('anniversary trigger dates (local time, time zone, leap-day rule)', () => {
  const spec = (over: Partial<AnniversarySpec> = {}): AnniversarySpec => ({
    of: { trait: 'signup_date' },
    every: 'year',
    at: '09:00',
    timezone: 'Europe/Berlin',
    leapDay: 'feb28',
    ...over,
  });

  it('a local time of day in the zone, daylight saving included', () => {
    const day = originDay('2024-07-15', 'Europe/Berlin')!;
    // Summer (CEST, UTC+2) and winter (CET, UTC+1); New York in summer is UTC-4.
    assert.equal(iso(occurrence(day, 1, spec()).atMs), '2025-07-15T07:00:00.000Z');
    assert.equal(
      iso(occurrence(originDay('2024-01-15', 'UTC')!, 1, spec()).atMs),
      '2025-01-15T08:00:00.000Z',
    );
    assert.equal(
      iso(occurrence(day, 2, spec({ timezone: 'America/New_York', at: '18:30' })).atMs),
      '2026-07-15T22:30:00.000Z',
    );
    // 02:30 does not exist on the spring-forward night in Berlin: it lands an hour later.
    const gap = occurrence(originDay('2024-03-30', 'UTC')!, 1, spec({ at: '02:30' }));
    assert.deepEqual(gap.date, { y: 2025, m: 3, d: 30 });
    assert.equal(iso(gap.atMs), '2025-03-30T01:30:00.000Z');
  });

  it('an instant recurs on its date in the zone (late evening UTC is the next day in Berlin)', () => {
    assert.deepEqual(originDay('2024-02-28T23:30:00Z', 'Europe/Berlin'), { y: 2024, m: 2, d: 29 });
    assert.deepEqual(originDay('2024-02-28T23:30:00Z', 'UTC'), { y: 2024, m: 2, d: 28 });
    assert.equal(originDay('2023-02-29', 'UTC'), null);
    assert.equal(originDay('soon', 'UTC'), null);
  });

  it('leap days yearly and the 31st monthly: feb28 takes the last day, mar1 the day after', () => {
    const leap = originDay('2024-02-29', 'UTC')!;
    assert.deepEqual(nthDay(leap, 1, 'year', 'feb28'), { y: 2025, m: 2, d: 28 });
    assert.deepEqual(nthDay(leap, 1, 'year', 'mar1'), { y: 2025, m: 3, d: 1 });
    assert.deepEqual(nthDay(leap, 4, 'year', 'mar1'), { y: 2028, m: 2, d: 29 });
    const end = originDay('2025-01-31', 'UTC')!;
    assert.deepEqual(nthDay(end, 1, 'month', 'feb28'), { y: 2025, m: 2, d: 28 });
    assert.deepEqual(nthDay(end, 1, 'month', 'mar1'), { y: 2025, m: 3, d: 1 });
    assert.deepEqual(nthDay(end, 3, 'month', 'feb28'), { y: 2025, m: 4, d: 30 });
    assert.deepEqual(nthDay(end, 1, 'week', 'feb28'), { y: 2025, m: 2, d: 7 });
  });

  it('nextOccurrence is the first strictly after, never the origin itself', () => {
    const day = originDay('2024-02-29', 'UTC')!;
    const s = spec({ leapDay: 'mar1' });
    assert.equal(iso(nextOccurrence(day, at('2024-02-29T12:00:00Z'), s)!.atMs), '2025-03-01T08:00:00.000Z');
    const exact = at('2025-03-01T08:00:00Z');
    assert.equal(nextOccurrence(day, exact, s)!.n, 2);
    assert.equal(nextOccurrence(day, exact - 1, s)!.n, 1);
    // Weekly over a year of hours: always within a week and after.
    const weekly = spec({ every: 'week' });
    for (let t = at('2024-03-01T00:00:00Z'); t < at('2025-03-01T00:00:00Z'); t += 3_600_000 * 7) {
      const next = nextOccurrence(day, t, weekly)!;
      assert.ok(next.atMs > t && next.atMs - t <= 7 * 86_400_000 + 3_600_000, iso(t) ?? '');
    }
  });

  it('isTimeOfDay: 24-hour HH:MM only', () => {
    assert.equal(isTimeOfDay('09:00'), true);
    assert.equal(isTimeOfDay('23:59'), true);
    assert.equal(isTimeOfDay('24:00'), false);
    assert.equal(isTimeOfDay('9:00'), false);
    assert.equal(isTimeOfDay('09:60'), false);
  });
});
