/**
 * `ajv` for the browser bundle: the portal runs only validators generated at build time
 * (dsl/precompile.ts, installed by src/editor/precompiled.ts). Compiling a schema here would need eval,
 * which the portal's CSP refuses, so constructing Ajv is an error that names the cause.
 */
export class Ajv {
  constructor() {
    throw new Error('the portal compiles no JSON Schema at run time: the validator was not precompiled');
  }
}
export default Ajv;
