import type { ErrorDetail } from '../../../contract/errors.ts';
import type {
  Constraints,
  RewardRule,
  RewardValue,
  Segments,
} from '../../../contract/generated/reward.generated.ts';
import type { RuleEngine } from '../../platform/rules/compile.ts';
import { ruleLimitProblem } from '../../platform/rules/limits.ts';
import { costOf, isMonetary } from '../allocation/calculate.ts';

/**
 * Checks the schema cannot express: prize bands inside `top` and not overlapping, increasing thresholds,
 * tiers that match their `by`, one currency for everything counted against the budget, overrides that name
 * real rules, and JSON-Logic within the size and depth limits that uses only known operators. Returns every problem, not the first.
 */
export function checkProgram(
  rules: Record<string, RewardRule>,
  constraints: Constraints,
  segments: Segments,
  engine: RuleEngine,
): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const add = (path: string, message: string, expected?: string) =>
    problems.push({ path, message, ...(expected ? { expected } : {}) });
  const currencies = new Set<string>();
  const value = (path: string, v: RewardValue | undefined) => {
    if (!v) return;
    if (isMonetary(v) && v.currency) currencies.add(v.currency);
    if (costOf(v, 0) > 0 && v.currency) currencies.add(v.currency);
    if (v.max_amount !== undefined && v.percent_of_value === undefined)
      add(`${path}.max_amount`, 'max_amount only caps a percent_of_value amount', 'percent_of_value');
  };
  const logic = (path: string, expr: unknown) => {
    const tooLarge = ruleLimitProblem(expr, path);
    if (tooLarge) {
      problems.push(tooLarge);
      return;
    }
    for (const op of engine.unknownOperators(expr))
      add(path, `unknown JSON-Logic operator "${op}"`, 'a known operator');
  };

  for (const [name, rule] of Object.entries(rules)) {
    const at = `rewards.${name}`;
    value(`${at}.give`, rule.give);
    if (rule.when !== undefined) logic(`${at}.when`, rule.when);
    for (const side of ['referrer', 'referee'] as const) {
      const s = rule[side];
      if (!s) continue;
      if (rule.type !== 'double')
        add(`${at}.${side}`, `${side} is only used by double rules`, 'type: double');
      value(`${at}.${side}.give`, s.give);
      if (s.when !== undefined) logic(`${at}.${side}.when`, s.when);
    }
    if (rule.type === 'leaderboard') {
      const top = rule.top ?? 0;
      const taken = new Set<number>();
      (rule.prizes ?? []).forEach((p, i) => {
        const [from, to] = p.ranks as [number, number];
        if (from > to) add(`${at}.prizes.${i}.ranks`, 'first rank is after last rank', '[first, last]');
        if (to > top)
          add(`${at}.prizes.${i}.ranks`, `rank ${to} is beyond top ${top}`, `ranks within 1..${top}`);
        // One problem per band (its first shared rank), not per rank: a thousand overlapping bands
        // must not answer with a million details.
        let overlap: number | undefined;
        for (let r = Math.max(1, from); r <= to && r <= 1000; r++) {
          if (overlap === undefined && taken.has(r)) overlap = r;
          taken.add(r);
        }
        if (overlap !== undefined)
          add(
            `${at}.prizes.${i}.ranks`,
            `rank ${overlap} is in two prize bands`,
            'bands that do not overlap',
          );
        value(`${at}.prizes.${i}.give`, p.give);
      });
    }
    if (rule.type === 'milestone') {
      let last = 0;
      (rule.thresholds ?? []).forEach((t, i) => {
        if (t.at <= last) add(`${at}.thresholds.${i}.at`, 'thresholds must increase', `more than ${last}`);
        last = t.at;
        if ((rule.mode ?? 'progressive') === 'progressive' && !t.give)
          add(`${at}.thresholds.${i}`, 'a progressive milestone needs a reward per threshold', 'give');
        value(`${at}.thresholds.${i}.give`, t.give);
      });
    }
    if (rule.type === 'tiered') {
      const bySegment = rule.by === 'segment';
      const tiers = rule.tiers ?? [];
      tiers.forEach((t, i) => {
        if (bySegment && !t.segment) add(`${at}.tiers.${i}`, 'tiers by segment name a segment', 'segment');
        if (bySegment && t.segment && !segments[t.segment])
          add(`${at}.tiers.${i}.segment`, `no segment "${t.segment}"`, 'a declared segment');
        if (!bySegment && t.from === undefined)
          add(`${at}.tiers.${i}`, 'value tiers start somewhere', 'from');
        if (t.to !== undefined && t.from !== undefined && t.to <= t.from)
          add(`${at}.tiers.${i}.to`, '`to` must be above `from`', `more than ${t.from}`);
        value(`${at}.tiers.${i}.give`, t.give);
      });
      if (rule.mode === 'cumulative') {
        const kinds = new Set(tiers.map((t) => `${t.give.category}/${t.give.currency ?? ''}`));
        if (kinds.size > 1)
          add(
            `${at}.tiers`,
            'cumulative tiers add up, so they share one category and currency',
            'one category and currency',
          );
      }
    }
  }

  for (const [name, seg] of Object.entries(segments)) {
    if (!seg) continue;
    logic(`segments.${name}.when`, seg.when);
    for (const [ruleName, override] of Object.entries(seg.rewards ?? {})) {
      const rule = rules[ruleName];
      const at = `segments.${name}.rewards.${ruleName}`;
      if (!rule) {
        add(at, `no reward rule "${ruleName}"`, 'a rule declared under rewards');
        continue;
      }
      if (!override) continue;
      if ('category' in override) value(at, override as RewardValue);
      else {
        if (rule.type !== 'double') add(at, 'per-side overrides are for double rules', 'a reward value');
        const sides = override as { referrer?: RewardValue; referee?: RewardValue };
        value(`${at}.referrer`, sides.referrer);
        value(`${at}.referee`, sides.referee);
      }
    }
  }

  const budgetCurrency = constraints.budget?.currency;
  const needsOneCurrency =
    budgetCurrency !== undefined ||
    constraints.per_referrer_limit?.amount !== undefined ||
    constraints.per_referrer_limit?.lifetime?.amount !== undefined ||
    constraints.approval_above !== undefined;
  if (budgetCurrency) currencies.add(budgetCurrency);
  if (needsOneCurrency && currencies.size > 1) {
    add(
      'rewards.constraints',
      `budget and amount limits count in one currency, but rewards use ${[...currencies].sort().join(', ')}`,
      budgetCurrency ?? 'one currency',
    );
  }
  return problems;
}

/** The currency budgets and amount limits count in: the budget's, else the one monetary rewards use. */
export function campaignCurrency(rules: Record<string, RewardRule>, constraints: Constraints): string | null {
  if (constraints.budget) return constraints.budget.currency;
  const found = new Set<string>();
  const visit = (v: RewardValue | undefined) => {
    if (v?.currency) found.add(v.currency);
  };
  for (const r of Object.values(rules)) {
    visit(r.give);
    visit(r.referrer?.give);
    visit(r.referee?.give);
    for (const p of r.prizes ?? []) visit(p.give);
    for (const t of r.thresholds ?? []) visit(t.give);
    for (const t of r.tiers ?? []) visit(t.give);
  }
  return found.size === 1 ? ([...found][0] as string) : null;
}
