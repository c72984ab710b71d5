/**
 * The fast side of leaderboards: one Redis sorted set per board and period, rebuilt from Postgres (the
 * durable source) whenever it is missing.
 *
 * Order: the sorted-set score is the metric itself (a double, exact for integers up to 2^53). Ties are
 * broken by the member string, which Redis compares byte by byte for equal scores: the member is
 * `<13-digit (9999999999999 − join time in ms)>:<participant id>`, so reading from the highest score
 * down (ZREVRANGE / ZREVRANK, which reverses that order too) puts the earlier join first; equal join
 * milliseconds fall back to the participant id, descending. Postgres orders the same way
 * (`score desc, joined_at asc, participant_id desc`), so both paths agree rank for rank.
 *
 * A `:ready` key marks a set as complete. Writes always ZADD with GT (scores only grow), so a rebuild
 * copying an older Postgres value never lowers a newer one; readers use the set only when it is ready
 * and otherwise answer from Postgres while one rebuild (under a lock) runs.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type BoardRef, entriesAfter } from './store.ts';

// biome-ignore lint/suspicious/noExplicitAny: the referral service's Kysely carries its own table map.
type Db = import('kysely').Kysely<any>;

const MAX_MS = 9_999_999_999_999;
export const memberOf = (joinedAt: Date, participantId: string): string =>
  `${String(MAX_MS - joinedAt.getTime()).padStart(13, '0')}:${participantId}`;
export const participantOf = (member: string): string => member.slice(14);

const base = (r: BoardRef, prefix: string) => `${prefix}lb:{${r.clientId}:${r.campaignId}:${r.boardId}}`;

// KEYS: set, ready, members; ARGV: member, participant, score, top. Returns {ready, old, new, overtaken, pushed}.
const BUMP = `
redis.call('ZADD', KEYS[1], 'GT', ARGV[3], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
return 0`;
const BUMP_RANKED = `
local old = redis.call('ZREVRANK', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], 'GT', ARGV[3], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then return {0} end
local new = redis.call('ZREVRANK', KEYS[1], ARGV[1])
local top = tonumber(ARGV[4])
local overtaken = ''
local pushed = ''
if new and ((not old) or new < old) then
  local below = redis.call('ZREVRANGE', KEYS[1], new + 1, new + 1)
  if below[1] then overtaken = below[1] end
  if ((not old) or old >= top) and new < top then
    local out = redis.call('ZREVRANGE', KEYS[1], top, top)
    if out[1] then pushed = out[1] end
  end
end
return {1, old or -1, new or -1, overtaken, pushed}`;
// KEYS: set, ready; ARGV: offset, limit. Returns {ready, total, rows}.
const TOP = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {0} end
local o = tonumber(ARGV[1])
return {1, redis.call('ZCARD', KEYS[1]), redis.call('ZREVRANGE', KEYS[1], o, o + tonumber(ARGV[2]) - 1, 'WITHSCORES')}`;
// KEYS: set, ready, members; ARGV: participant, around. Returns {ready, total, position, from, rows}.
const AROUND = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {0} end
local total = redis.call('ZCARD', KEYS[1])
local m = redis.call('HGET', KEYS[3], ARGV[1])
if not m then return {1, total, -1} end
local r = redis.call('ZREVRANK', KEYS[1], m)
if not r then return {1, total, -1} end
local a = tonumber(ARGV[2])
local from = r - a
if from < 0 then from = 0 end
return {1, total, r, from, redis.call('ZREVRANGE', KEYS[1], from, r + a, 'WITHSCORES')}`;

export interface Ranked {
  position: number;
  participant_id: string;
  score: number;
}
export interface BumpResult {
  ready: boolean;
  oldPosition: number | null;
  newPosition: number | null;
  overtaken: string | null;
  pushedOut: string | null;
}

function rowsOf(flat: string[], from: number): Ranked[] {
  const out: Ranked[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2)
    out.push({
      position: from + i / 2,
      participant_id: participantOf(flat[i] as string),
      score: Number(flat[i + 1]),
    });
  return out;
}

export interface RedisIndex {
  bump(
    ref: BoardRef,
    period: string,
    p: { participantId: string; joinedAt: Date; score: number },
    top: number | null,
  ): Promise<BumpResult>;
  top(
    ref: BoardRef,
    period: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; rows: Ranked[] } | null>;
  around(
    ref: BoardRef,
    period: string,
    participantId: string,
    around: number,
  ): Promise<{ total: number; position: number | null; rows: Ranked[] } | null>;
  /** Copies a period from Postgres into Redis and marks it ready; false when another rebuild holds the lock. */
  rebuild(db: Db, ref: BoardRef, period: string): Promise<boolean>;
  /** Whether the set is ready (complete). */
  ready(ref: BoardRef, period: string): Promise<boolean>;
  /** Drops a board's sets (tests, the benchmark). */
  drop(ref: BoardRef, periods: string[]): Promise<void>;
}

export function createRedisIndex(redis: Redis, prefix = 'pulse:'): RedisIndex {
  // Scripts by SHA (EVALSHA): the text goes over the wire only when Redis does not know it yet.
  const shas = new Map<string, string>();
  const run = async (script: string, keys: number, ...args: (string | number)[]): Promise<unknown> => {
    let sha = shas.get(script);
    if (!sha) {
      sha = createHash('sha1').update(script).digest('hex');
      shas.set(script, sha);
    }
    try {
      return await redis.evalsha(sha, keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return redis.eval(script, keys, ...args);
    }
  };
  const keys = (ref: BoardRef, period: string) => {
    const b = base(ref, prefix);
    return {
      set: `${b}:${period}`,
      ready: `${b}:${period}:ready`,
      members: `${b}:m`,
      lock: `${b}:${period}:lock`,
    };
  };
  return {
    async bump(ref, period, p, top) {
      const k = keys(ref, period);
      const member = memberOf(p.joinedAt, p.participantId);
      if (top === null) {
        await run(BUMP, 3, k.set, k.ready, k.members, member, p.participantId, p.score, 0);
        return { ready: false, oldPosition: null, newPosition: null, overtaken: null, pushedOut: null };
      }
      const r = (await run(
        BUMP_RANKED,
        3,
        k.set,
        k.ready,
        k.members,
        member,
        p.participantId,
        p.score,
        top,
      )) as [0] | [1, number, number, string, string];
      if (r[0] === 0)
        return { ready: false, oldPosition: null, newPosition: null, overtaken: null, pushedOut: null };
      return {
        ready: true,
        oldPosition: r[1] < 0 ? null : r[1],
        newPosition: r[2] < 0 ? null : r[2],
        overtaken: r[3] ? participantOf(r[3]) : null,
        pushedOut: r[4] ? participantOf(r[4]) : null,
      };
    },
    async top(ref, period, offset, limit) {
      const k = keys(ref, period);
      const r = (await run(TOP, 2, k.set, k.ready, offset, limit)) as [0] | [1, number, string[]];
      if (r[0] === 0) return null;
      return { total: r[1], rows: rowsOf(r[2], offset) };
    },
    async around(ref, period, participantId, around) {
      const k = keys(ref, period);
      const r = (await run(AROUND, 3, k.set, k.ready, k.members, participantId, around)) as
        | [0]
        | [1, number, -1]
        | [1, number, number, number, string[]];
      if (r[0] === 0) return null;
      if (r[2] === -1 || r.length < 5) return { total: r[1], position: null, rows: [] };
      return { total: r[1], position: r[2], rows: rowsOf(r[4] as string[], r[3] as number) };
    },
    async ready(ref, period) {
      return (await redis.exists(keys(ref, period).ready)) === 1;
    },
    async rebuild(db, ref, period) {
      const k = keys(ref, period);
      const token = `${process.pid}:${Math.random()}`;
      if ((await redis.set(k.lock, token, 'PX', 120_000, 'NX')) !== 'OK') return false;
      try {
        let after: string | null = null;
        for (;;) {
          const page = await entriesAfter(db, ref, period, after, 10_000);
          if (page.length === 0) break;
          const zadd: (string | number)[] = [];
          const hset: string[] = [];
          for (const e of page) {
            const m = memberOf(e.joined_at, e.participant_id);
            zadd.push(e.score, m);
            hset.push(e.participant_id, m);
          }
          const pipe = redis.pipeline();
          for (let i = 0; i < zadd.length; i += 2000)
            pipe.zadd(k.set, 'GT', ...(zadd.slice(i, i + 2000) as never[]));
          for (let i = 0; i < hset.length; i += 2000) pipe.hset(k.members, ...hset.slice(i, i + 2000));
          await pipe.exec();
          after = (page[page.length - 1] as { participant_id: string }).participant_id;
          if (page.length < 10_000) break;
        }
        await redis.set(k.ready, '1');
        return true;
      } finally {
        // Release only our own lock.
        await redis.eval(
          `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
          1,
          k.lock,
          token,
        );
      }
    },
    async drop(ref, periods) {
      const b = base(ref, prefix);
      const all = periods.flatMap((p) => [`${b}:${p}`, `${b}:${p}:ready`, `${b}:${p}:lock`]);
      await redis.del(...all, `${b}:m`);
    },
  };
}
