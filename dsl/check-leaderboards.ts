/**
 * `leaderboards:`: what the JSON Schema cannot say. Ids are unique; the time zone is one Intl knows;
 * `metric: points` has its `points` weights; `reward` names a `leaderboard` rule of `rewards:` whose
 * period is the board's (the rule's prize bands are what the board pays at period end).
 */
import type { Report } from './check-expr.ts';
import { isTimeZone } from './check-schedule.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkLeaderboards(boards: unknown, rewards: unknown, report: Report): void {
  if (!Array.isArray(boards)) return;
  const seen = new Set<string>();
  boards.forEach((b, i) => {
    if (!isObj(b)) return;
    const at = ['leaderboards', i];
    if (typeof b.id === 'string') {
      if (seen.has(b.id))
        report('BAD_LEADERBOARD', [...at, 'id'], `two leaderboards are called "${b.id}"`, {
          found: JSON.stringify(b.id),
          expected: 'an id no other leaderboard of the campaign has',
        });
      seen.add(b.id);
    }
    if (typeof b.timezone === 'string' && !isTimeZone(b.timezone))
      report('BAD_TIMEZONE', [...at, 'timezone'], 'unknown time zone', {
        found: JSON.stringify(b.timezone),
        expected: 'an IANA time zone such as "Europe/Berlin", "America/New_York" or "UTC"',
      });
    if (b.metric === 'points' && !(isObj(b.points) && Object.keys(b.points).length > 0))
      report('BAD_LEADERBOARD', [...at, 'metric'], '`metric: points` needs the `points` weights', {
        found: 'no `points` map',
        expected: '`points: { <event>: <points>, … }` beside `metric: points`',
      });
    if (b.metric !== 'points' && b.points !== undefined)
      report('BAD_LEADERBOARD', [...at, 'points'], '`points` only counts with `metric: points`', {
        found: JSON.stringify(b.metric),
        expected: '`metric: points`, or no `points` map',
        key: true,
      });
    if (typeof b.reward === 'string') {
      const rule = isObj(rewards) ? rewards[b.reward] : undefined;
      if (!isObj(rule)) {
        report('UNKNOWN_REWARD', [...at, 'reward'], `no reward rule "${b.reward}" in \`rewards\``, {
          found: JSON.stringify(b.reward),
          expected: 'the name of a `rewards:` rule of type leaderboard',
        });
      } else if (rule.type !== 'leaderboard') {
        report('BAD_LEADERBOARD', [...at, 'reward'], `reward rule "${b.reward}" is not a leaderboard rule`, {
          found: `type: ${String(rule.type)}`,
          expected: 'a rule with `type: leaderboard` (its prize bands are paid by rank)',
        });
      } else if (rule.period !== undefined && rule.period !== b.period) {
        report('BAD_LEADERBOARD', [...at, 'reward'], 'the reward rule runs on another period', {
          found: `rule period ${String(rule.period)}, board period ${String(b.period)}`,
          expected: 'the same `period` on the board and its reward rule',
        });
      }
    }
  });
}
