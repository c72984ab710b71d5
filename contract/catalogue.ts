import type { ActivityContext } from './activity-context.ts';
import type { PulseActivities } from './generated/activities.generated.ts';
import { readSchema } from './validation.ts';

/**
 * The activity catalogue: every activity a campaign may name in a `do` step, with the JSON Schema of its
 * `with` input and of its result, loaded from schemas/activities.schema.json (the one source of truth;
 * the input/output TypeScript types are generated from it). The DSL validator reads this (unknown
 * activity or input that does not match = validation error); the worker registers implementations under
 * the same names.
 */
export interface ActivityDefinition {
  description: string;
  /** The input schema with its local `$ref`s resolved, so callers can read its properties directly. */
  input: JsonSchema;
  output: JsonSchema;
}

export type JsonSchema = { [key: string]: unknown };

export type ActivityName = keyof PulseActivities;
export type ActivityInput<N extends ActivityName> = PulseActivities[N]['input'];
export type ActivityOutput<N extends ActivityName> = PulseActivities[N]['output'];

/** The implementation set the worker registers: one function per catalogue entry. */
export type ActivityImplementations = {
  [N in ActivityName]: (input: ActivityInput<N>, ctx: ActivityContext) => Promise<ActivityOutput<N>>;
};

interface CatalogueFile {
  properties: Record<ActivityName, { description: string; properties: Record<'input' | 'output', Ref> }>;
  $defs: Record<string, JsonSchema>;
}
type Ref = { $ref: string };

/** Replaces each `{ $ref: '#/$defs/x', ...siblings }` by the definition merged with its siblings. */
function resolveLocal(node: unknown, defs: Record<string, JsonSchema>): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveLocal(n, defs));
  if (node === null || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as JsonSchema;
  const own = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, resolveLocal(v, defs)]));
  if (typeof $ref !== 'string') return own;
  const def = defs[$ref.replace('#/$defs/', '')];
  return { ...(resolveLocal(def, defs) as JsonSchema), ...own };
}

function load(): Record<ActivityName, ActivityDefinition> {
  const file = readSchema('activities.schema.json') as unknown as CatalogueFile;
  const schemaOf = (ref: Ref) => resolveLocal(ref, file.$defs) as JsonSchema;
  const entries = Object.entries(file.properties).map(([name, entry]) => [
    name,
    Object.freeze({
      description: entry.description,
      input: schemaOf(entry.properties.input),
      output: schemaOf(entry.properties.output),
    }),
  ]);
  return Object.freeze(Object.fromEntries(entries)) as Record<ActivityName, ActivityDefinition>;
}

export const catalogue: Readonly<Record<ActivityName, ActivityDefinition>> = load();

export const activityNames = Object.keys(catalogue) as ActivityName[];
