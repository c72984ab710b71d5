/**
 * The campaign DSL in the browser: the same parse → validate → compile as `pulse validate`, with the
 * nine shipped pulses (for `call:` and as templates to start from) and the shipped notification
 * templates (TEMPLATE_MISSING, TEMPLATE_VARIABLE_UNKNOWN) bundled instead of read from disk.
 */
// First: the precompiled validators are installed before anything validates.
import './precompiled.ts';
import { catalogFromFiles, type TemplateCatalog } from '../../../contract/template-files.ts';
import { type Diagnostic, formatDiagnostic } from '../../../dsl/errors.ts';
import { toMermaid } from '../../../dsl/mermaid.ts';
import { type ChildResolver, compileSource, type LoadResult } from '../../../dsl/source.ts';

const pulseFiles = import.meta.glob('../../../campaigns/*.pulse.yaml', {
  eager: true,
  query: '?raw',
  import: 'default',
}) as Record<string, string>;
const scriptFiles = import.meta.glob('../../../campaigns/scripts/*.events.yaml', {
  eager: true,
  query: '?raw',
  import: 'default',
}) as Record<string, string>;
const templateFiles = import.meta.glob('../../../campaigns/templates/**/*.liquid', {
  eager: true,
  query: '?raw',
  import: 'default',
}) as Record<string, string>;

const TEMPLATES_ROOT = '../../../campaigns/templates/';

export interface ShippedPulse {
  /** `campaigns/signup.pulse.yaml`, as `pulse validate campaigns/signup.pulse.yaml` names it. */
  file: string;
  name: string;
  id: string;
  title: string;
  goal: string;
  source: string;
  /** Its example simulation script, when one ships. */
  script?: string;
}

const field = (source: string, key: string) =>
  new RegExp(`^${key}:\\s*(.+)$`, 'm')
    .exec(source)?.[1]
    ?.replace(/^["']|["']$/g, '')
    .trim() ?? '';

export const SHIPPED: ShippedPulse[] = Object.entries(pulseFiles)
  .map(([path, source]) => {
    const name = path.slice(path.lastIndexOf('/') + 1).replace('.pulse.yaml', '');
    const script = scriptFiles[`../../../campaigns/scripts/${name}.events.yaml`];
    return {
      file: `campaigns/${name}.pulse.yaml`,
      name,
      id: field(source, 'id'),
      title: field(source, 'title') || name,
      goal: field(source, 'goal'),
      source,
      ...(script ? { script } : {}),
    };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

/** `call: x` among the shipped pulses: by file name or by campaign id, as the CLI resolves them in campaigns/. */
const shippedChildren: ChildResolver = {
  where: 'campaigns/',
  find(ref) {
    const name = ref.replace(/\.pulse\.ya?ml$|\.ya?ml$/, '');
    const hit = SHIPPED.find((p) => p.name === name) ?? SHIPPED.find((p) => p.id === ref);
    return hit ? { file: hit.file, key: hit.file, source: hit.source } : undefined;
  },
};

export const shippedTemplates: TemplateCatalog = catalogFromFiles(
  Object.entries(templateFiles).map(([path, text]) => ({ path: path.slice(TEMPLATES_ROOT.length), text })),
);

export interface BrowserCheck extends LoadResult {
  mermaid?: string;
}

/** Validates and compiles as `pulse validate <file>` does; `declaredEvents` and `clientTemplates` come from the API. */
export function checkCampaign(
  source: string,
  file: string,
  opts: {
    settings?: Record<string, unknown>;
    declaredEvents?: readonly string[];
    clientTemplates?: readonly string[];
  } = {},
): BrowserCheck {
  const result = compileSource(source, file, shippedChildren, {
    ...(opts.settings ? { settings: opts.settings } : {}),
    ...(opts.declaredEvents ? { declaredEvents: opts.declaredEvents } : {}),
    templates: {
      catalog: shippedTemplates,
      ...(opts.clientTemplates ? { clientTemplates: opts.clientTemplates } : {}),
    },
  });
  return result.plan ? { ...result, mermaid: toMermaid(result.plan) } : result;
}

export { type Diagnostic, formatDiagnostic };
