/**
 * The allocation functions of migration 0001 (frozen with it: a change is a new migration with a
 * `create or replace`). One call — `select * from reward_allocate_batch($items)` — allocates a batch of
 * rewards (one, or several that arrived together) in one statement and one transaction:
 *
 * 1. lock every campaign row, then every earner row, the batch touches, each set in key order, so that
 *    concurrent batches cannot deadlock and nothing below can race;
 * 2. per item, in order: a replay of its idempotency key returns the first answer; otherwise the first
 *    failing check in phase order (caps from reward_caps_reason, then the caller's segmentation/fraud
 *    verdict, then duplicates) records a REJECTED reward with that reason; otherwise the reward is
 *    recorded with its transitions and fulfilment job, and the counters move.
 *
 * The rows are locked, so the caps read in step 2 are the truth and can never be exceeded (READ
 * COMMITTED, no SERIALIZABLE retries). The only race left is another transaction inserting the same
 * idempotency key or claim at the same moment: the function raises RW409, the statement rolls back, and
 * the caller runs the batch again (step 2 then sees the winner's row).
 */
/** The first failing phase-1 check in the documented order, from the current rows; null when all pass. */
export const capsReasonFunction = `
create function reward_caps_reason(
  p_client text, p_campaign text, p_participant text, p_cost numeric, p_counts_limit boolean
) returns text language plpgsql stable as $$
declare
  c reward_campaigns%rowtype;
  e reward_earners%rowtype;
  l reward_earners%rowtype;
begin
  select * into c from reward_campaigns k where k.client_id = p_client and k.campaign_id = p_campaign;
  if not found then return 'PROGRAM_NOT_FOUND'; end if;
  if c.status <> 'active' then return 'CAMPAIGN_INACTIVE'; end if;
  if (c.starts_at is not null and now() < c.starts_at) or (c.ends_at is not null and now() >= c.ends_at) then
    return 'OUTSIDE_CAMPAIGN_PERIOD';
  end if;
  select * into e from reward_earners x
    where x.client_id = p_client and x.campaign_id = p_campaign and x.participant_id = p_participant;
  if c.max_winners is not null and c.winners >= c.max_winners and coalesce(e.rewards, 0) = 0 then
    return 'WINNER_CAP_REACHED';
  end if;
  if c.budget is not null and c.allocated + p_cost > c.budget then return 'BUDGET_EXHAUSTED'; end if;
  if p_counts_limit then
    if (c.limit_count is not null and coalesce(e.limited_count, 0) >= c.limit_count)
       or (c.limit_amount is not null and coalesce(e.limited_amount, 0) + p_cost > c.limit_amount) then
      return 'EARNING_LIMIT';
    end if;
    if c.lifetime_count is not null or c.lifetime_amount is not null then
      select * into l from reward_earners x
        where x.client_id = p_client and x.campaign_id = '*' and x.participant_id = p_participant;
      if (c.lifetime_count is not null and coalesce(l.limited_count, 0) >= c.lifetime_count)
         or (c.lifetime_amount is not null and coalesce(l.limited_amount, 0) + p_cost > c.lifetime_amount) then
        return 'EARNING_LIMIT';
      end if;
    end if;
  end if;
  return null;
end $$;
`;

export const allocateFunction = `
create function reward_batch_earner_keys(p_items jsonb)
returns table (cl text, cp text, pa text) language sql stable as $$
  select x->>'client_id', x->>'campaign_id', x->>'participant_id' from jsonb_array_elements(p_items) x
  union
  select x->>'client_id', '*', x->>'participant_id'
    from jsonb_array_elements(p_items) x
    join reward_campaigns k on k.client_id = x->>'client_id' and k.campaign_id = x->>'campaign_id'
   where (x->>'counts_limit')::boolean and (k.lifetime_count is not null or k.lifetime_amount is not null)
$$;

create function reward_allocate_batch(p_items jsonb)
returns table (ord integer, out_id text, out_state text, out_reason text, out_replayed boolean)
language plpgsql as $$
declare
  it record;
  c reward_campaigns%rowtype;
  e reward_earners%rowtype;
  l reward_earners%rowtype;
  v_reason text;
  v_final text;
  v_lifetime boolean;
  -- Transitions and fulfilment jobs of the whole batch, written with one statement each at the end.
  t_reward text[] := '{}';
  t_client text[] := '{}';
  t_seq integer[] := '{}';
  t_from text[] := '{}';
  t_to text[] := '{}';
  t_reason text[] := '{}';
  j_reward text[] := '{}';
  j_client text[] := '{}';
  j_attempts integer[] := '{}';
  v_states text[];
begin
  -- Row locks through the primary keys, in key order (nested loops keep the outer order).
  perform 1
     from (select distinct x->>'client_id' as cl, x->>'campaign_id' as cp
             from jsonb_array_elements(p_items) x order by 1, 2) w,
          lateral (select 1 from reward_campaigns k
                    where k.client_id = w.cl and k.campaign_id = w.cp for update) locked;

  -- Earner rows: this campaign's, and the client-wide '*' row where lifetime limits apply.
  insert into reward_earners (client_id, campaign_id, participant_id)
  select cl, cp, pa from reward_batch_earner_keys(p_items) order by 1, 2, 3
  on conflict do nothing;
  perform 1
     from (select * from reward_batch_earner_keys(p_items) order by 1, 2, 3) w,
          lateral (select 1 from reward_earners er
                    where er.client_id = w.cl and er.campaign_id = w.cp and er.participant_id = w.pa for update) locked;

  for it in
    select * from jsonb_to_recordset(p_items) as x(
      ord integer, id text, client_id text, campaign_id text, version integer, rule text, side text,
      participant_id text, referral_id text, claim_key text, idempotency_key text, category text,
      amount numeric, currency text, cost numeric, value jsonb, segment text, basis_value numeric,
      mode text, redeem text, counts_limit boolean, path text[], expires_at timestamptz,
      pre_reject text, max_attempts integer)
    order by x.ord
  loop
    ord := it.ord;
    select r.id, r.state, r.reason into out_id, out_state, out_reason
      from rewards r where r.client_id = it.client_id and r.idempotency_key = it.idempotency_key;
    if found then out_replayed := true; return next; continue; end if;
    out_replayed := false;

    -- Phase 1 on the locked rows (same checks and order as reward_caps_reason), then the caller's
    -- phase-2/3 verdict, then duplicates.
    v_reason := null;
    select * into c from reward_campaigns k where k.client_id = it.client_id and k.campaign_id = it.campaign_id;
    select * into e from reward_earners x
     where x.client_id = it.client_id and x.campaign_id = it.campaign_id and x.participant_id = it.participant_id;
    v_lifetime := it.counts_limit and (c.lifetime_count is not null or c.lifetime_amount is not null);
    if v_lifetime then
      select * into l from reward_earners x
       where x.client_id = it.client_id and x.campaign_id = '*' and x.participant_id = it.participant_id;
    end if;
    if c.client_id is null then v_reason := 'PROGRAM_NOT_FOUND';
    elsif c.status <> 'active' then v_reason := 'CAMPAIGN_INACTIVE';
    elsif (c.starts_at is not null and now() < c.starts_at) or (c.ends_at is not null and now() >= c.ends_at) then
      v_reason := 'OUTSIDE_CAMPAIGN_PERIOD';
    elsif c.max_winners is not null and c.winners >= c.max_winners and e.rewards = 0 then
      v_reason := 'WINNER_CAP_REACHED';
    elsif c.budget is not null and c.allocated + it.cost > c.budget then v_reason := 'BUDGET_EXHAUSTED';
    elsif it.counts_limit and (
           (c.limit_count is not null and e.limited_count >= c.limit_count)
        or (c.limit_amount is not null and e.limited_amount + it.cost > c.limit_amount)
        or (v_lifetime and c.lifetime_count is not null and l.limited_count >= c.lifetime_count)
        or (v_lifetime and c.lifetime_amount is not null and l.limited_amount + it.cost > c.lifetime_amount)) then
      v_reason := 'EARNING_LIMIT';
    else
      v_reason := coalesce(it.pre_reject,
        (select 'DUPLICATE_CLAIM' from rewards r
          where r.client_id = it.client_id and r.campaign_id = it.campaign_id and r.rule = it.rule
            and r.side = it.side and r.participant_id = it.participant_id and r.claim_key = it.claim_key
            and r.state <> 'REJECTED'
          limit 1));
    end if;

    if v_reason is null then
      v_final := it.path[array_length(it.path, 1)];
      insert into rewards (id, client_id, campaign_id, version, rule, side, participant_id, referral_id, claim_key,
                           state, category, amount, currency, cost, value, segment, basis_value, fulfilment_mode,
                           redeem_mode, counts_limit, idempotency_key, expires_at)
      values (it.id, it.client_id, it.campaign_id, it.version, it.rule, it.side, it.participant_id, it.referral_id,
              it.claim_key, v_final, it.category, it.amount, it.currency, it.cost, it.value, it.segment,
              it.basis_value, it.mode, it.redeem, it.counts_limit, it.idempotency_key, it.expires_at)
      on conflict do nothing;
      -- Another transaction committed the same key or claim a moment ago: roll back, the caller retries.
      if not found then raise exception using errcode = 'RW409', message = 'concurrent allocation of the same key or claim'; end if;

      update reward_earners x
         set rewards = x.rewards + 1,
             limited_count = x.limited_count + (case when it.counts_limit then 1 else 0 end),
             limited_amount = x.limited_amount + (case when it.counts_limit then it.cost else 0 end)
       where x.client_id = it.client_id and x.campaign_id = it.campaign_id and x.participant_id = it.participant_id;
      if v_lifetime then
        update reward_earners x
           set rewards = x.rewards + 1, limited_count = x.limited_count + 1, limited_amount = x.limited_amount + it.cost
         where x.client_id = it.client_id and x.campaign_id = '*' and x.participant_id = it.participant_id;
      end if;

      v_states := array['EARNED'] || it.path;
      for i in 1 .. array_length(v_states, 1) loop
        t_reward := t_reward || it.id;
        t_client := t_client || it.client_id;
        t_seq := t_seq || i;
        t_from := t_from || (case when i = 1 then null else v_states[i - 1] end);
        t_to := t_to || v_states[i];
        t_reason := t_reason || null::text;
      end loop;
      if v_final = 'APPROVED' then
        j_reward := j_reward || it.id;
        j_client := j_client || it.client_id;
        j_attempts := j_attempts || it.max_attempts;
      end if;

      update reward_campaigns k
         set allocated = k.allocated + it.cost,
             winners = k.winners + (case when e.rewards = 0 then 1 else 0 end)
       where k.client_id = it.client_id and k.campaign_id = it.campaign_id;
      out_id := it.id; out_state := v_final; out_reason := null;
      return next;
      continue;
    end if;

    insert into rewards (id, client_id, campaign_id, version, rule, side, participant_id, referral_id, claim_key,
                         state, category, amount, currency, cost, value, segment, basis_value, fulfilment_mode,
                         redeem_mode, counts_limit, idempotency_key, reason)
    values (it.id, it.client_id, it.campaign_id, it.version, it.rule, it.side, it.participant_id, it.referral_id,
            it.claim_key, 'REJECTED', it.category, it.amount, it.currency, it.cost, it.value, it.segment,
            it.basis_value, it.mode, it.redeem, it.counts_limit, it.idempotency_key, v_reason)
    on conflict do nothing;
    if not found then raise exception using errcode = 'RW409', message = 'concurrent allocation of the same key'; end if;
    t_reward := t_reward || array[it.id, it.id, it.id];
    t_client := t_client || array[it.client_id, it.client_id, it.client_id];
    t_seq := t_seq || array[1, 2, 3];
    t_from := t_from || array[null, 'EARNED', 'PENDING'];
    t_to := t_to || array['EARNED', 'PENDING', 'REJECTED'];
    t_reason := t_reason || array[null, null, v_reason];
    out_id := it.id; out_state := 'REJECTED'; out_reason := v_reason;
    return next;
  end loop;

  insert into reward_transitions (client_id, reward_id, seq, from_state, to_state, actor, reason)
  select c_, r_, s_, f_, t_, 'system', why_ from unnest(t_client, t_reward, t_seq, t_from, t_to, t_reason) as u(c_, r_, s_, f_, t_, why_);
  insert into fulfilment_jobs (reward_id, client_id, max_attempts)
  select r_, c_, a_ from unnest(j_reward, j_client, j_attempts) as u(r_, c_, a_);
end $$;
`;
