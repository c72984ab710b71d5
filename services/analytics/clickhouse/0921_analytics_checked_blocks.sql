-- How far the background id check has got, per client (services/analytics/ids.ts, `checkNewRows`):
-- every row of the client in a part of analytics_events whose last block number is at most `block` has
-- had its (hash, id) pairs stored in analytics_person_keys and looked up among all of the client's pairs.
-- A part's block numbers are given when it is committed and only grow, and a merge's part spans the
-- blocks of its inputs, so a row in a part ending at or below `block` is one the check saw; a row merged
-- into a later part is simply checked again. Reports then check at query time only the rows of parts
-- past it: the last seconds of writes, not a whole day. `collisions` is the number on record for the
-- client when the mark was written, read with the mark in one row so the two cannot disagree. One row per
-- pass; the highest block wins. Block numbers restart when analytics_events is recreated: a migration
-- that rebuilds it must clear this table (ids.test.ts checks the migrations for it).
CREATE TABLE IF NOT EXISTS analytics_checked_blocks
(
    client_id String,
    block UInt64,
    collisions UInt64,
    checked_at DateTime
)
ENGINE = ReplacingMergeTree(block)
ORDER BY client_id;

-- The pairs again, in granules of 1,024 rows instead of 8,192: a report now looks up only the hashes of
-- the last seconds' rows, a few dozen, and each lookup reads one granule (measured: the query-time check
-- 15 → 9 ms). The table starts empty: with no mark yet, the background check's first pass reads every
-- row and stores every pair again, and until it has, reports check all the rows they read.
DROP TABLE IF EXISTS analytics_person_keys;

CREATE TABLE IF NOT EXISTS analytics_person_keys
(
    client_id String,
    h UInt64,
    id String,
    seen_at DateTime
)
ENGINE = ReplacingMergeTree(seen_at)
ORDER BY (client_id, h, id)
SETTINGS index_granularity = 1024;
