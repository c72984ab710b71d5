-- Every accepted event, one row each. Written only by the event drainer from the Postgres outbox.
--
-- Exactly-once, by construction and by engine:
--  * the drainer hands each outbox row to ClickHouse once and marks it done after the insert succeeds;
--    only a crash between the insert and the mark can write a row twice;
--  * ReplacingMergeTree collapses rows with the same sorting key (within a partition) at merge time. The
--    key ends in event_id and every other key column (client_id, event, occurred_at, and the partition's
--    month of occurred_at) is fixed when the event is accepted and never changes for that event_id, so
--    a repeated row has the same key and is collapsed. Do not add columns that can differ between two
--    writes of one event (received_at, say) to the key, or duplicates would stop collapsing;
--  * merges happen "eventually", so queries that must count exactly use uniqExact(event_id) or FINAL.
-- The key also serves the common query shape: one client, one event type, a time range.
CREATE TABLE IF NOT EXISTS events
(
    event_id String,
    event String,
    client_id String,
    campaign_id String,
    participant_id String,
    anonymous_id String,
    session_id String,
    referral_id String,
    referral_code String,
    referrer_id String,
    occurred_at DateTime,
    received_at DateTime,
    value Float64,
    currency String,
    country String,
    ip_hash String,
    device_type String,
    browser String,
    os String,
    source String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    properties String,
    context String
)
ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (client_id, event, occurred_at, event_id);
