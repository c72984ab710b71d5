/**
 * Evaluations per second of a typical six-clause eligibility rule: json-logic-js (the reference), our
 * compiler with closures only (the path safe inside the Temporal workflow sandbox), our compiler with code
 * generation for the boolean var-comparison subset (what services use), and the rule written by hand.
 * Bounded: about one second per variant. `npm run bench:rules`.
 */
import jsonLogic from 'json-logic-js';
import { createRuleEngine } from '../services/platform/rules/compile.ts';

const rule = {
  and: [
    { in: [{ var: 'traits.plan' }, ['pro', 'business']] },
    { '>=': [{ var: 'traits.tenure_days' }, 30] },
    { '==': [{ var: 'traits.lifecycle_stage' }, 'active'] },
    { '!=': [{ var: 'traits.churn_risk' }, 'high'] },
    { '<=': [{ var: 'fraud_score' }, 70] },
    { '>=': [{ var: 'order_value' }, 50] },
  ],
};

interface Input {
  traits: { plan: string; tenure_days: number; lifecycle_stage: string; churn_risk: string };
  fraud_score: number;
  order_value: number;
}

// A handful of participants so no path is constant; most pass every clause (the slow path).
const inputs: Input[] = Array.from({ length: 64 }, (_, i) => ({
  traits: {
    plan: ['pro', 'business', 'pro', 'free'][i % 4] as string,
    tenure_days: 20 + (i % 50),
    lifecycle_stage: i % 9 === 0 ? 'trial' : 'active',
    churn_risk: i % 7 === 0 ? 'high' : 'low',
  },
  fraud_score: i % 80,
  order_value: 40 + i,
}));

const handWritten = (d: Input): boolean =>
  (d.traits.plan === 'pro' || d.traits.plan === 'business') &&
  d.traits.tenure_days >= 30 &&
  d.traits.lifecycle_stage === 'active' &&
  d.traits.churn_risk !== 'high' &&
  d.fraud_score <= 70 &&
  d.order_value >= 50;

const closures = createRuleEngine().compile(rule);
const compiled = createRuleEngine({}, { codegen: true }).compile(rule);

function measure(name: string, fn: (d: Input) => unknown, ms = 1000): number {
  // Warm-up so every variant is measured after the JIT has optimised it.
  let sink = 0;
  for (let i = 0; i < 200_000; i++) if (fn(inputs[i & 63] as Input)) sink++;
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 100_000; i++) if (fn(inputs[i & 63] as Input)) sink++;
    n += 100_000;
    elapsed = performance.now() - start;
  }
  const perSec = (n / elapsed) * 1000;
  console.log(`${name.padEnd(14)} ${(perSec / 1e6).toFixed(2).padStart(8)} M evals/s   (sink ${sink % 10})`);
  return perSec;
}

// The three must agree before their speeds mean anything.
for (const d of inputs) {
  const want = handWritten(d);
  if (!!jsonLogic.apply(rule as never, d) !== want || !!compiled(d) !== want || !!closures(d) !== want) {
    throw new Error(`variants disagree on ${JSON.stringify(d)}`);
  }
}

const reference = measure('json-logic-js', (d) => jsonLogic.apply(rule as never, d));
const closuresOnly = measure('closures only', closures);
const ours = measure('compiled', compiled);
const hand = measure('hand-written', handWritten);
console.log(
  `closures only / json-logic-js = ${(closuresOnly / reference).toFixed(1)}x (the Temporal-sandbox-safe path)`,
);
console.log(`compiled / json-logic-js = ${(ours / reference).toFixed(1)}x`);
console.log(`hand-written / compiled  = ${(hand / ours).toFixed(1)}x`);
console.log(
  `goal: >= 10 M/s and >= 20x json-logic-js: ${ours >= 10e6 && ours / reference >= 20 ? 'met' : 'NOT met'}`,
);
