/*
 * Which model, and how many output tokens, a request may have under its per-request cap.
 * Decision table (headroom = the endpoint's per-request cap, or the caller's lower cost ceiling,
 * minus what earlier attempts of the same request already cost):
 *   unknown model (no price in effect)                    -> block unknown_model
 *   model unavailable (breaker open)                      -> first fallback that fits, else block breaker_open
 *   worst case (input + max output, clamped to the model's max) <= headroom -> allow
 *   over the cap, action 'block'                          -> block per_request_cap
 *   over the cap, action 'cap'      -> cap (max output lowered to fit, if >= min_output_tokens),
 *                                      else the first fallback that fits, else block per_request_cap
 *   over the cap, action 'fallback' -> the first fallback that fits, else cap, else block per_request_cap
 */
create or replace function llm_private.first_fallback(p_provider text, p_model text, p_input_tokens integer, p_max_output_tokens integer,
  p_headroom_micros bigint, p_at timestamptz,
  out provider text, out model text, out price_id bigint, out max_output_tokens integer, out worst_case_micros bigint)
  language plpgsql
  set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  f record;
begin
  for f in
    select fb.fallback_provider, fb.fallback_model, m.max_output_tokens as model_max
      from llm_private.model_fallbacks fb
      join llm_private.models m on (m.provider, m.model) = (fb.fallback_provider, fb.fallback_model)
     where fb.provider = p_provider and fb.model = p_model
     order by fb.position
  loop
    price_id := llm_private.price_in_effect(f.fallback_provider, f.fallback_model, p_at);
    continue when price_id is null;
    max_output_tokens := least(p_max_output_tokens, f.model_max);
    worst_case_micros := llm_private.worst_case_micros(price_id, p_input_tokens, max_output_tokens);
    -- Fit first, breaker second: asking the breaker may claim its half-open probe.
    if worst_case_micros <= p_headroom_micros and llm_private.breaker_admits(f.fallback_provider, f.fallback_model) then
      provider := f.fallback_provider;
      model := f.fallback_model;
      return;
    end if;
  end loop;
  price_id := null; max_output_tokens := null; worst_case_micros := null;
end
$$;
comment on function llm_private.first_fallback(text, text, integer, integer, bigint, timestamptz) is
  'The first model of the fallback chain that has a price, is available and whose worst case fits the headroom; NULLs if none.';

create or replace function llm_private.choose_model(p_tenant_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text,
  p_input_tokens integer, p_max_output_tokens integer, p_request_spent_micros bigint, p_at timestamptz, p_cost_ceiling_micros bigint,
  out decision text, out reason text, out provider text, out model text, out price_id bigint,
  out max_output_tokens integer, out worst_case_micros bigint, out limit_micros bigint)
  language plpgsql
  set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  pol llm_private.endpoint_policies;
  headroom bigint;
  model_max integer;
  capped integer;
  fb record;
begin
  select * into pol from llm_private.endpoint_policies ep
   where ep.endpoint = p_endpoint and (ep.tenant_id = p_tenant_id or ep.tenant_id is null)
   order by ep.tenant_id nulls last limit 1;
  -- The caller may lower the per-request cap for this request (its cost ceiling), never raise it.
  limit_micros := least(pol.per_request_cap_micros, p_cost_ceiling_micros);
  headroom := greatest(coalesce(limit_micros, 0) - p_request_spent_micros, 0);
  provider := p_provider; model := p_model;
  price_id := llm_private.price_in_effect(p_provider, p_model, p_at);
  select m.max_output_tokens into model_max from llm_private.models m where (m.provider, m.model) = (p_provider, p_model);
  if price_id is null or model_max is null then
    decision := 'block'; reason := 'unknown_model'; price_id := null; return;
  end if;
  if pol.id is null then
    decision := 'block'; reason := 'per_request_cap'; limit_micros := 0; return;  -- no policy: fail closed
  end if;
  max_output_tokens := least(p_max_output_tokens, model_max);
  worst_case_micros := llm_private.worst_case_micros(price_id, p_input_tokens, max_output_tokens);

  if not llm_private.breaker_admits(p_provider, p_model) then
    select * into fb from llm_private.first_fallback(p_provider, p_model, p_input_tokens, p_max_output_tokens, headroom, p_at);
    if fb.provider is null then
      decision := 'block'; reason := 'breaker_open'; return;
    end if;
    decision := 'fallback'; reason := 'breaker_open';
    provider := fb.provider; model := fb.model; price_id := fb.price_id;
    max_output_tokens := fb.max_output_tokens; worst_case_micros := fb.worst_case_micros;
    return;
  end if;

  if worst_case_micros <= headroom then
    decision := 'allow'; reason := 'ok'; return;
  end if;
  if pol.over_cap_action = 'block' then
    decision := 'block'; reason := 'per_request_cap'; return;
  end if;

  capped := llm_private.max_output_within(price_id, p_input_tokens, headroom);  -- NULL: the input alone breaks the cap
  capped := case when capped is not null then least(max_output_tokens, capped) end;
  select * into fb from llm_private.first_fallback(p_provider, p_model, p_input_tokens, p_max_output_tokens, headroom, p_at);
  if capped >= pol.min_output_tokens and (pol.over_cap_action = 'cap' or fb.provider is null) then
    decision := 'cap'; reason := 'over_request_cap';
    max_output_tokens := capped;
    worst_case_micros := llm_private.worst_case_micros(price_id, p_input_tokens, capped);
  elsif fb.provider is not null then
    decision := 'fallback'; reason := 'over_request_cap';
    provider := fb.provider; model := fb.model; price_id := fb.price_id;
    max_output_tokens := fb.max_output_tokens; worst_case_micros := fb.worst_case_micros;
  else
    decision := 'block'; reason := 'per_request_cap';
  end if;
end
$$;
comment on function llm_private.choose_model(uuid, llm_private.endpoint, text, text, integer, integer, bigint, timestamptz, bigint) is
  'Applies the per-request cap and the breaker: returns allow, cap, fallback or block with the model, output tokens and worst case to hold.';

grant execute on function llm_private.first_fallback(text, text, integer, integer, bigint, timestamptz),
  llm_private.choose_model(uuid, llm_private.endpoint, text, text, integer, integer, bigint, timestamptz, bigint) to llm_app, llm_operator;
