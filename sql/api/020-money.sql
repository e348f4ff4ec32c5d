/*
 * Money arithmetic: integer micro-USD only. A token class costs ceil(tokens x price / 1e6).
 */
create or replace function llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) returns bigint
  language plpgsql immutable parallel safe strict
  set search_path = pg_catalog
as $$
begin
  -- plpgsql rather than SQL: a SQL function with a SET clause is re-planned at every call.
  return div(p_tokens::numeric * p_per_mtok_micros + 999999, 1000000)::bigint;
end
$$;
comment on function llm_private.cost_micros(bigint, bigint) is
  'Cost in micro-USD of a number of tokens at a price per million tokens, rounded up (never a free fraction).';

/* The helpers below read prices: plpgsql, so that their plans are cached (a SQL function with a SET
   clause is re-planned at every call). */
create or replace function llm_private.worst_case_micros(p_price_id bigint, p_input_tokens integer, p_max_output_tokens integer)
  returns bigint
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  -- The worst case is a call whose every input token is uncached and that uses all its output.
  return llm_private.actual_cost_micros(p_price_id, p_input_tokens, 0, p_max_output_tokens);
end
$$;
comment on function llm_private.worst_case_micros(bigint, integer, integer) is
  'Upper bound of a call''s cost: every estimated input token at the uncached price plus every allowed output token.';

create or replace function llm_private.actual_cost_micros(p_price_id bigint, p_input_tokens integer, p_cached_input_tokens integer,
  p_output_tokens integer) returns bigint
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  p llm_private.model_prices;
begin
  select * into p from llm_private.model_prices x where x.id = p_price_id;
  return llm_private.cost_micros(p_input_tokens, p.input_per_mtok_micros)
       + llm_private.cost_micros(p_cached_input_tokens, p.cached_input_per_mtok_micros)
       + llm_private.cost_micros(p_output_tokens, p.output_per_mtok_micros);
end
$$;
comment on function llm_private.actual_cost_micros(bigint, integer, integer, integer) is
  'Real cost of a call from its usage, at the price that was in effect when it was reserved.';

create or replace function llm_private.max_output_within(p_price_id bigint, p_input_tokens integer, p_budget_micros bigint)
  returns integer
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  p llm_private.model_prices;
  left_micros bigint;
begin
  -- Largest m with ceil(m * out / 1e6) <= budget - input cost; NULL when even the input does not fit.
  select * into p from llm_private.model_prices x where x.id = p_price_id;
  left_micros := p_budget_micros - llm_private.cost_micros(p_input_tokens, p.input_per_mtok_micros);
  if left_micros < 0 then
    return null;
  elsif p.output_per_mtok_micros = 0 then
    return 1000000;
  end if;
  return least(1000000, div(left_micros::numeric * 1000000, p.output_per_mtok_micros))::integer;
end
$$;
comment on function llm_private.max_output_within(bigint, integer, bigint) is
  'The most output tokens whose worst case fits a budget, or NULL when the input alone does not fit.';

create or replace function llm_private.price_in_effect(p_provider text, p_model text, p_at timestamptz) returns bigint
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  return (select p.id from llm_private.model_prices p
           where p.provider = p_provider and p.model = p_model and p.effective_from <= p_at
           order by p.effective_from desc limit 1);
end
$$;
comment on function llm_private.price_in_effect(text, text, timestamptz) is
  'The id of the price row in effect for a model at an instant, or NULL (unknown model: refused, never free).';

grant execute on function llm_private.cost_micros(bigint, bigint), llm_private.worst_case_micros(bigint, integer, integer),
  llm_private.actual_cost_micros(bigint, integer, integer, integer), llm_private.max_output_within(bigint, integer, bigint),
  llm_private.price_in_effect(text, text, timestamptz) to llm_app, llm_operator, llm_auditor;
