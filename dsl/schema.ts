/**
 * The campaign JSON Schema, compiled once. schemas/campaign.schema.json is the single source of truth;
 * it references schemas/reward.schema.json (rewards, segments) and schemas/event.schema.json (event
 * names). All of them live in the platform's one Ajv instance (contract/validation.ts).
 *
 * Steps are validated one at a time against the schema of their kind instead of through the published
 * `oneOf`: a `oneOf` failure reports every branch's complaints, while checking the one branch the step's
 * kind key selects gives one precise message. The published schema keeps the `oneOf` for editors and
 * the generated types.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { addSchemaOnce, readSchema, validatorFor } from '../contract/validation.ts';

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
  try: 'tryStep',
  raise: 'raiseStep',
  approval: 'approvalStep',
} as const;

export type StepKindKey = keyof typeof STEP_KINDS;
export const STEP_KIND_KEYS = Object.keys(STEP_KINDS) as StepKindKey[];

export const SCHEMAS_DIR = new URL('../schemas/', import.meta.url);

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

const INTERNAL_ID = 'campaign.internal.schema.json';

/**
 * The internal variant of the campaign schema: nested steps validate as plain objects, and the walker
 * validates each step on its own against its kind's definition.
 */
export function internalCampaignSchema(): JsonObject & { $id: string } {
  const campaign = readSchema('campaign.schema.json');
  const defs = { ...(campaign.$defs as JsonObject) };
  defs.step = { type: 'object' };
  return { ...campaign, $id: INTERNAL_ID, $defs: defs };
}

/**
 * Every validator reference dsl/ asks `validatorFor` for: the document, each step kind, each activity
 * input property. What dsl/precompile.ts generates ahead of time for the portal, whose CSP allows no eval.
 */
export function dslValidatorRefs(): string[] {
  const activities = readSchema('activities.schema.json').$defs as Record<
    string,
    { properties?: JsonObject }
  >;
  return [
    INTERNAL_ID,
    ...STEP_KIND_KEYS.map((key) => `${INTERNAL_ID}#/$defs/${STEP_KINDS[key]}`),
    ...Object.entries(activities)
      .filter(([name]) => name.endsWith('Input'))
      .flatMap(([name, def]) =>
        Object.keys(def.properties ?? {}).map(
          (prop) => `activities.schema.json#/$defs/${name}/properties/${prop}`,
        ),
      ),
  ];
}

function build(): CampaignSchemas {
  const campaign = readSchema('campaign.schema.json');
  const event = readSchema('event.schema.json');
  const eventNames = ((event.$defs as JsonObject).event_name as { enum: string[] }).enum;
  const envelope = (event.$defs as JsonObject).envelope as JsonObject;
  const eventFields = new Set(Object.keys(envelope.properties as JsonObject));
  const moneyMoving = new Set(((event.$defs as JsonObject).money_moving as { const: string[] }).const);

  addSchemaOnce(internalCampaignSchema());
  const document = validatorFor(INTERNAL_ID);
  const step = {} as Record<StepKindKey, ValidateFunction>;
  for (const key of STEP_KIND_KEYS) {
    step[key] = validatorFor(`${INTERNAL_ID}#/$defs/${STEP_KINDS[key]}`);
  }
  return { campaign, eventNames, eventFields, moneyMoving, document, step };
}

/** Runs a validator and returns its errors (empty when valid). */
export function schemaErrors(validate: ValidateFunction, data: unknown): ErrorObject[] {
  return validate(data) ? [] : [...(validate.errors ?? [])];
}
