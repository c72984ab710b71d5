/**
 * `trigger.schedule`: the cron text and the time zone are checked here, with their positions, so a bad
 * schedule fails `pulse validate` rather than the Temporal call at deploy. Cron grammar: the five classic
 * fields (what Temporal Schedules accept as `cronExpressions`), parsed by croner for ranges, steps and
 * names; the time zone must be one Intl knows (IANA names such as Europe/Berlin).
 */

import { Cron } from 'croner';
import { isTimeOfDay } from '../contract/anniversary.ts';
import type { Report } from './check-expr.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;

/** Problems of a cron text, or null when it is a five-field cron croner accepts. */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== FIELDS.length)
    return `${fields.length} field${fields.length === 1 ? '' : 's'}, a cron has ${FIELDS.length} (${FIELDS.join(' ')})`;
  const odd = /[^0-9A-Za-z*,/-]/.exec(fields.join(''));
  if (odd) return `"${odd[0]}" is not cron syntax here (digits, names, * , - / only)`;
  // Only three-letter month and day names: croner's extensions (L, W, #) are not Temporal's grammar.
  const word = fields
    .flatMap((f) => f.split(/[,/-]/))
    .find((t) => /[A-Za-z]/.test(t) && !/^[A-Za-z]{3}$/.test(t));
  if (word !== undefined) return `"${word}" is not a month or day name (JAN-DEC, SUN-SAT)`;
  try {
    new Cron(fields.join(' '), { paused: true, mode: '5-part' });
  } catch (err) {
    return err instanceof Error ? err.message.replace(/^CronPattern: /, '') : 'not a cron expression';
  }
  return null;
}

/** Whether Intl knows the time zone (IANA name or UTC). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function checkSchedule(trigger: unknown, report: Report): void {
  if (!isObj(trigger) || !isObj(trigger.schedule)) return;
  const s = trigger.schedule;
  if (trigger.event !== undefined) {
    report('BAD_SCHEDULE', ['trigger', 'schedule'], 'a trigger is either events or a schedule', {
      found: 'both `event` and `schedule`',
      expected: '`event` (a journey per event) or `schedule` (a campaign-level journey per firing)',
      key: true,
    });
  }
  if (typeof s.cron === 'string') {
    const problem = cronProblem(s.cron);
    if (problem !== null)
      report('BAD_CRON', ['trigger', 'schedule', 'cron'], `not a cron expression: ${problem}`, {
        found: JSON.stringify(s.cron),
        expected: 'five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * MON"',
      });
  }
  if (typeof s.timezone === 'string' && !isTimeZone(s.timezone)) {
    report('BAD_TIMEZONE', ['trigger', 'schedule', 'timezone'], 'unknown time zone', {
      found: JSON.stringify(s.timezone),
      expected: 'an IANA time zone such as "Europe/Berlin", "America/New_York" or "UTC"',
    });
  }
}

/**
 * `trigger.anniversary`: something must enrol the participant (the origin event, or `event` for a trait
 * or property origin), `at` is a 24-hour "HH:MM", the time zone is one Intl knows, and it is not mixed
 * with a campaign-wide schedule. BAD_ANNIVERSARY / BAD_TIMEZONE with the position.
 */
export function checkAnniversary(trigger: unknown, report: Report): void {
  if (!isObj(trigger) || !isObj(trigger.anniversary)) return;
  const a = trigger.anniversary;
  const at = ['trigger', 'anniversary'];
  if (trigger.schedule !== undefined) {
    report('BAD_ANNIVERSARY', at, 'a trigger is either a campaign-wide schedule or per-participant dates', {
      found: 'both `schedule` and `anniversary`',
      expected:
        '`schedule` (one campaign-level journey per firing) or `anniversary` (one journey per participant per period)',
      key: true,
    });
  }
  const of = isObj(a.of) ? a.of : undefined;
  if (of && of.event === undefined && trigger.event === undefined) {
    const what = of.trait !== undefined ? `trait ${String(of.trait)}` : `property ${String(of.property)}`;
    report(
      'BAD_ANNIVERSARY',
      [...at, 'of'],
      `nothing enrols a participant: which events carry the ${what}?`,
      {
        found: `of: ${JSON.stringify(of)} without trigger.event`,
        expected: 'trigger.event naming the events that carry the date, or of: { event: <name> }',
        key: true,
      },
    );
  }
  if (of && typeof of.event === 'string' && trigger.event !== undefined) {
    const events = typeof trigger.event === 'string' ? [trigger.event] : trigger.event;
    if (Array.isArray(events) && events.length > 0 && !events.includes(of.event))
      report(
        'BAD_ANNIVERSARY',
        [...at, 'of', 'event'],
        'the origin event also enrols, and is missing from trigger.event',
        {
          found: JSON.stringify(of.event),
          expected: `one of ${JSON.stringify(events)}, or leave trigger.event out`,
        },
      );
  }
  if (a.at !== undefined && !isTimeOfDay(a.at)) {
    report('BAD_ANNIVERSARY', [...at, 'at'], 'not a local time of day', {
      found: JSON.stringify(a.at),
      expected: '"HH:MM" in 24-hour time, e.g. "09:00" or "18:30"',
    });
  }
  if (typeof a.timezone === 'string' && !isTimeZone(a.timezone)) {
    report('BAD_TIMEZONE', [...at, 'timezone'], 'unknown time zone', {
      found: JSON.stringify(a.timezone),
      expected: 'an IANA time zone such as "Europe/Berlin", "America/New_York" or "UTC"',
    });
  }
}
