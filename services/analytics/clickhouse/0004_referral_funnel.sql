-- The referral funnel per campaign and day: shared → clicked → signed up → converted.
-- A signup or purchase counts only when it carries referral attribution.
CREATE MATERIALIZED VIEW IF NOT EXISTS referral_funnel
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (client_id, campaign_id, day)
AS SELECT
  client_id,
  campaign_id,
  toDate(occurred_at) AS day,
  uniqExactStateIf(event_id, event = 'referral_shared') AS shared,
  uniqExactStateIf(event_id, event IN ('referral_clicked', 'referral_visit')) AS clicked,
  uniqExactStateIf(event_id, event IN ('referred_signed_up', 'user_signed_up') AND (referral_id != '' OR referral_code != '')) AS signed_up,
  uniqExactStateIf(event_id, event IN ('referred_made_purchase', 'purchase_completed') AND (referral_id != '' OR referral_code != '')) AS converted
FROM events
GROUP BY client_id, campaign_id, day
