import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { platformOpenApi } from '../services/openapi.ts';
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
    assert.deepEqual(TARGETS.map((t) => t.schema).sort(), schemas.map((f) => `schemas/${f}`).sort());
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
    // `Duration` is declared by both schemas (campaign and reward) with the same one grammar (a test in
    // contract/duration.test.ts holds the two patterns to the parser). Every other name is declared once.
    const repeated = [...declared].filter(([name, files]) => files.length > 1 && name !== 'Duration');
    assert.deepEqual(repeated, []);
  });

  it('the plan types import the trust level, the schedule and the event envelope instead of redeclaring them', () => {
    const plan = readFileSync(`${repo}contract/generated/plan.generated.ts`, 'utf8');
    assert.match(
      plan,
      /import type \{\s*Leaderboard,\s*Schedule,\s*TrustLevel\s*\} from '\.\/campaign\.generated\.ts';/,
    );
    assert.doesNotMatch(plan, /export interface Schedule\b/);
    assert.match(plan, /import type \{\s*EventEnvelope\s*\} from '\.\/event\.generated\.ts';/);
    assert.match(plan, /export type JourneyEvent = EventEnvelope & \{/);
    // `kind` is a literal per step, so the generated union is discriminated.
    assert.match(
      plan,
      /export interface PlanDoStep \{\s*(\/\*\*[\s\S]*?\*\/\s*)?id: PlanStepId;\s*kind: 'do';/,
    );
    assert.match(plan, /planVersion: 1;/);
    // A `$ref` with a sibling description would have made numbered copies (PlanExpr1, …).
    assert.doesNotMatch(plan, /export type \w+\d = /);
  });

  it('the event type is the envelope only, not the per-event rules of the root', () => {
    const event = readFileSync(`${repo}contract/generated/event.generated.ts`, 'utf8');
    assert.match(event, /export interface EventEnvelope \{/);
    assert.match(event, /^ {2}event: string;$/m);
    assert.doesNotMatch(event, /PropsPurchase|EventCategories|MoneyMoving/);
  });

  it('writes the typed client paths from the OpenAPI document, with the schema types as bodies', async () => {
    const target = TARGETS.find((x) => x.output === 'contract/generated/api.generated.ts');
    assert.ok(target?.paths);
    const ts = await generate(target);
    const spec = platformOpenApi() as { paths: Record<string, Record<string, { operationId: string }>> };
    for (const [path, item] of Object.entries(spec.paths)) {
      assert.ok(ts.includes(`  ${JSON.stringify(path)}: {`), `paths has ${path}`);
      for (const op of Object.values(item))
        assert.ok(ts.includes(`  ${JSON.stringify(op.operationId)}: {`), `operations has ${op.operationId}`);
    }
    // Bodies are the schema codegen's own types, imported where another schema declares them.
    assert.match(ts, /'application\/json': CampaignDeployBody;/);
    assert.match(ts, /import type \{[^}]*ClaimBody[^}]*\} from '\.\/reward-http\.generated\.ts'/);
    assert.equal((ts.match(/^export interface CampaignDeployBody /gm) ?? []).length, 1);
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
