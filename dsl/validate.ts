/**
 * Validation: the JSON Schema (ajv, compiled once) and then the semantic passes. Returns every
 * diagnostic at once and never throws for bad input.
 */
import type { Campaign } from '../contract/generated/campaign.generated.ts';
import { checkEventDecls, checkEventNames, fileDeclaredEvents } from './check-events.ts';
import { checkExpr, type ExprScope, type Report, ruleScope } from './check-expr.ts';
import { checkLeaderboards } from './check-leaderboards.ts';
import { checkAnniversary, checkSchedule } from './check-schedule.ts';
import { checkSettingDecls } from './check-settings.ts';
import { checkAllSteps, type RewardTypes } from './check-steps.ts';
import { checkTiming } from './check-timing.ts';
import { type Diagnostic, formatPath, type JsonPath } from './errors.ts';
import type { ParsedSource } from './parse.ts';
import { campaignSchemas, schemaErrors } from './schema.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { type CallReaches, resolveTrust, type TrustRequirement, trustBelow } from './trust.ts';

export interface ValidationResult {
  /** The document, typed, when there are no errors. */
  doc?: Campaign;
  diagnostics: Diagnostic[];
  /** `call` steps found (child campaign references) with their paths, for the caller to resolve. */
  calls: { ref: string; path: JsonPath }[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Makes a Report that locates each finding in the parsed source. */
export function reporterFor(parsed: ParsedSource, out: Diagnostic[]): Report {
  return (code, path, message, details = {}) => {
    const loc = parsed.locate(path, { key: details.key === true });
    const d: Diagnostic = {
      code,
      severity: details.severity ?? 'error',
      file: parsed.file,
      line: loc.line,
      column: loc.column,
      path: formatPath(path),
      message,
    };
    if (details.found !== undefined) d.found = details.found;
    if (details.expected !== undefined) d.expected = details.expected;
    out.push(d);
  };
}

export interface ValidateOptions {
  /** Custom event names the client declared through /v1/event-types (known at deploy, not to `pulse validate`). */
  declaredEvents?: Iterable<string>;
}

/** Validates a parsed campaign: schema, settings, events, trigger, steps. */
export function validateCampaign(parsed: ParsedSource, opts: ValidateOptions = {}): ValidationResult {
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const calls: ValidationResult['calls'] = [];
  if (parsed.diagnostics.length > 0) return { diagnostics, calls };
  const data = parsed.data;
  const { campaign, document, eventNames } = campaignSchemas();
  if (data === null || data === undefined) {
    // An empty file (or comments only): say what a campaign is made of, not "wrong type".
    // From the schema as written, not the validator's `.schema`: precompiled validators carry none.
    const required = (campaign as { required?: string[] }).required ?? [];
    diagnostics.push({
      code: 'EMPTY_CAMPAIGN',
      severity: 'error',
      file: parsed.file,
      line: 1,
      column: 1,
      path: '(root)',
      message: `the file holds no campaign; a campaign is a YAML map with ${required.join(', ')}, e.g. "pulse: signup", "id: signup-default", "version: 1", "title: Signup", "trigger: { event: user_signed_up }" and "steps:" with at least one step`,
      found: 'an empty document',
      expected: `a map with ${required.join(', ')}`,
    });
    return { diagnostics, calls };
  }
  // Declared names first: suggestions look at a bounded number of candidates.
  const declared = new Set([
    ...fileDeclaredEvents(isObj(data) ? data.events : undefined),
    ...(opts.declaredEvents ?? []),
  ]);
  const known = [...declared, ...eventNames];
  diagnostics.push(
    ...schemaDiagnostics(schemaErrors(document, data), { parsed, data, base: [], eventNames: known }),
  );
  if (!isObj(data)) return { diagnostics, calls };

  const report = reporterFor(parsed, diagnostics);
  const settings = isObj(data.settings) ? new Set(Object.keys(data.settings)) : new Set<string>();
  const rewards: RewardTypes = new Map(
    isObj(data.rewards)
      ? Object.entries(data.rewards)
          .filter(([name, rule]) => name !== 'constraints' && isObj(rule))
          .map(([name, rule]) => [name, String((rule as Obj).type)])
      : [],
  );
  const segments = isObj(data.segments) ? new Set(Object.keys(data.segments)) : new Set<string>();

  checkSettingDecls(data.settings, report);
  checkEventDecls(data.events, report);
  checkEventNames(data, declared, report);
  checkTrigger(data.trigger, settings, report);
  checkSchedule(data.trigger, report);
  checkAnniversary(data.trigger, report);
  checkRewardRules(data.rewards, data.segments, report);
  checkLeaderboards(data.leaderboards, data.rewards, report);
  checkAllSteps(data.steps, {
    parsed,
    report,
    push: (d) => diagnostics.push(d),
    settings,
    rewards,
    segments,
    calls,
    eventNames: known,
  });

  checkTiming(data, report);
  checkLocale(data.locale, report);

  if (!diagnostics.some((d) => d.severity === 'error'))
    diagnostics.push(...trustWarnings(parsed, data, () => true));
  const unique = dedupe(diagnostics);
  const failed = unique.some((d) => d.severity === 'error');
  return failed
    ? { diagnostics: unique, calls }
    : { doc: data as unknown as Campaign, diagnostics: unique, calls };
}

/**
 * The router evaluates `when` and `journey` over `{ event, settings, period }` only, before any journey
 * exists (`period.year|month|week|day` of the event's time, for once-per-period journey keys).
 */
function checkTrigger(trigger: unknown, settings: ReadonlySet<string>, report: Report): void {
  if (!isObj(trigger)) return;
  const scope: ExprScope = {
    names: new Set(['event', 'settings', 'period']),
    settings,
    rewards: new Set(),
    segments: new Set(),
    eventFields: campaignSchemas().eventFields,
  };
  if (trigger.when !== undefined) checkExpr(trigger.when, ['trigger', 'when'], 'logic', scope, report);
  if (typeof trigger.journey === 'string') {
    checkExpr({ var: trigger.journey }, ['trigger', 'journey'], 'logic', scope, report);
  } else if (trigger.journey !== undefined) {
    checkExpr(trigger.journey, ['trigger', 'journey'], 'logic', scope, report);
  }
}

/**
 * Reward and segment conditions (`rewards.<name>.when`, `rewards.<name>.referrer|referee.when`,
 * `segments.<name>.when`) run on the reward service's rule engine; checked here with their positions so
 * an unknown operator fails `pulse validate`, not the deploy.
 */
function checkRewardRules(rewards: unknown, segments: unknown, report: Report): void {
  const scope = ruleScope();
  if (isObj(rewards)) {
    for (const [name, rule] of Object.entries(rewards)) {
      if (name === 'constraints' || !isObj(rule)) continue;
      if (rule.when !== undefined) checkExpr(rule.when, ['rewards', name, 'when'], 'logic', scope, report);
      for (const side of ['referrer', 'referee']) {
        const s = rule[side];
        if (isObj(s) && s.when !== undefined)
          checkExpr(s.when, ['rewards', name, side, 'when'], 'logic', scope, report);
      }
    }
  }
  if (isObj(segments)) {
    for (const [name, seg] of Object.entries(segments)) {
      if (isObj(seg) && seg.when !== undefined)
        checkExpr(seg.when, ['segments', name, 'when'], 'logic', scope, report);
    }
  }
}

/**
 * TRUST_OPT_DOWN: a declared `trust:` below the safe default (dsl/trust.ts). Allowed (a warning never
 * blocks a deploy) but said out loud, because it lets browser-forgeable events drive a journey that
 * moves money. `validateCampaign` counts every `call` as reaching a reward; `compileCampaignSource`
 * recomputes these warnings once the children are known.
 */
export function trustWarnings(parsed: ParsedSource, data: unknown, callReaches: CallReaches): Diagnostic[] {
  const { trigger, waits } = resolveTrust(data, callReaches);
  const out: Diagnostic[] = [];
  for (const req of [trigger, ...waits.values()]) {
    if (req.declared === undefined || !trustBelow(req.declared, req.default)) continue;
    const loc = parsed.locate(req.path, {});
    out.push({
      code: 'TRUST_OPT_DOWN',
      severity: 'warning',
      file: parsed.file,
      line: loc.line,
      column: loc.column,
      path: formatPath(req.path),
      message: `accepts ${req.declared} events for ${req.events.join(', ')}, below the default ${req.default}: ${whyServer(req)}`,
      found: req.declared,
      expected: `${req.default} (or keep the opt-down deliberately)`,
    });
  }
  return out;
}

function whyServer(req: TrustRequirement): string {
  return req.reason === 'money_moving'
    ? 'the event moves money, so a browser could forge it to earn rewards'
    : 'what follows can allocate or pay a reward, so a browser could forge the event to earn one';
}

/** Schema and semantic passes can both notice one problem (e.g. a bad duration); keep one per place. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}|${d.path}|${d.line}|${d.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `locale:` must be a BCP 47 tag Intl accepts (templates fall back to it). */
function checkLocale(locale: unknown, report: Report): void {
  if (typeof locale !== 'string') return;
  try {
    if (Intl.getCanonicalLocales(locale).length === 1) return;
  } catch {
    // reported below
  }
  report('BAD_LOCALE', ['locale'], 'not a language tag', {
    found: JSON.stringify(locale),
    expected: 'a BCP 47 tag such as "en", "fr" or "de-CH"',
  });
}
