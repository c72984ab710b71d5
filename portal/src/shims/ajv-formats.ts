/** `ajv-formats` for the browser bundle: never called (see ./ajv.ts); the formats themselves are bundled. */
export default function addFormats(): never {
  throw new Error('the portal compiles no JSON Schema at run time');
}
