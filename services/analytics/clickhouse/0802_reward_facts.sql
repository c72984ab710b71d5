-- Reward lifecycle facts (allocated, fulfilled, redeemed, expired, rejected, reversed), one row per fact,
-- written by the analytics bus subscriber from the reward service's fact outbox. fact_id is
-- `<reward_id>:<kind>`; ReplacingMergeTree on a key that ends in it, read with FINAL, keeps each fact
-- once however often the bus delivers it. Amounts are in the reward's own currency (reports group by it).
CREATE TABLE IF NOT EXISTS reward_facts
(
    fact_id String,
    client_id String,
    campaign_id String,
    day Date,
    occurred_at DateTime,
    reward_id String,
    kind String,
    state String,
    participant_id String,
    referral_id String,
    side String,
    rule String,
    category String,
    reward_type String,
    amount Float64,
    cost Float64,
    currency String,
    budget Float64,
    seq UInt64,
    recorded_at DateTime
)
ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(day)
ORDER BY (client_id, campaign_id, day, fact_id);

-- The rollups below summed with sumState, which a re-sent block adds twice; every analytics query now
-- reads analytics_events with FINAL instead.
DROP TABLE IF EXISTS campaign_hourly_stats;
DROP TABLE IF EXISTS referrer_leaderboard;
DROP TABLE IF EXISTS referral_funnel;
