/**
 * Public API of the campaign DSL: YAML source → validated, compiled Plan, or diagnostics.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventDeclaration } from '../contract/generated/campaign.generated.ts';
import type { Plan } from '../contract/plan.ts';
import { checkTemplates, type TemplateCheckOptions } from './check-templates.ts';
import { compile } from './compile.ts';
import { type Diagnostic, hasErrors, sortDiagnostics } from './errors.ts';
import { MAX_PLAN_BYTES } from './limits.ts';
import { parseSource } from './parse.ts';
import { planReachesReward } from './trust.ts';
import { reporterFor, trustWarnings, validateCampaign } from './validate.ts';

export type { TemplateCheckOptions } from './check-templates.ts';
export { compile } from './compile.ts';
export { type Diagnostic, type DiagnosticCode, formatDiagnostic, formatDiagnostics } from './errors.ts';
export { MAX_DEPTH, MAX_PLAN_BYTES, MAX_SOURCE_BYTES, MAX_STEPS } from './limits.ts';
export { toMermaid } from './mermaid.ts';
export { parseSource } from './parse.ts';
export { validateCampaign } from './validate.ts';

/** The repository's campaigns/ folder, where `call` references are resolved by default. */
export const DEFAULT_CAMPAIGNS_DIR = fileURLToPath(new URL('../campaigns/', import.meta.url));

export interface LoadOptions {
  /** Overrides of declared settings (a client's values), checked against the declarations. */
  settings?: Record<string, unknown>;
  /** Folder where `call: <file or id>` is resolved (default: the repository's campaigns/). */
  campaignsDir?: string;
  /** Custom event names the client declared through the API (the deploy passes them; files declare their own). */
  declaredEvents?: Iterable<string>;
  /**
   * Notification templates to check the file's sends against (TEMPLATE_MISSING /
   * TEMPLATE_VARIABLE_UNKNOWN); without it templates are not checked. The caller loads the files.
   */
  templates?: TemplateCheckOptions;
  /** Files being compiled up the `call` chain (cycle detection); callers leave it out. */
  stack?: readonly string[];
}

export interface LoadResult {
  plan?: Plan;
  diagnostics: Diagnostic[];
  /** The custom event types the file declares (its `events:` block), with a plan only; the deploy stores them. */
  events?: Record<string, EventDeclaration>;
}

/** Reads, validates and compiles a campaign file. Never throws for bad input. */
export function loadCampaignFile(path: string, opts: LoadOptions = {}): LoadResult {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    return {
      diagnostics: [
        {
          code: 'FILE_NOT_FOUND',
          severity: 'error',
          file: path,
          line: 0,
          column: 0,
          path: '(root)',
          message: 'cannot read the file',
        },
      ],
    };
  }
  return compileCampaignSource(source, path, opts);
}

/** Validates and compiles campaign YAML text; `file` names it in diagnostics. Never throws for bad input. */
export function compileCampaignSource(source: string, file: string, opts: LoadOptions = {}): LoadResult {
  const parsed = parseSource(source, file);
  const validation = validateCampaign(
    parsed,
    opts.declaredEvents ? { declaredEvents: opts.declaredEvents } : {},
  );
  const diagnostics = [...validation.diagnostics];
  const report = reporterFor(parsed, diagnostics);
  if (opts.templates && validation.doc)
    checkTemplates(parsed.data as Record<string, unknown>, opts.templates, report);
  const campaignsDir = opts.campaignsDir ?? DEFAULT_CAMPAIGNS_DIR;
  const stack = [...(opts.stack ?? []), resolve(file)];
  const children: Record<string, Plan> = {};

  for (const call of validation.calls) {
    const childFile = findChildFile(call.ref, campaignsDir);
    if (!childFile) {
      report('UNKNOWN_CHILD_PLAN', call.path, `no campaign "${call.ref}" in ${campaignsDir}`, {
        found: JSON.stringify(call.ref),
        expected: 'a file in campaigns/ (name or name.pulse.yaml) or a campaign id',
      });
      continue;
    }
    if (stack.includes(resolve(childFile))) {
      report('CHILD_PLAN_CYCLE', call.path, `calling "${call.ref}" would call this campaign again`, {
        found: [...stack, resolve(childFile)].map((f) => basename(f)).join(' → '),
        expected: 'a call chain without cycles',
      });
      continue;
    }
    const child = loadCampaignFile(childFile, {
      campaignsDir,
      stack,
      ...(opts.declaredEvents ? { declaredEvents: opts.declaredEvents } : {}),
      ...(opts.templates ? { templates: opts.templates } : {}),
    });
    if (!child.plan) {
      const first = child.diagnostics.find((d) => d.severity === 'error');
      report('UNKNOWN_CHILD_PLAN', call.path, `child campaign "${call.ref}" does not compile`, {
        found: `${child.diagnostics.length} problem(s)${first ? `, first: ${first.code} at ${first.file}:${first.line}:${first.column}` : ''}`,
        expected: 'a valid campaign',
      });
      continue;
    }
    children[call.ref] = child.plan;
  }

  if (!validation.doc || hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics) };
  if (validation.calls.length > 0) {
    // The children are known now: judge opt-downs against the default the compiler will resolve.
    const exact = trustWarnings(parsed, parsed.data, (ref) => {
      const child = children[ref];
      return child === undefined || planReachesReward(child);
    });
    diagnostics.splice(
      0,
      diagnostics.length,
      ...diagnostics.filter((d) => d.code !== 'TRUST_OPT_DOWN'),
      ...exact,
    );
  }
  const compiled = compile(validation.doc, { settings: opts.settings ?? {}, children, file });
  if (!compiled.plan) return { diagnostics: sortDiagnostics([...diagnostics, ...compiled.diagnostics]) };
  const tooLarge = planSizeProblem(compiled.plan, file);
  if (tooLarge) return { diagnostics: sortDiagnostics([...diagnostics, tooLarge]) };
  const events = validation.doc.events as Record<string, EventDeclaration> | undefined;
  return {
    plan: compiled.plan,
    diagnostics: sortDiagnostics(diagnostics),
    ...(events && Object.keys(events).length > 0 ? { events } : {}),
  };
}

/** PLAN_TOO_LARGE when the plan's JSON (children included) is over MAX_PLAN_BYTES: it is workflow input. */
function planSizeProblem(plan: Plan, file: string): Diagnostic | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(plan), 'utf8');
  if (bytes <= MAX_PLAN_BYTES) return undefined;
  return {
    code: 'PLAN_TOO_LARGE',
    severity: 'error',
    file,
    line: 1,
    column: 1,
    path: '(root)',
    message: `the compiled plan is ${bytes} bytes of JSON; it is passed to every journey as workflow input`,
    found: `${bytes} bytes`,
    expected: `at most ${MAX_PLAN_BYTES} bytes (${MAX_PLAN_BYTES / 1024} KiB): fewer or shorter steps, lists and rules`,
  };
}

/** `call: x` → campaigns/x (if it names a file), x.pulse.yaml, x.yaml, or the file whose `id:` is x. */
function findChildFile(ref: string, dir: string): string | undefined {
  if (ref.includes('..') || ref.startsWith('/')) return undefined;
  const candidates = /\.ya?ml$/.test(ref) ? [ref] : [`${ref}.pulse.yaml`, `${ref}.yaml`];
  for (const c of candidates) {
    const p = join(dir, c);
    if (existsSync(p)) return p;
  }
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  } catch {
    return undefined;
  }
  const idLine = new RegExp(
    `^id:\\s*['"]?${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]?\\s*(#.*)?$`,
    'm',
  );
  for (const f of files.sort()) {
    const p = join(dir, f);
    if (idLine.test(readFileSync(p, 'utf8'))) return p;
  }
  return undefined;
}
