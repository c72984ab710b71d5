-- The referral funnel per campaign and day, in people: shares → unique visitors who clicked a referral
-- link → referred people who signed up → referred people who bought. A visitor without an anonymous id
-- counts per click. Signups and purchases count only with referral attribution, each person once.
-- uniqExact states make every stage exact even if a batch of events is ever inserted twice.
CREATE MATERIALIZED VIEW IF NOT EXISTS referral_funnel
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (client_id, campaign_id, day)
AS SELECT
  client_id,
  campaign_id,
  toDate(occurred_at) AS day,
  uniqExactStateIf(event_id, event = 'referral_shared' OR startsWith(event, 'referral_shared_')) AS shared,
  uniqExactStateIf(if(anonymous_id != '', anonymous_id, event_id), event IN ('referral_clicked', 'referral_visit')) AS clicked,
  uniqExactStateIf(participant_id, event IN ('referred_signed_up', 'user_signed_up') AND participant_id != '' AND (referral_id != '' OR referral_code != '')) AS signed_up,
  uniqExactStateIf(participant_id, event IN ('referred_made_purchase', 'purchase_completed') AND participant_id != '' AND (referral_id != '' OR referral_code != '')) AS converted
FROM events
GROUP BY client_id, campaign_id, day
