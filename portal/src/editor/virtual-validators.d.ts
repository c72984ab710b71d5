/** The validators portal/vite.config.ts generates at build time (dsl/precompile.ts). */
declare module 'virtual:pulse-validators' {
  import type { ValidateFunction } from 'ajv';
  export const validators: Record<string, ValidateFunction>;
}
