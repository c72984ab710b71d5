/**
 * Completion and hover docs for campaign YAML, read from the schemas (campaign.schema.json for keys and
 * step kinds, the activity catalogue for `do:` and its `with:` inputs, event.schema.json for event names)
 * plus what the client declared (custom events, its templates). Context comes from the line and the
 * indentation above it: enough for YAML written one key per line, which is how campaigns are written.
 */
// First: the precompiled validators are installed before anything validates.
import './precompiled.ts';
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import type { EditorView, Tooltip } from '@codemirror/view';
import { parse as parseYaml } from 'yaml';
import { catalogue } from '../../../contract/catalogue.ts';
import { campaignSchemas, STEP_KINDS } from '../../../dsl/schema.ts';
import campaignSchema from '../../../schemas/campaign.schema.json';
import { shippedTemplates } from './dsl-browser.ts';

type Schema = { description?: string; title?: string; properties?: Record<string, Schema>; $ref?: string };
const defs = (campaignSchema as { $defs: Record<string, Schema> }).$defs;
const top = (campaignSchema as { properties: Record<string, Schema> }).properties;

const describe = (s: Schema | undefined): string => {
  if (!s) return '';
  if (s.description) return s.description;
  if (s.$ref) return describe(defs[s.$ref.replace('#/$defs/', '')]);
  return s.title ?? '';
};

export interface AssistData {
  declaredEvents: readonly string[];
  /** The client's published templates (GET /v1/notifications/templates). */
  templates: readonly string[];
  /** The newest published version of one of them, for the hover preview. */
  templatePreview?: (name: string) => Promise<TemplatePreview | null>;
}

export interface TemplatePreview {
  locale: string;
  subject: string;
  text: string;
}

/** A shipped template's parts in its first locale (English when it has it). */
function shippedPreview(name: string): (TemplatePreview & { locales: string[] }) | null {
  const byLocale = shippedTemplates.templates.get(name);
  if (!byLocale) return null;
  const locales = [...byLocale.keys()].sort();
  const locale = byLocale.has('en') ? 'en' : (locales[0] ?? '');
  const file = byLocale.get(locale);
  if (!file) return null;
  const text = file.source.text ?? file.source.inapp ?? file.source.sms ?? '';
  return { locale, locales, subject: (file.source.subject ?? '').trim(), text: text.trim() };
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

function templateOptions(data: AssistData): Completion[] {
  const shipped = [...shippedTemplates.templates.keys()].sort();
  return [
    ...data.templates.map((t) => ({ label: t, type: 'text', detail: 'published template', boost: 1 })),
    ...shipped
      .filter((t) => !data.templates.includes(t))
      .map((t) => ({
        label: t,
        type: 'text',
        detail: 'shipped template',
        info: shippedPreview(t)?.subject ?? '',
      })),
  ];
}

const STEP_DOCS = Object.entries(STEP_KINDS).map(([key, def]) => ({
  key,
  doc: describe(defs[def]),
  props: defs[def]?.properties ?? {},
}));

function activityOptions(): Completion[] {
  return Object.entries(catalogue).map(([name, def]) => ({
    label: name,
    type: 'function',
    info: def.description,
  }));
}

function eventOptions(data: AssistData): Completion[] {
  return [
    ...campaignSchemas().eventNames.map((e) => ({ label: e, type: 'enum', detail: 'built-in event' })),
    ...data.declaredEvents.map((e) => ({ label: e, type: 'enum', detail: 'custom event', boost: 1 })),
  ];
}

/** Setting names declared in the document's `settings:` block. */
function settingNames(doc: string): string[] {
  const m = /^settings:\s*\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(doc);
  if (!m?.[1]) return [];
  const indent = /^([ \t]+)\S/m.exec(m[1])?.[1]?.length ?? 2;
  return [...m[1].matchAll(new RegExp(`^[ \\t]{${indent}}([a-z][a-z0-9_]*):`, 'gm'))].map((x) => x[1] ?? '');
}

/**
 * The keys of the list item (a step) that the line at index `lineNo` continues, when its keys sit at
 * `indent`: read upward to the item's `- ` line. Null when the line is not inside such an item.
 */
function stepItemAt(lines: string[], lineNo: number, indent: number): string[] | null {
  const keys: string[] = [];
  for (let i = lineNo - 1; i >= 0; i--) {
    const l = lines[i] ?? '';
    if (!l.trim() || l.trim().startsWith('#')) continue;
    const ind = l.length - l.trimStart().length;
    if (ind > indent) continue;
    const key = /^\s*(?:-\s+)?([a-z_]+):/.exec(l)?.[1];
    if (ind === indent && !l.trimStart().startsWith('-')) {
      if (key) keys.push(key);
      continue;
    }
    if (ind === indent - 2 && l.trimStart().startsWith('- ')) return key ? [...keys, key] : keys;
    return null;
  }
  return null;
}

/** The lines above `lineNo` with less indentation than `indent`: the enclosing keys, innermost first. */
function parents(lines: string[], lineNo: number, indent: number): string[] {
  const out: string[] = [];
  let limit = indent;
  for (let i = lineNo - 1; i >= 0 && limit > 0; i--) {
    const l = lines[i] ?? '';
    if (!l.trim() || l.trim().startsWith('#')) continue;
    const ind = l.length - l.trimStart().length + (l.trimStart().startsWith('- ') ? 2 : 0);
    if (ind < limit) {
      out.push(l.trim().replace(/^- /, ''));
      limit = l.length - l.trimStart().length;
    }
  }
  return out;
}

export function campaignCompletion(data: () => AssistData) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const line = ctx.state.doc.lineAt(ctx.pos);
    const before = line.text.slice(0, ctx.pos - line.from);
    const word = ctx.matchBefore(/[\w.-]*/);
    const from = word ? word.from : ctx.pos;
    if (!ctx.explicit && (!word || word.from === word.to) && !/:\s$/.test(before)) return null;
    const value = (options: Completion[]) => ({ from, options, validFor: /^[\w.-]*$/ });

    if (/(^|\s)do:\s*\w*$/.test(before)) return value(activityOptions());
    if (
      /(^|\s)(event|wait|events?):\s*\[?[\w, ]*$/.test(before) ||
      (/^\s*-\s*[a-z_]*$/.test(before) &&
        /wait:|event:/.test(ctx.state.doc.lineAt(Math.max(0, line.from - 1)).text))
    )
      return value(eventOptions(data()));
    if (/template:\s*["']?[\w-]*$/.test(before)) return value(templateOptions(data()));
    if (/settings\.[\w]*$/.test(before)) {
      const w = ctx.matchBefore(/[\w]*/);
      return {
        from: w ? w.from : ctx.pos,
        options: settingNames(ctx.state.doc.toString()).map((s) => ({
          label: s,
          type: 'variable',
          detail: 'setting',
        })),
      };
    }
    // A key position: at column 0 a top-level key; inside `with:` of a `do:` the activity's inputs;
    // on a list item under steps, a step kind.
    if (/^\s*(-\s*)?[\w]*$/.test(before)) {
      const indent = before.length - before.trimStart().length;
      if (indent === 0)
        return value(
          Object.entries(top).map(([k, s]) => ({
            label: k,
            type: 'property',
            info: describe(s),
            apply: `${k}: `,
          })),
        );
      const lines = ctx.state.doc.toString().split('\n');
      const up = parents(lines, line.number - 1, indent + (/^\s*-/.test(before) ? 2 : 0));
      if (up[0]?.startsWith('with:')) {
        const doLine = lines
          .slice(0, line.number - 1)
          .reverse()
          .find((l) => /\bdo:\s*\w+/.test(l));
        const act = /do:\s*(\w+)/.exec(doLine ?? '')?.[1];
        const input = act ? (catalogue as Record<string, { input: Schema }>)[act]?.input : undefined;
        if (input?.properties)
          return value(
            Object.entries(input.properties).map(([k, s]) => ({
              label: k,
              type: 'property',
              info: describe(s),
              apply: `${k}: `,
            })),
          );
      }
      // Inside a step that already has its kind: that kind's other keys (with, as, retry, timeout…).
      const item = /^\s*-/.test(before) ? null : stepItemAt(lines, line.number - 1, indent);
      const kind = item ? STEP_DOCS.find((d) => item.includes(d.key)) : undefined;
      if (item && kind)
        return value(
          Object.entries(kind.props)
            .filter(([k]) => !item.includes(k))
            .map(([k, sch]) => ({ label: k, type: 'property', info: describe(sch), apply: `${k}: ` })),
        );
      if (
        /^\s*-\s*\w*$/.test(before) ||
        up.some((p) => /^(steps|then|else|do|branches|catch|compensate):?/.test(p))
      )
        return value([
          { label: 'id', type: 'keyword', info: 'The step id (unique, kebab-case).', apply: 'id: ' },
          ...STEP_DOCS.map((s) => ({ label: s.key, type: 'keyword', info: s.doc, apply: `${s.key}: ` })),
        ]);
    }
    return ctx.explicit ? value([...activityOptions(), ...eventOptions(data())]) : null;
  };
}

interface SettingDecl {
  type?: string;
  default?: unknown;
  title?: string;
  description?: string;
}

/** A setting the document declares, read from its `settings:` block (null when absent or unparsable). */
function settingDecl(doc: string, name: string): SettingDecl | null {
  try {
    const parsed = parseYaml(doc) as { settings?: Record<string, SettingDecl> } | null;
    const decl = parsed?.settings?.[name];
    return decl && typeof decl === 'object' ? decl : null;
  } catch {
    return null;
  }
}

/** A key under a `with:` of a `do:` step: that activity's input of this name, from the catalogue. */
function activityInputAt(
  lines: string[],
  lineNo: number,
  key: string,
): { activity: string; schema: Schema; required: boolean } | null {
  const line = lines[lineNo - 1] ?? '';
  const indent = line.length - line.trimStart().length;
  if (!parents(lines, lineNo - 1, indent)[0]?.startsWith('with:')) return null;
  const doLine = lines
    .slice(0, lineNo - 1)
    .reverse()
    .find((l) => /\bdo:\s*\w+/.test(l));
  const activity = /do:\s*(\w+)/.exec(doLine ?? '')?.[1];
  const def = activity
    ? (catalogue as Record<string, { input: Schema & { required?: string[] } }>)[activity]
    : undefined;
  const schema = def?.input.properties?.[key];
  return activity && schema
    ? { activity, schema, required: def?.input.required?.includes(key) ?? false }
    : null;
}

/** The tooltip's box: a title and a paragraph, plus an optional preformatted preview. */
function docTooltip(pos: number, end: number, title: string, doc: string, preview?: string): Tooltip {
  return {
    pos,
    end,
    above: true,
    create() {
      const dom = document.createElement('div');
      dom.className = 'cm-hover-doc';
      const h = document.createElement('strong');
      h.textContent = title;
      const p = document.createElement('p');
      p.textContent = doc;
      dom.append(h, p);
      if (preview) {
        const pre = document.createElement('pre');
        pre.className = 'cm-hover-preview';
        pre.textContent = preview;
        dom.append(pre);
      }
      return { dom };
    },
  };
}

/**
 * A template name under the pointer: its preview (subject and text as written) — a shipped one from the
 * bundle, a published one from the API.
 */
async function templateHover(
  data: AssistData,
  word: string,
  start: number,
  end: number,
): Promise<Tooltip | null> {
  const published = data.templates.includes(word);
  const shipped = shippedPreview(word);
  const preview =
    published && data.templatePreview ? await data.templatePreview(word).catch(() => null) : null;
  const shown = preview ?? shipped;
  if (!shown && !published) return null;
  const doc = published
    ? `A template this client published${shipped ? ' (it overrides the shipped one)' : ''}${preview ? `, newest version, ${preview.locale}` : ''}.`
    : `A shipped template, in ${shipped?.locales.join(', ')}.`;
  return docTooltip(
    start,
    end,
    `template ${word}`,
    doc,
    shown ? `Subject: ${shown.subject}\n\n${clip(shown.text, 400)}` : undefined,
  );
}

/** Hover docs: the word under the pointer as a step kind, a top-level key, an activity, an event or a template. */
export function campaignHover(data: () => AssistData) {
  return (view: EditorView, pos: number): Tooltip | null | Promise<Tooltip | null> => {
    const { from, to, text } = view.state.doc.lineAt(pos);
    let start = pos;
    let end = pos;
    while (start > from && /[\w-]/.test(text[start - from - 1] ?? '')) start--;
    while (end < to && /[\w-]/.test(text[end - from] ?? '')) end++;
    if (start === end) return null;
    const word = text.slice(start - from, end - from);
    const isKey = text.slice(end - from).startsWith(':');
    let title = '';
    let doc = '';
    const act = (catalogue as Record<string, { description: string; input: Schema }>)[word];
    const step = STEP_DOCS.find((s) => s.key === word);
    const input = isKey
      ? activityInputAt(view.state.doc.toString().split('\n'), view.state.doc.lineAt(pos).number, word)
      : null;
    if (text.slice(0, start - from).endsWith('settings.')) {
      const decl = settingDecl(view.state.doc.toString(), word);
      if (!decl) return null;
      title = `setting ${word}`;
      doc = [
        decl.title,
        decl.description,
        `${decl.type ?? 'value'}${decl.default !== undefined ? `, default ${JSON.stringify(decl.default)}` : ''} — changed per client in the Settings tab, without touching the steps.`,
      ]
        .filter(Boolean)
        .join('\n');
    } else if (input) {
      title = `${input.activity} input ${word}`;
      doc = `${describe(input.schema) || 'An input of the activity.'}${input.required ? ' (required)' : ''}`;
    } else if (act) {
      title = `activity ${word}`;
      doc = `${act.description}${act.input.properties ? `\nInputs: ${Object.keys(act.input.properties).join(', ')}` : ''}`;
    } else if (
      isKey &&
      step &&
      (start - from === text.search(/\S/) || /^\s*-\s*$/.test(text.slice(0, start - from)))
    ) {
      title = `step ${word}`;
      doc = step.doc;
    } else if (isKey && start === from && top[word]) {
      title = word;
      doc = describe(top[word]);
    } else if (campaignSchemas().eventNames.includes(word)) {
      title = `event ${word}`;
      doc = 'A built-in event of the platform (schemas/event.schema.json).';
    } else if (data().declaredEvents.includes(word)) {
      title = `event ${word}`;
      doc = "One of this client's declared custom events.";
    } else if (
      /template:\s*["']?$/.test(text.slice(0, start - from)) ||
      /_template:/.test(text) ||
      shippedPreview(word)
    ) {
      return templateHover(data(), word, start, end);
    } else return null;
    return docTooltip(start, end, title, doc);
  };
}
