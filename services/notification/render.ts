/**
 * Minimal, safe templating: `{{ path.to.value }}` is replaced by the value (HTML-escaped in HTML bodies),
 * `{{ path | default: "x" }}` supplies a fallback. No logic, no code: templates are authored by clients.
 * A placeholder with no value and no default is an error, so a broken email is never sent.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.]*)\s*(?:\|\s*default:\s*"([^"]*)"\s*)?\}\}/g;

export class MissingTemplateValue extends Error {
  readonly code = 'TEMPLATE_VALUE_MISSING';
  constructor(readonly paths: string[]) {
    super(`template values missing: ${paths.join(', ')}`);
  }
}

function lookup(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const escapeHtml = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

export function renderTemplate(template: string, data: unknown, mode: 'text' | 'html'): string {
  const missing: string[] = [];
  const out = template.replace(PLACEHOLDER, (_m, path: string, fallback: string | undefined) => {
    const v = lookup(data, path);
    if (v === undefined || v === null || v === '') {
      if (fallback !== undefined) return mode === 'html' ? escapeHtml(fallback) : fallback;
      missing.push(path);
      return '';
    }
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return mode === 'html' ? escapeHtml(s) : s;
  });
  if (missing.length) throw new MissingTemplateValue(missing);
  return out;
}
