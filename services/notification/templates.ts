import { builtInTemplates, type TemplateSource } from './render.ts';

/**
 * Built-in templates are files: campaigns/templates/<pulse>/<name>.<locale>.<part>.liquid (render.ts).
 * A client overrides any of them by storing a template with the same name through the API.
 */
export type { TemplateSource } from './render.ts';

/** name → the English source of each built-in template (the locale every built-in ships in). */
export function builtInEnglish(): Record<string, TemplateSource & { pulse: string }> {
  const out: Record<string, TemplateSource & { pulse: string }> = {};
  for (const [name, byLocale] of builtInTemplates()) {
    const en = byLocale.get('en');
    if (en) out[name] = { ...en.source, pulse: en.pulse };
  }
  return out;
}
