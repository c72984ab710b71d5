import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { AppError, type ErrorDetail } from './errors.ts';

// ajv-formats is CommonJS with a `default` export; normalise once here.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Every schema in schemas/, registered under its file name (how the files `$ref` each other). */
export const SCHEMA_FILES = [
  'event.schema.json',
  'reward.schema.json',
  'campaign.schema.json',
  'activities.schema.json',
  'reward-http.schema.json',
  'simulation-script.schema.json',
  'plan.schema.json',
  'api.schema.json',
] as const;

export type SchemaFile = (typeof SCHEMA_FILES)[number];

const SCHEMAS_DIR = new URL('../schemas/', import.meta.url);

/** The parsed text of one schema file, as written. */
export function readSchema(file: SchemaFile): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(file, SCHEMAS_DIR), 'utf8')) as Record<string, unknown>;
}

/**
 * A strict Ajv: all errors, formats, union types, errors carrying the failing schema and data
 * (`verbose`, which the DSL's diagnostics read), and the `tsType` keyword (it steers the codegen; it is
 * not a validation keyword). Production code uses the shared instance below; tests may build their own.
 * `standalone` keeps the generated source so the validators can be written out as a module.
 */
export function createAjv(opts: { standalone?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    useDefaults: false,
    verbose: true,
    // Keeps each validator's source, for ahead-of-time code (dsl/precompile.ts); same checks otherwise.
    ...(opts.standalone ? { code: { source: true } } : {}),
  });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
  return ajv;
}

let shared: Ajv | undefined;
let precompiled: ReadonlyMap<string, ValidateFunction> | undefined;

/**
 * Validators generated ahead of time (Ajv standalone code, keyed by the reference `validatorFor` is
 * asked): the portal's build makes them, because its Content-Security-Policy allows no eval and Ajv's
 * run-time compile is `new Function`. Once installed, `validatorFor` answers only from them and
 * `addSchemaOnce` does nothing, so no schema is compiled in this process; a reference the build did not
 * cover is an error naming it, not a silent compile.
 */
export function installPrecompiledValidators(validators: Record<string, ValidateFunction>): void {
  precompiled = new Map(Object.entries(validators));
}

/** True when the validators come from ahead-of-time code (no run-time compile is possible here). */
export function usesPrecompiledValidators(): boolean {
  return precompiled !== undefined;
}

/** Adds a schema derived at run time (dsl/'s internal campaign variant) to the registry, once. */
export function addSchemaOnce(schema: Record<string, unknown> & { $id: string }): void {
  if (precompiled) return;
  const ajv = schemaRegistry();
  if (!ajv.getSchema(schema.$id)) ajv.addSchema(schema);
}

/**
 * The one Ajv instance of a process, with every schema of schemas/ added once. Validators compiled from
 * it are cached by Ajv itself (`getSchema` compiles a reference once and returns the same function).
 */
export function schemaRegistry(): Ajv {
  if (shared) return shared;
  const ajv = createAjv();
  // event.schema.json's own $id is an absolute URL; the other files refer to it by file name, as editors
  // resolve it, so every schema is registered under its file name.
  for (const file of SCHEMA_FILES) ajv.addSchema({ ...readSchema(file), $id: file });
  shared = ajv;
  return ajv;
}

/** The compiled validator of `ref` (`<file>` or `<file>#/<json pointer>`), compiled once per process. */
export function validatorFor<T = unknown>(ref: string): ValidateFunction<T> {
  if (precompiled) {
    const fn = precompiled.get(ref);
    if (!fn) throw new AppError('INTERNAL', `no precompiled validator for ${ref}`);
    return fn as ValidateFunction<T>;
  }
  const validate = schemaRegistry().getSchema<T>(ref);
  if (!validate) throw new AppError('INTERNAL', `no schema ${ref}`);
  return validate;
}

/** ajv errors → our error details, with a dotted field path (`properties.amount`) clients can show. */
export function toErrorDetails(errors: ErrorObject[] | null | undefined): ErrorDetail[] {
  return (errors ?? []).map((e) => {
    const base = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const missing =
      e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
    const extra =
      e.keyword === 'additionalProperties'
        ? (e.params as { additionalProperty: string }).additionalProperty
        : undefined;
    const path = [base, missing ?? extra].filter(Boolean).join('.') || '(root)';
    return { path, message: e.message ?? e.keyword, expected: expectedOf(e) };
  });
}

function expectedOf(e: ErrorObject): string | undefined {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return String(p.type);
    case 'enum':
      return `one of ${JSON.stringify(p.allowedValues)}`;
    case 'required':
      return 'a value';
    case 'additionalProperties':
      return 'no such property';
    case 'format':
      return `format ${String(p.format)}`;
    default:
      return undefined;
  }
}

/** Validates or throws a 400 AppError listing every failing field. */
export function assertValid<T>(validate: ValidateFunction<T>, value: unknown, what: string): T {
  if (validate(value)) return value;
  throw new AppError('VALIDATION_FAILED', `${what} is invalid`, toErrorDetails(validate.errors));
}
