import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The on-disk layout of notification templates, shared by the notification service (which renders
 * them), `pulse validate` (which checks campaigns against them) and tests:
 *
 *   <root>/<pulse>/<name>.<locale>.<part>.liquid   part: subject | html | text | inapp | sms
 *   <root>/_<partial>.liquid                        shared pieces, e.g. _layout.html.liquid
 */

export const TEMPLATE_PARTS = ['subject', 'html', 'text', 'inapp', 'sms'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];
export type TemplateSource = Partial<Record<TemplatePart, string>>;

export interface TemplateFile {
  pulse: string;
  name: string;
  locale: string;
  source: TemplateSource;
}

/** Templates by name, then locale; `partials` are the shared files a template may include or extend. */
export interface TemplateCatalog {
  templates: Map<string, Map<string, TemplateFile>>;
  partials: Record<string, string>;
}

const FILE =
  /^([a-z0-9][a-z0-9-]*)\.([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.(subject|html|text|inapp|sms)\.liquid$/;

/** Reads a folder laid out as above; a missing folder is an empty catalog. */
export function loadTemplateDir(root: string): TemplateCatalog {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return { templates: new Map(), partials: {} };
  }
  const files: { path: string; text: string }[] = [];
  for (const entry of entries) {
    if (entry.isFile() && entry.name.startsWith('_') && entry.name.endsWith('.liquid'))
      files.push({ path: entry.name, text: readFileSync(join(root, entry.name), 'utf8') });
    if (!entry.isDirectory()) continue;
    for (const file of readdirSync(join(root, entry.name)))
      if (FILE.test(file))
        files.push({
          path: `${entry.name}/${file}`,
          text: readFileSync(join(root, entry.name, file), 'utf8'),
        });
  }
  return catalogFromFiles(files);
}

/**
 * The catalog of files given by their paths relative to the root (`<pulse>/<file>` or `_<partial>`):
 * what the browser builds from bundled files, and what loadTemplateDir builds from disk.
 */
export function catalogFromFiles(files: Iterable<{ path: string; text: string }>): TemplateCatalog {
  const templates = new Map<string, Map<string, TemplateFile>>();
  const partials: Record<string, string> = {};
  for (const { path, text } of files) {
    const parts = path.split('/');
    if (parts.length === 1 && path.startsWith('_') && path.endsWith('.liquid')) {
      partials[path] = text;
      continue;
    }
    if (parts.length !== 2) continue;
    const [pulse = '', file = ''] = parts;
    const m = FILE.exec(file);
    if (!m) continue;
    const [, name = '', locale = '', part = ''] = m;
    const byLocale = templates.get(name) ?? new Map<string, TemplateFile>();
    templates.set(name, byLocale);
    const t = byLocale.get(locale) ?? { pulse, name, locale, source: {} };
    byLocale.set(locale, t);
    t.source[part as TemplatePart] = text;
  }
  return { templates, partials };
}
