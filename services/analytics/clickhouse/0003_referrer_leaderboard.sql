-- Running totals per referrer: referred signups, conversions and their value. The reward service keeps
-- the authoritative standings for prizes; this view powers dashboards and public leaderboards.
CREATE MATERIALIZED VIEW IF NOT EXISTS referrer_leaderboard
ENGINE = AggregatingMergeTree()
ORDER BY (client_id, campaign_id, referrer_id)
AS SELECT
  client_id,
  campaign_id,
  referrer_id,
  uniqExactStateIf(event_id, event IN ('referred_signed_up', 'user_signed_up')) AS signups,
  uniqExactStateIf(event_id, event IN ('referred_made_purchase', 'purchase_completed')) AS conversions,
  sumStateIf(value, event IN ('referred_made_purchase', 'purchase_completed')) AS value,
  maxState(occurred_at) AS last_activity
FROM events
WHERE referrer_id != ''
GROUP BY client_id, campaign_id, referrer_id
