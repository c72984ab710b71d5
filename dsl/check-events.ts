/**
 * Custom events in a campaign: the `events:` block (each declaration's `properties` schema must be in the
 * safe subset of contract/event-types.ts) and the names triggers and waits listen for, which must be
 * built in or declared — in this file, or by the client through /v1/event-types (known at deploy).
 */
import { BUILT_IN_EVENTS, declaredSchemaProblems, isCustomEventName } from '../contract/event-types.ts';
import type { Report } from './check-expr.ts';
import type { JsonPath } from './errors.ts';
import { closest } from './suggest.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const names = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** The names a campaign file declares in its `events:` block (valid names only). */
export function fileDeclaredEvents(events: unknown): string[] {
  return isObj(events) ? Object.keys(events).filter(isCustomEventName) : [];
}

/** BAD_EVENT_SCHEMA for each problem of each declaration's `properties` schema, at its own path. */
export function checkEventDecls(events: unknown, report: Report): void {
  if (!isObj(events)) return;
  for (const [name, decl] of Object.entries(events)) {
    if (!isObj(decl) || !isObj(decl.properties)) continue; // the schema reports the shape
    const base: JsonPath = ['events', name, 'properties'];
    for (const p of declaredSchemaProblems(decl.properties, '')) {
      const at = p.path ?? '';
      const rest = at === '' ? [] : at.slice(1).split('.');
      report('BAD_EVENT_SCHEMA', [...base, ...rest], p.message, {
        ...(p.expected ? { expected: p.expected } : {}),
        key: p.message.includes('not supported'),
      });
    }
  }
}

/**
 * UNKNOWN_EVENT for custom names (`custom_…`) a trigger or wait names that nobody declared. Names that are
 * not built in and not in the custom namespace fail the schema already (UNKNOWN_EVENT there too).
 */
export function checkEventNames(data: Obj, declared: ReadonlySet<string>, report: Report): void {
  const check = (value: unknown, path: JsonPath) => {
    const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    list.forEach((name, i) => {
      if (typeof name !== 'string' || !isCustomEventName(name) || declared.has(name)) return;
      const hint = closest(name, declared);
      report(
        'UNKNOWN_EVENT',
        typeof value === 'string' ? path : [...path, i],
        `custom event "${name}" is not declared${hint ? `; did you mean "${hint}"?` : ''}`,
        {
          found: JSON.stringify(name),
          expected: 'a built-in event, or a custom event declared in `events:` or through /v1/event-types',
        },
      );
    });
  };
  if (isObj(data.trigger)) check(data.trigger.event, ['trigger', 'event']);
  const origin =
    isObj(data.trigger) && isObj(data.trigger.anniversary) ? data.trigger.anniversary.of : undefined;
  if (isObj(origin) && origin.event !== undefined)
    check(origin.event, ['trigger', 'anniversary', 'of', 'event']);
  const walk = (list: unknown, path: JsonPath): void => {
    if (!Array.isArray(list)) return;
    list.forEach((step, i) => {
      if (!isObj(step)) return;
      const p = [...path, i];
      if ('wait' in step) check(step.wait, [...p, 'wait']);
      for (const [key, inner] of nestedLists(step)) walk(inner, [...p, ...key]);
    });
  };
  walk(data.steps, ['steps']);
}

/** Every event name the campaign may listen for: built-in, file-declared and client-declared. */
export function knownEvents(fileDeclared: Iterable<string>, clientDeclared: Iterable<string>): Set<string> {
  return new Set([...fileDeclared, ...clientDeclared, ...BUILT_IN_EVENTS]);
}

/** Names of every event in triggers and waits (for the deploy to know which declarations a plan uses). */
export function listenedEvents(data: Obj): string[] {
  const out = new Set<string>();
  if (isObj(data.trigger)) for (const n of names(data.trigger.event)) out.add(n);
  const origin =
    isObj(data.trigger) && isObj(data.trigger.anniversary) ? data.trigger.anniversary.of : undefined;
  if (isObj(origin)) for (const n of names(origin.event)) out.add(n);
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const step of list) {
      if (!isObj(step)) continue;
      if ('wait' in step) for (const n of names(step.wait)) out.add(n);
      for (const [, inner] of nestedLists(step)) walk(inner);
    }
  };
  walk(data.steps);
  return [...out];
}

function nestedLists(step: Obj): [JsonPath, unknown][] {
  const out: [JsonPath, unknown][] = [];
  for (const key of ['then', 'else', 'default', 'on_timeout', 'on_reject', 'steps'] as const)
    if (Array.isArray(step[key])) out.push([[key], step[key]]);
  if (isObj(step.cases)) for (const [k, v] of Object.entries(step.cases)) out.push([['cases', k], v]);
  if (isObj(step.parallel))
    for (const [k, v] of Object.entries(step.parallel)) out.push([['parallel', k], v]);
  return out;
}
