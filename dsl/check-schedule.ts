/**
 * `trigger.schedule`: the cron text and the time zone are checked here, with their positions, so a bad
 * schedule fails `pulse validate` rather than the Temporal call at deploy. Cron grammar: the five classic
 * fields (what Temporal Schedules accept as `cronExpressions`), parsed by croner for ranges, steps and
 * names; the time zone must be one Intl knows (IANA names such as Europe/Berlin).
 */

import { Cron } from 'croner';
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
