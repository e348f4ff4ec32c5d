/*
 * Operator functions: tenants, caps, models, prices, fallbacks, endpoint policies, settings.
 * The runtime role reads all of these and writes none (llm_operator only, by policy and grant).
 */
create or replace function llm.upsert_tenant(p_tenant_id uuid, p_name text, p_monthly_cap_micros bigint default 500000000,
  p_user_monthly_cap_micros bigint default 25000000, p_hourly_shutoff_micros bigint default null,
  p_user_hourly_shutoff_micros bigint default null) returns void
  language sql
  set search_path = pg_catalog
as $$
  insert into llm_private.tenants (id, name, monthly_cap_micros, user_monthly_cap_micros, hourly_shutoff_micros, user_hourly_shutoff_micros)
  values (p_tenant_id, p_name, p_monthly_cap_micros, p_user_monthly_cap_micros, p_hourly_shutoff_micros, p_user_hourly_shutoff_micros)
  on conflict (id) do update set name = excluded.name, monthly_cap_micros = excluded.monthly_cap_micros,
    user_monthly_cap_micros = excluded.user_monthly_cap_micros, hourly_shutoff_micros = excluded.hourly_shutoff_micros,
    user_hourly_shutoff_micros = excluded.user_hourly_shutoff_micros
$$;
comment on function llm.upsert_tenant(uuid, text, bigint, bigint, bigint, bigint) is
  'Operator: creates or updates a tenant and its caps (micro-USD; per-user monthly cap defaults to 25 USD).';

create or replace function llm.set_user_caps(p_tenant_id uuid, p_user_id uuid, p_monthly_cap_micros bigint,
  p_hourly_shutoff_micros bigint default null) returns void
  language sql
  set search_path = pg_catalog
as $$
  insert into llm_private.users (tenant_id, id, monthly_cap_micros, hourly_shutoff_micros)
  values (p_tenant_id, p_user_id, p_monthly_cap_micros, p_hourly_shutoff_micros)
  on conflict (tenant_id, id) do update set monthly_cap_micros = excluded.monthly_cap_micros,
    hourly_shutoff_micros = excluded.hourly_shutoff_micros
$$;
comment on function llm.set_user_caps(uuid, uuid, bigint, bigint) is
  'Operator: overrides one user''s monthly cap and hourly threshold (NULL = the tenant default).';

create or replace function llm.upsert_model(p_provider text, p_model text, p_max_output_tokens integer,
  p_training_allowed boolean default false) returns void
  language sql
  set search_path = pg_catalog
as $$
  insert into llm_private.models (provider, model, max_output_tokens, training_allowed)
  values (p_provider, p_model, p_max_output_tokens, p_training_allowed)
  on conflict (provider, model) do update set max_output_tokens = excluded.max_output_tokens,
    training_allowed = excluded.training_allowed
$$;
comment on function llm.upsert_model(text, text, integer, boolean) is 'Operator: declares a model of a provider.';

create or replace function llm.set_model_price(p_provider text, p_model text, p_effective_from timestamptz,
  p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint) returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  pid bigint;
begin
  -- Prices are append-only: an identical row is a no-op, a different one for the same instant is refused.
  select id into pid from llm_private.model_prices
   where provider = p_provider and model = p_model and effective_from = p_effective_from;
  if pid is not null then
    if exists (select 1 from llm_private.model_prices where id = pid
                 and (input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros)
                   = (p_input_per_mtok_micros, p_cached_input_per_mtok_micros, p_output_per_mtok_micros)) then
      return pid;
    end if;
    raise exception using errcode = '23505', message = 'a different price already starts at this instant',
      detail = format('%s:%s from %s', p_provider, p_model, p_effective_from),
      hint = 'Prices are append-only: add a new price with a later effective_from.';
  end if;
  insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros,
    output_per_mtok_micros)
  values (p_provider, p_model, p_effective_from, p_input_per_mtok_micros, p_cached_input_per_mtok_micros, p_output_per_mtok_micros)
  returning id into pid;
  return pid;
end
$$;
comment on function llm.set_model_price(text, text, timestamptz, bigint, bigint, bigint) is
  'Operator: adds a price (micro-USD per million tokens) effective from an instant. Append-only; returns the price id.';

create or replace function llm.set_fallbacks(p_provider text, p_model text, p_fallbacks text[]) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  perform llm_private.require_range('cardinality(p_fallbacks)', cardinality(coalesce(p_fallbacks, '{}')), 0, 10);
  delete from llm_private.model_fallbacks where provider = p_provider and model = p_model;
  insert into llm_private.model_fallbacks (provider, model, position, fallback_provider, fallback_model)
  select p_provider, p_model, f.ord, split_part(f.ref, ':', 1), substr(f.ref, length(split_part(f.ref, ':', 1)) + 2)
    from unnest(p_fallbacks) with ordinality f(ref, ord);
end
$$;
comment on function llm.set_fallbacks(text, text, text[]) is
  'Operator: replaces a model''s ordered fallback chain; each element is written provider:model.';

create or replace function llm.set_endpoint_policy(p_tenant_id uuid, p_endpoint text, p_per_request_cap_micros bigint,
  p_over_cap_action text default 'cap', p_min_output_tokens integer default 16) returns void
  language sql
  set search_path = pg_catalog
as $$
  insert into llm_private.endpoint_policies (tenant_id, endpoint, per_request_cap_micros, over_cap_action, min_output_tokens)
  values (p_tenant_id, llm_private.to_endpoint(p_endpoint), p_per_request_cap_micros, p_over_cap_action, p_min_output_tokens)
  on conflict (tenant_id, endpoint) do update set per_request_cap_micros = excluded.per_request_cap_micros,
    over_cap_action = excluded.over_cap_action, min_output_tokens = excluded.min_output_tokens
$$;
comment on function llm.set_endpoint_policy(uuid, text, bigint, text, integer) is
  'Operator: sets the per-request cap of an endpoint for one tenant, or the default for all (p_tenant_id NULL).';

create or replace function llm.set_settings(p_global_hourly_shutoff_micros bigint, p_hold_margin_ms integer default 30000,
  p_max_attempts_per_request integer default 5) returns void
  language sql
  set search_path = pg_catalog
as $$
  update llm_private.settings set global_hourly_shutoff_micros = p_global_hourly_shutoff_micros,
    hold_margin_ms = p_hold_margin_ms, max_attempts_per_request = p_max_attempts_per_request
$$;
comment on function llm.set_settings(bigint, integer, integer) is
  'Operator: global hourly shutoff threshold (NULL = none), hold margin and attempts per request.';

grant execute on function llm.upsert_tenant(uuid, text, bigint, bigint, bigint, bigint), llm.set_user_caps(uuid, uuid, bigint, bigint),
  llm.upsert_model(text, text, integer, boolean), llm.set_model_price(text, text, timestamptz, bigint, bigint, bigint),
  llm.set_fallbacks(text, text, text[]), llm.set_endpoint_policy(uuid, text, bigint, text, integer),
  llm.set_settings(bigint, integer, integer) to llm_operator;

create or replace function llm.sync_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean,
  p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_fallbacks text[])
  returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  pid bigint := llm_private.price_in_effect(p_provider, p_model, llm_private.now());
begin
  perform llm.upsert_model(p_provider, p_model, p_max_output_tokens, p_training_allowed);
  -- A changed price starts now; past reservations keep the price they were made at.
  if pid is null or not exists (
       select 1 from llm_private.model_prices p where p.id = pid
          and (p.input_per_mtok_micros, p.cached_input_per_mtok_micros, p.output_per_mtok_micros)
            = (p_input_per_mtok_micros, p_cached_input_per_mtok_micros, p_output_per_mtok_micros)) then
    perform llm.set_model_price(p_provider, p_model, llm_private.now(), p_input_per_mtok_micros, p_cached_input_per_mtok_micros,
      p_output_per_mtok_micros);
  end if;
end
$$;
comment on function llm.sync_model(text, text, integer, boolean, bigint, bigint, bigint, text[]) is
  'Operator (the worker at start, from its provider configuration): declares a model and, when its price differs from the one in effect, adds the new price from now. Fallbacks are set separately with llm.set_fallbacks, once every model exists.';
grant execute on function llm.sync_model(text, text, integer, boolean, bigint, bigint, bigint, text[]) to llm_operator;
