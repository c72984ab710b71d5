-- Hourly counts per campaign and event type, kept up to date by ClickHouse on every insert into events.
-- uniqExact over event ids makes the count exact even if a batch is ever inserted twice.
CREATE MATERIALIZED VIEW IF NOT EXISTS campaign_hourly_stats
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (client_id, campaign_id, event, hour)
AS SELECT
  client_id,
  campaign_id,
  event,
  toStartOfHour(occurred_at) AS hour,
  uniqExactState(event_id) AS events,
  uniqState(participant_id) AS participants,
  sumState(value) AS value
FROM events
GROUP BY client_id, campaign_id, event, hour
