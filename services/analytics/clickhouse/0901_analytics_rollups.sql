-- Daily rollups of analytics_events, exact under re-sent blocks and late rows (services/analytics/rollup.ts).
--
-- analytics_daily: one row per (client, campaign, day, event, kind, channel, referred, currency) with the
-- number of events (n_events) and the sum of value, computed by the rollup job from `analytics_events FINAL` for
-- whole days at once. Only additive figures live here: a sum over days of per-day sums is the sum over the
-- rows, with nothing to double-count. Distinct people are not summable across days; reports count them on
-- analytics_events without FINAL (a second copy of a row cannot change uniqExact), which on this data is
-- faster than merging per-day uniqExact states (measured: README). ReplacingMergeTree(version), read
-- with FINAL: a recomputed day REPLACES its rows (the highest version per key wins), so recomputing is
-- idempotent and a re-sent block, collapsed by FINAL in the base table, is never added twice here. A
-- day's set of keys only grows (every key column is a function of the event, and the base only collapses
-- copies of one event), so a newer version never leaves an older row of a key it no longer has.
CREATE TABLE IF NOT EXISTS analytics_daily
(
    client_id String,
    campaign_id String,
    day Date,
    event String,
    kind String,
    channel String,
    referred UInt8,
    currency String,
    n_events UInt64,
    value Float64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (client_id, campaign_id, day, event, kind, channel, referred, currency);

-- Which (client, day) the job rolled up, and from which data: `basis` is a server time no later than the
-- start of the recompute's read (minus a safety margin), so every row whose marker below is older than the
-- basis is in the rollup. Written only after the day's analytics_daily rows, so a reader that finds a
-- version here finds its rows.
CREATE TABLE IF NOT EXISTS analytics_rollup_days
(
    client_id String,
    day Date,
    version UInt64,
    basis DateTime,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (client_id, day);

-- When rows last reached a (client, day) of analytics_events: a marker per inserted block, written by the
-- views below after the block is stored. A day is fresh (rollup readable) only while its latest marker is
-- older than its rollup's basis; a late or re-sent row for an old day makes the day dirty again: reports
-- read it from the base table until the job has recomputed it. ClickHouse 18.16 does not cascade views
-- (an insert into events reaches analytics_events through analytics_events_feed, but not the views on
-- analytics_events), so one view watches events and one analytics_events (direct writes, backfills).
-- A marker is stamped while its block is being stored, so the job's basis keeps a margin (rollup.ts).
CREATE TABLE IF NOT EXISTS analytics_touched_days
(
    client_id String,
    day Date,
    touched_at DateTime
)
ENGINE = ReplacingMergeTree(touched_at)
ORDER BY (client_id, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_touched_by_events TO analytics_touched_days AS
SELECT client_id, toDate(occurred_at) AS day, now() AS touched_at FROM events GROUP BY client_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_touched_by_facts TO analytics_touched_days AS
SELECT client_id, day, now() AS touched_at FROM analytics_events GROUP BY client_id, day;

-- Every day stored before this migration is dirty: the first job run rolls it up.
INSERT INTO analytics_touched_days
SELECT client_id, day, now() AS touched_at FROM analytics_events GROUP BY client_id, day;
