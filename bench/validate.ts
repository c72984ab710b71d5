/**
 * Validation is linear in the size of the campaign: for several shapes of input, the time to parse and
 * validate a campaign of size n and of size 2n, and the ratio (about 2 when linear, 4 when quadratic).
 * Shapes: a valid campaign of every step kind, one finding per step, reward and segment rules with
 * unknown operators, branches that all end (unreachable steps), and a YAML syntax error early in a long
 * file. Bounded: a few seconds per shape. `npm run bench:validate`.
 */
import { parseSource } from '../dsl/parse.ts';
import { validateCampaign } from '../dsl/validate.ts';
import { bigCampaign, doublingRatio } from '../test/support/big-inputs.ts';

const HEAD = `pulse: test
id: bench-validate
version: 1
title: Generated for the validation bench
trigger: { event: user_signed_up }
`;

/** `n` reward rules and `n` segments, each with an unknown operator in its condition. */
function rulesCampaign(n: number): string {
  const out = [HEAD, 'rewards:\n'];
  for (let i = 0; i < n; i++)
    out.push(
      `  r${i}:\n    type: single\n    give: { category: badge, badge: b${i}, label: "Badge ${i}" }\n    when: { and: [{ ">=": [{ var: traits.tenure_days }, ${i}] }, { is_vip_${i}: [{ var: traits.tags }] }] }\n`,
    );
  out.push('segments:\n');
  for (let i = 0; i < n; i++) out.push(`  s${i}:\n    when: { containz: [{ var: traits.tags }, t${i}] }\n`);
  out.push('steps:\n  - { id: done, end: completed }\n');
  return out.join('');
}

/** `n` parallel branches, each an `if` nested 8 deep whose every arm ends, then an unreachable step. */
function branchesCampaign(n: number): string {
  const out = [HEAD, 'steps:\n  - id: all\n    parallel:\n'];
  for (let i = 0; i < n; i++) {
    out.push(`      b${i}:\n`);
    let indent = '        ';
    for (let d = 0; d < 8; d++) {
      out.push(
        `${indent}- id: if_${i}_${d}\n${indent}  if: { "==": [{ var: event.participant_id }, "p${d}"] }\n`,
      );
      out.push(`${indent}  else:\n${indent}    - { id: no_${i}_${d}, end: failed }\n${indent}  then:\n`);
      indent += '    ';
    }
    out.push(`${indent}- { id: yes_${i}, end: completed }\n`);
    out.push(`        - { id: never_${i}, set: { x${i}: 1 } }\n`);
  }
  out.push('  - { id: done, end: completed }\n');
  return out.join('');
}

/** A syntax error on line 6, then `n` well-formed steps. */
function yamlErrorCampaign(n: number): string {
  const out = [
    HEAD.replace('trigger: { event: user_signed_up }', 'trigger: { event: user_signed_up'),
    'steps:\n',
  ];
  for (let i = 0; i < n; i++) out.push(`  - id: s${i}\n    set: { v${i}: ${i} }\n`);
  return out.join('');
}

interface Shape {
  name: string;
  source: (k: number) => string;
  /** Parse once outside the clock (measure the validation passes only). */
  parsedOnly?: boolean;
}

const shapes: Shape[] = [
  {
    name: 'valid, every step kind',
    source: (k) => bigCampaign({ bytes: 200_000 * k, listLength: 1000, itemWidth: 7 }),
  },
  {
    name: 'one finding per step',
    source: (k) => bigCampaign({ bytes: 200_000 * k, listLength: 300, itemWidth: 7, unknownVariables: true }),
    parsedOnly: true,
  },
  { name: 'reward and segment rules', source: (k) => rulesCampaign(1500 * k) },
  { name: 'branches that all end', source: (k) => branchesCampaign(25 * k) },
  { name: 'YAML error, long tail', source: (k) => yamlErrorCampaign(4000 * k) },
];

let worst = 0;
for (const shape of shapes) {
  const sources = new Map([1, 2].map((k) => [k, shape.source(k)]));
  const parsed = new Map([1, 2].map((k) => [k, parseSource(sources.get(k)!, 'bench.yaml')]));
  const findings = validateCampaign(parsed.get(2)!).diagnostics.length;
  const { ratio, ms, ms2 } = doublingRatio(
    (k) =>
      shape.parsedOnly
        ? () => validateCampaign(parsed.get(k)!)
        : () => validateCampaign(parseSource(sources.get(k)!, 'bench.yaml')),
    1,
    { runs: 3 },
  );
  worst = Math.max(worst, ratio);
  const size = (k: number) => `${(sources.get(k)!.length / 1000).toFixed(0)} KB`;
  console.log(
    `${shape.name.padEnd(26)} ${size(1).padStart(7)} ${ms.toFixed(1).padStart(7)} ms   ${size(2).padStart(7)} ${ms2.toFixed(1).padStart(7)} ms   ratio ${ratio.toFixed(2)}   (${findings} findings at 2n)`,
  );
}
console.log(
  `worst time(2n)/time(n) = ${worst.toFixed(2)}; goal: < 3 (linear ≈ 2): ${worst < 3 ? 'met' : 'NOT met'}`,
);
