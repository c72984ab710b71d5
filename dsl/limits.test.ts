import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bigCampaign, doublingRatio } from '../test/support/big-inputs.ts';
import {
  compileCampaignSource,
  MAX_DEPTH,
  MAX_PLAN_BYTES,
  MAX_SOURCE_BYTES,
  MAX_STEPS,
  parseSource,
  validateCampaign,
} from './index.ts';
import { flowDepthExceeded } from './limits.ts';

/** Milliseconds of the faster of two runs (the machine is shared: one slow run says little). */
function timed(fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const codes = (source: string) =>
  compileCampaignSource(source, 'big.pulse.yaml').diagnostics.map((d) => d.code);
const validate = (source: string) => validateCampaign(parseSource(source, 'big.pulse.yaml'));

// Warm the schema compiler and the YAML parser so the first measured run is not the cold one.
validate(bigCampaign({ bytes: 20_000 }));

describe('campaign size and depth limits', () => {
  it('a 5 MB campaign is refused with FILE_TOO_LARGE without being parsed', (t) => {
    const source = bigCampaign({ bytes: 5_000_000, listLength: 5 });
    assert.ok(source.length > 5_000_000);
    const ms = timed(() => assert.deepEqual(codes(source), ['FILE_TOO_LARGE']));
    t.diagnostic(`5 MB refused in ${ms.toFixed(1)} ms`);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const source = `pulse: test\ntitle: "${'é'.repeat(MAX_SOURCE_BYTES / 2)}"\n`;
    assert.ok(source.length < MAX_SOURCE_BYTES);
    assert.deepEqual(codes(source), ['FILE_TOO_LARGE']);
  });

  it('a megabyte of nested brackets is refused with TOO_DEEP before the YAML parser runs', (t) => {
    const n = 500_000;
    const source = `pulse: test\nsteps: ${'['.repeat(n)}${']'.repeat(n)}\n`;
    assert.ok(source.length <= MAX_SOURCE_BYTES);
    let diagnostics = compileCampaignSource(source, 'deep.yaml').diagnostics;
    const ms = timed(() => {
      diagnostics = compileCampaignSource(source, 'deep.yaml').diagnostics;
    });
    t.diagnostic(`1 MB of brackets refused in ${ms.toFixed(1)} ms`);
    assert.deepEqual(
      diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`),
      [`TOO_DEEP 2:${8 + MAX_DEPTH}`],
    );
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('nesting exactly at the limit is accepted; one level more is TOO_DEEP with its path', () => {
    // The root map is level 1 and `x`'s map level 2; every bracket adds one.
    const at = (levels: number) =>
      `pulse: test\nid: d\nversion: 1\ntitle: D\ntrigger: { event: user_signed_up }\nsteps:\n  - id: s\n    set:\n      x: ${'['.repeat(levels)}1${']'.repeat(levels)}\n`;
    assert.deepEqual(codes(at(MAX_DEPTH - 4)), []);
    assert.deepEqual(codes(at(MAX_DEPTH - 3)), ['TOO_DEEP']);
  });

  it('block nesting (indentation) and aliases are held to the same depth', () => {
    const block = Array.from({ length: MAX_DEPTH + 1 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    const deep = validate(`${block} 1\n`).diagnostics;
    assert.deepEqual(
      deep.map((d) => d.code),
      ['TOO_DEEP'],
    );
    assert.match(deep[0]!.path, /^k0\.k1\.k2/);
    const half = `${'['.repeat(40)}1${']'.repeat(40)}`;
    const aliased = `a: &a ${half}\nb: ${'['.repeat(40)}*a${']'.repeat(40)}\n`;
    assert.deepEqual(
      validate(aliased).diagnostics.map((d) => d.code),
      ['TOO_DEEP'],
    );
  });

  it('the flow-depth scan ignores brackets in quoted text, plain scalars and comments', () => {
    const many = '['.repeat(MAX_DEPTH + 5);
    assert.equal(flowDepthExceeded(`a: "${many}"\nb: '${many}'\nc: x${many}\n# ${many}\n`), -1);
    assert.equal(flowDepthExceeded(`a: [ "${many}", '${many}' ] # ${many}\n`), -1);
    assert.notEqual(flowDepthExceeded(`a: ${many}`), -1);
  });

  it(`a campaign holds at most ${MAX_STEPS} steps, nested ones included`, () => {
    const steps = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        i % 2 === 0 ? `  - { id: s${i}, set: { n: ${i} } }` : `  - { id: s${i}, if: true, then: [] }`,
      ).join('\n');
    const header = 'pulse: test\nid: s\nversion: 1\ntitle: S\ntrigger: { event: user_signed_up }\nsteps:\n';
    assert.deepEqual(codes(header + steps(MAX_STEPS)), []);
    const nested = `${header}${steps(MAX_STEPS - 1)}\n  - { id: last, if: true, then: [{ id: extra, set: { m: 1 } }] }\n`;
    assert.deepEqual(codes(nested), ['TOO_MANY_STEPS']);
  });
});

describe('validation is linear in the size of the campaign', () => {
  it('a ~900 KB campaign validates in seconds, twice the size takes about twice the time', (t) => {
    const small = bigCampaign({ bytes: 450_000, listLength: 1000, itemWidth: 7 });
    const large = bigCampaign({ bytes: 900_000, listLength: 1000, itemWidth: 7 });
    assert.ok(large.length < MAX_SOURCE_BYTES);
    assert.deepEqual(validate(large).diagnostics, []);
    const sources = new Map([
      [1, small],
      [2, large],
    ]);
    const { ratio, ms, ms2 } = doublingRatio((k) => () => validate(sources.get(k)!), 1, { runs: 2 });
    t.diagnostic(
      `parse + validate ${small.length} B: ${ms.toFixed(0)} ms; ${large.length} B: ${ms2.toFixed(0)} ms; ratio ${ratio.toFixed(2)}`,
    );
    assert.ok(ms2 < 30_000, `${ms2} ms`);
    assert.ok(ratio < 3, `time(2n)/time(n) = ${ratio.toFixed(2)}`);
  });

  it('a campaign under the source limit whose plan would pass Temporal payload limits is PLAN_TOO_LARGE', () => {
    const fits = compileCampaignSource(
      bigCampaign({ bytes: 400_000, listLength: 1000, itemWidth: 7 }),
      'fits.yaml',
    );
    assert.ok(fits.plan, JSON.stringify(fits.diagnostics.slice(0, 3)));
    assert.ok(Buffer.byteLength(JSON.stringify(fits.plan)) <= MAX_PLAN_BYTES);
    const big = compileCampaignSource(
      bigCampaign({ bytes: 900_000, listLength: 1000, itemWidth: 7 }),
      'big.yaml',
    );
    assert.equal(big.plan, undefined);
    assert.deepEqual(
      big.diagnostics.map((d) => d.code),
      ['PLAN_TOO_LARGE'],
    );
  });

  it('a campaign with a finding in every step stays linear too (locating, hints, expected lists)', (t) => {
    const small = bigCampaign({ bytes: 200_000, listLength: 300, itemWidth: 7, unknownVariables: true });
    const large = bigCampaign({ bytes: 400_000, listLength: 300, itemWidth: 7, unknownVariables: true });
    const found = validate(large).diagnostics;
    assert.ok(found.length > 100 && found.every((d) => d.code === 'UNKNOWN_VARIABLE'), String(found.length));
    assert.ok(found.every((d) => (d.expected ?? '').length < 1000));
    // Parsed once: this measures the passes that locate, hint and describe each finding.
    const parsedSmall = parseSource(small, 'small.yaml');
    const parsedLarge = parseSource(large, 'large.yaml');
    const parsed = new Map([
      [1, parsedSmall],
      [2, parsedLarge],
    ]);
    const { ratio, ms, ms2 } = doublingRatio((k) => () => validateCampaign(parsed.get(k)!), 1);
    t.diagnostic(
      `${found.length} findings: validate ${ms.toFixed(0)} ms at ${small.length} B, ${ms2.toFixed(0)} ms at ${large.length} B; ratio ${ratio.toFixed(2)}`,
    );
    assert.ok(ratio < 3, `time(2n)/time(n) = ${ratio.toFixed(2)}`);
  });
});
