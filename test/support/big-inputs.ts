/**
 * Generators of large and deeply nested inputs, for the tests (and profiles) that check validation and
 * rule compilation stay linear in the size of what they are given.
 */

export interface BigCampaignOptions {
  /** Rough size of the YAML text to produce, in bytes. */
  bytes: number;
  /** Items in each literal `for_each` list (long lists). Default 200. */
  listLength?: number;
  /** Digits of each list item (wider items: fewer steps for the same size). Default 1 to 3. */
  itemWidth?: number;
  /** Make every `set` step read an undeclared variable, so each step yields a diagnostic. */
  unknownVariables?: boolean;
}

const HEADER = `pulse: test
id: big-campaign
version: 1
title: A large generated campaign
trigger:
  event: user_signed_up
  when: { "!!": { var: event.participant_id } }
settings:
  threshold: { type: number, default: 10, min: 0 }
steps:
`;

/**
 * A campaign of about `bytes` bytes: a repeating block of `set`, `if` (with nested steps), `for_each`
 * over a long literal list and `emit`, each reading variables set earlier. Valid unless asked otherwise.
 */
export function bigCampaign(opts: BigCampaignOptions): string {
  const listLength = opts.listLength ?? 200;
  const first = opts.itemWidth ? 10 ** (opts.itemWidth - 1) : 0;
  const list = `[${Array.from({ length: listLength }, (_, i) => first + i).join(', ')}]`;
  const parts: string[] = [HEADER];
  let size = HEADER.length;
  for (let i = 0; size < opts.bytes; i++) {
    const prev = i === 0 ? 'settings.threshold' : `v${i - 1}`;
    const read = opts.unknownVariables ? `missing_${i}` : prev;
    const block = `  - id: set_${i}
    set:
      v${i}: { "+": [{ var: ${read} }, ${i}] }
      label_${i}: { cat: ["step ", ${i}, " of the generated campaign"] }
  - id: check_${i}
    if: { and: [{ ">": [{ var: v${i} }, { var: settings.threshold }] }, { "!!": { var: event.participant_id } }] }
    then:
      - id: inner_${i}
        set: { w${i}: { "*": [{ var: v${i} }, 2] } }
      - id: note_${i}
        emit: generated_step_${i}
        properties: { value: { var: v${i} }, at: { var: now } }
    else:
      - id: other_${i}
        set: { w${i}: 0 }
  - id: each_${i}
    for_each: ${list}
    as: item_${i}
    max_items: 1000
    steps:
      - id: each_set_${i}
        set: { last_${i}: { var: item_${i} } }
`;
    parts.push(block);
    size += block.length;
  }
  parts.push('  - id: done\n    end: completed\n');
  return parts.join('');
}

/** `{"and":[{"and":[ … {"==":[{"var":"a"},1]} … ]}]}` nested `depth` levels. */
export function deepRule(depth: number, leaf: unknown = { '==': [{ var: 'a' }, 1] }): unknown {
  let rule: unknown = leaf;
  for (let i = 0; i < depth; i++) rule = { and: [rule] };
  return rule;
}

/** The same shape as JSON text, built without recursion (JSON.stringify of a very deep value overflows). */
export function deepRuleJson(depth: number, leaf = '{"==":[{"var":"a"},1]}'): string {
  return `${'{"and":['.repeat(depth)}${leaf}${']}'.repeat(depth)}`;
}

/** `{"and":[c0, c1, …]}` with `width` comparisons side by side. */
export function wideRule(width: number): unknown {
  return { and: Array.from({ length: width }, (_, i) => ({ '>=': [{ var: `traits.f${i % 50}` }, i] })) };
}

/** A rule nested `depth` deep whose innermost leaf falls outside the code-generated subset. */
export function deepMixedRule(depth: number): unknown {
  return deepRule(depth, { '==': [{ '+': [{ var: 'a' }, 1] }, 2] });
}

/**
 * time(2n) / time(n) for `work` (which is given the size and returns what to time, prepared outside the
 * clock), for doubling checks on a shared machine: n and 2n runs alternate and the best of each is kept;
 * when the ratio looks superlinear the measurement is repeated (up to `attempts` times) and the lowest
 * ratio returned. A load spike does not survive three attempts; a quadratic path does.
 */
export function doublingRatio(
  work: (size: number) => () => void,
  n: number,
  opts: { runs?: number; attempts?: number; below?: number } = {},
): { ratio: number; ms: number; ms2: number } {
  const runs = opts.runs ?? 5;
  const attempts = opts.attempts ?? 3;
  const below = opts.below ?? 3;
  const time = (size: number) => {
    const run = work(size);
    const t = performance.now();
    run();
    return performance.now() - t;
  };
  time(2 * n); // warm up
  let best = { ratio: Number.POSITIVE_INFINITY, ms: 0, ms2: 0 };
  for (let a = 0; a < attempts && best.ratio >= below; a++) {
    let ms = Number.POSITIVE_INFINITY;
    let ms2 = Number.POSITIVE_INFINITY;
    for (let r = 0; r < runs; r++) {
      ms = Math.min(ms, time(n));
      ms2 = Math.min(ms2, time(2 * n));
    }
    if (ms2 / ms < best.ratio) best = { ratio: ms2 / ms, ms, ms2 };
  }
  return best;
}

/**
 * A deep copy of `value` whose objects and arrays count every property read and key listing into
 * `counter.reads`: a deterministic measure of how much of a rule a compiler walks (time is noisy).
 */
export function countingReads<T>(value: T, counter: { reads: number }): T {
  if (value === null || typeof value !== 'object') return value;
  const copy: unknown = Array.isArray(value)
    ? value.map((v) => countingReads(v, counter))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, countingReads(v, counter)]));
  return new Proxy(copy as object, {
    get(target, key, receiver) {
      counter.reads++;
      return Reflect.get(target, key, receiver);
    },
    ownKeys(target) {
      counter.reads++;
      return Reflect.ownKeys(target);
    },
  }) as T;
}
