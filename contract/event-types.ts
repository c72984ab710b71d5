/**
 * Custom event types: what a client may declare (a name in the `custom_` namespace and a JSON Schema for
 * the event's `properties`), the safe subset of JSON Schema such a declaration may use, and the compiled
 * validators the ingest runs. Shared by the DSL (a campaign's `events:` block) and the event service
 * (`/v1/event-types`), so both refuse the same schemas with the same paths.
 */
import type { ValidateFunction } from 'ajv';
import type { ErrorDetail } from './errors.ts';
import { createAjv, readSchema, toErrorDetails, usesPrecompiledValidators } from './validation.ts';

const eventDefs = readSchema('event.schema.json').$defs as {
  event_name: { enum: string[] };
  custom_event_name: { pattern: string; minLength: number; maxLength: number };
};

/** Every built-in event name (schemas/event.schema.json `$defs.event_name`). */
export const BUILT_IN_EVENTS: ReadonlySet<string> = new Set(eventDefs.event_name.enum);

/** `custom_` + lower_snake_case, at most 64 characters (schemas/event.schema.json `$defs.custom_event_name`). */
export const CUSTOM_EVENT_NAME = new RegExp(eventDefs.custom_event_name.pattern);
export const CUSTOM_EVENT_NAME_MAX = eventDefs.custom_event_name.maxLength;

/** Whether `name` is in the custom namespace (it cannot be a built-in: no built-in starts with `custom_`). */
export function isCustomEventName(name: string): boolean {
  return name.length <= CUSTOM_EVENT_NAME_MAX && CUSTOM_EVENT_NAME.test(name);
}

/** Why `name` cannot be a custom event type, or null when it can. */
export function customNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'must be a string';
  if (BUILT_IN_EVENTS.has(name)) return 'is a built-in event; custom events start with custom_';
  if (name.length > CUSTOM_EVENT_NAME_MAX) return `is longer than ${CUSTOM_EVENT_NAME_MAX} characters`;
  if (!CUSTOM_EVENT_NAME.test(name)) return 'must be custom_ followed by lower_snake_case (a-z, 0-9, _)';
  return null;
}

/**
 * Limits of a declared schema. It is compiled per client and runs on every event of that type, so it is
 * bounded in size, depth and breadth, and kept to keywords whose cost is linear in the event:
 * no `$ref`/`$id` (nothing remote, nothing recursive), no `pattern`/`patternProperties` (a client's
 * regular expression on the ingest path is a ReDoS risk; use `enum` or `format`), no `if`/`not`.
 */
export const DECLARED_SCHEMA_LIMITS = Object.freeze({
  maxBytes: 16 * 1024,
  maxDepth: 6,
  maxNodes: 300,
  maxProperties: 100,
  maxEnum: 100,
  maxDescriptionChars: 500,
});

/** Formats a declared schema may name (ajv-formats, all linear). */
export const DECLARED_FORMATS: ReadonlySet<string> = new Set([
  'date-time',
  'date',
  'time',
  'email',
  'uri',
  'uuid',
  'ipv4',
  'ipv6',
]);

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
const NUMBER_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']);
const COUNT_KEYWORDS = new Set([
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
]);
const TEXT_KEYWORDS = new Set(['title', 'description']);
const ALLOWED = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'format',
  'uniqueItems',
  'anyOf',
  'oneOf',
  'default',
  'examples',
  ...NUMBER_KEYWORDS,
  ...COUNT_KEYWORDS,
  ...TEXT_KEYWORDS,
]);

const SUBSET =
  'a keyword of the safe subset: type, properties, required, additionalProperties, items, enum, const, format, anyOf, oneOf, min/max bounds, title, description';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Every problem of a declared `properties` schema, each with its path under `base` (e.g.
 * `events.custom_x.properties.properties.plan.type`). Empty when the schema is in the safe subset and
 * compiles. Bounded: stops descending past the depth limit and after the node limit.
 */
export function declaredSchemaProblems(schema: unknown, base: string): ErrorDetail[] {
  const L = DECLARED_SCHEMA_LIMITS;
  const out: ErrorDetail[] = [];
  if (!isObj(schema)) return [{ path: base, message: 'must be a JSON Schema object', expected: 'object' }];
  const bytes = new TextEncoder().encode(JSON.stringify(schema) ?? '').length;
  if (bytes > L.maxBytes)
    return [
      { path: base, message: `schema is ${bytes} bytes`, expected: `at most ${L.maxBytes} bytes of JSON` },
    ];
  if (schema.type !== 'object')
    out.push({ path: `${base}.type`, message: 'the root must describe an object', expected: '"object"' });
  let nodes = 0;
  const walk = (node: unknown, path: string, depth: number): void => {
    if (out.length >= 20) return;
    if (typeof node === 'boolean') return;
    if (!isObj(node)) {
      out.push({ path, message: 'must be a schema', expected: 'object or boolean' });
      return;
    }
    if (++nodes > L.maxNodes) {
      out.push({
        path,
        message: `schema has more than ${L.maxNodes} subschemas`,
        expected: `at most ${L.maxNodes}`,
      });
      return;
    }
    if (depth > L.maxDepth) {
      out.push({
        path,
        message: `nested deeper than ${L.maxDepth} levels`,
        expected: `at most ${L.maxDepth}`,
      });
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}.${key}`;
      if (!ALLOWED.has(key)) {
        out.push({ path: at, message: unsupported(key), expected: SUBSET });
        continue;
      }
      if (key === 'type') {
        const list = Array.isArray(value) ? value : [value];
        if (list.length === 0 || list.some((t) => typeof t !== 'string' || !TYPES.has(t)))
          out.push({ path: at, message: 'not a JSON Schema type', expected: [...TYPES].join('|') });
      } else if (key === 'properties') {
        if (!isObj(value))
          out.push({ path: at, message: 'must be an object of schemas', expected: 'object' });
        else {
          const names = Object.keys(value);
          if (names.length > L.maxProperties)
            out.push({
              path: at,
              message: `more than ${L.maxProperties} properties`,
              expected: `at most ${L.maxProperties}`,
            });
          for (const name of names) {
            if (FORBIDDEN_KEYS.has(name) || name.length > 128 || name.length === 0)
              out.push({
                path: `${at}.${name}`,
                message: 'property name is not allowed',
                expected: 'a plain name of 1 to 128 characters',
              });
            else walk(value[name], `${at}.${name}`, depth + 1);
          }
        }
      } else if (key === 'additionalProperties' || key === 'items') {
        walk(value, at, depth + 1);
      } else if (key === 'anyOf' || key === 'oneOf') {
        if (!Array.isArray(value) || value.length === 0 || value.length > 10)
          out.push({ path: at, message: 'must be a list of 1 to 10 schemas', expected: 'array' });
        else
          value.forEach((v, i) => {
            walk(v, `${at}.${i}`, depth + 1);
          });
      } else if (key === 'required') {
        if (
          !Array.isArray(value) ||
          value.some((v) => typeof v !== 'string') ||
          value.length > L.maxProperties
        )
          out.push({ path: at, message: 'must be a list of property names', expected: 'array of strings' });
      } else if (key === 'enum') {
        if (!Array.isArray(value) || value.length === 0 || value.length > L.maxEnum)
          out.push({ path: at, message: `must be a list of 1 to ${L.maxEnum} values`, expected: 'array' });
      } else if (key === 'format') {
        if (typeof value !== 'string' || !DECLARED_FORMATS.has(value))
          out.push({
            path: at,
            message: 'unsupported format',
            expected: `one of ${[...DECLARED_FORMATS].join(', ')}`,
          });
      } else if (NUMBER_KEYWORDS.has(key)) {
        if (typeof value !== 'number' || !Number.isFinite(value))
          out.push({ path: at, message: 'must be a number', expected: 'number' });
      } else if (COUNT_KEYWORDS.has(key)) {
        if (!Number.isInteger(value) || (value as number) < 0)
          out.push({ path: at, message: 'must be a non-negative integer', expected: 'integer ≥ 0' });
      } else if (TEXT_KEYWORDS.has(key)) {
        if (typeof value !== 'string' || value.length > L.maxDescriptionChars)
          out.push({
            path: at,
            message: `must be text of at most ${L.maxDescriptionChars} characters`,
            expected: 'string',
          });
      } else if (key === 'uniqueItems') {
        if (typeof value !== 'boolean')
          out.push({ path: at, message: 'must be a boolean', expected: 'boolean' });
      }
    }
  };
  walk(schema, base, 0);
  if (out.length > 0) return out;
  // Whatever the walk let through must also compile (strict Ajv: e.g. `required` naming nothing). Not
  // where validators are precompiled (the portal: its CSP allows no eval, and Ajv compiles by eval):
  // there the strict-mode problems the walk does not see are reported on deploy, by the server.
  if (usesPrecompiledValidators()) return out;
  try {
    const a = declaredAjv();
    a.compile(schema);
    a.removeSchema(schema);
  } catch (err) {
    out.push({ path: base, message: `schema does not compile: ${(err as Error).message.slice(0, 200)}` });
  }
  return out;
}

function unsupported(key: string): string {
  if (key === '$ref' || key === '$id' || key === '$defs' || key === 'definitions')
    return `"${key}" is not supported: declare the schema inline, without references`;
  if (key === 'pattern' || key === 'patternProperties')
    return `"${key}" is not supported (regular expressions on the ingest path); use enum or format`;
  return `"${key}" is not supported in declared event schemas`;
}

let ajv: ReturnType<typeof createAjv> | undefined;
/**
 * The Ajv instance of declared schemas: the platform's options (createAjv: strict, all errors, formats),
 * kept apart from the shared registry so client schemas never mix with or shadow the platform's.
 */
function declaredAjv() {
  ajv ??= createAjv();
  return ajv;
}

/** A declared event type as the ingest sees it: its version and compiled `properties` validator. */
export interface CompiledEventType {
  name: string;
  version: number;
  validate: ValidateFunction;
}

/**
 * Compiles a (checked) declared schema. Callers cache the result per client, name and version; Ajv keeps
 * no reference to it, so dropping the cache entry frees it.
 */
export function compileDeclaredSchema(name: string, version: number, schema: Obj): CompiledEventType {
  const a = declaredAjv();
  const validate = a.compile(schema);
  // Ajv caches every compiled schema object; the caller's cache owns the validator instead.
  a.removeSchema(schema);
  return { name, version, validate };
}

/** Errors of `properties` against a declared type, with paths under `properties.` (empty when valid). */
export function checkDeclaredProperties(type: CompiledEventType, properties: unknown): ErrorDetail[] {
  if (type.validate(properties ?? {})) return [];
  return toErrorDetails(type.validate.errors).map((d) => ({
    ...d,
    path: d.path === '(root)' ? 'properties' : `properties.${d.path}`,
  }));
}
