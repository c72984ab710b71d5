/**
 * Static checks of a `do` step against the activity catalogue: the activity exists, and its `with` fits
 * the activity's input schema as far as literals allow (unknown keys, missing required keys, literal
 * values of the wrong type or out of range). Expressions are opaque until run time.
 */
import { catalogue } from '../contract/catalogue.ts';
import { isLogicNode } from '../contract/expr.ts';
import { validatorFor } from '../contract/validation.ts';
import type { Report } from './check-expr.ts';
import { describeValue, type JsonPath } from './errors.ts';
import { closest } from './suggest.ts';

interface InputSchema {
  required?: readonly string[];
  additionalProperties?: boolean;
  properties?: Record<string, object>;
}

export const ACTIVITY_NAMES: readonly string[] = Object.keys(catalogue);

/** The validator of one input property, from the shared registry (compiled once). */
function propertyValidator(activity: string, prop: string) {
  return validatorFor(`activities.schema.json#/$defs/${activity}Input/properties/${prop}`);
}

/** True when a value holds an expression anywhere (so its final shape is only known at run time). */
export function containsLogic(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (isLogicNode(value)) return true;
  return Object.values(value as Record<string, unknown>).some(containsLogic);
}

/** Checks activity name and literal `with` input. Returns false when the activity is unknown. */
export function checkActivity(
  activity: unknown,
  input: unknown,
  stepPath: JsonPath,
  report: Report,
): boolean {
  if (typeof activity !== 'string') return false;
  const def = (catalogue as Record<string, { input: object }>)[activity];
  if (!def) {
    const hint = closest(activity, ACTIVITY_NAMES);
    report(
      'UNKNOWN_ACTIVITY',
      [...stepPath, 'do'],
      `unknown activity${hint ? `; did you mean "${hint}"?` : ''}`,
      {
        found: JSON.stringify(activity),
        expected: `one of ${ACTIVITY_NAMES.join(', ')}`,
      },
    );
    return false;
  }
  const schema = def.input as InputSchema;
  const withPath = [...stepPath, 'with'];
  const given =
    input !== null && typeof input === 'object' && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : {};
  const props = schema.properties ?? {};
  for (const required of schema.required ?? []) {
    if (!(required in given)) {
      report('ACTIVITY_INPUT', input === undefined ? stepPath : withPath, `${activity} needs "${required}"`, {
        expected: `with.${required}`,
      });
    }
  }
  for (const [key, value] of Object.entries(given)) {
    const propSchema = props[key];
    if (!propSchema) {
      if (schema.additionalProperties === false) {
        const hint = closest(key, Object.keys(props));
        report(
          'ACTIVITY_INPUT',
          [...withPath, key],
          `${activity} has no input "${key}"${hint ? `; did you mean "${hint}"?` : ''}`,
          {
            found: JSON.stringify(key),
            expected: `one of ${Object.keys(props).join(', ') || '(no inputs)'}`,
            key: true,
          },
        );
      }
      continue;
    }
    checkLiteral(activity, key, value, propSchema, [...withPath, key], report);
  }
  return true;
}

function checkLiteral(
  activity: string,
  key: string,
  value: unknown,
  schema: object,
  path: JsonPath,
  report: Report,
): void {
  if (isLogicNode(value)) return;
  if (containsLogic(value)) {
    // A map with expressions inside: only its being an object is known now.
    const type = (schema as { type?: string | string[] }).type;
    const types = type === undefined ? undefined : Array.isArray(type) ? type : [type];
    if (types && !types.includes('object')) {
      report('ACTIVITY_INPUT', path, `${activity}.${key} must be ${types.join(' or ')}`, {
        found: 'a map',
        expected: types.join(' or '),
      });
    }
    return;
  }
  const validate = propertyValidator(activity, key);
  if (validate(value)) return;
  const first = validate.errors?.[0];
  report('ACTIVITY_INPUT', path, `${activity}.${key}: ${first?.message ?? 'invalid value'}`, {
    found: describeValue(value),
    expected: expectedOf(schema),
  });
}

function expectedOf(schema: object): string {
  const s = schema as { type?: unknown; enum?: unknown[]; minimum?: number; maximum?: number };
  if (s.enum) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const parts: string[] = [];
  if (s.type !== undefined) parts.push(Array.isArray(s.type) ? s.type.join(' or ') : String(s.type));
  if (s.minimum !== undefined) parts.push(`>= ${s.minimum}`);
  if (s.maximum !== undefined) parts.push(`<= ${s.maximum}`);
  return parts.join(' ') || 'a value matching the activity input schema';
}
