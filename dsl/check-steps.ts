/**
 * The step walker: validates each step against the schema of its kind, then checks what a schema cannot
 * see: unique ids, reachable steps, bounded loops, known activities and rewards, and every expression
 * against the variables declared before it (in document order).
 */

import { isCalendar, parseDurationParts } from '../contract/duration.ts';
import { ERROR_STATUS, JOURNEY_ERROR_CODES } from '../contract/errors.ts';
import { APPROVAL_ROLES } from '../contract/plan.ts';
import { checkActivity } from './check-activity.ts';
import { checkExpr, type ExprScope, type Report } from './check-expr.ts';
import { type Diagnostic, describeValue, type JsonPath } from './errors.ts';
import { MAX_STEPS } from './limits.ts';
import type { ParsedSource } from './parse.ts';
import { campaignSchemas, STEP_KIND_KEYS, schemaErrors } from './schema.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { closest } from './suggest.ts';

/** Names the engine puts in every journey scope (engine/interpreter/runtime.ts `scope()`). */
export const BUILTIN_NAMES = [
  'event',
  'settings',
  'rewards',
  'segments',
  'campaign',
  'journey',
  'now',
  'period',
  'input',
] as const;
const RESERVED: ReadonlySet<string> = new Set(BUILTIN_NAMES);
/** Every member role; the ones below manager cannot hold an approval (APPROVAL_ROLES). */
const MEMBER_ROLES: readonly string[] = [...APPROVAL_ROLES, 'analyst', 'viewer'];

export const MAX_REPEAT = 100;
export const MAX_FOR_EACH = 1000;

/** Reward rule names by their type (`single`, `milestone`, ...), from the document's `rewards`. */
export type RewardTypes = ReadonlyMap<string, string>;

export interface StepCheckContext {
  parsed: ParsedSource;
  report: Report;
  /** Schema diagnostics go straight into the output list (they carry their own location). */
  push(d: Diagnostic): void;
  settings: ReadonlySet<string>;
  rewards: RewardTypes;
  segments: ReadonlySet<string>;
  /** Every `call` step met, for the caller to resolve. */
  calls: { ref: string; path: JsonPath }[];
  /** Event names a wait may name (built-in and declared), for "did you mean". */
  eventNames: readonly string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Walks the top-level steps. */
/** Step properties that are not kinds (schemas/campaign.schema.json), never taken for a misspelt kind. */
const STEP_COMMON_KEYS: ReadonlySet<string> = new Set([
  'as',
  'cases',
  'catch',
  'compensate',
  'finally',
  'default',
  'details',
  'else',
  'escalate',
  'id',
  'index',
  'match',
  'max',
  'max_items',
  'on_reject',
  'on_timeout',
  'optional',
  'properties',
  'reason',
  'retry',
  'roles',
  'steps',
  'then',
  'timeout',
  'trust',
  'while',
  'with',
]);

export function checkAllSteps(steps: unknown, ctx: StepCheckContext): void {
  const walker = new Walker(ctx);
  walker.list(steps, ['steps']);
  walker.checkCatchCodes();
}

/** Codes a `catch` may name without a warning: the platform's AppError codes and the engine's own. */
const KNOWN_ERROR_CODES: readonly string[] = [...Object.keys(ERROR_STATUS), ...JOURNEY_ERROR_CODES];

class Walker {
  private readonly ids = new Map<string, JsonPath>();
  /** Built-ins plus the variables declared so far (in document order); grows as the walk goes on. */
  private readonly names = new Set<string>(BUILTIN_NAMES);
  /**
   * One scope object for the whole walk: `checkExpr` reads it synchronously and keeps no reference, so
   * the live `names` set is exactly "declared before this expression" (a copy per expression made
   * validation quadratic in the number of steps).
   */
  private readonly scope: ExprScope;
  private steps = 0;
  private stopped = false;
  /** Codes the file's `raise` steps raise, and the codes its `catch` clauses name (checked at the end). */
  private readonly raised = new Set<string>();
  private readonly caught: { code: string; path: JsonPath }[] = [];

  constructor(private readonly ctx: StepCheckContext) {
    this.scope = {
      names: this.names,
      settings: ctx.settings,
      rewards: new Set(['constraints', ...ctx.rewards.keys()]),
      segments: ctx.segments,
      eventFields: campaignSchemas().eventFields,
    };
  }

  private expr(value: unknown, path: JsonPath, mode: 'logic' | 'value'): void {
    if (value !== undefined) checkExpr(value, path, mode, this.scope, this.ctx.report);
  }

  private declare(name: unknown, path: JsonPath): void {
    if (typeof name !== 'string') return;
    if (RESERVED.has(name)) {
      this.ctx.report('RESERVED_VARIABLE', path, `"${name}" is a built-in name and cannot be set`, {
        found: JSON.stringify(name),
        expected: `a name other than ${BUILTIN_NAMES.join(', ')}`,
      });
      return;
    }
    this.names.add(name);
  }

  /**
   * Checks a list of steps; returns true when every path through it ends the journey (an `end`, or an
   * `if`/`switch`/`wait` whose every branch ends), so that what follows it can never run.
   */
  list(steps: unknown, path: JsonPath): boolean {
    if (!Array.isArray(steps)) return false;
    let endedAt: number | null = null;
    let endedBy: 'end' | 'branches' = 'end';
    steps.forEach((step, i) => {
      if (this.stopped) return;
      const p = [...path, i];
      if (++this.steps > MAX_STEPS) {
        // Past the limit nothing more is checked: the work stays bounded whatever the file holds.
        this.stopped = true;
        this.ctx.report(
          'TOO_MANY_STEPS',
          p,
          `a campaign has at most ${MAX_STEPS} steps, nested ones included`,
          {
            expected: `at most ${MAX_STEPS} steps`,
          },
        );
        return;
      }
      if (endedAt !== null && endedAt === i - 1) {
        this.ctx.report(
          'UNREACHABLE_STEP',
          p,
          endedBy === 'end'
            ? 'this step can never run: the journey ends in the step before'
            : 'this step can never run: every branch of the step before ends the journey',
          {
            found: describeValue(isObj(step) ? step.id : step),
            expected:
              endedBy === 'end'
                ? 'no steps after an `end` in the same list'
                : 'a branch of the step before that does not end, or no steps after it',
          },
        );
      }
      const ends = this.step(step, p);
      if (ends && endedAt === null) {
        endedAt = i;
        endedBy = isObj(step) && ('end' in step || 'raise' in step) ? 'end' : 'branches';
      }
    });
    return endedAt !== null;
  }

  /** Checks one step; returns true when every path through it ends the journey. */
  private step(step: unknown, p: JsonPath): boolean {
    if (!isObj(step)) return false; // the enclosing schema reports a non-object step
    const kinds = STEP_KIND_KEYS.filter((k) => k in step);
    if (kinds.length > 1) {
      this.ctx.report(
        'AMBIGUOUS_STEP',
        p,
        `a step does exactly one thing, this one has ${kinds.join(' and ')}`,
        {
          found: kinds.join(', '),
          expected: `one of ${STEP_KIND_KEYS.join(', ')}`,
        },
      );
      return false;
    }
    this.checkId(step, p);
    const kind = kinds[0];
    if (kind === undefined) {
      const keys = Object.keys(step);
      const misspelt = keys
        .filter((k) => k !== 'id' && !STEP_COMMON_KEYS.has(k))
        .map((k) => ({ k, hint: closest(k, STEP_KIND_KEYS) }))
        .find((m) => m.hint !== undefined);
      if (misspelt) {
        this.ctx.report(
          'UNKNOWN_STEP_KIND',
          [...p, misspelt.k],
          `unknown step kind "${misspelt.k}"; did you mean "${misspelt.hint}"?`,
          { found: JSON.stringify(misspelt.k), expected: `one of ${STEP_KIND_KEYS.join(', ')}`, key: true },
        );
        return false;
      }
      this.ctx.report('SCHEMA', p, 'a step needs a kind', {
        found: `keys ${keys.join(', ')}`,
        expected: `one of ${STEP_KIND_KEYS.join(', ')}`,
      });
      return false;
    }
    const { step: validators } = campaignSchemas();
    const errors = schemaErrors(validators[kind], step);
    for (const d of schemaDiagnostics(errors, {
      parsed: this.ctx.parsed,
      data: step,
      base: p,
      eventNames: this.ctx.eventNames,
      isStep: true,
    })) {
      this.ctx.push(d);
    }
    return this.semantic(kind, step, p);
  }

  private checkId(step: Obj, p: JsonPath): void {
    const id = step.id;
    if (typeof id !== 'string') return; // missing or mistyped: the step schema reports it
    const first = this.ids.get(id);
    if (first) {
      this.ctx.report('DUPLICATE_STEP_ID', [...p, 'id'], `step id "${id}" is already used`, {
        found: JSON.stringify(id),
        expected: 'a unique id',
      });
    } else {
      this.ids.set(id, p);
    }
  }

  /** The checks of one step kind; returns true when every path through the step ends the journey. */
  private semantic(kind: (typeof STEP_KIND_KEYS)[number], s: Obj, p: JsonPath): boolean {
    switch (kind) {
      case 'do':
        checkActivity(s.do, s.with, p, this.ctx.report);
        this.rewardRefs(s, p);
        if (isObj(s.with))
          for (const [k, v] of Object.entries(s.with)) this.expr(v, [...p, 'with', k], 'value');
        this.duration(s.timeout, [...p, 'timeout'], true);
        if (isObj(s.retry)) {
          this.duration(s.retry.initial_interval, [...p, 'retry', 'initial_interval'], true);
          this.duration(s.retry.max_interval, [...p, 'retry', 'max_interval'], true);
        }
        this.declare(s.as, [...p, 'as']);
        if (isObj(s.compensate)) {
          // Checked like a `do`; its `with` may read the step's own result (`as`), declared just above.
          const c = [...p, 'compensate'];
          checkActivity(s.compensate.do, s.compensate.with, c, this.ctx.report);
          if (isObj(s.compensate.with))
            for (const [k, v] of Object.entries(s.compensate.with)) this.expr(v, [...c, 'with', k], 'value');
        }
        return false;
      case 'if': {
        this.expr(s.if, [...p, 'if'], 'logic');
        const thenEnds = this.list(s.then, [...p, 'then']);
        const elseEnds = this.list(s.else, [...p, 'else']);
        return thenEnds && elseEnds;
      }
      case 'switch': {
        this.expr(s.switch, [...p, 'switch'], 'value');
        let every = true;
        if (isObj(s.cases))
          for (const [k, v] of Object.entries(s.cases)) if (!this.list(v, [...p, 'cases', k])) every = false;
        // Without a `default`, a value no case equals goes on to the next step.
        return this.list(s.default, [...p, 'default']) && every;
      }
      case 'parallel':
        if (isObj(s.parallel))
          for (const [k, v] of Object.entries(s.parallel)) this.list(v, [...p, 'parallel', k]);
        this.optional(s);
        return false;
      case 'wait':
        this.expr(s.match, [...p, 'match'], 'logic');
        if (typeof s.timeout === 'string') this.duration(s.timeout, [...p, 'timeout']);
        else this.expr(s.timeout, [...p, 'timeout'], 'value');
        this.declare(s.as, [...p, 'as']);
        {
          const thenEnds = this.list(s.then, [...p, 'then']);
          const timeoutEnds = this.list(s.on_timeout, [...p, 'on_timeout']);
          // Without a timeout the wait only goes on through `then`.
          return thenEnds && (s.timeout === undefined || timeoutEnds);
        }
      case 'sleep':
        if (typeof s.sleep === 'string') this.duration(s.sleep, [...p, 'sleep']);
        else if (isObj(s.sleep)) {
          if (typeof s.sleep.for === 'string') this.duration(s.sleep.for, [...p, 'sleep', 'for']);
          else this.expr(s.sleep.for, [...p, 'sleep', 'for'], 'value');
          this.expr(s.sleep.until, [...p, 'sleep', 'until'], 'value');
        }
        return false;
      case 'repeat':
        this.loopBound(s.max, MAX_REPEAT, [...p, 'max']);
        if (typeof s.repeat === 'number' && typeof s.max === 'number' && s.repeat > s.max) {
          this.ctx.report('UNBOUNDED_LOOP', [...p, 'repeat'], 'asks for more iterations than `max` allows', {
            found: String(s.repeat),
            expected: `at most ${s.max}`,
          });
        }
        this.expr(s.repeat, [...p, 'repeat'], 'value');
        this.declare(s.index ?? 'index', [...p, 'index']);
        this.expr(s.while, [...p, 'while'], 'logic');
        this.list(s.steps, [...p, 'steps']);
        return false;
      case 'for_each':
        this.loopBound(s.max_items, MAX_FOR_EACH, [...p, 'max_items']);
        if (Array.isArray(s.for_each) && typeof s.max_items === 'number' && s.for_each.length > s.max_items) {
          this.ctx.report('UNBOUNDED_LOOP', [...p, 'for_each'], 'the list is longer than `max_items`', {
            found: `${s.for_each.length} items`,
            expected: `at most ${s.max_items}`,
          });
        }
        this.expr(s.for_each, [...p, 'for_each'], 'value');
        this.declare(s.as, [...p, 'as']);
        if (s.index !== undefined) this.declare(s.index, [...p, 'index']);
        this.list(s.steps, [...p, 'steps']);
        this.optional(s);
        return false;
      case 'set':
        if (isObj(s.set)) {
          for (const [k, v] of Object.entries(s.set)) this.expr(v, [...p, 'set', k], 'value');
          for (const k of Object.keys(s.set)) this.declare(k, [...p, 'set', k]);
        }
        return false;
      case 'emit':
        if (isObj(s.properties)) {
          for (const [k, v] of Object.entries(s.properties)) this.expr(v, [...p, 'properties', k], 'value');
        }
        return false;
      case 'call':
        if (typeof s.call === 'string') this.ctx.calls.push({ ref: s.call, path: [...p, 'call'] });
        if (isObj(s.with))
          for (const [k, v] of Object.entries(s.with)) this.expr(v, [...p, 'with', k], 'value');
        this.declare(s.as, [...p, 'as']);
        this.optional(s);
        return false;
      case 'end':
        this.expr(s.reason, [...p, 'reason'], 'value');
        return true;
      case 'raise':
        if (isObj(s.raise)) {
          if (typeof s.raise.code === 'string') this.raised.add(s.raise.code);
          this.expr(s.raise.message, [...p, 'raise', 'message'], 'value');
        }
        return true;
      case 'try':
        return this.tryStep(s, p);
      case 'approval':
        return this.approvalStep(s, p);
      default: {
        const never: never = kind;
        throw new TypeError(`unhandled step kind ${String(never)}`);
      }
    }
  }

  /** `try`: every path ends when `finally` ends, or when the body and every clause end. */
  private tryStep(s: Obj, p: JsonPath): boolean {
    const bodyEnds = this.list(s.try, [...p, 'try']);
    let clausesEnd = true;
    if (Array.isArray(s.catch)) {
      s.catch.forEach((clause, i) => {
        if (!isObj(clause)) return;
        const c = [...p, 'catch', i];
        if (Array.isArray(clause.errors)) {
          clause.errors.forEach((code, j) => {
            if (typeof code === 'string') this.caught.push({ code, path: [...c, 'errors', j] });
          });
        }
        this.declare(clause.as, [...c, 'as']);
        if (!this.list(clause.steps, [...c, 'steps'])) clausesEnd = false;
      });
    }
    const finallyEnds = this.list(s.finally, [...p, 'finally']);
    return finallyEnds || (bodyEnds && clausesEnd);
  }

  /**
   * `approval`: roles are member roles, timeouts positive durations, and the decision is declared (as
   * `approval` unless `as` names it). Every path ends when the approve and reject branches end and the
   * timeout either decides (`approve`/`reject`) or runs a branch that ends.
   */
  private approvalStep(s: Obj, p: JsonPath): boolean {
    this.roles(s.roles, [...p, 'roles']);
    this.approvalTimeout(s.timeout, [...p, 'timeout']);
    if (isObj(s.escalate)) {
      this.roles(s.escalate.roles, [...p, 'escalate', 'roles']);
      this.approvalTimeout(s.escalate.timeout, [...p, 'escalate', 'timeout']);
    }
    this.expr(s.details, [...p, 'details'], 'value');
    this.declare(s.as ?? 'approval', [...p, s.as === undefined ? 'approval' : 'as']);
    const approvedEnds = this.list(s.then, [...p, 'then']);
    const rejectedEnds = this.list(s.on_reject, [...p, 'on_reject']);
    const timeoutEnds = Array.isArray(s.on_timeout) ? this.list(s.on_timeout, [...p, 'on_timeout']) : true;
    return approvedEnds && rejectedEnds && timeoutEnds;
  }

  private roles(value: unknown, path: JsonPath): void {
    if (!Array.isArray(value)) return; // the step schema reports a missing or mistyped list
    const known: readonly string[] = APPROVAL_ROLES;
    value.forEach((role, i) => {
      if (typeof role !== 'string' || known.includes(role)) return;
      const hint = closest(role, known);
      this.ctx.report(
        'UNKNOWN_ROLE',
        [...path, i],
        MEMBER_ROLES.includes(role)
          ? `role "${role}" cannot decide approvals (approval.decide needs manager or above)`
          : `no member role "${role}"${hint ? `; did you mean "${hint}"?` : ''}`,
        { found: JSON.stringify(role), expected: `one of ${known.join(', ')}` },
      );
    });
  }

  /** A literal approval timeout must parse and be positive (an expression is checked as one). */
  private approvalTimeout(value: unknown, path: JsonPath): void {
    if (typeof value === 'string') {
      const d = parseDurationParts(value);
      if (d === null) this.duration(value, path);
      else if (!isCalendar(d) && d.ms <= 0)
        this.ctx.report('BAD_DURATION', path, 'an approval needs a positive timeout', {
          found: JSON.stringify(value),
          expected: 'a duration above zero, like "2d" or "4h"',
        });
    } else if (typeof value === 'number') {
      if (value <= 0)
        this.ctx.report('BAD_DURATION', path, 'an approval needs a positive timeout', {
          found: String(value),
          expected: 'a number of milliseconds above zero',
        });
    } else this.expr(value, path, 'value');
  }

  /** An optional container records a swallowed failure as `last_error`. */
  private optional(s: Obj): void {
    if (s.optional === true) this.names.add('last_error');
  }

  /**
   * A catch code that no error has (not a platform or engine code, and no `raise` of the file raises it)
   * can never match: a warning with the closest known code, since a code may come from a custom activity.
   */
  checkCatchCodes(): void {
    const known = [...KNOWN_ERROR_CODES, ...this.raised];
    for (const { code, path } of this.caught) {
      if (known.includes(code)) continue;
      const hint = closest(code, known);
      this.ctx.report(
        'UNKNOWN_ERROR_CODE',
        path,
        `no error has code "${code}"${hint ? `; did you mean "${hint}"?` : ''}`,
        {
          found: JSON.stringify(code),
          expected:
            'a platform error code (contract/errors.ts), an engine code or a code a `raise` step raises',
          severity: 'warning',
        },
      );
    }
  }

  private loopBound(value: unknown, limit: number, path: JsonPath): void {
    if (typeof value === 'number' && value > limit) {
      this.ctx.report(
        'UNBOUNDED_LOOP',
        path,
        `loops are capped at ${limit} iterations to keep journey history bounded`,
        {
          found: String(value),
          expected: `at most ${limit}`,
        },
      );
    }
  }

  /**
   * One grammar for every duration (contract/duration.ts). `fixed`: an activity timeout or retry interval
   * is handed to Temporal as a length, so calendar units (months, years) are refused there.
   */
  private duration(value: unknown, path: JsonPath, fixed = false): void {
    if (typeof value !== 'string') return;
    const d = parseDurationParts(value);
    if (d === null) {
      this.ctx.report('BAD_DURATION', path, 'not a duration', {
        found: JSON.stringify(value),
        expected: 'a duration like "30d", "12h", "90m", "10s", "1h30m", "3mo", "1y" or ISO "P30D", "P1Y"',
      });
    } else if (fixed && isCalendar(d)) {
      this.ctx.report('CALENDAR_DURATION', path, 'months and years have no fixed length here', {
        found: JSON.stringify(value),
        expected: 'a fixed length: ms, s, m, h, d or w (e.g. "30d" rather than "1mo")',
      });
    }
  }

  /** Literal reward, milestone and leaderboard names must name a rule of the right type in `rewards`. */
  private rewardRefs(s: Obj, p: JsonPath): void {
    if (!isObj(s.with)) return;
    const refs: [string, string | null][] = [
      ['reward', null],
      ['milestone', 'milestone'],
      ['leaderboard', 'leaderboard'],
    ];
    for (const [key, type] of refs) {
      const name = s.with[key];
      if (typeof name !== 'string') continue;
      const actual = this.ctx.rewards.get(name);
      const path = [...p, 'with', key];
      const candidates = [...this.ctx.rewards].filter(([, t]) => type === null || t === type).map(([n]) => n);
      if (actual === undefined) {
        this.ctx.report('UNKNOWN_REWARD', path, `no reward rule "${name}" in \`rewards\``, {
          found: JSON.stringify(name),
          expected:
            candidates.length > 0 ? `one of ${candidates.join(', ')}` : 'a rule declared under `rewards`',
        });
      } else if (type !== null && actual !== type) {
        this.ctx.report('UNKNOWN_REWARD', path, `reward rule "${name}" is ${actual}, not ${type}`, {
          found: actual,
          expected: candidates.length > 0 ? `one of ${candidates.join(', ')}` : `a ${type} rule`,
        });
      }
    }
  }
}
