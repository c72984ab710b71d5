import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { activityNames } from '../contract/catalogue.ts';
import { CUSTOM_OPERATORS } from '../contract/expr.ts';
import { DEFAULT_CAMPAIGNS_DIR } from './index.ts';
import { SCHEMAS_DIR } from './schema.ts';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
type Obj = Record<string, unknown>;
const read = (name: string) => JSON.parse(readFileSync(new URL(name, SCHEMAS_DIR), 'utf8')) as Obj;
const campaign = read('campaign.schema.json');
const defs = campaign.$defs as Record<string, Obj>;

describe('schemas/campaign.schema.json', () => {
  it('compiles in a strict Ajv as published (with its oneOf of steps) and accepts the nine pulses', () => {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
    ajv.addSchema(read('reward.schema.json'));
    ajv.addSchema({ ...read('event.schema.json'), $id: 'event.schema.json' });
    const validate = ajv.compile(campaign);
    const files = readdirSync(DEFAULT_CAMPAIGNS_DIR).filter((f) => f.endsWith('.pulse.yaml'));
    assert.equal(files.length, 9);
    for (const name of files) {
      const data: unknown = parse(readFileSync(`${DEFAULT_CAMPAIGNS_DIR}${name}`, 'utf8'));
      assert.ok(validate(data), `${name}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
  });

  it('offers every catalogue activity for completion', () => {
    const doProp = (defs.doStep!.properties as Record<string, Obj>).do!;
    assert.deepEqual([...(doProp.examples as string[])].sort(), [...activityNames].sort());
  });

  it('documents every custom operator', () => {
    const text = String(defs.expr?.description);
    for (const op of Object.keys(CUSTOM_OPERATORS)) assert.ok(text.includes(op), op);
  });

  it('describes every definition and every property (editors show the descriptions)', () => {
    const missing: string[] = [];
    for (const [name, def] of Object.entries(defs)) {
      if (!def.description) missing.push(`$defs.${name}`);
      for (const [prop, schema] of Object.entries((def.properties ?? {}) as Record<string, Obj>)) {
        if (!schema.description && !schema.$ref) missing.push(`$defs.${name}.properties.${prop}`);
      }
    }
    for (const [prop, schema] of Object.entries(campaign.properties as Record<string, Obj>)) {
      if (!schema.description && !schema.$ref) missing.push(`properties.${prop}`);
    }
    assert.deepEqual(missing, []);
  });
});
