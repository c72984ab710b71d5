/**
 * Trust requirements of a campaign: how far the events that start a journey (trigger) or that a `wait`
 * takes must be trusted (contract/plan.ts `TrustLevel`). The safe default is `server` for an event that
 * moves money (schemas/event.schema.json `$defs.money_moving`) and for any event whose continuation can
 * reach a reward step; everything else defaults to `sdk`. A declared `trust:` always wins: the validator
 * warns (TRUST_OPT_DOWN) where it is below the default, and the compiler writes the effective level.
 */
import { type Plan, type Step as PlanStep, TRUST_LEVELS, type TrustLevel } from '../contract/plan.ts';
import type { JsonPath } from './errors.ts';
import { campaignSchemas } from './schema.ts';

/** Activities that allocate or pay a reward: an event on a path to one of them can move money. */
export const REWARD_ACTIVITIES: ReadonlySet<string> = new Set([
  'AllocateReward',
  'FulfillReward',
  'CheckMilestone',
  'CalculateLeaderboard',
]);

/** Why a requirement defaults to `server`. */
export type TrustReason = 'money_moving' | 'reaches_reward';

export interface TrustRequirement {
  path: JsonPath;
  events: string[];
  /** What the campaign wrote, if anything. */
  declared?: TrustLevel;
  /** What the campaign would get without a declaration, and why when it is above `sdk`. */
  default: TrustLevel;
  reason?: TrustReason;
  /** declared ?? default: what the plan carries. */
  effective: TrustLevel;
}

export interface TrustResolution {
  trigger: TrustRequirement;
  /** Wait steps by id. */
  waits: Map<string, TrustRequirement>;
}

/**
 * Whether a `call` step's child can reach a reward. The compiler knows the child plans; the validator
 * does not and counts every call as reaching one (so a warning is never missed).
 */
export type CallReaches = (ref: string) => boolean;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const names = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const level = (v: unknown): TrustLevel | undefined =>
  typeof v === 'string' && (TRUST_LEVELS as readonly string[]).includes(v) ? (v as TrustLevel) : undefined;

/** True when `a` is weaker than `b`. */
export function trustBelow(a: TrustLevel, b: TrustLevel): boolean {
  return TRUST_LEVELS.indexOf(a) < TRUST_LEVELS.indexOf(b);
}

/** Resolves the trigger's and every wait's requirement of a (schema-valid) campaign document. */
export function resolveTrust(doc: unknown, callReaches: CallReaches): TrustResolution {
  const data = isObj(doc) ? doc : {};
  const trigger = isObj(data.trigger) ? data.trigger : {};
  const waits = new Map<string, TrustRequirement>();
  const reaches = (step: unknown): boolean => stepReaches(step, callReaches);
  const anyReaches = (list: unknown): boolean => Array.isArray(list) && list.some(reaches);

  // `after`: whether what runs once this list finishes can reach a reward.
  const walk = (list: unknown, path: JsonPath, after: boolean): void => {
    if (!Array.isArray(list)) return;
    list.forEach((step, i) => {
      if (!isObj(step)) return;
      const p = [...path, i];
      const rest = after || list.slice(i + 1).some(reaches);
      if ('wait' in step && typeof step.id === 'string') {
        waits.set(step.id, requirement(p, names(step.wait), step.trust, rest || anyReaches(step.then)));
      }
      for (const [key, inner, own] of nested(step)) {
        // A loop body runs again after itself; parallel branches run beside each other, so an event a
        // branch takes counts as feeding its siblings too (conservative).
        walk(inner, [...p, ...key], rest || own.some(anyReaches));
      }
    });
  };
  walk(data.steps, ['steps'], false);
  return {
    trigger: requirement(['trigger'], names(trigger.event), trigger.trust, anyReaches(data.steps)),
    waits,
  };
}

function requirement(path: JsonPath, events: string[], declared: unknown, reachesReward: boolean) {
  const money = events.some((e) => campaignSchemas().moneyMoving.has(e));
  const reason: TrustReason | undefined = money
    ? 'money_moving'
    : reachesReward
      ? 'reaches_reward'
      : undefined;
  const byDefault: TrustLevel = reason ? 'server' : 'sdk';
  const own = level(declared);
  const req: TrustRequirement = {
    path: own !== undefined ? [...path, 'trust'] : path,
    events,
    default: byDefault,
    effective: own ?? byDefault,
  };
  if (own !== undefined) req.declared = own;
  if (reason) req.reason = reason;
  return req;
}

/** Nested step lists of a step: [path suffix, the list, the lists that also count as "after" it]. */
function nested(step: Obj): [JsonPath, unknown, unknown[]][] {
  if ('if' in step)
    return [
      [['then'], step.then, []],
      [['else'], step.else, []],
    ];
  if ('switch' in step) {
    const cases = isObj(step.cases) ? Object.entries(step.cases) : [];
    return [
      ...cases.map(([k, v]): [JsonPath, unknown, unknown[]] => [['cases', k], v, []]),
      [['default'], step.default, []],
    ];
  }
  if ('parallel' in step && isObj(step.parallel)) {
    const branches = Object.entries(step.parallel);
    return branches.map(([k, v]) => [
      ['parallel', k],
      v,
      branches.filter(([o]) => o !== k).map(([, b]) => b),
    ]);
  }
  if ('wait' in step)
    return [
      [['then'], step.then, []],
      [['on_timeout'], step.on_timeout, []],
    ];
  if ('approval' in step)
    return [
      [['then'], step.then, []],
      [['on_reject'], step.on_reject, []],
      [['on_timeout'], Array.isArray(step.on_timeout) ? step.on_timeout : [], []],
    ];
  if ('repeat' in step || 'for_each' in step) return [[['steps'], step.steps, [step.steps]]];
  if ('try' in step) {
    // A catch clause or `finally` runs after (part of) the try body; the body counts as before them.
    const clauses = Array.isArray(step.catch) ? step.catch : [];
    const after = [step.finally, ...clauses.map((c) => (isObj(c) ? c.steps : undefined))];
    return [
      [['try'], step.try, after],
      ...clauses.map((c, i): [JsonPath, unknown, unknown[]] => [
        ['catch', i, 'steps'],
        isObj(c) ? c.steps : undefined,
        [step.finally],
      ]),
      [['finally'], step.finally, []],
    ];
  }
  return [];
}

function stepReaches(step: unknown, callReaches: CallReaches): boolean {
  if (!isObj(step)) return false;
  if ('do' in step) return typeof step.do === 'string' && REWARD_ACTIVITIES.has(step.do);
  if ('call' in step) return typeof step.call !== 'string' || callReaches(step.call);
  return nested(step).some(
    ([, list]) => Array.isArray(list) && list.some((s) => stepReaches(s, callReaches)),
  );
}

/** Whether a compiled plan (or a child it calls) contains a reward step anywhere. */
export function planReachesReward(plan: Plan): boolean {
  const visit = (steps: PlanStep[]): boolean =>
    steps.some((s) => {
      switch (s.kind) {
        case 'do':
          return REWARD_ACTIVITIES.has(s.activity);
        case 'if':
          return visit(s.then) || visit(s.else);
        case 'switch':
          return s.cases.some((c) => visit(c.steps)) || visit(s.default);
        case 'parallel':
          return s.branches.some((b) => visit(b.steps));
        case 'wait':
          return visit(s.then) || visit(s.onTimeout);
        case 'approval':
          return visit(s.then) || visit(s.onReject) || visit(s.onTimeout);
        case 'repeat':
        case 'for_each':
          return visit(s.steps);
        case 'try':
          return visit(s.steps) || s.catch.some((c) => visit(c.steps)) || visit(s.finally ?? []);
        case 'call': {
          const child = plan.children[s.plan];
          return child === undefined || planReachesReward(child);
        }
        case 'sleep':
        case 'set':
        case 'emit':
        case 'end':
        case 'raise':
          return false;
        default: {
          const never: never = s;
          throw new TypeError(`unhandled step kind ${String((never as PlanStep).kind)}`);
        }
      }
    });
  return visit(plan.steps);
}
