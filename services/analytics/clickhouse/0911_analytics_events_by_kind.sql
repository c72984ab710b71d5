-- analytics_events again, with what the dashboards' reads need (services/analytics/README.md, "Speed"):
--   * sorted by kind after the campaign: signup- and conversion-only reads (LTV, segments, cohorts, CPA,
--     k-factor joins) touch only their kind's granules, a tenth of the campaign's rows or less, and
--     granules of 1,024 rows instead of 8,192 so a campaign's slice is cut finely. The key still ends in
--     event_id and every column before it is fixed when the event is accepted, so a re-sent row collapses
--     with its copy exactly as before;
--   * person_h, participant_h, referrer_h: sipHash64 of the ids, stored when the row is written, so a
--     distinct count or a join hashes 8-byte integers instead of strings. A 64-bit hash could collide:
--     reports use these columns only for ids the rollup job has checked against analytics_person_keys
--     (below) and, for the days it has not checked, after checking them at query time (metrics.ts,
--     `personIds`); any collision sends the client's reports back to the string ids.
-- The feed stops first (inserts into events go on); the copy at the end is taken from events itself, so
-- an event accepted meanwhile is not lost, and one the new feed also writes collapses with its copy.
DROP TABLE IF EXISTS analytics_events_feed;

DROP TABLE IF EXISTS analytics_touched_by_facts;

RENAME TABLE analytics_events TO analytics_events_0801;

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
    received_at DateTime,
    person_h UInt64,
    participant_h UInt64,
    referrer_h UInt64
)
ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(day)
ORDER BY (client_id, campaign_id, kind, day, event_id)
SETTINGS index_granularity = 1024;

-- The view's SELECT as in 0801, plus the hashes (ClickHouse 18.16 does not fill a DEFAULT column of a
-- view's target table: the view computes them).
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
  received_at,
  sipHash64(person) AS person_h,
  sipHash64(participant_id) AS participant_h,
  sipHash64(referrer_id) AS referrer_h
FROM events;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_touched_by_facts TO analytics_touched_days AS
SELECT client_id, day, now() AS touched_at FROM analytics_events GROUP BY client_id, day;

-- Every stored event again (its days stamped dirty by the view above: the next job run rolls them up).
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
  received_at,
  sipHash64(person) AS person_h,
  sipHash64(participant_id) AS participant_h,
  sipHash64(referrer_id) AS referrer_h
FROM events;

DROP TABLE IF EXISTS analytics_events_0801;

-- Every id (person, participant, referrer) of the days the rollup job has checked, with its hash: the
-- job writes a day's ids here and then looks for a hash with two different ids (rollup.ts). One row per
-- (client, hash, id): ReplacingMergeTree collapses the job writing an id again.
CREATE TABLE IF NOT EXISTS analytics_person_keys
(
    client_id String,
    h UInt64,
    id String,
    seen_at DateTime
)
ENGINE = ReplacingMergeTree(seen_at)
ORDER BY (client_id, h, id);

-- Hashes the job found shared by two ids: a client with a row here is reported from the string ids.
CREATE TABLE IF NOT EXISTS analytics_hash_collisions
(
    client_id String,
    h UInt64,
    found_at DateTime
)
ENGINE = ReplacingMergeTree(found_at)
ORDER BY (client_id, h);
