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
import { readSchema, schemaRegistry, validatorFor } from '../contract/validation.ts';

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

function build(): CampaignSchemas {
  const campaign = readSchema('campaign.schema.json');
  const event = readSchema('event.schema.json');
  const eventNames = ((event.$defs as JsonObject).event_name as { enum: string[] }).enum;
  const envelope = (event.$defs as JsonObject).envelope as JsonObject;
  const eventFields = new Set(Object.keys(envelope.properties as JsonObject));
  const moneyMoving = new Set(((event.$defs as JsonObject).money_moving as { const: string[] }).const);

  // Internal variant: nested steps validate as plain objects; the walker validates each on its own.
  const defs = { ...(campaign.$defs as JsonObject) };
  defs.step = { type: 'object' };
  const internal = { ...campaign, $id: 'campaign.internal.schema.json', $defs: defs };

  const ajv = schemaRegistry();
  if (!ajv.getSchema(internal.$id)) ajv.addSchema(internal);
  const document = validatorFor(internal.$id);
  const step = {} as Record<StepKindKey, ValidateFunction>;
  for (const key of STEP_KIND_KEYS) {
    step[key] = validatorFor(`${internal.$id}#/$defs/${STEP_KINDS[key]}`);
  }
  return { campaign, eventNames, eventFields, moneyMoving, document, step };
}

/** Runs a validator and returns its errors (empty when valid). */
export function schemaErrors(validate: ValidateFunction, data: unknown): ErrorObject[] {
  return validate(data) ? [] : [...(validate.errors ?? [])];
}
