import type { Db } from '../platform/db.ts';
import { createOutbound, type Outbound } from '../platform/outbound.ts';
import type { RuleEngine } from '../platform/rules/compile.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { type Allocator, createAllocator } from './allocation/allocator.ts';
import { createRewardRuleEngine } from './eligibility/rule-engine.ts';
import type { ProviderRegistry } from './fulfilment/provider.ts';
import { createProviders, type ProviderOptions } from './fulfilment/providers.ts';
import { createProgramStore, type ProgramStore } from './programs/programs.ts';
import type { RewardDb } from './tables.ts';

/** Everything the reward service functions need, built once by createRewardService and passed in. */
export interface RewardDeps {
  db: RewardDb;
  programs: ProgramStore;
  engine: RuleEngine;
  allocator: Allocator;
  providers: ProviderRegistry;
  /** Encrypts fulfilment webhook secrets at rest. */
  secretBox: SecretBox;
  /** The guard every call to a client-supplied URL goes through (fulfilment webhooks, payment APIs). */
  outbound: Outbound;
  now(): Date;
  fulfilment: {
    /** Tries before a reward is FAILED. */
    maxAttempts: number;
    /** First retry delay; each further retry doubles it (plus jitter), capped at maxDelayMs. */
    baseDelayMs: number;
    maxDelayMs: number;
  };
}

export interface RewardServiceOptions {
  db: Db;
  secretBox: SecretBox;
  now?: () => Date;
  providers?: ProviderOptions;
  fulfilment?: Partial<RewardDeps['fulfilment']>;
  /** Allocation batching: largest batch and most batches in flight (each uses one pooled connection). */
  allocation?: { maxBatch?: number; maxInFlight?: number };
}

export function createRewardDeps(opts: RewardServiceOptions): RewardDeps {
  const db = opts.db as RewardDb;
  const engine = createRewardRuleEngine();
  const outbound = createOutbound(opts.providers?.outbound);
  return {
    db,
    engine,
    allocator: createAllocator(db, opts.allocation ?? {}),
    programs: createProgramStore(db, engine),
    providers: createProviders(db, { fetch: outbound.fetch, ...opts.providers }, opts.secretBox),
    secretBox: opts.secretBox,
    outbound,
    now: opts.now ?? (() => new Date()),
    fulfilment: { maxAttempts: 5, baseDelayMs: 30_000, maxDelayMs: 3_600_000, ...opts.fulfilment },
  };
}
