/**
 * The campaign JSON Schema, compiled once. schemas/campaign.schema.json is the single source of truth;
 * it references schemas/reward.schema.json (rewards, segments) and schemas/event.schema.json (event
 * names). All three live in one Ajv instance.
 *
 * Steps are validated one at a time against the schema of their kind instead of through the published
 * `oneOf`: a `oneOf` failure reports every branch's complaints, while checking the one branch the step's
 * kind key selects gives one precise message. The published schema keeps the `oneOf` for editors and
 * the generated types.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type JsonObject = Record<string, unknown>;

/** Kind key of a step → name of its definition in campaign.schema.json `$defs`. */
export const STEP_KINDS = {
  do: 'doStep',
  if: 'ifStep',
  switch: 'switchStep',
  parallel: 'parallelStep',
  wait: 'waitStep',
  sleep: 'sleepStep',
  repeat: 'repeatStep',
  for_each: 'forEachStep',
  set: 'setStep',
  emit: 'emitStep',
  call: 'callStep',
  end: 'endStep',
} as const;

export type StepKindKey = keyof typeof STEP_KINDS;
export const STEP_KIND_KEYS = Object.keys(STEP_KINDS) as StepKindKey[];

export const SCHEMAS_DIR = new URL('../schemas/', import.meta.url);

function readSchema(name: string): JsonObject {
  return JSON.parse(readFileSync(new URL(name, SCHEMAS_DIR), 'utf8')) as JsonObject;
}

export interface CampaignSchemas {
  /** The published campaign schema, as written. */
  campaign: JsonObject;
  /** Event names the platform knows (schemas/event.schema.json `$defs.event_name`). */
  eventNames: readonly string[];
  /** Top-level fields of an event, which `{ var: event.<field> }` may name. */
  eventFields: ReadonlySet<string>;
  /** Events that move money (schemas/event.schema.json `$defs.money_moving`): `server` trust by default. */
  moneyMoving: ReadonlySet<string>;
  /** Validates a whole document, with every step checked only for being an object. */
  document: ValidateFunction;
  /** Validates one step of a kind, with its nested steps checked only for being objects. */
  step: Record<StepKindKey, ValidateFunction>;
}

let cached: CampaignSchemas | undefined;

/** Loads and compiles the schemas on first use; later calls return the same validators. */
export function campaignSchemas(): CampaignSchemas {
  cached ??= build();
  return cached;
}

function build(): CampaignSchemas {
  const campaign = readSchema('campaign.schema.json');
  const reward = readSchema('reward.schema.json');
  // The event schema's $id is absolute; campaign.schema.json refers to it relative to its own folder
  // (which is how editors resolve it), so register it under the relative name too.
  const event: JsonObject = { ...readSchema('event.schema.json'), $id: 'event.schema.json' };
  const eventNames = ((event.$defs as JsonObject).event_name as { enum: string[] }).enum;
  const eventFields = new Set(Object.keys(event.properties as JsonObject));
  const moneyMoving = new Set(((event.$defs as JsonObject).money_moving as { const: string[] }).const);

  // Internal variant: nested steps validate as plain objects; the walker validates each on its own.
  const defs = { ...(campaign.$defs as JsonObject) };
  defs.step = { type: 'object' };
  const internal = { ...campaign, $id: 'campaign.internal.schema.json', $defs: defs };

  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  addFormats(ajv);
  // `tsType` steers json-schema-to-typescript (expressions are `unknown`); it is not a validation keyword.
  ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
  ajv.addSchema(reward);
  ajv.addSchema(event);
  ajv.addSchema(internal);
  const document = ajv.getSchema('campaign.internal.schema.json')!;
  const step = {} as Record<StepKindKey, ValidateFunction>;
  for (const key of STEP_KIND_KEYS) {
    step[key] = ajv.getSchema(`campaign.internal.schema.json#/$defs/${STEP_KINDS[key]}`)!;
  }
  return { campaign, eventNames, eventFields, moneyMoving, document, step };
}

/** Runs a validator and returns its errors (empty when valid). */
export function schemaErrors(validate: ValidateFunction, data: unknown): ErrorObject[] {
  return validate(data) ? [] : [...(validate.errors ?? [])];
}
