import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DoStep } from '../contract/plan.ts';
import { toTemporalRetry } from '../engine/interpreter/activity-call.ts';
import { MAX_FOR_EACH, MAX_REPEAT } from './check-steps.ts';
import { compileCampaignSource } from './index.ts';

/**
 * The retry defaults and loop bounds the docs state are the ones the engine and compiler apply: the
 * numbers are taken from the code and looked for in the schema descriptions and the READMEs.
 */
const repo = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string): string => readFileSync(repo + path, 'utf8');
const schema = JSON.parse(read('schemas/campaign.schema.json')) as {
  $defs: Record<string, { description?: string; properties?: Record<string, { description?: string }> }>;
};
const dslReadme = read('dsl/README.md').replace(/\s+/g, ' ');
const retryDoc = schema.$defs.retryPolicy?.description ?? '';

const seconds = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);

function compiledRetry(retry: string): DoStep['retry'] {
  const source = [
    'pulse: test',
    'id: docs-agree',
    'version: 1',
    'title: Retry defaults',
    'trigger: { event: user_signed_up }',
    'steps:',
    '  - id: tell',
    '    do: SendNotification',
    '    with: { template: welcome, participant_id: { var: event.participant_id } }',
    `    retry: ${retry}`,
    '  - { id: done, end: completed }',
  ].join('\n');
  const result = compileCampaignSource(source, 'docs-agree.yaml');
  assert.ok(result.plan, JSON.stringify(result.diagnostics));
  return (result.plan.steps[0] as DoStep).retry;
}

describe('docs agree with the engine', () => {
  it('the engine default retry policy (no `retry`) is the one the schema and dsl/README state', () => {
    const policy = toTemporalRetry(undefined);
    const text = `${policy.maximumAttempts} attempts, ${seconds(Number(policy.initialInterval))} apart, doubling, at most ${seconds(Number(policy.maximumInterval))} apart`;
    assert.equal(policy.backoffCoefficient, 2);
    assert.ok(retryDoc.includes(text), `schema retryPolicy says: ${retryDoc}; engine: ${text}`);
    assert.ok(dslReadme.includes(text), `dsl/README.md does not say "${text}"`);
    assert.match(read('engine/README.md'), new RegExp(`${policy.maximumAttempts} attempts`));
  });

  it('what a `retry` block leaves out is the fallback the schema and dsl/README state', () => {
    const retry = compiledRetry('{ non_retryable: [BUDGET_EXHAUSTED] }');
    assert.ok(retry);
    assert.equal(retry.maxIntervalMs, undefined, 'no cap unless max_interval');
    const text = `${retry.maxAttempts} attempts, ${seconds(retry.initialIntervalMs)} apart, ${retry.backoffCoefficient === 2 ? 'doubling' : `×${retry.backoffCoefficient}`}, with no cap`;
    assert.ok(retryDoc.includes(text), `schema retryPolicy says: ${retryDoc}; compiler: ${text}`);
    assert.ok(
      dslReadme.includes(text.replace(', with no cap', ', and no cap')),
      `dsl/README.md does not state ${text}`,
    );
  });

  it('for_each and repeat bounds in the schema and dsl/README are the validator limits and engine behaviour', () => {
    const maxItems = schema.$defs.forEachStep?.properties?.max_items?.description ?? '';
    assert.ok(maxItems.includes(`at most ${MAX_FOR_EACH}`), maxItems);
    // The engine fails the journey on a longer list (engine/interpreter/for-each.ts), it does not cut it.
    assert.ok(read('engine/interpreter/for-each.ts').includes("'MAX_ITEMS_EXCEEDED'"));
    assert.ok(maxItems.includes('MAX_ITEMS_EXCEEDED') && !/\bcut\b/.test(maxItems), maxItems);
    const max = schema.$defs.repeatStep?.properties?.max?.description ?? '';
    assert.ok(max.includes(`at most ${MAX_REPEAT}`), max);
    assert.ok(dslReadme.includes(`\`max_items\` (required, ≤ ${MAX_FOR_EACH})`));
    assert.ok(dslReadme.includes(`\`max\` (required, ≤ ${MAX_REPEAT})`));
    assert.ok(
      dslReadme.includes(`(required, at most ${MAX_FOR_EACH}); a longer list at run time fails the journey`),
    );
  });
});
