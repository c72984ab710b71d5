/**
 * `node:fs` for the browser bundle of dsl/ and contract/: the only files they read are the JSON Schemas
 * (contract/validation.ts), which are bundled here. Any other read is an error with the file's name.
 * Only the schemas read as data (event names, the activity catalogue, the campaign schema's docs): the
 * validators come precompiled (src/editor/precompiled.ts), so the rest need not ship.
 */
const schemas = import.meta.glob('../../../schemas/{campaign,event,activities}.schema.json', {
  eager: true,
  query: '?raw',
  import: 'default',
}) as Record<string, string>;

const byName = new Map(
  Object.entries(schemas).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text]),
);

export function readFileSync(file: URL | string): string {
  const path = typeof file === 'string' ? file : file.pathname;
  const name = path.slice(path.lastIndexOf('/') + 1);
  const text = byName.get(name);
  if (text === undefined) throw new Error(`the portal bundles no file ${name}`);
  return text;
}

export function readdirSync(dir: string): never {
  throw new Error(`the portal cannot list ${dir}`);
}

export function existsSync(): boolean {
  return false;
}

export default { readFileSync, readdirSync, existsSync };
