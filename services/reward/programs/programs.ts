import { createHash } from 'node:crypto';
import { AppError, type ErrorDetail, isAppError } from '../../../contract/errors.ts';
import type {
  Constraints,
  RewardRule,
  Rewards,
  Segment,
  Segments,
} from '../../../contract/generated/reward.generated.ts';
import { toErrorDetails, validatorFor } from '../../../contract/validation.ts';
import type { Db } from '../../platform/db.ts';
import type { Evaluator, RuleEngine } from '../../platform/rules/compile.ts';
import { createRewardRuleEngine } from '../eligibility/rule-engine.ts';
import type { RewardDb } from '../tables.ts';
import { campaignCurrency, checkProgram } from './program-check.ts';
import * as repo from './repo.ts';

/**
 * Reward programs: the `rewards:` and `segments:` sections of one campaign version, validated against
 * schemas/reward.schema.json and stored per version (a version's rules never change once registered, so
 * they are cached in memory), plus the campaign's live caps row that allocation checks against.
 */

const validateRewards = validatorFor<Rewards>('reward.schema.json#/$defs/rewards');
const validateSegments = validatorFor<Segments>('reward.schema.json#/$defs/segments');
// Only for the operator check of registerProgram when no engine is passed; evaluation uses the service's.
const checkingEngine = createRewardRuleEngine();

export interface RegisterProgramInput {
  clientId: string;
  campaignId: string;
  version: number;
  rewards: unknown;
  segments?: unknown;
  startsAt?: Date | string | null;
  endsAt?: Date | string | null;
  /** Campaign status; only `active` allocates. */
  status: string;
}

export interface CompiledSegment {
  name: string;
  priority: number;
  order: number;
  when: Evaluator;
  segment: Segment;
}

export interface Program {
  clientId: string;
  campaignId: string;
  version: number;
  rules: Record<string, RewardRule>;
  constraints: Constraints;
  /** Highest priority first, declaration order breaking ties: the first match wins. */
  segments: CompiledSegment[];
  currency: string | null;
  /** Evaluates this program's conditions (compiled closures are cached per rule object). */
  engine: RuleEngine;
}

function parse(input: { rewards: unknown; segments?: unknown }) {
  const rewards = input.rewards ?? {};
  const segments = input.segments ?? {};
  const details = [
    ...(validateRewards(rewards) ? [] : prefix('rewards', toErrorDetails(validateRewards.errors))),
    ...(validateSegments(segments) ? [] : prefix('segments', toErrorDetails(validateSegments.errors))),
  ];
  if (details.length) throw new AppError('VALIDATION_FAILED', 'reward program is invalid', details);
  const { constraints = {}, ...rules } = rewards as Rewards;
  return { rules: rules as Record<string, RewardRule>, constraints, segments: segments as Segments };
}

function prefix(root: string, details: ReturnType<typeof toErrorDetails>) {
  return details.map((d) => ({ ...d, path: d.path === '(root)' ? root : `${root}.${d.path}` }));
}

function toDate(v: Date | string | null | undefined, field: string): Date | null {
  if (v === undefined || v === null) return null;
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new AppError('VALIDATION_FAILED', `${field} is not a date`, [
      { path: field, message: 'invalid date', expected: 'ISO 8601' },
    ]);
  return d;
}

/** Canonical JSON (sorted keys) so the same rules always hash the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * What would make `registerProgram` refuse these rules, without touching the database: the campaign
 * service asks before storing a version, so a deploy never leaves a version without its reward program.
 */
export function programProblems(input: { rewards: unknown; segments?: unknown }): ErrorDetail[] {
  try {
    const { rules, constraints, segments } = parse(input);
    return checkProgram(rules, constraints, segments, checkingEngine);
  } catch (err) {
    if (isAppError(err)) return err.details;
    throw err;
  }
}

/**
 * Validates and stores one campaign version's reward rules and upserts the campaign's caps and status.
 * Called by the campaign service on deploy (and over HTTP: PUT /v1/reward-programs/:campaignId).
 * Re-registering the same version with the same rules is a no-op apart from status/dates.
 */
export async function registerProgram(
  db: Db,
  input: RegisterProgramInput,
  engine?: RuleEngine,
): Promise<{ clientId: string; campaignId: string; version: number; rules: string[] }> {
  const { rules, constraints, segments } = parse(input);
  const problems = checkProgram(rules, constraints, segments, engine ?? checkingEngine);
  if (problems.length) throw new AppError('VALIDATION_FAILED', 'reward program is invalid', problems);
  const limit = constraints.per_referrer_limit;
  const result = await repo.saveProgram(db as RewardDb, {
    clientId: input.clientId,
    campaignId: input.campaignId,
    version: input.version,
    rewards: input.rewards ?? {},
    segments: input.segments ?? {},
    contentHash: createHash('sha256')
      .update(canonical({ rewards: input.rewards ?? {}, segments: input.segments ?? {} }))
      .digest('hex'),
    caps: {
      status: input.status,
      startsAt: toDate(input.startsAt, 'startsAt'),
      endsAt: toDate(input.endsAt, 'endsAt'),
      currency: campaignCurrency(rules, constraints),
      budget: constraints.budget?.amount ?? null,
      maxWinners: constraints.max_winners ?? null,
      limitCount: limit?.count ?? null,
      limitAmount: limit?.amount ?? null,
      lifetimeCount: limit?.lifetime?.count ?? null,
      lifetimeAmount: limit?.lifetime?.amount ?? null,
    },
  });
  if (result === 'conflict') {
    throw new AppError(
      'CONFLICT',
      `campaign ${input.campaignId} version ${input.version} is registered with other rules, or its new caps are below what is already allocated`,
    );
  }
  return {
    clientId: input.clientId,
    campaignId: input.campaignId,
    version: input.version,
    rules: Object.keys(rules),
  };
}

/** Pauses, resumes or ends a campaign's allocation (the campaign service calls this on status changes). */
export async function setProgramStatus(
  db: Db,
  input: {
    clientId: string;
    campaignId: string;
    status: string;
    startsAt?: Date | string | null;
    endsAt?: Date | string | null;
  },
): Promise<void> {
  const ok = await repo.updateCampaignStatus(db as RewardDb, input.clientId, input.campaignId, {
    status: input.status,
    ...(input.startsAt !== undefined ? { startsAt: toDate(input.startsAt, 'startsAt') } : {}),
    ...(input.endsAt !== undefined ? { endsAt: toDate(input.endsAt, 'endsAt') } : {}),
  });
  if (!ok) throw new AppError('NOT_FOUND', `no reward program for campaign ${input.campaignId}`);
}

/** A validated, compiled program from stored (or test) rules: segments sorted, conditions compiled. */
export function buildProgram(
  p: { clientId: string; campaignId: string; version: number; rewards: unknown; segments?: unknown },
  engine: RuleEngine,
): Program {
  const { rules, constraints, segments } = parse(p);
  const compiled = Object.entries(segments)
    .filter((e): e is [string, Segment] => e[1] !== undefined)
    .map(([name, segment], order) => ({
      name,
      order,
      segment,
      priority: segment.priority ?? 0,
      when: engine.compile(segment.when),
    }))
    .sort((a, b) => b.priority - a.priority || a.order - b.order);
  return {
    clientId: p.clientId,
    campaignId: p.campaignId,
    version: p.version,
    rules,
    constraints,
    segments: compiled,
    currency: campaignCurrency(rules, constraints),
    engine,
  };
}

export interface ProgramStore {
  get(clientId: string, campaignId: string, version: number): Promise<Program>;
}

/** Loads programs on first use and keeps them (versions are immutable); bounded, least recently used out. */
export function createProgramStore(db: RewardDb, engine: RuleEngine, max = 2_000): ProgramStore {
  const cache = new Map<string, Promise<Program>>();
  const load = async (clientId: string, campaignId: string, version: number): Promise<Program> => {
    const row = await repo.findProgram(db, clientId, campaignId, version);
    if (!row)
      throw new AppError('NOT_FOUND', `no reward program for campaign ${campaignId} version ${version}`);
    return buildProgram(
      { clientId, campaignId, version, rewards: row.rewards, segments: row.segments },
      engine,
    );
  };
  return {
    get(clientId, campaignId, version) {
      const key = `${clientId}\u0000${campaignId}\u0000${version}`;
      let p = cache.get(key);
      if (p) {
        cache.delete(key);
        cache.set(key, p);
        return p;
      }
      p = load(clientId, campaignId, version);
      p.catch(() => cache.delete(key));
      cache.set(key, p);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
      return p;
    },
  };
}
