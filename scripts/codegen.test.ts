import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generate, run } from './codegen.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));

describe('codegen', () => {
  it('the committed generated types match the schema (no drift)', async () => {
    assert.deepEqual(await run(true), [], 'run `npm run codegen` and commit dsl/campaign.generated.ts');
  });

  it('generates the step union and the campaign type from the schema', async () => {
    const ts = await generate({
      schema: 'schemas/campaign.schema.json',
      output: 'dsl/campaign.generated.ts',
      typeName: 'Campaign',
    });
    assert.equal(ts, readFileSync(`${repo}dsl/campaign.generated.ts`, 'utf8'));
    assert.match(ts, /export interface Campaign \{/);
    assert.match(ts, /export type Step =\s+\| DoStep\s+\| IfStep/);
    assert.match(ts, /export type Expr = unknown;/);
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
