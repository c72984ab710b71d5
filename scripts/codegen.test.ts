import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generate, run, TARGETS } from './codegen.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));

describe('codegen', () => {
  it('the committed generated types match the schema (no drift)', async () => {
    assert.deepEqual(await run(true), [], 'run `npm run codegen` and commit contract/generated/');
  });

  it('generates the step union and the campaign type from the schema', async () => {
    const ts = await generate({
      schema: 'schemas/campaign.schema.json',
      output: 'contract/generated/campaign.generated.ts',
      typeName: 'Campaign',
    });
    assert.equal(ts, readFileSync(`${repo}contract/generated/campaign.generated.ts`, 'utf8'));
    assert.match(ts, /export interface Campaign \{/);
    assert.match(ts, /export type Step =\s+\| DoStep\s+\| IfStep/);
    assert.match(ts, /export type Expr = unknown;/);
  });

  it('covers every schema in schemas/ that has types, one generated file each', () => {
    const schemas = readdirSync(`${repo}schemas`).filter((f) => f.endsWith('.schema.json'));
    // The event schema is validated (services/event) but has no generated type: the pipeline reads a
    // few fields and lets the schema check the rest.
    const typed = schemas.filter((f) => f !== 'event.schema.json').map((f) => `schemas/${f}`);
    assert.deepEqual(TARGETS.map((t) => t.schema).sort(), typed.sort());
    const outputs = readdirSync(`${repo}contract/generated`).map((f) => `contract/generated/${f}`);
    assert.deepEqual(TARGETS.map((t) => t.output).sort(), outputs.sort());
  });

  it('declares each type once: the campaign types import the reward types instead of inlining them', async () => {
    const campaign = readFileSync(`${repo}contract/generated/campaign.generated.ts`, 'utf8');
    assert.match(campaign, /import type \{\s*Rewards, Segments\s*\} from '\.\/reward\.generated\.ts';/);
    assert.doesNotMatch(
      campaign,
      /export (interface|type) (Rewards|Segments|RewardRule|RewardValue|Constraints)\b/,
    );
    const declared = new Map<string, string[]>();
    for (const t of TARGETS) {
      const text = readFileSync(`${repo}${t.output}`, 'utf8');
      for (const m of text.matchAll(/^export (?:interface|type) (\w+)/gm)) {
        declared.set(m[1]!, [...(declared.get(m[1]!) ?? []), t.output]);
      }
    }
    // Two different definitions share a name: a journey duration ("1h30m", campaign) and a reward
    // validity ("30d", "3mo", reward). Every other name is declared in exactly one file.
    const repeated = [...declared].filter(([name, files]) => files.length > 1 && name !== 'Duration');
    assert.deepEqual(repeated, []);
  });

  it('`codegen --check` exits 0 when in sync', async () => {
    const code = await new Promise<number>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/codegen.ts', '--check'],
        { cwd: repo },
        (error) => resolve(error ? Number(error.code ?? 1) : 0),
      );
    });
    assert.equal(code, 0);
  });
});
