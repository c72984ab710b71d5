import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { AppError, type ErrorDetail } from './errors.ts';

// ajv-formats is CommonJS with a `default` export; normalise once here.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** A strict Ajv instance with all errors and formats; create one per schema family and compile once. */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, useDefaults: false });
  addFormats(ajv);
  return ajv;
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
