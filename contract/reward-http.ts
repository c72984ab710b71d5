import type { ValidateFunction } from 'ajv';
import type { RewardHTTPBodies } from './generated/reward-http.generated.ts';
import { readSchema, validatorFor } from './validation.ts';

/**
 * Validators of the reward service's request bodies, from schemas/reward-http.schema.json (its root
 * properties name each body; the types are generated from the same file), compiled once.
 */
export type RewardHttpBody<K extends keyof RewardHTTPBodies> = NonNullable<RewardHTTPBodies[K]>;

export type RewardHttpValidators = { [K in keyof RewardHTTPBodies]-?: ValidateFunction<RewardHttpBody<K>> };

const names = Object.keys(readSchema('reward-http.schema.json').properties as object);

export const validators = Object.freeze(
  Object.fromEntries(
    names.map((name) => [name, validatorFor(`reward-http.schema.json#/properties/${name}`)]),
  ),
) as RewardHttpValidators;
