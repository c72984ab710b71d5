import { type Kysely, sql } from 'kysely';

/**
 * Reward lifecycle facts for analytics. A trigger on reward_transitions (every state step, written by
 * allocation and by moveReward in their own transactions) adds a fact to reward_fact_outbox in the same
 * transaction, so a state or transition added later produces facts with no code of its own. The fact
 * relay (services/reward/facts.ts) publishes the outbox to the bus; analytics stores it in ClickHouse.
 * Kinds: EARNED → allocated, FULFILLED → fulfilled, REDEEMED → redeemed, EXPIRED → expired,
 * REJECTED → rejected, REVOKED and REVERSED → reversed. fact_id = `<reward id>:<kind>`: each once.
 */
export async function rewardFactsUp(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table reward_fact_outbox (
      seq bigserial primary key,
      fact_id text not null unique,
      client_id text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      published_at timestamptz
    );
    create index reward_fact_outbox_pending on reward_fact_outbox (seq) where published_at is null;

    create function reward_fact_from_transition() returns trigger language plpgsql as $$
    declare
      v_kind text;
      r rewards%rowtype;
      k record;
    begin
      v_kind := case new.to_state
        when 'EARNED' then 'allocated' when 'FULFILLED' then 'fulfilled' when 'REDEEMED' then 'redeemed'
        when 'EXPIRED' then 'expired' when 'REJECTED' then 'rejected' when 'REVOKED' then 'reversed'
        when 'REVERSED' then 'reversed' else null end;
      if v_kind is null then return new; end if;
      select * into r from rewards where client_id = new.client_id and id = new.reward_id;
      if not found then return new; end if;
      select currency, budget into k from reward_campaigns
       where client_id = r.client_id and campaign_id = r.campaign_id;
      insert into reward_fact_outbox (fact_id, client_id, payload)
      values (r.id || ':' || v_kind, r.client_id, jsonb_build_object(
        'fact_id', r.id || ':' || v_kind,
        'kind', v_kind,
        'state', new.to_state,
        'client_id', r.client_id,
        'campaign_id', r.campaign_id,
        'reward_id', r.id,
        'participant_id', r.participant_id,
        'referral_id', coalesce(r.referral_id, ''),
        'side', r.side,
        'rule', r.rule,
        'category', r.category,
        'reward_type', coalesce(r.value->>'type', r.category),
        'amount', coalesce(r.amount, 0),
        'cost', r.cost,
        'currency', coalesce(r.currency, k.currency, ''),
        'budget', coalesce(k.budget, 0),
        'occurred_at', to_char(new.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
      on conflict (fact_id) do nothing;
      return new;
    end $$;

    create trigger reward_transitions_fact after insert on reward_transitions
      for each row execute function reward_fact_from_transition();
  `.execute(db);
}
