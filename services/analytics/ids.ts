import { chSql, Raw } from '../platform/clickhouse.ts';
import { cond, type Scope } from './scope.ts';

/**
 * Which columns a report counts and joins people by. analytics_events stores sipHash64 of every id
 * (person_h, participant_h, referrer_h; clickhouse/0911): a distinct count over 8-byte integers costs
 * about half of one over strings (README, "Speed"). A 64-bit hash can map two ids to one value, which
 * would silently merge two people, so the hashes are used only when no such pair can be among the rows
 * a report reads:
 *
 * - the rollup job, when it rolls up a day, writes the day's (hash, id) pairs to analytics_person_keys
 *   and then looks for a hash of those days held by two ids among ALL the client's pairs; a hit is kept
 *   in analytics_hash_collisions (`checkDays`). A day counts as checked while it is fresh (rolled up and
 *   not written to since, rollup.ts): the same test that lets reports read its rollup rows;
 * - the days up to the window's end that are not checked (today, late rows, never rolled up) are
 *   checked when the report runs: their pairs against the checked ones and against each other;
 * - a client with a collision on record, or one found by the query-time check, gets the string ids.
 *
 * Two different ids then never share a hash in what the report reads, so every uniqExact, GROUP BY and
 * JOIN over the hashes gives the answer the strings give. Conditions (`participant_id != ''`) and
 * anything a report returns stay on the strings.
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
 * The days up to `to` with rows the rollup job has not checked (written to at or after their rollup's
 * basis, or never rolled up: a day without a rollup row has basis 0), and whether a collision is on
 * record for the client: one round trip, as every report waits for it.
 */
async function uncheckedDays(
  scope: Scope,
  to: string,
  from?: string,
): Promise<{ days: string[]; collided: boolean }> {
  const upTo = from ? cond`day >= toDate(${from}) AND day <= toDate(${to})` : cond`day <= toDate(${to})`;
  const rows = await scope.query<{ d: string }>(chSql`
    SELECT 'collision' AS d FROM ${scope.fromAnyCopy('analytics_hash_collisions')} LIMIT 1
    UNION ALL
    SELECT toString(day) AS d FROM (
      SELECT day, max(touched_at) AS touched FROM ${scope.fromAnyCopy('analytics_touched_days', upTo)}
      GROUP BY day
    ) ANY LEFT JOIN (
      SELECT day, argMax(basis, version) AS basis FROM ${scope.fromAnyCopy('analytics_rollup_days', upTo)}
      GROUP BY day
    ) USING day
    WHERE touched >= basis`);
  const days = rows.map((r) => r.d).filter((d) => d !== 'collision');
  return { days, collided: days.length < rows.length };
}

const dayList = (days: string[]) => new Raw(days.map((d) => chSql`toDate(${d})`).join(', '));

/** What a report reads: days up to `to` (from `from`, when given; of one campaign, when given). */
export interface IdReads {
  from?: string | undefined;
  to: string;
  campaignId?: string | undefined;
}

/** The id columns for a report reading `reads`. */
export async function personIds(scope: Scope, reads: IdReads): Promise<Ids> {
  const { from, to, campaignId } = reads;
  const { days: open, collided } = await uncheckedDays(scope, to, from);
  if (collided) return STRING_IDS;
  if (open.length === 0) return HASHED_IDS;
  // Rows a copy of which is read twice change nothing here (a pair is a pair), so no FINAL.
  const rows = scope.fromAnyCopy(
    'analytics_events',
    cond`day IN (${dayList(open)})`,
    campaignId ? cond`campaign_id = ${campaignId}` : new Raw('1'),
  );
  const [hit] = await scope.query<{ n: string }>(chSql`
    SELECT count() AS n FROM (
      SELECT h FROM (
        SELECT h, id FROM ${scope.fromAnyCopy('analytics_person_keys', cond`h IN (SELECT arrayJoin(${HASHES}) FROM ${rows})`)}
        UNION ALL
        SELECT t.1 AS h, t.2 AS id FROM (SELECT arrayJoin(${PAIRS}) AS t FROM ${rows})
      ) GROUP BY h HAVING ${COLLIDES}
    )`);
  return Number(hit?.n ?? 0) > 0 ? STRING_IDS : HASHED_IDS;
}

/**
 * `report(await personIds(scope, reads))`, without the wait: the report starts on the hashes while the
 * check runs beside it, and runs again on the strings only when the check says it must. The answer is
 * the same; a report costs one round trip instead of two in sequence (the check alone is 6–18 ms,
 * README "Speed"). A collision is a once-in-a-lifetime event, so the wasted hashed run almost never
 * happens; when it does, its result (or its failure) is dropped.
 */
export async function withPersonIds<T>(
  scope: Scope,
  reads: IdReads,
  report: (ids: Ids) => Promise<T>,
): Promise<T> {
  const [check, hashed] = await Promise.allSettled([personIds(scope, reads), report(HASHED_IDS)]);
  if (check.status === 'rejected') throw check.reason;
  if (!check.value.hashed) return report(STRING_IDS);
  if (hashed.status === 'rejected') throw hashed.reason;
  return hashed.value;
}

/**
 * The rollup job's part (before it records the days as rolled up): the days' (hash, id) pairs into
 * analytics_person_keys, then every hash of those days that two ids share, among all the client's
 * pairs, into analytics_hash_collisions. Returns the number of collisions on record for the client.
 */
export async function checkDays(scope: Scope, days: string[]): Promise<number> {
  const rows = scope.fromAnyCopy('analytics_events', cond`day IN (${dayList(days)})`);
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
