/**
 * Timing mistakes that validate but misbehave when the journey runs (warnings: they never block a deploy).
 *
 * - WAIT_LONGER_THAN_PERIOD: a `wait` timeout or `sleep` longer than the period of a time-based trigger.
 *   A scheduled run still waiting when the cron fires again makes Temporal skip that firing (overlap
 *   SKIP); an anniversary journey still waiting when the next period's starts overlaps it.
 * - LOOP_IN_TRY: a loop that waits or sleeps, or runs many items, inside a `try`. The journey never
 *   continues as new inside a `try` (the block's pending catch, finally and compensations are not part of
 *   the resume path), so the history grows with every iteration until Temporal's limits stop the run.
 */

import { Cron } from 'croner';
import { formatDuration, toDuration } from '../contract/duration.ts';
import type { Report } from './check-expr.ts';
import type { JsonPath } from './errors.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const DAY_MS = 86_400_000;
/** Shortest length of each anniversary period (February, a common year). */
const PERIOD_MS = { week: 7 * DAY_MS, month: 28 * DAY_MS, year: 365 * DAY_MS } as const;
/** A `for_each` inside a `try` may run this many items before its history is a worry. */
export const MAX_ITEMS_IN_TRY = 200;
/** Firings sampled to find a cron's shortest gap. */
const SAMPLED_FIRINGS = 60;

/** The step lists nested in a step, with their paths (every kind that holds steps). */
function nested(step: Obj): [JsonPath, unknown][] {
  const out: [JsonPath, unknown][] = [];
  for (const key of [
    'then',
    'else',
    'default',
    'on_timeout',
    'on_reject',
    'on_approve',
    'steps',
    'try',
    'finally',
  ])
    if (Array.isArray(step[key])) out.push([[key], step[key]]);
  if (isObj(step.cases)) for (const [k, v] of Object.entries(step.cases)) out.push([['cases', k], v]);
  if (isObj(step.parallel))
    for (const [k, v] of Object.entries(step.parallel)) out.push([['parallel', k], v]);
  if (Array.isArray(step.catch))
    step.catch.forEach((clause, i) => {
      if (isObj(clause) && Array.isArray(clause.steps)) out.push([['catch', i, 'steps'], clause.steps]);
    });
  if (isObj(step.escalate) && Array.isArray(step.escalate.steps))
    out.push([['escalate', 'steps'], step.escalate.steps]);
  return out;
}

/** Approximate length of a literal duration (calendar months as 30 days); null for expressions. */
function lengthMs(value: unknown): number | null {
  const d = toDuration(value);
  return d === null ? null : d.months * 30 * DAY_MS + d.ms;
}

/** The shortest gap between firings of a cron (sampled), or null when it cannot be read. */
function cronPeriodMs(cron: string, timezone: string | undefined): number | null {
  try {
    const c = new Cron(cron, { paused: true, mode: '5-part', timezone: timezone ?? 'UTC' });
    const runs = c.nextRuns(SAMPLED_FIRINGS, new Date(Date.UTC(2030, 0, 1))).map((d) => d.getTime());
    let min = Number.POSITIVE_INFINITY;
    for (let i = 1; i < runs.length; i++) min = Math.min(min, runs[i]! - runs[i - 1]!);
    return Number.isFinite(min) ? min : null;
  } catch {
    return null;
  }
}

function triggerPeriod(trigger: unknown): { ms: number; what: string; why: string } | null {
  if (!isObj(trigger)) return null;
  if (isObj(trigger.schedule) && typeof trigger.schedule.cron === 'string') {
    const s = trigger.schedule;
    const ms = cronPeriodMs(s.cron as string, typeof s.timezone === 'string' ? s.timezone : undefined);
    if (ms === null) return null;
    return {
      ms,
      what: `the schedule fires every ${formatDuration(ms)} at the shortest`,
      why: 'a run still going when the schedule fires again makes Temporal skip that firing (overlap SKIP)',
    };
  }
  if (isObj(trigger.anniversary)) {
    const every = trigger.anniversary.every;
    if (every !== 'week' && every !== 'month' && every !== 'year') return null;
    return {
      ms: PERIOD_MS[every],
      what: `the anniversary recurs every ${every}`,
      why: "the next period's journey starts while this one still waits",
    };
  }
  return null;
}

export function checkTiming(data: Obj, report: Report): void {
  const period = triggerPeriod(data.trigger);
  const walk = (list: unknown, path: JsonPath, inTry: boolean): void => {
    if (!Array.isArray(list)) return;
    list.forEach((step, i) => {
      if (!isObj(step)) return;
      const p = [...path, i];
      if (period) {
        const found: [JsonPath, unknown][] = [];
        if ('wait' in step && step.timeout !== undefined) found.push([[...p, 'timeout'], step.timeout]);
        if ('sleep' in step && !isObj(step.sleep)) found.push([[...p, 'sleep'], step.sleep]);
        if ('approval' in step && step.timeout !== undefined) found.push([[...p, 'timeout'], step.timeout]);
        for (const [at, value] of found) {
          const ms = lengthMs(value);
          if (ms !== null && ms > period.ms)
            report('WAIT_LONGER_THAN_PERIOD', at, `waits longer than its period: ${period.why}`, {
              found: `${JSON.stringify(value)} while ${period.what}`,
              expected: `at most ${formatDuration(period.ms)}, or a less frequent trigger`,
              severity: 'warning',
            });
        }
      }
      if (inTry && ('repeat' in step || 'for_each' in step)) {
        const many = typeof step.max_items === 'number' && step.max_items > MAX_ITEMS_IN_TRY;
        if (many || pauses(step))
          report(
            'LOOP_IN_TRY',
            [...p, 'repeat' in step ? 'repeat' : 'for_each'],
            'a long-running loop inside a try: the journey never continues as new inside a try, so its history grows with every iteration',
            {
              found: many ? `max_items ${String(step.max_items)}` : 'a loop that waits or sleeps',
              expected: `the loop outside the try (a try inside each iteration instead), or at most ${MAX_ITEMS_IN_TRY} items without waits`,
              severity: 'warning',
            },
          );
      }
      const opensTry = 'try' in step;
      for (const [key, inner] of nested(step)) walk(inner, [...p, ...key], inTry || opensTry);
    });
  };
  walk(data.steps, ['steps'], false);
}

/** Whether a step's body waits or sleeps somewhere (a loop of those runs for a long time). */
function pauses(step: Obj): boolean {
  for (const [, inner] of nested(step)) {
    if (!Array.isArray(inner)) continue;
    for (const s of inner) {
      if (!isObj(s)) continue;
      if ('wait' in s || 'sleep' in s || 'approval' in s || pauses(s)) return true;
    }
  }
  return false;
}
