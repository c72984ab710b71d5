import type { ValidateFunction } from 'ajv';
import { createAjv, toErrorDetails } from '../../contract/validation.ts';

/**
 * Checks real responses against an OpenAPI document: the operation exists, the status is documented and
 * the JSON body validates against the documented schema. The document's components are compiled as they
 * are (only `#/components/schemas/` is re-rooted to `$defs`, so one Ajv holds them), so a test checks the
 * spec clients read, not our source schemas.
 */

type Json = Record<string, unknown>;

export interface Operation {
  method: string;
  /** The OpenAPI path template (`/v1/campaigns/{id}`). */
  path: string;
  operationId: string;
  op: Json;
}

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function operationsOf(spec: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths as Record<string, Json>))
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (op) out.push({ method, path, operationId: String(op.operationId), op });
    }
  return out;
}

/** Every `$ref` in `node` (with the JSON path where it sits). */
export function refsIn(node: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => refsIn(n, `${at}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node as Json).flatMap(([k, v]) =>
    k === '$ref' && typeof v === 'string' ? [{ ref: v, at }] : refsIn(v, `${at}/${k}`),
  );
}

/** The value a local `#/a/b` pointer names, or undefined. */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

function rerooted(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rerooted);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Json).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string'
        ? v.replace('#/components/schemas/', 'openapi-components#/$defs/')
        : rerooted(v),
    ]),
  );
}

export interface ResponseCheck {
  operationId: string;
  problems: string[];
}

export function createSpecChecker(spec: Json) {
  const ajv = createAjv();
  const components = (spec.components as Json).schemas as Json;
  ajv.addSchema({ $id: 'openapi-components', $defs: rerooted(components) as Json });
  const validators = new Map<string, ValidateFunction>();
  const validatorOf = (schema: Json): ValidateFunction => {
    const key = JSON.stringify(schema);
    let v = validators.get(key);
    if (!v) {
      v = ajv.compile(rerooted(schema) as Json);
      validators.set(key, v);
    }
    return v;
  };
  const ops = operationsOf(spec).map((o) => ({
    ...o,
    re: new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  // Fewer parameters first: a literal segment wins over a parameter (`/v1/reward-approvals/x/approve`).
  const params = (p: string) => p.match(/\{/g)?.length ?? 0;
  ops.sort((a, b) => params(a.path) - params(b.path));

  /** The operation a concrete request reaches. */
  const find = (method: string, url: string) => {
    const path = new URL(url, 'http://x').pathname;
    return ops.find((o) => o.method === method.toLowerCase() && o.re.test(path));
  };

  return {
    find,
    /** What is wrong with a response to `method url` by the document (empty: it conforms). */
    check(
      method: string,
      url: string,
      status: number,
      contentType: string | null,
      body: unknown,
    ): ResponseCheck {
      const op = find(method, url);
      if (!op) return { operationId: '(none)', problems: [`no operation for ${method} ${url}`] };
      const problems: string[] = [];
      const responses = op.op.responses as Record<string, Json>;
      let doc = responses[String(status)];
      if (doc && typeof doc.$ref === 'string') doc = resolvePointer(spec, doc.$ref) as Json | undefined;
      if (!doc) {
        problems.push(
          `status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`,
        );
        return { operationId: op.operationId, problems };
      }
      const content = doc.content as Record<string, { schema: Json }> | undefined;
      const json = content?.['application/json'];
      if (json) {
        if (!contentType?.includes('application/json'))
          problems.push(`content type ${contentType} is not application/json`);
        const validate = validatorOf(json.schema);
        if (!validate(body))
          for (const d of toErrorDetails(validate.errors))
            problems.push(`${d.path}: ${d.message}${d.expected ? ` (expected ${d.expected})` : ''}`);
      } else if (content) {
        const media = Object.keys(content)[0];
        if (media && !contentType?.includes(media))
          problems.push(`content type ${contentType} is not ${media}`);
      }
      return { operationId: op.operationId, problems };
    },
  };
}
