/**
 * Campaign YAML text → validated, compiled plan, or diagnostics, with no file system: the caller says
 * how a `call:` reference finds its child's source. `dsl/index.ts` resolves children from a folder (the
 * CLI, the deploy); the portal's editor resolves them from the bundled pulses. Same checks, same codes.
 */
import type { EventDeclaration } from '../contract/generated/campaign.generated.ts';
import type { Plan } from '../contract/plan.ts';
import { checkTemplates, type TemplateCheckOptions } from './check-templates.ts';
import { compile } from './compile.ts';
import { type Diagnostic, hasErrors, sortDiagnostics } from './errors.ts';
import { MAX_PLAN_BYTES } from './limits.ts';
import { parseSource } from './parse.ts';
import { planReachesReward } from './trust.ts';
import { reporterFor, trustWarnings, validateCampaign } from './validate.ts';

/** A child campaign found for a `call:` reference: its canonical file name and its text. */
export interface ChildSource {
  /** The name diagnostics give it. */
  file: string;
  /** Its identity on the call chain (an absolute path on disk), for cycle detection. */
  key: string;
  source: string;
}

/** Finds the campaign a `call: <ref>` names; `where` names the place searched in diagnostics. */
export interface ChildResolver {
  find(ref: string): ChildSource | undefined;
  where: string;
}

export interface SourceOptions {
  /** Overrides of declared settings (a client's values), checked against the declarations. */
  settings?: Record<string, unknown>;
  /** Custom event names the client declared through the API (the deploy passes them; files declare their own). */
  declaredEvents?: Iterable<string>;
  /**
   * Notification templates to check the file's sends against (TEMPLATE_MISSING /
   * TEMPLATE_VARIABLE_UNKNOWN); without it templates are not checked. The caller loads the files.
   */
  templates?: TemplateCheckOptions;
  /** This source's identity on the call chain (default: `file`). */
  key?: string;
  /** Keys of the campaigns being compiled up the `call` chain (cycle detection); callers leave it out. */
  stack?: readonly string[];
}

export interface LoadResult {
  plan?: Plan;
  diagnostics: Diagnostic[];
  /** The custom event types the file declares (its `events:` block), with a plan only; the deploy stores them. */
  events?: Record<string, EventDeclaration>;
}

const utf8 = new TextEncoder();
const baseName = (file: string) => file.slice(file.lastIndexOf('/') + 1);

/** Validates and compiles campaign YAML text; `file` names it in diagnostics. Never throws for bad input. */
export function compileSource(
  source: string,
  file: string,
  resolveChild: ChildResolver,
  opts: SourceOptions = {},
): LoadResult {
  const parsed = parseSource(source, file);
  const validation = validateCampaign(
    parsed,
    opts.declaredEvents ? { declaredEvents: opts.declaredEvents } : {},
  );
  const diagnostics = [...validation.diagnostics];
  const report = reporterFor(parsed, diagnostics);
  if (opts.templates && validation.doc)
    checkTemplates(parsed.data as Record<string, unknown>, opts.templates, report);
  const stack = [...(opts.stack ?? []), opts.key ?? file];
  const children: Record<string, Plan> = {};

  for (const call of validation.calls) {
    const child = resolveChild.find(call.ref);
    if (!child) {
      report('UNKNOWN_CHILD_PLAN', call.path, `no campaign "${call.ref}" in ${resolveChild.where}`, {
        found: JSON.stringify(call.ref),
        expected: 'a file in campaigns/ (name or name.pulse.yaml) or a campaign id',
      });
      continue;
    }
    if (stack.includes(child.key)) {
      report('CHILD_PLAN_CYCLE', call.path, `calling "${call.ref}" would call this campaign again`, {
        found: [...stack, child.key].map(baseName).join(' → '),
        expected: 'a call chain without cycles',
      });
      continue;
    }
    const compiled = compileSource(child.source, child.file, resolveChild, {
      stack,
      key: child.key,
      ...(opts.declaredEvents ? { declaredEvents: opts.declaredEvents } : {}),
      ...(opts.templates ? { templates: opts.templates } : {}),
    });
    if (!compiled.plan) {
      const first = compiled.diagnostics.find((d) => d.severity === 'error');
      report('UNKNOWN_CHILD_PLAN', call.path, `child campaign "${call.ref}" does not compile`, {
        found: `${compiled.diagnostics.length} problem(s)${first ? `, first: ${first.code} at ${first.file}:${first.line}:${first.column}` : ''}`,
        expected: 'a valid campaign',
      });
      continue;
    }
    children[call.ref] = compiled.plan;
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
  const bytes = utf8.encode(JSON.stringify(plan)).length;
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
