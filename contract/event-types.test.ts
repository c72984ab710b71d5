import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUILT_IN_EVENTS,
  checkDeclaredProperties,
  compileDeclaredSchema,
  customNameProblem,
  DECLARED_SCHEMA_LIMITS,
  declaredSchemaProblems,
} from './event-types.ts';

describe('custom event names', () => {
  it('no built-in is in the custom namespace, and names are bounded', () => {
    for (const name of BUILT_IN_EVENTS) assert.notEqual(customNameProblem(name), null, name);
    assert.equal(customNameProblem('custom_webinar_attended'), null);
    assert.match(customNameProblem('user_signed_up') ?? '', /built-in/);
    assert.match(customNameProblem('webinar') ?? '', /custom_/);
    assert.match(customNameProblem('custom__x') ?? '', /lower_snake_case/);
    assert.match(customNameProblem(`custom_${'x'.repeat(58)}`) ?? '', /longer than 64/);
    assert.equal(customNameProblem(`custom_${'x'.repeat(57)}`), null);
  });
});

describe('declared schemas (safe subset)', () => {
  it('refuses remote refs, patterns, unknown keywords and formats, each at its path', () => {
    const problems = declaredSchemaProblems(
      {
        type: 'object',
        properties: {
          a: { $ref: 'https://evil.example/s.json' },
          b: { type: 'string', pattern: '^(a+)+$' },
          c: { type: 'string', format: 'regex' },
          d: { not: {} },
          e: { type: 'strng' },
        },
      },
      'schema',
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        'schema.properties.a.$ref',
        'schema.properties.b.pattern',
        'schema.properties.c.format',
        'schema.properties.d.not',
        'schema.properties.e.type',
      ],
    );
  });

  it('bounds size and breadth; the root is an object', () => {
    assert.deepEqual(
      declaredSchemaProblems({ type: 'array' }, 's').map((p) => p.path),
      ['s.type'],
    );
    const wide = {
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, {}])),
    };
    assert.match(declaredSchemaProblems(wide, 's')[0]?.message ?? '', /more than 100 properties/);
    const big = { type: 'object', description: 'x'.repeat(DECLARED_SCHEMA_LIMITS.maxBytes) };
    assert.match(declaredSchemaProblems(big, 's')[0]?.message ?? '', /bytes/);
    assert.deepEqual(declaredSchemaProblems({ type: 'object', properties: { __proto__x: {} } }, 's'), []);
  });

  it('a compiled declaration reports property errors under properties.', () => {
    const schema = {
      type: 'object',
      required: ['webinar_id'],
      additionalProperties: false,
      properties: { webinar_id: { type: 'string' }, minutes: { type: 'integer', minimum: 0 } },
    };
    assert.deepEqual(declaredSchemaProblems(schema, 's'), []);
    const t = compileDeclaredSchema('custom_webinar_attended', 1, schema);
    assert.deepEqual(checkDeclaredProperties(t, { webinar_id: 'w1', minutes: 3 }), []);
    assert.deepEqual(
      checkDeclaredProperties(t, { minutes: -1, extra: true })
        .map((d) => d.path)
        .sort(),
      ['properties.extra', 'properties.minutes', 'properties.webinar_id'],
    );
    assert.deepEqual(
      checkDeclaredProperties(t, undefined).map((d) => d.path),
      ['properties.webinar_id'],
    );
  });
});
