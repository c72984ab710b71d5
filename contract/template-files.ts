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
  const templates = new Map<string, Map<string, TemplateFile>>();
  const partials: Record<string, string> = {};
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return { templates, partials };
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name.startsWith('_') && entry.name.endsWith('.liquid'))
      partials[entry.name] = readFileSync(join(root, entry.name), 'utf8');
    if (!entry.isDirectory()) continue;
    for (const file of readdirSync(join(root, entry.name))) {
      const m = FILE.exec(file);
      if (!m) continue;
      const [, name = '', locale = '', part = ''] = m;
      const byLocale = templates.get(name) ?? new Map<string, TemplateFile>();
      templates.set(name, byLocale);
      const t = byLocale.get(locale) ?? { pulse: entry.name, name, locale, source: {} };
      byLocale.set(locale, t);
      t.source[part as TemplatePart] = readFileSync(join(root, entry.name, file), 'utf8');
    }
  }
  return { templates, partials };
}
