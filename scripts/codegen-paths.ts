/**
 * The typed client's `paths` and `operations` interfaces, in the shape openapi-typescript writes (which
 * openapi-fetch reads), generated from the OpenAPI document. Body types are not redeclared: each schema
 * component is the type the schema codegen already emits for that definition (api.schema.json's in the
 * same file, the others imported from their generated file).
 */
import { readFile } from 'node:fs/promises';
import { platformOpenApi } from '../services/openapi.ts';
import { typeNameOf } from './codegen.ts';

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** A whole schema file referenced as a body stands for one of its definitions. */
const WHOLE_FILE_AS: Record<string, string> = { event: 'envelope' };

const root = new URL('../', import.meta.url);
const readSchema = async (stem: string): Promise<Json> =>
  JSON.parse(await readFile(new URL(`schemas/${stem}.schema.json`, root), 'utf8')) as Json;

export async function generatePaths(): Promise<{ imports: string[]; source: string }> {
  const spec = platformOpenApi();
  const imports = new Map<string, Set<string>>();
  const files = new Map<string, Json>();
  const fileOf = async (stem: string) => {
    const known = files.get(stem);
    if (known) return known;
    const read = await readSchema(stem);
    files.set(stem, read);
    return read;
  };

  /** TS type of a component: `api.schema.json`'s `campaignList` → CampaignList; `reward-http_claimBody` → imported ClaimBody. */
  const componentType = async (component: string): Promise<string> => {
    const split = component.indexOf('_');
    const [stem, def] =
      split === -1
        ? WHOLE_FILE_AS[component]
          ? [component, WHOLE_FILE_AS[component] as string]
          : ['api', component]
        : [component.slice(0, split), component.slice(split + 1)];
    const schema = await fileOf(stem);
    const node = (schema.$defs as Record<string, Json>)[def];
    if (!node) throw new TypeError(`no $defs/${def} in ${stem}.schema.json`);
    const name = typeNameOf(node, def);
    if (stem !== 'api') {
      const from = `./${stem}.generated.ts`;
      imports.set(from, (imports.get(from) ?? new Set()).add(name));
    }
    return name;
  };

  const deref = (node: Json): Json => {
    if (typeof node.$ref !== 'string') return node;
    let at: unknown = spec;
    for (const part of node.$ref.slice(2).split('/')) at = (at as Json)[part];
    return at as Json;
  };

  const typeOf = async (schema: Json | undefined): Promise<string> => {
    if (!schema) return 'unknown';
    if (typeof schema.$ref === 'string') {
      const m = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref);
      if (!m) throw new TypeError(`unsupported $ref ${schema.$ref}`);
      return componentType(m[1] as string);
    }
    if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      default:
        return 'unknown';
    }
  };

  const paramsBlock = async (params: Json[]): Promise<string> => {
    const lines: string[] = [];
    for (const where of ['query', 'header', 'path', 'cookie'] as const) {
      const mine = params.filter((p) => p.in === where);
      if (mine.length === 0) {
        lines.push(`      ${where}?: never;`);
        continue;
      }
      const required = mine.some((p) => p.required);
      const fields: string[] = [];
      for (const p of mine)
        fields.push(
          `        ${JSON.stringify(p.name)}${p.required ? '' : '?'}: ${await typeOf(p.schema as Json)};`,
        );
      lines.push(`      ${where}${required ? '' : '?'}: {`, ...fields, '      };');
    }
    return ['    parameters: {', ...lines, '    };'].join('\n');
  };

  const responsesBlock = async (responses: Json): Promise<string> => {
    const lines = ['    responses: {'];
    for (const [status, raw] of Object.entries(responses)) {
      const r = deref(raw as Json);
      const content = r.content as Record<string, { schema?: Json }> | undefined;
      lines.push(`      ${status}: {`, '        headers: { [name: string]: unknown };');
      if (!content) lines.push('        content?: never;');
      else {
        lines.push('        content: {');
        for (const [type, media] of Object.entries(content))
          lines.push(`          ${JSON.stringify(type)}: ${await typeOf(media.schema)};`);
        lines.push('        };');
      }
      lines.push('      };');
    }
    lines.push('    };');
    return lines.join('\n');
  };

  const operations: string[] = [];
  const pathLines: string[] = [];
  for (const [path, itemRaw] of Object.entries(spec.paths as Record<string, Json>)) {
    pathLines.push(`  ${JSON.stringify(path)}: {`);
    pathLines.push('    parameters: { query?: never; header?: never; path?: never; cookie?: never };');
    for (const method of METHODS) {
      const op = itemRaw[method] as Json | undefined;
      if (!op) {
        pathLines.push(`    ${method}?: never;`);
        continue;
      }
      const id = String(op.operationId);
      pathLines.push(`    ${method}: operations[${JSON.stringify(id)}];`);
      const params = ((op.parameters as Json[]) ?? []).map(deref);
      const body = op.requestBody as Json | undefined;
      const bodyType = body
        ? await typeOf(((body.content as Json)['application/json'] as Json).schema as Json)
        : null;
      operations.push(
        [
          `  /** ${String(op.summary).replaceAll('*/', '*\\/')} */`,
          `  ${JSON.stringify(id)}: {`,
          await paramsBlock(params),
          bodyType
            ? `    requestBody: {\n      content: {\n        'application/json': ${bodyType};\n      };\n    };`
            : '    requestBody?: never;',
          await responsesBlock(op.responses as Json),
          '  };',
        ].join('\n'),
      );
    }
    pathLines.push('  };');
  }

  const source = [
    '',
    '/** Every public route by path and method (openapi-typescript shape; openapi-fetch reads it). */',
    'export interface paths {',
    ...pathLines,
    '}',
    '',
    '/** Every operation by operationId. */',
    'export interface operations {',
    ...operations,
    '}',
    '',
  ].join('\n');
  const statements = [...imports.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([from, names]) => `import type { ${[...names].sort().join(', ')} } from '${from}';`);
  return { imports: statements, source };
}
