-- The analytics fact table: one narrow row per accepted event, keyed by campaign and day, the source of
-- every event metric (docs/metrics.md). ReplacingMergeTree collapses a row written twice (the drainer
-- re-sending a block whose acknowledgement was lost): every column of the key, the partition's month
-- included, is fixed when the event is accepted. Queries read it with FINAL, so counts AND sums are exact
-- before any merge has run. Unlike an AggregatingMergeTree rollup (sumState adds a re-sent row twice),
-- nothing here can count one event twice.
--   kind     share | click | signup | conversion | other
--   person   the person an event counts for: the participant, else the anonymous visitor, else the event
--            (clicks count visitors: the anonymous id first)
--   referred 1 when the event carries referral attribution (a referral id, code or referrer)
--   channel  the share/click channel: properties.channel, or the suffix of referral_shared_<channel>
CREATE TABLE IF NOT EXISTS analytics_events
(
    client_id String,
    campaign_id String,
    day Date,
    occurred_at DateTime,
    event_id String,
    event String,
    kind String,
    person String,
    participant_id String,
    referrer_id String,
    referral_code String,
    referred UInt8,
    channel String,
    value Float64,
    currency String,
    country String,
    device_type String,
    plan String,
    segment String,
    received_at DateTime
)
ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(day)
ORDER BY (client_id, campaign_id, day, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_events_feed TO analytics_events AS
SELECT
  client_id,
  campaign_id,
  toDate(occurred_at) AS day,
  occurred_at,
  event_id,
  event,
  multiIf(
    event = 'referral_shared' OR startsWith(event, 'referral_shared_'), 'share',
    event IN ('referral_clicked', 'referral_visit'), 'click',
    event IN ('user_signed_up', 'referred_signed_up'), 'signup',
    event IN ('purchase_completed', 'referred_made_purchase'), 'conversion',
    'other') AS kind,
  multiIf(
    kind = 'click' AND anonymous_id != '', anonymous_id,
    kind = 'click', event_id,
    participant_id != '', participant_id,
    anonymous_id != '', anonymous_id,
    event_id) AS person,
  participant_id,
  referrer_id,
  referral_code,
  toUInt8(referral_id != '' OR referral_code != '' OR referrer_id != ''
    OR event IN ('referred_signed_up', 'referred_made_purchase')) AS referred,
  if(startsWith(event, 'referral_shared_'), substring(event, 17), visitParamExtractString(properties, 'channel')) AS channel,
  value,
  currency,
  country,
  device_type,
  visitParamExtractString(properties, 'plan') AS plan,
  visitParamExtractString(properties, 'segment') AS segment,
  received_at
FROM events;

-- Events stored before this table existed (a row also fed by the view above collapses with its copy).
INSERT INTO analytics_events
SELECT
  client_id,
  campaign_id,
  toDate(occurred_at) AS day,
  occurred_at,
  event_id,
  event,
  multiIf(
    event = 'referral_shared' OR startsWith(event, 'referral_shared_'), 'share',
    event IN ('referral_clicked', 'referral_visit'), 'click',
    event IN ('user_signed_up', 'referred_signed_up'), 'signup',
    event IN ('purchase_completed', 'referred_made_purchase'), 'conversion',
    'other') AS kind,
  multiIf(
    kind = 'click' AND anonymous_id != '', anonymous_id,
    kind = 'click', event_id,
    participant_id != '', participant_id,
    anonymous_id != '', anonymous_id,
    event_id) AS person,
  participant_id,
  referrer_id,
  referral_code,
  toUInt8(referral_id != '' OR referral_code != '' OR referrer_id != ''
    OR event IN ('referred_signed_up', 'referred_made_purchase')) AS referred,
  if(startsWith(event, 'referral_shared_'), substring(event, 17), visitParamExtractString(properties, 'channel')) AS channel,
  value,
  currency,
  country,
  device_type,
  visitParamExtractString(properties, 'plan') AS plan,
  visitParamExtractString(properties, 'segment') AS segment,
  received_at
FROM events;
