import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { catalogue } from './catalogue.ts';
import { isAppError } from './errors.ts';
import { validators } from './reward-http.ts';
import { readSchema, SCHEMA_FILES, schemaRegistry, toErrorDetails, validatorFor } from './validation.ts';

describe('the shared schema registry', () => {
  it('holds every schema of schemas/ under its file name', () => {
    const files = readdirSync(new URL('../schemas/', import.meta.url)).filter((f) =>
      f.endsWith('.schema.json'),
    );
    assert.deepEqual([...SCHEMA_FILES].sort(), files.sort());
    for (const file of SCHEMA_FILES) assert.ok(schemaRegistry().getSchema(file), file);
  });

  it('is one instance, and a validator is compiled once per reference', () => {
    assert.equal(schemaRegistry(), schemaRegistry());
    const ref = 'reward.schema.json#/$defs/rewards';
    assert.equal(validatorFor(ref), validatorFor(ref));
    assert.equal(validators.allocate, validatorFor('reward-http.schema.json#/properties/allocate'));
  });

  it('is strict: an unknown keyword does not compile, while `tsType` (a codegen hint) does', () => {
    assert.throws(() => schemaRegistry().compile({ type: 'string', colour: 'red' }), /unknown keyword/);
    assert.ok(schemaRegistry().compile({ type: 'string', tsType: 'Expr' })('x'));
  });

  it('reports every failing field, with formats checked', () => {
    const validate = validators.program;
    assert.equal(validate({ client_id: '', version: 0, rewards: {}, status: 'x', starts_at: 'soon' }), false);
    const paths = toErrorDetails(validate.errors).map((d) => d.path);
    assert.deepEqual(paths.sort(), ['client_id', 'starts_at', 'version']);
  });

  it('names a missing schema with a typed error instead of returning nothing', () => {
    assert.throws(
      () => validatorFor('nope.schema.json'),
      (err: unknown) => isAppError(err) && err.code === 'INTERNAL',
    );
  });
});

describe('the activity catalogue (schemas/activities.schema.json)', () => {
  const file = readSchema('activities.schema.json') as {
    properties: Record<string, { description: string }>;
    $defs: Record<string, unknown>;
  };

  it('has every activity of the schema, with its description', () => {
    assert.deepEqual(Object.keys(catalogue), Object.keys(file.properties));
    for (const [name, def] of Object.entries(catalogue)) {
      assert.equal(def.description, file.properties[name]!.description);
      assert.ok(file.$defs[`${name}Input`] && file.$defs[`${name}Output`], name);
    }
  });

  it('resolves local references, so property schemas can be read directly', () => {
    const input = catalogue.CheckEligibility.input as { properties: Record<string, Record<string, unknown>> };
    assert.deepEqual(
      { type: input.properties.participant_id!.type, maxLength: input.properties.participant_id!.maxLength },
      { type: 'string', maxLength: 200 },
    );
    assert.equal(JSON.stringify(catalogue).includes('$ref'), false);
  });

  it('validates through the registry exactly as the resolved schema says', () => {
    const validate = validatorFor('activities.schema.json#/$defs/CheckEligibilityInput');
    assert.ok(validate({ participant_id: 'p1', fraud_score: 10 }));
    assert.equal(validate({ participant_id: '', fraud_score: 101, extra: 1 }), false);
    assert.equal(schemaRegistry().compile(catalogue.CheckEligibility.input)({ participant_id: '' }), false);
  });
});

describe('the public API schema', () => {
  it('compiles every definition in the strict registry', () => {
    const defs = Object.keys(readSchema('api.schema.json').$defs as object);
    assert.ok(defs.length > 40);
    for (const name of defs)
      assert.equal(typeof validatorFor(`api.schema.json#/$defs/${name}`), 'function', name);
    // The conditional: a secret key needs a role, a publishable one does not.
    const key = validatorFor('api.schema.json#/$defs/apiKeyCreateBody');
    assert.equal(key({ kind: 'secret' }), false);
    assert.equal(key({ kind: 'secret', role: 'viewer' }), true);
    assert.equal(key({ kind: 'publishable' }), true);
  });
});
