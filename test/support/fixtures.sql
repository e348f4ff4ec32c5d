/*
 * Test helpers, installed in the test template by global-setup.ts (schema tests, owned by the
 * superuser; never part of the product). Modelled on basejump's supabase-test-helpers.
 */
create schema if not exists tests;
grant usage on schema tests to public;

-- Identities used across test files.
create or replace function tests.tenant_a() returns uuid language sql immutable as $$ select 'a0000000-0000-0000-0000-00000000000a'::uuid $$;
create or replace function tests.tenant_b() returns uuid language sql immutable as $$ select 'b0000000-0000-0000-0000-00000000000b'::uuid $$;
create or replace function tests.user_a1() returns uuid language sql immutable as $$ select 'a1000000-0000-0000-0000-000000000001'::uuid $$;
create or replace function tests.user_a2() returns uuid language sql immutable as $$ select 'a2000000-0000-0000-0000-000000000002'::uuid $$;
create or replace function tests.user_b1() returns uuid language sql immutable as $$ select 'b1000000-0000-0000-0000-000000000001'::uuid $$;

/* Freezes the product's clock (only the owner or a superuser can). */
create or replace function tests.freeze_clock(p_at timestamptz) returns void language sql as $$
  update llm_private.clock set frozen_at = p_at, offset_ms = 0
$$;

/* Becomes llm_app for the rest of the transaction with a tenant+user context. */
create or replace function tests.act_as(p_tenant uuid, p_user uuid) returns void language plpgsql as $$
begin
  perform set_config('role', 'llm_app', true);
  perform set_config('app.current_tenant_id', coalesce(p_tenant::text, ''), true);
  perform set_config('app.current_user_id', coalesce(p_user::text, ''), true);
end $$;

create or replace function tests.act_as_role(p_role text) returns void language plpgsql as $$
begin
  perform set_config('role', p_role, true);
  perform set_config('app.current_tenant_id', '', true);
  perform set_config('app.current_user_id', '', true);
end $$;

/*
 * Two tenants, three users, three models with prices, a fallback chain, a frozen clock.
 * Prices (micro-USD per million tokens): mock:large 10/5/30 USD, mock:small 1/0.5/2 USD,
 * mock:tiny 0.1/0.05/0.2 USD. Worst case of mock:large with 1 000 in + 1 000 out = 40 000 micros.
 */
create or replace function tests.seed() returns void language plpgsql as $$
begin
  perform tests.freeze_clock('2026-03-15 10:30:00+00');
  insert into llm_private.tenants (id, name) values (tests.tenant_a(), 'tenant A'), (tests.tenant_b(), 'tenant B');
  insert into llm_private.users (tenant_id, id) values
    (tests.tenant_a(), tests.user_a1()), (tests.tenant_a(), tests.user_a2()), (tests.tenant_b(), tests.user_b1());
  insert into llm_private.models (provider, model, max_output_tokens, training_allowed) values
    ('mock', 'large', 8192, false), ('mock', 'small', 4096, true), ('mock', 'tiny', 2048, true);
  insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros) values
    ('mock', 'large', '2000-01-01', 10000000, 5000000, 30000000),
    ('mock', 'small', '2000-01-01', 1000000, 500000, 2000000),
    ('mock', 'tiny', '2000-01-01', 100000, 50000, 200000);
  insert into llm_private.model_fallbacks (provider, model, position, fallback_provider, fallback_model) values
    ('mock', 'large', 1, 'mock', 'small'), ('mock', 'large', 2, 'mock', 'tiny');
end $$;

/* reserve as the current identity, returning the whole decision row. */
create or replace function tests.reserve(p_request_id text, p_endpoint text default 'investigation', p_model text default 'large',
  p_input integer default 1000, p_max_output integer default 1000, p_attempt integer default 1, p_tenant uuid default null, p_user uuid default null)
  returns table (decision text, reason text, reservation_id bigint, provider text, model text, max_output_tokens integer,
    held_micros bigint, worst_case_micros bigint, limit_name text, limit_micros bigint, used_micros bigint, expires_at timestamptz,
    cached_output text)
  language sql as $$
  select * from llm.reserve_call(coalesce(p_tenant, llm_private.current_tenant_id()), coalesce(p_user, llm_private.current_user_id()),
    p_request_id, p_endpoint, 'mock', p_model, p_input, p_max_output, p_attempt, 60000)
$$;

grant execute on all functions in schema tests to public;

/* A payload for the cache tests: same question, a given watermark. */
create or replace function tests.payload(p_request_id text, p_watermark text, p_content text default 'Why did spend rise in March?')
  returns jsonb language sql immutable as $$
  select jsonb_build_object('tenant_id', llm_private.current_tenant_id(), 'user_id', llm_private.current_user_id(),
    'request_id', p_request_id, 'endpoint', 'explanation', 'model', 'mock:small',
    'messages', jsonb_build_array(jsonb_build_object('role', 'user', 'content', p_content)),
    'max_output_tokens', 100, 'source_watermark', p_watermark)
$$;

/* reserve with the payload's cache key. */
create or replace function tests.reserve_cached(p_request_id text, p_watermark text, p_content text default 'Why did spend rise in March?')
  returns table (decision text, reason text, reservation_id bigint, cached_output text, held_micros bigint)
  language sql as $$
  select r.decision, r.reason, r.reservation_id, r.cached_output, r.held_micros
    from llm.reserve_call(llm_private.current_tenant_id(), llm_private.current_user_id(), p_request_id, 'explanation', 'mock', 'small',
      100, 100, 1, 60000, null, llm.cache_key(tests.payload(p_request_id, p_watermark, p_content))) r
$$;
grant execute on all functions in schema tests to public;
