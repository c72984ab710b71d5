import { InternalError } from '../../contract/internal-error.ts';
import { type ClickHouse, chSql, Raw } from '../platform/clickhouse.ts';
import { errFields, logger } from '../platform/log.ts';
import { startPeriodicJob } from './job.ts';
import { cond, createScope, type Scope } from './scope.ts';

/**
 * Which columns a report counts and joins people by. analytics_events stores sipHash64 of every id
 * (person_h, participant_h, referrer_h; clickhouse/0911): a distinct count over 8-byte integers costs
 * about half of one over strings (README, "Speed"). A 64-bit hash can map two ids to one value, which
 * would silently merge two people, so the hashes are used only when no such pair can be among the rows
 * a report reads:
 *
 * - a background job (`startIdCheckJob`, every 10 s) writes the (hash, id) pairs of the rows written
 *   since its last pass to analytics_person_keys, looks for a hash of theirs held by two ids among ALL
 *   the client's pairs (a hit is kept in analytics_hash_collisions), and records how far it got by the
 *   block numbers of the table's parts (analytics_checked_blocks, clickhouse/0921);
 * - the rows of the window it has not seen (parts past its mark: the last seconds' writes) are checked
 *   when the report runs, beside it (`withPersonIds`): their pairs against the stored ones and each other;
 * - a client with a collision on record, or one found by the query-time check, gets the string ids.
 *
 * Two different ids then never share a hash in what the report reads, so every uniqExact, GROUP BY and
 * JOIN over the hashes gives the answer the strings give. Anything a report returns stays on the strings.
 */
export interface Ids {
  /** True when the columns below are the hashes. */
  readonly hashed: boolean;
  readonly person: Raw;
  readonly participant: Raw;
  readonly referrer: Raw;
  /**
   * `participant_id != ''`, on the hash when hashed: the empty id's hash is one more id among the pairs
   * checked (PAIRS below), so no other participant id can share it, and the string column is not read.
   */
  readonly hasParticipant: Raw;
}

export const STRING_IDS: Ids = {
  hashed: false,
  person: new Raw('person'),
  participant: new Raw('participant_id'),
  referrer: new Raw('referrer_id'),
  hasParticipant: new Raw("participant_id != ''"),
};
export const HASHED_IDS: Ids = {
  hashed: true,
  person: new Raw('person_h'),
  participant: new Raw('participant_h'),
  referrer: new Raw('referrer_h'),
  hasParticipant: new Raw("participant_h != sipHash64('')"),
};

/** (hash, id) of every id of a row, one tuple each. */
const PAIRS = new Raw('[(person_h, person), (participant_h, participant_id), (referrer_h, referrer_id)]');
const HASHES = new Raw('[person_h, participant_h, referrer_h]');
/**
 * A hash two ids share. The empty id counts as always present (`hasParticipant` tests its hash), so a
 * non-empty id with the empty id's hash is one too, even for a client none of whose rows lacks an id.
 */
const COLLIDES = new Raw("uniqExact(id) > 1 OR (h = sipHash64('') AND max(id) != '')");

/**
 * The last block number of a row's part: names are `<partition>_<min>_<max>_<level>[_<mutation>]`, and
 * analytics_events' partition ids (toYYYYMM) hold no underscore.
 */
export const MAX_BLOCK = new Raw("toUInt64(splitByChar('_', _part)[3])");

const dayList = (days: string[]) => new Raw(days.map((d) => chSql`toDate(${d})`).join(', '));

/**
 * The id columns for a report. First the mark (one read of one row: the block the background check got
 * through and the collisions on record when it did, so the two cannot disagree, plus the table's newest
 * block); then, unless a collision is on record, the client's rows of later parts (the seconds since the
 * job's last pass) are checked: their pairs against the stored ones and each other. All of them, not only
 * the report's window: a superset can only be more careful, and the answer then holds for every report.
 * Rows a copy of which is read twice change nothing here (a pair is a pair): no FINAL.
 *
 * The answer is remembered per (client, mark, newest block, and which table: the database and when the
 * table was created, as block numbers restart in a rebuilt one), in this process: while no block was written
 * since, the rows past the mark are the same rows (a merge keeps its inputs' block numbers; a mutation
 * only removes rows), so the answer is too. Every report of the client until the next write (the drainer
 * writes every few seconds) shares one check instead of each running its own beside it.
 */
export async function personIds(scope: Scope): Promise<Ids> {
  const mark = await readMark(scope);
  if (mark.collisions > 0) return STRING_IDS;
  const key = `${mark.table}:${mark.block}:${mark.top}:${scope.clientId}`;
  const known = checked.get(key);
  if (known) return known;
  const answer = checkPastMark(scope, mark.block);
  remember(key, answer);
  return answer;
}

/** Checks remembered (see personIds), oldest first; a failed check is forgotten at once. */
const checked = new Map<string, Promise<Ids>>();
const REMEMBERED = 1_000;
function remember(key: string, answer: Promise<Ids>): void {
  if (checked.size >= REMEMBERED) checked.delete(checked.keys().next().value as string);
  checked.set(key, answer);
  answer.catch(() => checked.delete(key));
}

async function checkPastMark(scope: Scope, block: string): Promise<Ids> {
  const rows = scope.fromAnyCopy('analytics_events', cond`${MAX_BLOCK} > ${new Raw(block)}`);
  const [r] = await scope.query<{ collided: string; hit: string }>(chSql`
    SELECT (SELECT count() FROM ${scope.fromAnyCopy('analytics_hash_collisions')}) AS collided,
      (SELECT count() FROM (
        SELECT h FROM (
          SELECT h, id FROM ${scope.fromAnyCopy('analytics_person_keys', cond`h IN (SELECT arrayJoin(${HASHES}) FROM ${rows})`)}
          UNION ALL
          SELECT t.1 AS h, t.2 AS id FROM (SELECT arrayJoin(${PAIRS}) AS t FROM ${rows})
        ) GROUP BY h HAVING ${COLLIDES}
      )) AS hit`);
  return Number(r?.collided ?? 0) > 0 || Number(r?.hit ?? 0) > 0 ? STRING_IDS : HASHED_IDS;
}

const DIGITS = /^\d{1,20}$/;

/**
 * The client's mark: the block checked through (digits) and the collisions on record at that pass; and
 * the newest block of analytics_events (any client's: block numbers are the table's), which names the
 * rows past the mark as long as it stays the same.
 */
async function readMark(
  scope: Scope,
): Promise<{ block: string; collisions: number; top: string; table: string }> {
  const [m] = await scope.query<{ b: string; c: string; top: string; tbl: string }>(chSql`
    SELECT toString(max(block)) AS b, toString(argMax(collisions, block)) AS c,
      (SELECT toString(max(max_block_number)) FROM system.parts
       WHERE database = currentDatabase() AND table = 'analytics_events' AND active) AS top,
      (SELECT concat(currentDatabase(), '/', toString(any(metadata_modification_time))) FROM system.tables
       WHERE database = currentDatabase() AND name = 'analytics_events') AS tbl
    FROM ${scope.fromAnyCopy('analytics_checked_blocks')}`);
  const block = m?.b ?? '0';
  if (!DIGITS.test(block)) throw new InternalError('UNSAFE_SQL', 'a checked block is not a number');
  return { block, collisions: Number(m?.c ?? 0), top: m?.top ?? '', table: m?.tbl ?? '' };
}

/**
 * `report(await personIds(scope))`, without the wait: the report starts on the hashes while the
 * check runs beside it, and runs again on the strings only when the check says it must. The answer is
 * the same; a report costs one round trip instead of two in sequence (README "Speed"). A collision is a once-in-a-lifetime event, so the wasted hashed run almost never
 * happens; when it does, its result (or its failure) is dropped.
 */
export async function withPersonIds<T>(scope: Scope, report: (ids: Ids) => Promise<T>): Promise<T> {
  const [check, hashed] = await Promise.allSettled([personIds(scope), report(HASHED_IDS)]);
  if (check.status === 'rejected') throw check.reason;
  if (!check.value.hashed) return report(STRING_IDS);
  if (hashed.status === 'rejected') throw hashed.reason;
  return hashed.value;
}

/**
 * The (hash, id) pairs of the client's rows that meet the conditions into analytics_person_keys, then
 * every hash of those rows that two ids share, among all the client's pairs, into
 * analytics_hash_collisions. Returns the number of collisions on record for the client.
 */
async function checkRows(scope: Scope, ...conditions: Raw[]): Promise<number> {
  const rows = scope.fromAnyCopy('analytics_events', ...conditions);
  await scope.insertSelect(
    'analytics_person_keys',
    chSql`
    SELECT client_id, h, id, now() AS seen_at FROM (
      SELECT client_id, t.1 AS h, t.2 AS id FROM (SELECT client_id, arrayJoin(${PAIRS}) AS t FROM ${rows})
    ) GROUP BY client_id, h, id`,
  );
  await scope.insertSelect(
    'analytics_hash_collisions',
    chSql`
    SELECT client_id, h, now() AS found_at
    FROM ${scope.fromAnyCopy('analytics_person_keys', cond`h IN (SELECT arrayJoin(${HASHES}) FROM ${rows})`)}
    GROUP BY client_id, h HAVING ${COLLIDES}`,
  );
  const [n] = await scope.query<{ n: string }>(
    chSql`SELECT count() AS n FROM ${scope.fromAnyCopy('analytics_hash_collisions')}`,
  );
  return Number(n?.n ?? 0);
}

// ---------------------------------------------------------------------------------------------------
// The background check: new rows every few seconds, so that reports check at query time only the rows
// written since (seconds of them) instead of every row of today.

/** Days per check query, bounded in memory like the rollup's batches. */
const CHECK_BATCH_DAYS = 31;

/** The last block committed to analytics_events (a read of the parts list, not of rows). */
async function lastBlock(ch: ClickHouse): Promise<string> {
  const [top] = await ch.query<{ m: string }>(chSql`
    SELECT toString(max(max_block_number)) AS m FROM system.parts
    WHERE database = currentDatabase() AND table = 'analytics_events' AND active`);
  const m = top?.m ?? '0';
  if (!DIGITS.test(m)) throw new InternalError('UNSAFE_SQL', 'a block number is not a number');
  return m;
}

/**
 * Checks the client's rows of parts in (its mark, `upTo`] and returns the mark to record: `upTo` and the
 * collisions on record. Block numbers are given to parts as they are committed and only grow, and a
 * merged part spans its inputs' blocks: every row of a part ending at or below `upTo` (read before this
 * check) is committed and is read here, or sits in a part checked before; a row merged into a later part
 * is checked again next time. The rows are found by their parts alone (ClickHouse skips the other
 * parts), never by the touched markers, which the views write after the part is visible. Mutations of
 * analytics_events only delete rows (data-subject erasure), which changes no remaining row's ids; a
 * migration that rebuilds analytics_events restarts its block numbers and must clear
 * analytics_checked_blocks (ids.test.ts holds the migrations to that).
 */
export async function checkNewRows(
  ch: ClickHouse,
  clientId: string,
  upTo: string,
): Promise<{ clientId: string; block: string; collisions: number }> {
  const scope = createScope(ch, clientId);
  const mark = await readMark(scope);
  if (BigInt(upTo) < BigInt(mark.block))
    throw new InternalError(
      'MIGRATION_INVALID',
      'analytics_events has fewer blocks than the id check went through: rebuilt without clearing analytics_checked_blocks',
    );
  const past = cond`${MAX_BLOCK} > ${new Raw(mark.block)} AND ${MAX_BLOCK} <= ${new Raw(upTo)}`;
  if (BigInt(upTo) === BigInt(mark.block)) return { clientId, block: upTo, collisions: mark.collisions };
  const days = await scope.query<{ d: string }>(chSql`
    SELECT DISTINCT toString(day) AS d FROM ${scope.fromAnyCopy('analytics_events', past)} ORDER BY d`);
  // In batches of days, as the rollup job does: a first check (after a backfill) reads every row.
  let collisions = mark.collisions;
  for (let i = 0; i < days.length; i += CHECK_BATCH_DAYS)
    collisions = await checkRows(
      scope,
      past,
      cond`day IN (${dayList(days.slice(i, i + CHECK_BATCH_DAYS).map((r) => r.d))})`,
    );
  return { clientId, block: upTo, collisions };
}

/**
 * One pass: every client with analytics rows (the touched markers list them, ids only) checked up to the
 * last block committed when the pass began, idle ones included (merges move their rows into new parts
 * too), and every mark written in one insert. A client whose check fails keeps its mark and is logged; the
 * others go on. Returns the number of marks written.
 */
export async function runIdCheck(ch: ClickHouse): Promise<number> {
  const upTo = await lastBlock(ch);
  const [clock] = await ch.query<{ now: string }>(chSql`SELECT toString(toUInt32(now())) AS now`);
  const clients = await ch.query<{ client_id: string }>(
    chSql`SELECT DISTINCT client_id FROM analytics_touched_days ORDER BY client_id`,
  );
  const marks: { clientId: string; block: string; collisions: number }[] = [];
  for (const { client_id } of clients) {
    try {
      const mark = await checkNewRows(ch, client_id, upTo);
      if (mark.collisions > 0)
        logger.error(
          { clientId: client_id, collisions: mark.collisions, component: 'analytics-id-check' },
          'two ids share a 64-bit hash: this client is reported from the string ids',
        );
      marks.push(mark);
    } catch (err) {
      logger.error(
        { ...errFields(err), clientId: client_id, component: 'analytics-id-check' },
        'id check failed for a client; its reports check more rows until it succeeds',
      );
    }
  }
  if (marks.length === 0) return 0;
  const at = Number(clock?.now ?? 0);
  await ch.command(chSql`
    INSERT INTO analytics_checked_blocks (client_id, block, collisions, checked_at)
    SELECT c[1], toUInt64(c[2]), toUInt64(c[3]), toDateTime(${at})
    FROM (SELECT arrayJoin(${marks.map((m) => [m.clientId, m.block, String(m.collisions)])}) AS c)`);
  return marks.length;
}

/**
 * runIdCheck on an interval (default every 10 s, first run at start); passes never overlap. A pass
 * writes one insert of marks, plus one of pairs per client with new rows.
 */
export function startIdCheckJob(ch: ClickHouse, opts: { intervalMs?: number } = {}) {
  return startPeriodicJob('analytics-id-check', opts.intervalMs ?? 10_000, async () => {
    await runIdCheck(ch);
  });
}
