/**
 * Ajv errors → located diagnostics. Collapses `anyOf` noise (the branch whose type matched explains the
 * problem best), drops `if` wrappers, and gives the few schema rules that have a dedicated diagnostic
 * code (missing step id, unbounded loop, bad duration, unknown event) that code.
 */
import type { ErrorObject } from 'ajv';
import { type Diagnostic, type DiagnosticCode, describeValue, formatPath, type JsonPath } from './errors.ts';
import type { ParsedSource } from './parse.ts';
import { closest } from './suggest.ts';

export interface SchemaErrorContext {
  parsed: ParsedSource;
  /** The value validated (the document, or one step). */
  data: unknown;
  /** Where `data` sits in the document. */
  base: JsonPath;
  /** Known event names, for suggestions. */
  eventNames: readonly string[];
  /** True when `data` is one step (a missing `id` at its root is MISSING_STEP_ID). */
  isStep?: boolean;
}

/** Converts ajv errors for `ctx.data` into diagnostics (deduplicated, anyOf collapsed). */
export function schemaDiagnostics(errors: ErrorObject[], ctx: SchemaErrorContext): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of collapse(errors)) {
    const d = toDiagnostic(e, ctx);
    const key = `${d.code}|${d.path}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function collapse(errors: ErrorObject[]): ErrorObject[] {
  // An event name is a built-in (enum) or a custom name (pattern); when both fail, the enum's
  // UNKNOWN_EVENT (with "did you mean") says it all and the custom-name branch's complaint is noise.
  const unknownEvent = new Set(
    errors
      .filter((e) => e.keyword === 'enum' && e.schemaPath.includes('/event_name/'))
      .map((e) => e.instancePath),
  );
  let kept = errors.filter(
    (e) =>
      e.keyword !== 'if' &&
      // A name's own complaint (inside `propertyNames`) is told once, by the propertyNames error.
      !(e.propertyName !== undefined && e.keyword !== 'propertyNames') &&
      !(e.schemaPath.includes('/custom_event_name/') && unknownEvent.has(e.instancePath)),
  );
  for (const any of errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')) {
    const p = any.instancePath;
    const under = (e: ErrorObject) =>
      e !== any && (e.instancePath === p || e.instancePath.startsWith(`${p}/`));
    const typeAtP = kept.filter((e) => under(e) && e.instancePath === p && e.keyword === 'type');
    const others = kept.filter((e) => under(e) && !typeAtP.includes(e) && e.keyword !== any.keyword);
    if (others.length > 0) {
      kept = kept.filter((e) => e !== any && !typeAtP.includes(e));
    } else if (typeAtP.length > 0) {
      const types = [...new Set(typeAtP.map((e) => String((e.params as { type: unknown }).type)))];
      const merged: ErrorObject = { ...typeAtP[0]!, params: { type: types.join(' or ') } };
      kept = kept.filter((e) => e !== any && !typeAtP.includes(e));
      kept.push(merged);
    }
  }
  return kept;
}

/** "/steps/2/with" → ['steps', 2, 'with'], using the data to tell array indexes from map keys. */
function toPath(instancePath: string, data: unknown): (string | number)[] {
  if (instancePath === '') return [];
  const parts = instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const path: (string | number)[] = [];
  let node: unknown = data;
  for (const part of parts) {
    if (Array.isArray(node)) {
      const i = Number(part);
      path.push(i);
      node = node[i];
    } else {
      path.push(part);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    }
  }
  return path;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let node = data;
  for (const p of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[p];
  }
  return node;
}

function toDiagnostic(e: ErrorObject, ctx: SchemaErrorContext): Diagnostic {
  const rel = toPath(e.instancePath, ctx.data);
  const value = valueAt(ctx.data, rel);
  const p = e.params as Record<string, unknown>;
  let code: DiagnosticCode = 'SCHEMA';
  let path: JsonPath = [...ctx.base, ...rel];
  let locateKey = false;
  let message = e.message ?? e.keyword;
  let found: string | undefined = describeValue(value);
  let expected: string | undefined;

  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      path = [...path, missing];
      found = undefined;
      expected = `property "${missing}"`;
      message = `missing required property "${missing}"`;
      if (missing === 'id' && ctx.isStep && e.instancePath === '') code = 'MISSING_STEP_ID';
      if (missing === 'max' || missing === 'max_items') {
        code = 'UNBOUNDED_LOOP';
        message = `a loop needs "${missing}", the most iterations it may run`;
      }
      const loc = ctx.parsed.locate([...ctx.base, ...rel]);
      return { ...base(ctx, code, path, loc, message, e.keyword), ...(expected ? { expected } : {}) };
    }
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      path = [...path, extra];
      locateKey = true;
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = closest(extra, allowed);
      message = `unknown property "${extra}"${hint ? `; did you mean "${hint}"?` : ''}`;
      found = JSON.stringify(extra);
      expected = allowed.length > 0 ? `one of ${allowed.join(', ')}` : 'no other properties';
      break;
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]) ?? [];
      if (e.schemaPath.includes('event_name')) {
        code = 'UNKNOWN_EVENT';
        const hint = typeof value === 'string' ? closest(value, ctx.eventNames) : undefined;
        message = `unknown event${hint ? `; did you mean "${hint}"?` : ''}`;
        expected = `a built-in event (schemas/event.schema.json) or a declared custom_… event (${ctx.eventNames.length} known)`;
      } else {
        message = 'not an allowed value';
        expected = `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
      }
      break;
    }
    case 'type':
      expected = String(p.type);
      message = `wrong type`;
      break;
    case 'pattern':
      if (e.schemaPath.includes('/duration/')) {
        code = 'BAD_DURATION';
        message = 'not a duration';
        expected = 'a duration like "30d", "12h", "90m", "10s", "1h30m", "3mo", "1y" or ISO "P30D", "P1Y"';
      } else {
        expected = `text matching ${String(p.pattern)}`;
      }
      break;
    case 'propertyNames': {
      const name = String(p.propertyName);
      path = [...path, name];
      locateKey = true;
      message = 'invalid name';
      found = JSON.stringify(name);
      expected = e.schemaPath.includes('/events/')
        ? 'a custom event name: custom_ then lower_snake_case, at most 64 characters'
        : 'lower_snake_case (a-z, 0-9, _), starting with a letter';
      break;
    }
    default:
      expected = e.message;
      break;
  }
  const loc = ctx.parsed.locate(path, { key: locateKey });
  const d: Diagnostic = base(ctx, code, path, loc, message, e.keyword);
  if (found !== undefined) d.found = found;
  if (expected !== undefined) d.expected = expected;
  return d;
}

function base(
  ctx: SchemaErrorContext,
  code: DiagnosticCode,
  path: JsonPath,
  loc: { line: number; column: number },
  message: string,
  keyword: string,
): Diagnostic {
  return {
    code,
    severity: 'error',
    file: ctx.parsed.file,
    line: loc.line,
    column: loc.column,
    path: formatPath(path),
    message,
    keyword,
  };
}
