import { AppError } from '../../../contract/errors.ts';
import { allocateReward } from '../allocation/allocate.ts';
import type { RewardDeps } from '../deps.ts';
import { findRule, type Side } from '../eligibility/assess.ts';
import { periodKey, previousPeriodKey } from './periods.ts';
import {
  addScore,
  type BoardKey,
  finalStandings,
  freezeStandings,
  type Standing,
  saveRank,
  standings,
} from './repo.ts';

/**
 * Leaderboards: continuous standings during a period (each conversion updates a score; rank and whether it
 * changed come back so the journey can notify), and a final distribution at period end that freezes the
 * standings once and allocates each prize band's reward (idempotent per period and rank).
 */

export interface LeaderboardInput {
  clientId: string;
  campaignId: string;
  version: number;
  board: string;
  participantId?: string | undefined;
  /** Conversion value and quality score added with this conversion (ranking by value / quality_score). */
  value?: number | undefined;
  qualityScore?: number | undefined;
  finalize?: boolean | undefined;
  /** Period key to read or settle; default the current one (finalize: the one that just ended). */
  period?: string | undefined;
  /** Standings only (SDK/portal reads): never records a conversion. */
  readOnly?: boolean | undefined;
  idempotencyKey: string;
}

export interface LeaderboardResult {
  standings: Standing[];
  rank: number | null;
  changed: boolean;
  period: string;
  final: boolean;
  reward_ids: string[];
}

export async function calculateLeaderboard(
  deps: RewardDeps,
  input: LeaderboardInput,
): Promise<LeaderboardResult> {
  const program = await deps.programs.get(input.clientId, input.campaignId, input.version);
  const rule = findRule(program, input.board);
  if (rule.type !== 'leaderboard')
    throw new AppError('VALIDATION_FAILED', `reward rule "${input.board}" is not a leaderboard`, [
      { path: 'leaderboard', message: 'not a leaderboard rule', expected: 'type: leaderboard' },
    ]);
  const kind = rule.period ?? 'campaign';
  const now = deps.now();
  const period = input.period ?? (input.finalize ? previousPeriodKey(kind, now) : periodKey(kind, now));
  const key: BoardKey = {
    clientId: input.clientId,
    campaignId: input.campaignId,
    board: input.board,
    period,
  };
  const top = rule.top ?? 10;
  const tieBreaker = rule.tie_breaker ?? 'earliest';
  const frozen = await finalStandings(deps.db, key);

  if (input.finalize && !input.readOnly) {
    const final =
      frozen ??
      (await freezeStandings(deps.db, key, (await standings(deps.db, { ...key, top, tieBreaker })).top));
    const rewardIds: string[] = [];
    for (const s of final) {
      const prize = (rule.prizes ?? []).find(
        (p) => s.rank >= (p.ranks[0] as number) && s.rank <= (p.ranks[1] as number),
      );
      if (!prize) continue;
      const r = await allocateReward(deps, {
        clientId: input.clientId,
        campaignId: input.campaignId,
        version: input.version,
        rule: input.board,
        side: (rule.side ?? 'referrer') as Side,
        participantId: s.participant_id,
        give: prize.give,
        claimKey: `leaderboard:${period}`,
        idempotencyKey: `leaderboard/${input.campaignId}/${input.board}/${period}/${s.rank}`,
      });
      if (r.allocated) rewardIds.push(r.reward_id);
    }
    const mine = input.participantId
      ? (final.find((s) => s.participant_id === input.participantId)?.rank ?? null)
      : null;
    return { standings: final, rank: mine, changed: false, period, final: true, reward_ids: rewardIds };
  }

  if (frozen) {
    // A late conversion after the period was settled changes nothing.
    const mine = input.participantId
      ? (frozen.find((s) => s.participant_id === input.participantId)?.rank ?? null)
      : null;
    return { standings: frozen, rank: mine, changed: false, period, final: true, reward_ids: [] };
  }
  if (input.participantId && !input.readOnly) {
    await addScore(deps.db, {
      ...key,
      participantId: input.participantId,
      value: input.value ?? 0,
      quality: input.qualityScore ?? 0,
      rankBy: rule.rank_by ?? 'conversions',
      key: `${input.idempotencyKey}#score`,
    });
  }
  const s = await standings(deps.db, {
    ...key,
    top,
    tieBreaker,
    ...(input.participantId ? { participantId: input.participantId } : {}),
  });
  let changed = false;
  if (input.participantId && s.rank !== null) {
    changed = s.rank !== s.lastRank;
    if (changed && !input.readOnly)
      await saveRank(deps.db, { ...key, participantId: input.participantId, rank: s.rank });
  }
  return { standings: s.top, rank: s.rank, changed, period, final: false, reward_ids: [] };
}

export interface AwardPrizesInput {
  clientId: string;
  campaignId: string;
  version: number;
  /** The `leaderboard` reward rule whose prize bands are paid. */
  rule: string;
  /** The board (a campaign's `leaderboards:` entry) and period the placings are from. */
  boardId: string;
  period: string;
  placings: { rank: number; participantId: string }[];
}

/**
 * Prizes of a settled board kept outside this service (the referral service's leaderboards): each
 * placing whose rank lies in one of the rule's prize bands gets that band's reward, allocated once per
 * campaign, board, period and rank (a retried settlement replays the same allocations).
 */
export async function awardLeaderboardPrizes(
  deps: RewardDeps,
  input: AwardPrizesInput,
): Promise<{ reward_ids: string[] }> {
  const program = await deps.programs.get(input.clientId, input.campaignId, input.version);
  const rule = findRule(program, input.rule);
  if (rule.type !== 'leaderboard')
    throw new AppError('VALIDATION_FAILED', `reward rule "${input.rule}" is not a leaderboard`, [
      { path: 'leaderboard', message: 'not a leaderboard rule', expected: 'type: leaderboard' },
    ]);
  const rewardIds: string[] = [];
  for (const p of input.placings) {
    const prize = (rule.prizes ?? []).find(
      (b) => p.rank >= (b.ranks[0] as number) && p.rank <= (b.ranks[1] as number),
    );
    if (!prize) continue;
    const r = await allocateReward(deps, {
      clientId: input.clientId,
      campaignId: input.campaignId,
      version: input.version,
      rule: input.rule,
      side: (rule.side ?? 'referrer') as Side,
      participantId: p.participantId,
      give: prize.give,
      claimKey: `leaderboard:${input.boardId}:${input.period}`,
      idempotencyKey: `leaderboard/${input.campaignId}/${input.boardId}/${input.period}/${p.rank}`,
    });
    if (r.allocated) rewardIds.push(r.reward_id);
  }
  return { reward_ids: rewardIds };
}
