/**
 * Leaderboards (services/referral/leaderboard/README.md): boards declared in a campaign's
 * `leaderboards:`, scores counted once per event from the bus, standings read from a Redis sorted set
 * (Postgres when Redis is absent or the set is being rebuilt), settlements that pay the prize bands of
 * the board's `leaderboard` reward rule once per period, and rank-change notices.
 */
import type { Redis } from 'ioredis';
import type { Bus } from '../../../contract/bus.ts';
import type { Leaderboard } from '../../../contract/generated/campaign.generated.ts';
import type { Db } from '../../platform/db.ts';
import { childLogger } from '../../platform/log.ts';
import * as referrals from '../repo.ts';
import { type PeriodKind, periodEnd, periodEnded, periodKey } from './periods.ts';
import { createRedisIndex, type Ranked, type RedisIndex } from './redis-index.ts';
import type { BoardRef, BoardRow, Placing } from './store.ts';
import * as store from './store.ts';

export type { BoardRef, BoardRow } from './store.ts';

/** What a settlement asks of the reward service: each placing's prize band of the rule, allocated once. */
export interface AwardRequest {
  clientId: string;
  campaignId: string;
  version: number;
  rule: string;
  boardId: string;
  period: string;
  placings: { rank: number; participantId: string }[];
}
export interface NoticeRequest {
  clientId: string;
  campaignId: string;
  participantId: string;
  template: string;
  channel: 'email' | 'in_app';
  idempotencyKey: string;
  data: Record<string, unknown>;
}

export interface LeaderboardDeps {
  db: Db;
  redis?: Redis | undefined;
  /** Key prefix of the Redis sets (default `pulse:`). */
  redisPrefix?: string;
  bus?: Bus | undefined;
  /** Pays prize bands through the reward service (wired by the composition root). */
  award?: ((req: AwardRequest) => Promise<{ reward_ids: string[] }>) | undefined;
  /** Sends a notification through the notification service (wired by the composition root). */
  notify?: ((req: NoticeRequest) => Promise<void>) | undefined;
  now?: () => Date;
}

/** An event as the bus carries it (the fields leaderboards read). */
export interface BoardEvent {
  event: string;
  event_id: string;
  client_id: string;
  campaign_id?: string | undefined;
  occurred_at: string;
  participant_id?: string | undefined;
  referral_id?: string | undefined;
  properties?: Record<string, unknown> | undefined;
  traits?: Record<string, unknown> | undefined;
}

const SIGNUPS = new Set(['referred_signed_up', 'user_signed_up']);
const CONVERSIONS = new Set(['referred_made_purchase', 'purchase_completed']);
export const DEFAULT_TEMPLATE = 'leaderboard-rank-changed';

const kindOf = (b: Leaderboard): PeriodKind => b.period;
const tzOf = (b: Leaderboard): string => b.timezone ?? 'UTC';

export interface Standing {
  rank: number;
  participant_id: string;
  score: number;
}

export interface BoardView {
  campaign_id: string;
  board_id: string;
  title: string | null;
  metric: string;
  period: string;
  period_ends_at: string | null;
  final: boolean;
  total: number;
  standings: Standing[];
}

const toStanding = (r: Ranked): Standing => ({
  rank: r.position + 1,
  participant_id: r.participant_id,
  score: r.score,
});
const metricName = (b: Leaderboard): string =>
  typeof b.metric === 'string'
    ? b.metric
    : b.metric.sum
      ? `sum:${b.metric.event}.${b.metric.sum}`
      : `count:${b.metric.event}`;

export function createLeaderboards(deps: LeaderboardDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const index: RedisIndex | null = deps.redis ? createRedisIndex(deps.redis, deps.redisPrefix) : null;
  const log = childLogger({ component: 'leaderboard' });
  const rebuilding = new Map<string, Promise<boolean>>();
  const onBoards: (() => void)[] = [];

  /** Starts (once per process and set) a rebuild of a missing Redis set; reads answer from Postgres meanwhile. */
  function rebuildInBackground(ref: BoardRef, period: string): Promise<boolean> {
    if (!index) return Promise.resolve(false);
    const key = `${ref.clientId}:${ref.campaignId}:${ref.boardId}:${period}`;
    let running = rebuilding.get(key);
    if (!running) {
      running = index
        .rebuild(db, ref, period)
        .catch((err: unknown) => {
          log.warn({ err, ...ref, period }, 'leaderboard index rebuild failed');
          return false;
        })
        .finally(() => rebuilding.delete(key));
      rebuilding.set(key, running);
    }
    return running;
  }

  // Reads look a board up on every request; its row changes only on a deploy or a status change, so
  // each process keeps it for a few seconds (a redeploy is seen within BOARD_TTL_MS).
  const BOARD_TTL_MS = 5_000;
  const boardCache = new Map<string, { at: number; row: BoardRow | undefined }>();
  async function board(ref: BoardRef): Promise<BoardRow | undefined> {
    const key = `${ref.clientId}\u0000${ref.campaignId}\u0000${ref.boardId}`;
    const hit = boardCache.get(key);
    if (hit && Date.now() - hit.at < BOARD_TTL_MS) return hit.row;
    const row = await store.findBoard(db, ref);
    if (boardCache.size > 10_000) boardCache.clear();
    boardCache.set(key, { at: Date.now(), row });
    return row;
  }
  // Whether a period is settled: once true it stays true, so only "settled" answers are kept.
  const settled = new Set<string>();
  async function isSettled(ref: BoardRef, period: string): Promise<boolean> {
    const key = `${ref.clientId}\u0000${ref.campaignId}\u0000${ref.boardId}\u0000${period}`;
    if (settled.has(key)) return true;
    const paid = (await store.payoutOf(db, ref, period)) !== undefined;
    if (paid && settled.size < 100_000) settled.add(key);
    return paid;
  }

  /** Who an event credits on a board, with how much, its dedup key and the credited person's join time. */
  async function creditOf(
    b: BoardRow,
    e: BoardEvent,
  ): Promise<{
    participantId: string;
    delta: number;
    dedupKey: string;
    joinedAt: Date;
    name: string | null;
  } | null> {
    const cfg = b.config;
    const at = new Date(e.occurred_at);
    const ownName = (): string | null => {
      const t = e.traits ?? {};
      const n = t.name ?? t.first_name;
      return typeof n === 'string' && n.trim() ? n.trim().slice(0, 100) : null;
    };
    const referrerOf = async (): Promise<{ id: string; joinedAt: Date } | null> => {
      const referee = e.participant_id;
      if (!referee) return null;
      const raw = e.properties?.referral_code ?? e.properties?.code;
      if (typeof raw === 'string' && raw.length > 0 && raw.length <= 64) {
        const code = await referrals.findCode(db, e.client_id, raw.toUpperCase());
        if (
          code &&
          (code.campaign_id === '' || code.campaign_id === b.campaignId) &&
          code.participant_id !== referee
        )
          return { id: code.participant_id, joinedAt: new Date(code.created_at) };
      }
      const row = await referrals.findReferralOfReferee(db, e.client_id, referee);
      if (
        !row ||
        row.campaign_id !== b.campaignId ||
        row.status === 'rejected' ||
        row.referrer_id === referee
      )
        return null;
      const code = await referrals.findCodeOfParticipant(db, e.client_id, b.campaignId, row.referrer_id);
      return { id: row.referrer_id, joinedAt: code ? new Date(code.created_at) : at };
    };
    if (cfg.metric === 'referrals' || cfg.metric === 'referrals_converted') {
      const wanted = cfg.metric === 'referrals' ? SIGNUPS : CONVERSIONS;
      if (!wanted.has(e.event) || !e.participant_id) return null;
      const referrer = await referrerOf();
      if (!referrer) return null;
      // One referral (and one conversion) per referee, whatever the events that say so.
      const dedupKey = `${cfg.metric === 'referrals' ? 'ref' : 'conv'}:${e.participant_id}`;
      return { participantId: referrer.id, delta: 1, dedupKey, joinedAt: referrer.joinedAt, name: null };
    }
    if (cfg.metric === 'points') {
      const w = cfg.points?.[e.event];
      if (w === undefined || w <= 0) return null;
      if (e.event.startsWith('referred_')) {
        const referrer = await referrerOf();
        if (!referrer) return null;
        return {
          participantId: referrer.id,
          delta: w,
          dedupKey: `evt:${e.event_id}`,
          joinedAt: referrer.joinedAt,
          name: null,
        };
      }
      if (!e.participant_id) return null;
      return {
        participantId: e.participant_id,
        delta: w,
        dedupKey: `evt:${e.event_id}`,
        joinedAt: at,
        name: ownName(),
      };
    }
    if (e.event !== cfg.metric.event || !e.participant_id) return null;
    let delta = 1;
    if (cfg.metric.sum) {
      const v = Number(e.properties?.[cfg.metric.sum]);
      delta = Number.isFinite(v) && v > 0 ? v : 0;
    }
    if (delta <= 0) return null;
    return {
      participantId: e.participant_id,
      delta,
      dedupKey: `evt:${e.event_id}`,
      joinedAt: at,
      name: ownName(),
    };
  }

  async function announce(
    b: BoardRow,
    period: string,
    cause: string,
    notices: {
      participantId: string;
      kind: 'entered_top' | 'overtaken' | 'dropped_out';
      rank: number;
      by?: string;
    }[],
  ): Promise<void> {
    const n = b.config.notify ?? {};
    for (const x of notices) {
      const id = `lb:${b.boardId}:${period}:${cause}:${x.participantId}:${x.kind}`;
      const payload = {
        client_id: b.clientId,
        campaign_id: b.campaignId,
        board_id: b.boardId,
        period,
        participant_id: x.participantId,
        kind: x.kind,
        rank: x.rank,
        top: n.top ?? 10,
        ...(x.by ? { by: x.by } : {}),
      };
      await deps.bus?.publish(`leaderboard.rank_changed.${b.clientId}.${b.campaignId}`, payload, { id });
      if (!deps.notify) continue;
      if (!(await store.claimNotice(db, b, x.participantId, n.min_interval_minutes ?? 60))) continue;
      await deps.notify({
        clientId: b.clientId,
        campaignId: b.campaignId,
        participantId: x.participantId,
        template: n.template ?? DEFAULT_TEMPLATE,
        channel: n.channel ?? 'email',
        idempotencyKey: id,
        data: {
          leaderboard: { id: b.boardId, title: b.config.title ?? b.boardId, period, top: n.top ?? 10 },
          change: { kind: x.kind, rank: x.rank },
        },
      });
    }
  }

  /** Counts one bus event on every active board it concerns; a re-delivery adds nothing. */
  async function handleEvent(e: BoardEvent): Promise<number> {
    const boards = (await store.activeBoards(db, e.client_id)).filter(
      (b) => !e.campaign_id || e.campaign_id === b.campaignId,
    );
    let counted = 0;
    for (const b of boards) {
      const credit = await creditOf(b, e);
      if (!credit) continue;
      const period = periodKey(kindOf(b.config), new Date(e.occurred_at), tzOf(b.config));
      // A period already settled stays as paid: a late event does not change it.
      if (await isSettled(b, period)) continue;
      const r = await store.applyIncrement(db, {
        ...b,
        period,
        participantId: credit.participantId,
        delta: credit.delta,
        joinedAt: credit.joinedAt,
        dedupKey: credit.dedupKey,
        displayName: credit.name,
      });
      if (!r) continue;
      if (r.applied) counted++;
      if (!index) continue;
      // Always put the absolute value from Postgres into Redis (GT): a re-delivery after a failed Redis
      // write repairs the index.
      const n = b.config.notify ?? {};
      const watch = r.applied && n.enabled !== false ? (n.top ?? 10) : null;
      const bump = await index.bump(
        b,
        period,
        { participantId: credit.participantId, joinedAt: r.joinedAt, score: r.score },
        watch,
      );
      if (!bump.ready) {
        if (!(await index.ready(b, period))) void rebuildInBackground(b, period);
        continue;
      }
      if (watch === null || bump.newPosition === null) continue;
      const notices: Parameters<typeof announce>[3] = [];
      const was = bump.oldPosition;
      if (bump.newPosition < watch && (was === null || was >= watch))
        notices.push({
          participantId: credit.participantId,
          kind: 'entered_top',
          rank: bump.newPosition + 1,
        });
      if (bump.overtaken && bump.newPosition + 1 < watch)
        notices.push({
          participantId: bump.overtaken,
          kind: 'overtaken',
          rank: bump.newPosition + 2,
          by: credit.participantId,
        });
      if (bump.pushedOut)
        notices.push({
          participantId: bump.pushedOut,
          kind: 'dropped_out',
          rank: watch + 1,
          by: credit.participantId,
        });
      await announce(b, period, credit.dedupKey, notices);
    }
    return counted;
  }

  function currentPeriod(b: BoardRow, requested: string | undefined): string {
    return requested ?? periodKey(kindOf(b.config), now(), tzOf(b.config));
  }

  async function top(
    b: BoardRow,
    opts: { period?: string | undefined; limit: number; offset?: number },
  ): Promise<BoardView> {
    const period = currentPeriod(b, opts.period);
    const offset = opts.offset ?? 0;
    let total: number;
    let standings: Standing[];
    const fast = index ? await index.top(b, period, offset, opts.limit) : null;
    if (fast) {
      total = fast.total;
      standings = fast.rows.map(toStanding);
    } else {
      if (index) void rebuildInBackground(b, period);
      const rows = await store.topFromDb(db, b, period, offset, opts.limit);
      total = await store.countEntries(db, b, period);
      standings = rows.map((r, i) => ({
        rank: offset + i + 1,
        participant_id: r.participant_id,
        score: r.score,
      }));
    }
    const paid = await isSettled(b, period);
    const end = periodEnd(kindOf(b.config), now(), tzOf(b.config));
    return {
      campaign_id: b.campaignId,
      board_id: b.boardId,
      title: b.config.title ?? null,
      metric: metricName(b.config),
      period,
      period_ends_at:
        opts.period && opts.period !== periodKey(kindOf(b.config), now(), tzOf(b.config))
          ? null
          : (end?.toISOString() ?? null),
      final: paid,
      total,
      standings,
    };
  }

  async function participant(
    b: BoardRow,
    participantId: string,
    opts: { period?: string | undefined; around: number },
  ) {
    const period = currentPeriod(b, opts.period);
    let total: number;
    let me: Standing | null = null;
    let around: Standing[] = [];
    const fast = index ? await index.around(b, period, participantId, opts.around) : null;
    if (fast) {
      total = fast.total;
      around = fast.rows.map(toStanding);
      me = around.find((s) => s.participant_id === participantId) ?? null;
    } else {
      if (index) void rebuildInBackground(b, period);
      total = await store.countEntries(db, b, period);
      const pos = await store.positionFromDb(db, b, period, participantId);
      if (pos) {
        const from = Math.max(0, pos.position - opts.around);
        const rows = await store.topFromDb(db, b, period, from, pos.position - from + opts.around + 1);
        around = rows.map((r, i) => ({
          rank: from + i + 1,
          participant_id: r.participant_id,
          score: r.score,
        }));
        me = around.find((s) => s.participant_id === participantId) ?? null;
      }
    }
    return {
      campaign_id: b.campaignId,
      board_id: b.boardId,
      period,
      total,
      participant: me,
      around,
    };
  }

  /** The public board: masked names, nothing below min_size. */
  async function publicBoard(b: BoardRow, period?: string) {
    const p = b.config.public ?? {};
    const view = await top(b, { period, limit: p.limit ?? 10 });
    const min = p.min_size ?? 10;
    const anonymise = p.anonymise !== false;
    const below = view.total < min;
    const names = below
      ? new Map<string, string>()
      : await store.displayNames(
          db,
          b,
          view.standings.map((s) => s.participant_id),
        );
    const standings = below
      ? []
      : view.standings.map((s) => {
          const name = names.get(s.participant_id);
          return {
            rank: s.rank,
            name: anonymise
              ? name
                ? `${[...name][0]?.toUpperCase() ?? ''}***`
                : `Participant #${s.rank}`
              : (name ?? s.participant_id),
            score: s.score,
          };
        });
    return {
      title: b.config.title ?? b.boardId,
      metric: view.metric,
      period: view.period,
      period_ends_at: view.period_ends_at,
      final: view.final,
      total: below ? 0 : view.total,
      below_min_size: below,
      standings,
    };
  }

  /**
   * Settles every period of a board that has ended (and, once the campaign has ended, every period):
   * freezes the final standings once, then asks the reward service for each placing's prize. Safe to
   * run any number of times: a frozen period keeps its standings and the reward service allocates each
   * rank's prize once (idempotency key per campaign, board, period and rank).
   */
  async function settle(
    ref: BoardRef,
  ): Promise<{ period: string; placings: number; reward_ids: string[] }[]> {
    const b = await store.findBoard(db, ref);
    if (!b) return [];
    const kind = kindOf(b.config);
    const ended = b.campaignStatus === 'ended';
    const due = (await store.unpaidPeriods(db, b)).filter(
      (p) => ended || periodEnded(kind, p, now(), tzOf(b.config)),
    );
    const out: { period: string; placings: number; reward_ids: string[] }[] = [];
    for (const period of due) {
      const rows = await store.topFromDb(db, b, period, 0, b.awardTop);
      const placings: Placing[] = rows.map((r, i) => ({
        rank: i + 1,
        participant_id: r.participant_id,
        score: r.score,
      }));
      const frozen = await store.freezePayout(db, b, period, placings);
      const final = frozen?.standings ?? placings;
      let rewardIds: string[] = [];
      if (b.config.reward && deps.award && final.length > 0) {
        const r = await deps.award({
          clientId: b.clientId,
          campaignId: b.campaignId,
          version: b.version,
          rule: b.config.reward,
          boardId: b.boardId,
          period,
          placings: final.map((s) => ({ rank: s.rank, participantId: s.participant_id })),
        });
        rewardIds = r.reward_ids;
        await store.setPayoutRewards(db, b, period, rewardIds);
      }
      await deps.bus?.publish(
        `leaderboard.period_settled.${b.clientId}.${b.campaignId}`,
        {
          client_id: b.clientId,
          campaign_id: b.campaignId,
          board_id: b.boardId,
          period,
          standings: final.slice(0, 100),
          reward_ids: rewardIds,
        },
        { id: `lb-settled:${b.clientId}:${b.campaignId}:${b.boardId}:${period}` },
      );
      out.push({ period, placings: final.length, reward_ids: rewardIds });
    }
    return out;
  }

  /** A deploy: the version's boards replace the campaign's (boards it dropped stop counting). */
  async function register(input: {
    clientId: string;
    campaignId: string;
    version: number;
    boards: readonly Leaderboard[] | undefined;
    rewards: Record<string, unknown>;
    status: string;
  }): Promise<BoardRow[]> {
    const rows: BoardRow[] = [];
    for (const cfg of input.boards ?? []) {
      const rule = cfg.reward ? (input.rewards[cfg.reward] as { top?: number } | undefined) : undefined;
      const row: BoardRow = {
        clientId: input.clientId,
        campaignId: input.campaignId,
        boardId: cfg.id,
        version: input.version,
        config: cfg,
        awardTop: rule?.top ?? 100,
        campaignStatus: input.status,
      };
      await store.upsertBoard(db, row);
      rows.push(row);
    }
    boardCache.clear();
    if (rows.length > 0) for (const fn of onBoards) fn();
    await store.retireBoards(
      db,
      input.clientId,
      input.campaignId,
      rows.map((r) => r.boardId),
    );
    return rows;
  }

  return {
    index,
    board,
    /** Called after a deploy registered at least one board (the runtime starts the settlement worker). */
    onBoardsRegistered: (fn: () => void) => {
      onBoards.push(fn);
    },
    anyBoards: () => store.anyBoards(db),
    handleEvent,
    top,
    participant,
    publicBoard,
    settle,
    register,
    setStatus: async (clientId: string, campaignId: string, status: string) => {
      await store.setCampaignStatus(db, clientId, campaignId, status);
      boardCache.clear();
    },
    boardsOfCampaign: (clientId: string, campaignId: string) =>
      store.boardsOfCampaign(db, clientId, campaignId),
    /** Rebuilds a period's Redis set from Postgres now (waits for it); false without Redis. */
    rebuild: (ref: BoardRef, period: string) => rebuildInBackground(ref, period),
  };
}

export type Leaderboards = ReturnType<typeof createLeaderboards>;
