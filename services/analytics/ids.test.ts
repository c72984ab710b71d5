import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createTestClickHouse, emptyEventRow, type TestClickHouse } from '../../test/support/clickhouse.ts';
import { chSql, type SqlText } from '../platform/clickhouse.ts';
import { migrateClickHouse } from '../platform/clickhouse-migrate.ts';
import { runCustomReport } from './custom-report.ts';
import { checkNewRows, personIds, runIdCheck } from './ids.ts';
import {
  cohortReport,
  funnelReport,
  kFactorReport,
  ltvReport,
  referrerReport,
  segmentReport,
} from './metrics.ts';
import { createScope } from './scope.ts';

/**
 * People are counted by 64-bit hashes of their ids only while no two ids can share one (ids.ts). A real
 * sipHash64 collision cannot be found for a test, so one is forged: a row whose stored person_h is the
 * hash of ANOTHER person's id, exactly what a collision would look like in the table. Counted by the
 * hashes, the two people would merge (one signup too few); the reports must notice it — at query time
 * for rows the background check has not seen, through its record once it has — and count by the strings.
 */

const SERVICES = fileURLToPath(new URL('../', import.meta.url));
const W = { campaignId: 'c1', from: '2026-11-01', to: '2026-11-30' };

let seq = 0;
const signup = (client: string, who: string, at: string) =>
  emptyEventRow({
    event_id: `id-${++seq}`,
    event: 'referred_signed_up',
    client_id: client,
    campaign_id: 'c1',
    participant_id: who,
    referrer_id: 'ann',
    occurred_at: at,
    received_at: at,
    properties: '{}',
  });

/** A referred signup of `who` written straight into analytics_events with `as`'s hash as its own. */
const forged = (client: string, who: string, as: string, day: string) =>
  chSql`INSERT INTO analytics_events (client_id, campaign_id, day, occurred_at, event_id, event, kind, person,
      participant_id, referrer_id, referral_code, referred, channel, value, currency, country, device_type,
      plan, segment, received_at, person_h, participant_h, referrer_h)
    SELECT ${client}, 'c1', toDate(${day}), toDateTime(${`${day} 10:00:00`}), ${`forged-${++seq}`},
      'referred_signed_up', 'signup', ${who}, ${who}, 'ann', '', 1, '', 0, '', '', '', '', '',
      toDateTime(${`${day} 10:00:00`}), sipHash64(${as}), sipHash64(${as}), sipHash64('ann')` as SqlText;

describe('people counted by id hashes only when no two ids share one (real ClickHouse)', () => {
  let t: TestClickHouse;
  before(async () => {
    t = await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
    await t.ch.insert('events', [
      signup('acme', 'cat', '2026-11-02 10:00:00'),
      signup('acme', 'dan', '2026-11-03 10:00:00'),
      signup('beta', 'cat', '2026-11-02 10:00:00'),
      signup('beta', 'dan', '2026-11-03 10:00:00'),
      signup('calm', 'cat', '2026-11-02 10:00:00'),
      signup('calm', 'dan', '2026-11-03 10:00:00'),
    ]);
  });
  after(async () => {
    await t?.drop();
  });

  it('without a collision the hashes are used, and give the strings’ answers', async () => {
    const scope = createScope(t.ch, 'calm');
    assert.equal((await personIds(scope)).hashed, true, 'nothing checked yet: checked at query time');
    assert.equal((await funnelReport(scope, W)).total.signups, 2);
    assert.equal(await runIdCheck(t.ch), 3, 'three clients written to');
    await sleep(1_100); // markers are stamped in whole seconds: a later write must be seen as later
    assert.equal((await personIds(scope)).hashed, true, 'every row checked by the job');
    assert.equal((await funnelReport(scope, W)).total.signups, 2);
    const keys = await t.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM analytics_person_keys WHERE client_id = 'calm' AND id = 'cat'`,
    );
    assert.equal(Number(keys[0]?.n), 1, 'the job recorded the ids it checked');
  });

  it('a collision in rows the job has not checked is found when the report runs', async () => {
    const scope = createScope(t.ch, 'acme');
    await t.ch.command(forged('acme', 'eve', 'cat', '2026-11-05'));
    assert.equal((await personIds(scope)).hashed, false);
    // cat, dan and eve: by the hashes eve would be cat, and the funnel would say 2.
    assert.equal((await funnelReport(scope, W)).total.signups, 3);
    assert.equal((await ltvReport(scope, W)).referred.participants, 3);
    // Every report that counts people starts on the hashes and must run again on the strings.
    assert.equal((await kFactorReport(scope, W)).referred_signups, 3);
    const cohorts = (await cohortReport(scope, W)).cohorts;
    assert.equal(
      cohorts.reduce((n, c) => n + c.size, 0),
      3,
    );
    assert.equal((await segmentReport(scope, W, 'plan')).segments[0]?.signups, 3);
    assert.equal((await referrerReport(scope, W, 1)).referrers[0]?.signups, 3, 'the pruned ranking');
    assert.equal((await referrerReport(scope, W, 5)).referrers[0]?.signups, 3, 'the whole window');
    const custom = await runCustomReport(scope, {
      metrics: ['referred_signups'],
      grain: 'none',
      filters: { campaign_id: ['c1'] },
      from: W.from,
      to: W.to,
    });
    assert.equal(custom.rows[0]?.referred_signups, 3);
  });

  it('the job records a collision it finds; the client is then reported from the strings', async () => {
    await runIdCheck(t.ch);
    const found = await t.ch.query<{ client_id: string }>(
      chSql`SELECT client_id FROM analytics_hash_collisions FINAL ORDER BY client_id`,
    );
    assert.deepEqual(
      found.map((r) => r.client_id),
      ['acme'],
      'only the client with the collision',
    );
    const scope = createScope(t.ch, 'acme');
    assert.equal((await personIds(scope)).hashed, false, 'every row checked, yet the record holds');
    assert.equal((await funnelReport(scope, W)).total.signups, 3);
  });

  it('an id sharing the empty id’s hash is a collision too (participants are tested on the hash)', async () => {
    const scope = createScope(t.ch, 'void');
    await t.ch.command(forged('void', 'cat', 'cat', '2026-11-04'));
    await t.ch.command(forged('void', 'zed', '', '2026-11-05'));
    assert.equal((await personIds(scope)).hashed, false, 'found at query time');
    // By the hashes, zed would look like a row without a participant and drop out of the funnel.
    assert.equal((await funnelReport(scope, W)).total.participants, 2);
    await runIdCheck(t.ch);
    const found = await t.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM analytics_hash_collisions FINAL WHERE client_id = 'void'`,
    );
    assert.equal(Number(found[0]?.n), 1, 'and recorded by the job');
    assert.equal((await funnelReport(scope, W)).total.participants, 2);
  });

  it('a new id colliding with one the job checked on another day is found at query time', async () => {
    const scope = createScope(t.ch, 'beta');
    assert.equal((await personIds(scope)).hashed, true, 'checked, no collision');
    await sleep(1_100);
    await t.ch.command(forged('beta', 'eve', 'dan', '2026-11-06'));
    assert.equal((await personIds(scope)).hashed, false, 'eve’s hash is dan’s, in the checked keys');
    assert.equal((await funnelReport(scope, W)).total.signups, 3);
    assert.equal((await personIds(createScope(t.ch, 'calm'))).hashed, true, 'other clients unaffected');
  });
});

describe('the background id check: reports check at query time only the rows written since (real ClickHouse)', () => {
  let t: TestClickHouse;
  const scope = () => createScope(t.ch, 'live');
  const mark = async () =>
    (
      await t.ch.query<{ b: string }>(
        chSql`SELECT toString(max(block)) AS b FROM analytics_checked_blocks WHERE client_id = 'live'`,
      )
    )[0]?.b;
  /** A pair the checked rows never had: the query-time check would call cat's hash a collision. */
  const spurious = chSql`INSERT INTO analytics_person_keys (client_id, h, id, seen_at)
    SELECT 'live', sipHash64('cat'), 'not-cat', now()` as SqlText;
  before(async () => {
    t = await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
    await t.ch.insert('events', [
      signup('live', 'cat', '2026-11-28 10:00:00'),
      signup('live', 'dan', '2026-11-29 10:00:00'),
      signup('idle', 'cat', '2026-11-28 10:00:00'),
    ]);
  });
  after(async () => {
    await t?.drop();
  });

  it('moves the mark to the last committed block and records what it checked', async () => {
    assert.equal(await mark(), '0', 'no check yet');
    assert.equal(await runIdCheck(t.ch), 2, 'a mark for each client');
    const first = await mark();
    assert.ok(Number(first) > 0);
    const [keys] = await t.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM analytics_person_keys WHERE client_id = 'live' AND id IN ('cat', 'dan')`,
    );
    assert.equal(Number(keys?.n), 2, 'the ids it checked are stored');
    assert.deepEqual(await checkNewRows(t.ch, 'live', first ?? '0'), {
      clientId: 'live',
      block: first,
      collisions: 0,
    });
  });

  it('moves an idle client’s mark as well (merges carry its rows into new parts)', async () => {
    const idle = async () =>
      (
        await t.ch.query<{ b: string }>(
          chSql`SELECT toString(max(block)) AS b FROM analytics_checked_blocks WHERE client_id = 'idle'`,
        )
      )[0]?.b;
    const before = await idle();
    await t.ch.insert('events', [signup('live', 'fay', '2026-11-27 10:00:00')]);
    await runIdCheck(t.ch);
    assert.ok(BigInt((await idle()) ?? '0') > BigInt(before ?? '0'), 'idle: moved with the others');
    assert.equal(await mark(), await idle());
  });

  it('refuses a mark ahead of the table (a rebuilt analytics_events restarts its block numbers)', async () => {
    await assert.rejects(checkNewRows(t.ch, 'live', '1'), { code: 'MIGRATION_INVALID' });
  });

  it('rows of parts up to the mark are not checked again at query time; rows past it are', async () => {
    await t.ch.command(spurious);
    // Neither day is rolled up, so both are open; but their rows are all in checked parts: the lookup
    // that would trip over the spurious pair is not made, and the hashes are used.
    assert.equal((await personIds(scope())).hashed, true, 'checked rows skipped');
    // A new row (a later part) with cat's hash: checked at query time, where the spurious pair is found.
    await t.ch.command(forged('live', 'eve', 'cat', '2026-11-29'));
    assert.equal((await personIds(scope())).hashed, false, 'the new row is checked');
    assert.equal((await funnelReport(scope(), W)).total.signups, 4, 'and counted by the strings');
  });

  it('a merge into a part past the mark makes its rows unchecked again, never the reverse', async () => {
    await t.ch.command(chSql`OPTIMIZE TABLE analytics_events FINAL`);
    assert.equal((await personIds(scope())).hashed, false, 'the merged part ends past the mark');
    // The next check sees the collision (eve's hash is cat's) and records it for the client.
    await runIdCheck(t.ch);
    const [found] = await t.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM analytics_hash_collisions FINAL WHERE client_id = 'live'`,
    );
    assert.equal(Number(found?.n), 1);
    assert.equal((await personIds(scope())).hashed, false, 'from the record now');
  });
  it('one check per client until a block is written: later reports read the mark alone', async () => {
    let queries = 0;
    const counting = new Proxy(t.ch, {
      get(target, name, receiver) {
        const v = Reflect.get(target, name, receiver);
        if (name === 'query')
          return (sql: SqlText) => {
            queries++;
            return target.query(sql);
          };
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const memo = createScope(counting, 'memo');
    await t.ch.insert('events', [signup('memo', 'cat', '2026-11-20 10:00:00')]);
    assert.equal((await personIds(memo)).hashed, true);
    assert.equal(queries, 2, 'the mark, then the check of the rows past it');
    assert.equal((await personIds(memo)).hashed, true);
    assert.equal(queries, 3, 'nothing written since: the mark alone');
    // A write (a new block) is checked again: here a row with cat's hash.
    await t.ch.command(forged('memo', 'eve', 'cat', '2026-11-21'));
    assert.equal((await personIds(memo)).hashed, false, 'the new row is checked');
    assert.equal(queries, 5);
    assert.equal((await funnelReport(memo, W)).total.signups, 2, 'and counted by the strings');
  });
});

describe('migrations after the id check keep its marks true', () => {
  it('any later migration that recreates analytics_events also clears analytics_checked_blocks', async () => {
    const dir = fileURLToPath(new URL('./clickhouse/', import.meta.url));
    const later = (await readdir(dir)).filter((f) => /^\d{4}_.*\.sql$/.test(f) && f > '0921');
    for (const f of later) {
      const sql = (await readFile(`${dir}${f}`, 'utf8')).replace(/^\s*--.*$/gm, '');
      const rebuilds = /(CREATE|RENAME|DROP)\s+TABLE[^;]*\banalytics_events\b(?!_)/i.test(sql);
      if (rebuilds)
        assert.match(
          sql,
          /(TRUNCATE|DROP)\s+TABLE[^;]*\banalytics_checked_blocks\b/i,
          `${f} rebuilds analytics_events: its block numbers restart, so the marks must go`,
        );
    }
    // The rule is read the same way from 0911, which rebuilt the table before the marks existed.
    const old = await readFile(`${dir}0911_analytics_events_by_kind.sql`, 'utf8');
    assert.match(old.replace(/^\s*--.*$/gm, ''), /RENAME\s+TABLE[^;]*\banalytics_events\b(?!_)/i);
  });
});
