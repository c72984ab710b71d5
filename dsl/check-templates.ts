/**
 * The notification templates a campaign sends: every `SendNotification` / `RenderNotificationContent`
 * step's `template` (a literal, or a setting's default) must exist — as a built-in file or, at deploy, as
 * one of the client's own templates — and every variable the template reads must be passed by the step's
 * `data` or be one the platform adds (`participant`, `campaign` on send). Pure: the caller loads the
 * template sources (the CLI from campaigns/templates, the deploy adds the client's template names).
 */
import { Liquid } from 'liquidjs';
import type { TemplateCatalog } from '../contract/template-files.ts';
import type { Report } from './check-expr.ts';
import type { JsonPath } from './errors.ts';
import { closest } from './suggest.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const NOTIFY = new Set(['SendNotification', 'RenderNotificationContent']);
/** What the notification service and the SendNotification activity add to a step's data. */
const ADDED_ON_SEND = ['participant', 'campaign'];

export interface TemplateCheckOptions {
  catalog: TemplateCatalog;
  /** Names of the client's own templates (known at deploy); their variables are not checked. */
  clientTemplates?: Iterable<string>;
}

/** The root variables each template reads, over all its locales and parts (loop variables excluded). */
function variablesOf(catalog: TemplateCatalog, name: string, cache: Map<string, string[] | Error>) {
  const cached = cache.get(name);
  if (cached) return cached;
  const liquid = new Liquid({ templates: catalog.partials, strictVariables: true, strictFilters: false });
  const roots = new Set<string>();
  let result: string[] | Error;
  try {
    for (const t of catalog.templates.get(name)?.values() ?? [])
      for (const source of Object.values(t.source))
        for (const v of liquid.globalVariablesSync(liquid.parse(source ?? ''))) roots.add(v);
    result = [...roots].sort();
  } catch (err) {
    result = err instanceof Error ? err : new TypeError(String(err));
  }
  cache.set(name, result);
  return result;
}

/** The template name a step's `template` takes: a literal, or the default of the setting it reads. */
function templateName(expr: unknown, settings: unknown): string | undefined {
  if (typeof expr === 'string') return expr;
  if (!isObj(expr) || typeof expr.var !== 'string' || !expr.var.startsWith('settings.')) return undefined;
  const decl = isObj(settings) ? settings[expr.var.slice('settings.'.length)] : undefined;
  return isObj(decl) && typeof decl.default === 'string' ? decl.default : undefined;
}

export function checkTemplates(data: Obj, opts: TemplateCheckOptions, report: Report): void {
  const client = new Set(opts.clientTemplates ?? []);
  const known = [...opts.catalog.templates.keys(), ...client];
  const cache = new Map<string, string[] | Error>();
  const visitStep = (step: Obj, path: JsonPath): void => {
    if (typeof step.do !== 'string' || !NOTIFY.has(step.do) || !isObj(step.with)) return;
    const name = templateName(step.with.template, data.settings);
    if (name === undefined) return; // chosen at run time (a loop item, an expression): checked on send
    const at: JsonPath = [...path, 'with', 'template'];
    if (!opts.catalog.templates.has(name)) {
      if (client.has(name)) return;
      const hint = closest(name, known);
      report('TEMPLATE_MISSING', at, `no template "${name}"${hint ? `; did you mean "${hint}"?` : ''}`, {
        found: JSON.stringify(name),
        expected:
          'a built-in template (campaigns/templates/<pulse>/<name>.<locale>.*.liquid) or a client template',
      });
      return;
    }
    const vars = variablesOf(opts.catalog, name, cache);
    if (vars instanceof Error) {
      report('TEMPLATE_MISSING', at, `template "${name}" does not parse: ${vars.message.split('\n')[0]}`, {
        found: JSON.stringify(name),
        expected: 'a template in valid Liquid',
      });
      return;
    }
    const passed = new Set([
      ...(isObj(step.with.data) ? Object.keys(step.with.data) : []),
      ...(step.do === 'SendNotification' ? ADDED_ON_SEND : []),
    ]);
    for (const v of vars) {
      if (passed.has(v)) continue;
      report(
        'TEMPLATE_VARIABLE_UNKNOWN',
        isObj(step.with.data) ? [...path, 'with', 'data'] : at,
        `template "${name}" reads {{ ${v} }}, which this step does not pass in \`data\``,
        { found: v, expected: [...passed].sort().join(', ') || 'a `data` key' },
      );
    }
  };
  const walk = (value: unknown, path: JsonPath): void => {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...path, i]);
      return;
    }
    if (!isObj(value)) return;
    visitStep(value, path);
    for (const [k, v] of Object.entries(value))
      if (k !== 'with' && typeof v === 'object') walk(v, [...path, k]);
  };
  walk(data.steps, ['steps']);
}
