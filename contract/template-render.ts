import { fileURLToPath } from 'node:url';
import { Liquid, LiquidError, UndefinedVariableError } from 'liquidjs';
import { AppError } from './errors.ts';
import {
  loadTemplateDir,
  TEMPLATE_PARTS,
  type TemplateFile,
  type TemplatePart,
  type TemplateSource,
} from './template-files.ts';

export { TEMPLATE_PARTS, type TemplatePart, type TemplateSource };

/**
 * Notification templates in Liquid (liquidjs), strict: an undefined variable or filter is an error, so a
 * broken email is never sent (`default` and `{% if %}` may test a value that is absent). HTML parts
 * escape every output; subjects and text parts do not. Client templates come from the database and are
 * rendered by an engine with an empty in-memory file system (no include/layout can read a file);
 * built-ins are files under campaigns/templates, read by an engine rooted there.
 *
 * Layout: `campaigns/templates/<pulse>/<name>.<locale>.<part>.liquid`, part one of subject, html, text,
 * inapp, sms; `campaigns/templates/_layout.html.liquid` is the shared email frame built-in HTML parts use
 * through `{% layout "_layout.html.liquid" %}`.
 */

export interface Rendered {
  subject: string;
  text: string;
  html?: string;
}

export const BUILT_IN_ROOT = fileURLToPath(new URL('../campaigns/templates', import.meta.url));

/** Bounds on one render: parse size, rendering time (ms) and memory (string length units). */
const LIMITS = { parseLimit: 200_000, renderLimit: 1_000, memoryLimit: 10_000_000 } as const;

function moneyFilter(this: { context: { globals: unknown } }, amount: unknown, currency: unknown) {
  const n = typeof amount === 'string' ? Number(amount) : amount;
  if (typeof n !== 'number' || !Number.isFinite(n) || typeof currency !== 'string')
    throw new AppError('VALIDATION_FAILED', 'money needs a number and a currency code', [
      { path: 'data', message: `money: cannot format ${JSON.stringify(amount)} ${String(currency)}` },
    ]);
  try {
    return new Intl.NumberFormat(localeOf(this), { style: 'currency', currency }).format(n);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'money needs an ISO 4217 currency code', [
      { path: 'data', message: `money: unknown currency ${JSON.stringify(currency)}` },
    ]);
  }
}

const DATE_STYLES = ['full', 'long', 'medium', 'short'] as const;
function dateFilter(this: { context: { globals: unknown } }, value: unknown, style: unknown = 'long') {
  const d = value instanceof Date ? value : new Date(typeof value === 'number' ? value : String(value));
  const dateStyle = DATE_STYLES.find((s) => s === style);
  if (Number.isNaN(d.getTime()) || !dateStyle)
    throw new AppError('VALIDATION_FAILED', 'date_local needs a date and a style', [
      { path: 'data', message: `date_local: cannot format ${JSON.stringify(value)} as ${String(style)}` },
    ]);
  return new Intl.DateTimeFormat(localeOf(this), { dateStyle, timeZone: 'UTC' }).format(d);
}

function localeOf(filter: { context: { globals: unknown } }): string {
  const g = filter.context.globals as { locale?: unknown };
  return typeof g.locale === 'string' ? g.locale : 'en';
}

function engine(opts: { root?: string; escape: boolean }): Liquid {
  const liquid = new Liquid({
    strictVariables: true,
    strictFilters: true,
    lenientIf: true,
    ownPropertyOnly: true,
    ...(opts.root
      ? { root: [opts.root], partials: [opts.root], layouts: [opts.root], extname: '.liquid' }
      : { templates: {} }),
    relativeReference: false,
    ...(opts.escape ? { outputEscape: 'escape' as const } : {}),
    ...LIMITS,
  });
  liquid.registerFilter('money', moneyFilter);
  liquid.registerFilter('date_local', dateFilter);
  return liquid;
}

const ENGINES = {
  client: { text: engine({ escape: false }), html: engine({ escape: true }) },
  builtIn: {
    text: engine({ root: BUILT_IN_ROOT, escape: false }),
    html: engine({ root: BUILT_IN_ROOT, escape: true }),
  },
};

/** An engine for parsing only (validation, variable analysis): strict, no file access. */
export const analysisEngine = ENGINES.client.text;
/** The same for built-in files: follows `{% layout %}` under campaigns/templates. */
export const builtInAnalysisEngine = ENGINES.builtIn.text;

/** The variable paths of `source` under `root` that `data` lacks (`referral` → referral.link, referral.code). */
function missingUnder(source: string, root: string, data: Record<string, unknown>): string[] {
  let paths: string[];
  try {
    paths = analysisEngine.globalFullVariablesSync(analysisEngine.parse(source));
  } catch {
    return [root];
  }
  const lacks = (path: string) => {
    let cur: unknown = data;
    for (const key of path.split('.')) {
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return true;
      cur = (cur as Record<string, unknown>)[key];
    }
    return cur === undefined;
  };
  const under = paths.filter(
    (p) => (p === root || p.startsWith(`${root}.`)) && /^[\w.]+$/.test(p) && lacks(p),
  );
  return under.length ? [...new Set(under)].sort() : [root];
}

/** Turns a liquidjs failure into a 400 naming the missing values (data.<path>) or the template part. */
function templateError(
  name: string,
  part: TemplatePart,
  err: unknown,
  source: string,
  data: Record<string, unknown>,
): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof UndefinedVariableError) {
    const variable = /undefined variable: ([^,]+)/.exec(err.message)?.[1] ?? '';
    return new AppError(
      'VALIDATION_FAILED',
      `template "${name}" needs values it was not given`,
      missingUnder(source, variable, data).map((p) => ({
        path: `data.${p}`,
        message: 'missing template value',
      })),
    );
  }
  if (err instanceof LiquidError) {
    const original = (err as { originalError?: unknown }).originalError;
    if (original instanceof AppError) return original;
    return new AppError('VALIDATION_FAILED', `template "${name}" cannot be rendered`, [
      { path: part, message: err.message.split('\n')[0]?.slice(0, 200) ?? 'template error' },
    ]);
  }
  return new AppError('VALIDATION_FAILED', `template "${name}" cannot be rendered`, [
    { path: part, message: 'template error' },
  ]);
}

/** Parses every part (a 400 at the bad part when one is not valid Liquid); used when a client saves one. */
export function checkTemplateSource(source: TemplateSource): void {
  for (const part of TEMPLATE_PARTS) {
    const text = source[part];
    if (text === undefined) continue;
    try {
      analysisEngine.parse(text);
    } catch (err) {
      throw new AppError('VALIDATION_FAILED', 'template is not valid Liquid', [
        {
          path: part,
          message: err instanceof Error ? (err.message.split('\n')[0] ?? '').slice(0, 200) : 'invalid',
        },
      ]);
    }
  }
}

/**
 * Renders a template for a channel: email uses subject, text and html; in-app its `inapp` part (or text);
 * SMS its `sms` part (or text). The text returned is what the channel shows.
 */
export async function renderSource(
  name: string,
  source: TemplateSource,
  data: Record<string, unknown>,
  opts: { locale: string; builtIn: boolean; channel?: string },
): Promise<Rendered> {
  const engines = opts.builtIn ? ENGINES.builtIn : ENGINES.client;
  const globals = { locale: opts.locale };
  const render = async (part: TemplatePart, text: string): Promise<string> => {
    try {
      const liquid = part === 'html' ? engines.html : engines.text;
      return String(await liquid.parseAndRender(text, data, { globals }));
    } catch (err) {
      throw templateError(name, part, err, text, data);
    }
  };
  const bodyPart: TemplatePart =
    opts.channel === 'in_app' && source.inapp !== undefined
      ? 'inapp'
      : opts.channel === 'sms' && source.sms !== undefined
        ? 'sms'
        : source.text !== undefined
          ? 'text'
          : source.inapp !== undefined
            ? 'inapp'
            : 'sms';
  const bodySource = source[bodyPart] ?? '';
  const subject = (await render('subject', source.subject ?? '')).trim();
  const text = (await render(bodyPart, bodySource)).trim();
  const withHtml = source.html !== undefined && (opts.channel === undefined || opts.channel === 'email');
  return { subject, text, ...(withHtml ? { html: (await render('html', source.html ?? '')).trim() } : {}) };
}

/** renderSource without awaiting: for callers that cannot (the simulator's fake activities). */
export function renderSourceSync(
  name: string,
  source: TemplateSource,
  data: Record<string, unknown>,
  opts: { locale: string; builtIn: boolean; channel?: string },
): Rendered {
  const engines = opts.builtIn ? ENGINES.builtIn : ENGINES.client;
  const globals = { locale: opts.locale };
  const render = (part: TemplatePart, text: string): string => {
    try {
      const liquid = part === 'html' ? engines.html : engines.text;
      return String(liquid.parseAndRenderSync(text, data, { globals })).trim();
    } catch (err) {
      throw templateError(name, part, err, text, data);
    }
  };
  const out: Rendered = { subject: render('subject', source.subject ?? ''), text: '' };
  out.text = render('text', source.text ?? source.inapp ?? source.sms ?? '');
  if (source.html !== undefined) out.html = render('html', source.html);
  return out;
}

// ---- built-in templates (files) ----------------------------------------------------------------------

export type BuiltInTemplate = TemplateFile;

let builtIns: Map<string, Map<string, BuiltInTemplate>> | undefined;

/** The shipped templates, read once from campaigns/templates. */
export function builtInTemplates(): Map<string, Map<string, BuiltInTemplate>> {
  builtIns ??= loadTemplateDir(BUILT_IN_ROOT).templates;
  return builtIns;
}

/**
 * The locales to try, most specific first: `fr-CA` → `fr` → the campaign's default (and its language)
 * → `en`. Duplicates are dropped; malformed tags are ignored.
 */
export function localeChain(requested?: string | null, campaignDefault?: string | null): string[] {
  const out: string[] = [];
  for (const tag of [requested, campaignDefault, 'en']) {
    if (!tag) continue;
    let canonical: string;
    try {
      canonical = Intl.getCanonicalLocales(tag)[0] ?? '';
    } catch {
      continue;
    }
    const parts = canonical.split('-');
    for (let i = parts.length; i > 0; i--) {
      const candidate = parts.slice(0, i).join('-');
      if (!out.includes(candidate)) out.push(candidate);
    }
  }
  return out;
}
