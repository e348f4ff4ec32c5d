/*
 * Money arithmetic: integer micro-USD only. A call costs ceil(sum over its token classes of tokens x price / 1e6),
 * rounded up once, so no fraction of a micro-USD is ever free. (Rounded up per class, a settle that split the input
 * into uncached and cached tokens cost up to 1 micro-USD more than the reserve's worst case, past a hard cap; tenth
 * review.) Every attempt pins the price row in effect when it was reserved (attempts.price_id); prices are append-only.
 */
create or replace function llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) returns bigint
  language sql immutable parallel safe strict
as $$ select pg_catalog.div(p_tokens::pg_catalog.numeric * p_per_mtok_micros + 999999, 1000000)::pg_catalog.int8 $$;
comment on function llm_private.cost_micros(bigint, bigint) is
  'Cost in micro-USD of a number of tokens at a price per million tokens, rounded up. Inlinable.';

create or replace function llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer,
  p_output_tokens integer) returns bigint
  language sql immutable parallel safe
as $$
  select pg_catalog.div(p_input_tokens::pg_catalog.numeric * p.input_per_mtok_micros
                        + p_cached_input_tokens::pg_catalog.numeric * p.cached_input_per_mtok_micros
                        + p_output_tokens::pg_catalog.numeric * p.output_per_mtok_micros + 999999, 1000000)::pg_catalog.int8
$$;
comment on function llm_private.call_cost_micros(llm_private.model_prices, integer, integer, integer) is
  'The cost of a call at a price row: uncached input, cached input and output tokens at their prices, summed, rounded up once.';

create or replace function llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer)
  returns bigint
  language sql immutable parallel safe
as $$
  select greatest(llm_private.call_cost_micros(p, p_input_tokens, 0, p_output_tokens),
                  llm_private.call_cost_micros(p, 0, p_input_tokens, p_output_tokens))
$$;
comment on function llm_private.worst_case_micros(llm_private.model_prices, integer, integer) is
  'What a reserve holds: every input token at the dearer of the two input prices (a cached price above the uncached one was charged past the hold; tenth review) and every allowed output token, rounded up once. No settle within these tokens costs more (call_cost_micros).';

create or replace function llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint)
  returns integer
  language plpgsql immutable
  set search_path = pg_catalog
as $$
declare
  left_micros bigint := p_budget_micros - llm_private.cost_micros(p_input_tokens,
                                                                   greatest(p.input_per_mtok_micros, p.cached_input_per_mtok_micros));
begin
  -- Largest m with ceil(m * out / 1e6) <= budget - input cost (then worst_case_micros(p, in, m) <= budget as well: it rounds
  -- the sum once); NULL when even the input does not fit.
  if left_micros < 0 then
    return null;
  elsif p.output_per_mtok_micros = 0 then
    return 1000000;
  end if;
  return least(1000000, div(left_micros::numeric * 1000000, p.output_per_mtok_micros))::integer;
end
$$;
comment on function llm_private.max_output_within(llm_private.model_prices, integer, bigint) is
  'The most output tokens whose worst case fits a budget at a price, or NULL when the input alone does not fit.';

create or replace function llm_private.price_in_effect(p_provider text, p_model text, p_at timestamptz) returns llm_private.model_prices
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  p llm_private.model_prices;
begin
  select * into p from llm_private.model_prices x
   where x.provider = p_provider and x.model = p_model and x.effective_from <= p_at
   order by x.effective_from desc limit 1;
  return p;
end
$$;
comment on function llm_private.price_in_effect(text, text, timestamptz) is
  'The price row in effect for a model at an instant (all NULL when none: unknown model, refused, never free).';

grant execute on function llm_private.cost_micros(bigint, bigint),
  llm_private.call_cost_micros(llm_private.model_prices, integer, integer, integer),
  llm_private.worst_case_micros(llm_private.model_prices, integer, integer),
  llm_private.max_output_within(llm_private.model_prices, integer, bigint),
  llm_private.price_in_effect(text, text, timestamptz) to llm_money, llm_operator, llm_auditor, llm_app;
-- llm_viewer: the audit views derive a refused call's worst case from its price (llm.calls, llm.decision_log).
grant execute on function llm_private.call_cost_micros(llm_private.model_prices, integer, integer, integer),
  llm_private.worst_case_micros(llm_private.model_prices, integer, integer) to llm_viewer;
