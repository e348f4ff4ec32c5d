/*
 * Test helpers, installed in the test template by global-setup.ts (schema tests, owned by the
 * superuser; never part of the product). Modelled on basejump's supabase-test-helpers.
 * Identity switches use set_config('role', ..., true): they last until the end of the transaction
 * or the next switch; tests.as_admin() switches back to the superuser.
 */
create schema if not exists tests;
grant usage on schema tests to public;

-- Identities used across test files.
create or replace function tests.tenant_a() returns uuid language sql immutable as $$ select 'a0000000-0000-0000-0000-00000000000a'::uuid $$;
create or replace function tests.tenant_b() returns uuid language sql immutable as $$ select 'b0000000-0000-0000-0000-00000000000b'::uuid $$;
create or replace function tests.user_a1() returns uuid language sql immutable as $$ select 'a1000000-0000-0000-0000-000000000001'::uuid $$;
create or replace function tests.user_a2() returns uuid language sql immutable as $$ select 'a2000000-0000-0000-0000-000000000002'::uuid $$;
create or replace function tests.user_b1() returns uuid language sql immutable as $$ select 'b1000000-0000-0000-0000-000000000001'::uuid $$;
/* The context secret global-setup.ts installs (LLMGOV_TEST_CONTEXT_SECRET). */
create or replace function tests.secret() returns text language sql immutable as $$ select 'test-context-secret-0123456789abcdef'::text $$;

/* Freezes the product's clock (only the owner or a superuser can). */
create or replace function tests.freeze_clock(p_at timestamptz) returns void language sql as $$
  update llm_private.clock set frozen_at = p_at, offset_ms = 0
$$;

create or replace function tests.as_admin() returns void language plpgsql as $$
begin
  perform set_config('role', session_user, true);
  perform set_config('app.context', '', true);
  perform set_config('app.current_tenant_id', '', true);
  perform set_config('app.current_user_id', '', true);
  perform set_config('app.context_tx', '', true);
end $$;

/* The application (llm_app) with a signed context for a tenant and user. */
create or replace function tests.act_as_app(p_tenant uuid, p_user uuid) returns void language plpgsql as $$
begin
  perform tests.as_admin();
  perform set_config('role', 'llm_app', true);
  perform llm.use_context(llm.sign_context(tests.secret(), p_tenant, p_user, 600));
end $$;

/* The worker's money path (llm_money) in a tenant+user context. */
create or replace function tests.act_as_money(p_tenant uuid, p_user uuid) returns void language plpgsql as $$
begin
  perform tests.as_admin();
  perform set_config('role', 'llm_money', true);
  perform set_config('app.current_tenant_id', coalesce(p_tenant::text, ''), true);
  perform set_config('app.current_user_id', coalesce(p_user::text, ''), true);
  perform set_config('app.context_tx', llm_private.tx_stamp()::text, true);
end $$;

create or replace function tests.act_as_role(p_role text) returns void language plpgsql as $$
begin
  perform tests.as_admin();
  perform set_config('role', p_role, true);
end $$;

/*
 * Two tenants, three users, models with prices, a fallback chain, a frozen clock.
 * Prices (micro-USD per million tokens): mock:large 10/5/30 USD, mock:small 1/0.5/2 USD,
 * mock:tiny 0.1/0.05/0.2 USD, mock:embed 0.02 USD input. Worst case of mock:large with
 * 1 000 in + 1 000 out = 40 000 micros; of mock:small 3 000; of mock:tiny 300.
 */
create or replace function tests.seed() returns void language plpgsql as $$
begin
  perform tests.freeze_clock('2026-03-15 10:30:00+00');
  insert into llm_private.tenants (id, name) values (tests.tenant_a(), 'tenant A'), (tests.tenant_b(), 'tenant B');
  insert into llm_private.users (tenant_id, id) values
    (tests.tenant_a(), tests.user_a1()), (tests.tenant_a(), tests.user_a2()), (tests.tenant_b(), tests.user_b1());
  insert into llm_private.models (provider, model, kind, max_output_tokens, training_allowed) values
    ('mock', 'large', 'chat', 8192, false), ('mock', 'small', 'chat', 4096, true), ('mock', 'tiny', 'chat', 2048, true),
    ('mock', 'embed', 'embedding', 1, false);
  insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros) values
    ('mock', 'large', '2000-01-01', 10000000, 5000000, 30000000),
    ('mock', 'small', '2000-01-01', 1000000, 500000, 2000000),
    ('mock', 'tiny', '2000-01-01', 100000, 50000, 200000),
    ('mock', 'embed', '2000-01-01', 20000, 20000, 0);
  insert into llm_private.model_fallbacks (provider, model, position, fallback_provider, fallback_model) values
    ('mock', 'large', 1, 'mock', 'small'), ('mock', 'large', 2, 'mock', 'tiny');
end $$;

/* A payload; p_extra is merged in (e.g. '{"budget_scope": "inv-1", "source_watermark": "w1"}'). */
create or replace function tests.payload(p_request_id text, p_endpoint text default 'investigation', p_model text default 'mock:large',
  p_max_output integer default 1000, p_content text default 'Why did spend rise in March?', p_extra jsonb default '{}')
  returns jsonb language sql immutable as $$
  select jsonb_build_object('request_id', p_request_id, 'endpoint', p_endpoint, 'model', p_model,
    'messages', jsonb_build_array(jsonb_build_object('role', 'user', 'content', p_content)), 'max_output_tokens', p_max_output) || p_extra
$$;

/* Enqueue as the application of (tenant, user); returns the request pk; leaves the role as admin. */
create or replace function tests.enqueue(p_tenant uuid, p_user uuid, p_request_id text, p_endpoint text default 'investigation',
  p_model text default 'mock:large', p_max_output integer default 1000, p_content text default 'Why did spend rise in March?',
  p_extra jsonb default '{}') returns bigint language plpgsql as $$
declare
  v bigint;
begin
  perform tests.act_as_app(p_tenant, p_user);
  select request_pk into v from llm.enqueue_call(tests.payload(p_request_id, p_endpoint, p_model, p_max_output, p_content, p_extra));
  perform tests.as_admin();
  return v;
end $$;

create or replace function tests.request_pk(p_request_id text) returns bigint language sql volatile as $$
  select id from llm_private.requests where request_id = p_request_id order by id desc limit 1
$$;

/* Reserve as the worker of the request's owner (p_embedding: the question's, for the semantic cache); leaves the role as admin. */
create or replace function tests.reserve(p_request_pk bigint, p_job_attempt integer default 1, p_input integer default 1000,
  p_timeout_ms integer default 30000, p_purpose text default 'chat', p_embedding real[] default null)
  returns table (decision text, reason text, attempt_no integer, provider text, model text, max_output_tokens integer,
    held_micros bigint, worst_case_micros bigint, limit_id integer, limit_name text, limit_cap bigint, limit_used bigint,
    expires_at timestamptz, cached_output text, retry_after_ms integer, cache_key text, limit_scope text, limit_window text)
  language plpgsql as $$
declare
  q record;
begin
  perform tests.as_admin();
  select tenant_id, user_id into q from llm_private.requests where id = p_request_pk;
  perform tests.act_as_money(q.tenant_id, q.user_id);
  return query select * from llm.reserve_call(p_request_pk, p_job_attempt, p_input, p_timeout_ms, null, p_purpose, p_embedding);
  perform tests.as_admin();
end $$;

/* Enqueue and reserve in one go (job attempt 1, 1 000 input tokens). */
create or replace function tests.call(p_tenant uuid, p_user uuid, p_request_id text, p_endpoint text default 'investigation',
  p_model text default 'mock:large', p_max_output integer default 1000, p_extra jsonb default '{}', p_input integer default 1000)
  returns table (decision text, reason text, attempt_no integer, provider text, model text, max_output_tokens integer,
    held_micros bigint, worst_case_micros bigint, limit_id integer, limit_name text, limit_cap bigint, limit_used bigint,
    expires_at timestamptz, cached_output text, retry_after_ms integer, cache_key text, limit_scope text, limit_window text)
  language sql as $$
  select * from tests.reserve(tests.enqueue(p_tenant, p_user, p_request_id, p_endpoint, p_model, p_max_output,
    'Why did spend rise in March?', p_extra), 1, p_input)
$$;

/* Settle as the worker (p_embedding: stored with the cache entry it fills); leaves the role as admin. */
create or replace function tests.settle(p_request_pk bigint, p_attempt_no integer, p_status text default 'ok',
  p_input integer default 1000, p_cached integer default 0, p_output integer default 500, p_text text default 'an answer',
  p_output_valid boolean default true, p_pii boolean default false, p_final_failure text default null, p_reasoning text default null,
  p_embedding real[] default null)
  returns table (state text, cost_micros bigint, held_micros bigint, released_micros bigint, overrun_micros bigint,
    usage_unknown boolean, late boolean, replayed boolean, request_state text)
  language plpgsql as $$
declare
  q record;
begin
  perform tests.as_admin();
  select tenant_id, user_id into q from llm_private.requests where id = p_request_pk;
  perform tests.act_as_money(q.tenant_id, q.user_id);
  return query select * from llm.settle_call(p_request_pk, p_attempt_no, p_status, p_input, p_cached, p_output, 100,
    case when p_status = 'ok' then p_text end, p_reasoning, p_output_valid, p_pii, p_final_failure, p_embedding);
  perform tests.as_admin();
end $$;

/* Usage of a meter for a subject (summed over shards), current period of the frozen clock. */
create or replace function tests.used(p_meter text, p_tenant uuid, p_user uuid default null) returns bigint language sql stable as $$
  select coalesce(sum(held + spent), 0)::bigint from llm.limit_usage
   where meter_name = p_meter and tenant_id is not distinct from p_tenant and user_id is not distinct from p_user and current
$$;

create or replace function tests.drift_rows() returns bigint language sql stable as $$ select count(*) from llm.reconciliation_drift $$;

grant execute on all functions in schema tests to public;

/* Release as the worker (no provider request was sent); leaves the role as admin. */
create or replace function tests.release(p_request_pk bigint, p_attempt_no integer, p_final_failure text default null)
  returns table (state text, released_micros bigint, request_state text)
  language plpgsql as $$
declare
  q record;
begin
  perform tests.as_admin();
  select tenant_id, user_id into q from llm_private.requests where id = p_request_pk;
  perform tests.act_as_money(q.tenant_id, q.user_id);
  return query select * from llm.release_call(p_request_pk, p_attempt_no, 'not sent', p_final_failure);
  perform tests.as_admin();
end $$;
grant execute on all functions in schema tests to public;

/*
 * The closed-world pins of test/sql/structure.sql: one text row per object of ours (functions with
 * their security, tables and views, columns with grants, policies with roles and commands, schemas),
 * each with its grants. A change to the API surface or to any grant changes these rows; regenerate
 * the literal block in structure.sql with `npx tsx test/support/pin-structure.ts` and review the diff.
 */
create or replace function tests.catalog_pins() returns setof text language sql stable as $$
  with objs as (
    select 'function ' || p.oid::regprocedure::text || case when p.prosecdef then ' SECURITY DEFINER' else '' end as obj, p.proacl as acl
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint')
       and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
    union all
    select case c.relkind when 'v' then 'view ' else 'table ' end || n.nspname || '.' || c.relname, c.relacl
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint') and c.relkind in ('r', 'p', 'v') and not c.relispartition
    union all
    select 'column ' || n.nspname || '.' || c.relname || '.' || a.attname, a.attacl
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'llm_private' and c.relkind in ('r', 'p') and not c.relispartition and a.attacl is not null and a.attnum > 0
       and not a.attisdropped
    union all
    select 'schema ' || n.nspname, n.nspacl from pg_namespace n where n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint', 'graphile_worker')
    union all
    select format('policy %s.%s %s %s to %s', p.schemaname, p.tablename, p.policyname, p.cmd, array_to_string(p.roles, ',')), null
      from pg_policies p where p.schemaname in ('llm_private', 'llm_queue', 'llm_maint')
  )
  select (o.obj || coalesce(' | ' || (select string_agg(g.grantee || '=' || g.privs, ' ' order by g.grantee)
      from (select case when x.grantee = 0 then 'PUBLIC' else pg_get_userbyid(x.grantee) end as grantee,
                   string_agg(x.privilege_type, ',' order by x.privilege_type) as privs
              from aclexplode(o.acl) x
             where x.grantee = 0 or pg_get_userbyid(x.grantee) not in ('llm_owner', 'llm_worker')
                or ((o.obj like 'function llm_queue%' or o.obj like 'schema%') and pg_get_userbyid(x.grantee) = 'llm_worker')
             group by 1) g), ''))::text collate "default"
    from objs o order by (o.obj)::text collate "C"
$$;
grant execute on all functions in schema tests to public;

/* The SQLSTATE a statement raises, and whether it gave a hint ('no error' when none): what an operator is told. */
create or replace function tests.err_of(p_sql text) returns text language plpgsql as $f$
declare
  c text; h text;
begin
  execute p_sql;
  return 'no error';
exception when others then
  get stacked diagnostics c = returned_sqlstate, h = pg_exception_hint;
  return c || case when coalesce(h, '') <> '' then ' +hint' else ' (no hint)' end;
end $f$;
grant execute on function tests.err_of(text) to public;

/* The hint a statement's error gives (NULL when it raises none, or no hint): what an operator is told to do. */
create or replace function tests.hint_of(p_sql text) returns text language plpgsql as $f$
declare
  h text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics h = pg_exception_hint;
  return nullif(h, '');
end $f$;
grant execute on function tests.hint_of(text) to public;

/* llm.budget_scopes (of a tenant, or all) in llm.budget_scopes_page's order: open first, nearest deadline first, none last; then newest first. */
create or replace function tests.scopes_in_order(p_tenant uuid) returns setof jsonb language plpgsql as $$
begin
  -- jsonb rows and a PL/pgSQL body: a fixture that named llm.budget_scopes as its type depended on schema llm, and the
  -- API's replay refused a test database holding it (2BP01), as it refuses a DBA's own function there.
  return query select to_jsonb(b) from llm.budget_scopes b where p_tenant is null or b.tenant_id = p_tenant
   order by b.state <> 'open', case when b.state = 'open' then b.deadline_at end nulls last, b.started_at desc, b.tenant_id desc,
            b.budget_scope desc;
end $$;
grant execute on function tests.scopes_in_order(uuid) to public;

/* Every page of llm.budget_scopes_page of p_limit rows, each from the last row of the one before, until one comes back short. */
create or replace function tests.scopes_all_pages(p_tenant uuid, p_limit integer) returns setof jsonb language plpgsql as $$
declare
  r record;
  v_state text;
  v_deadline timestamptz;
  v_at timestamptz;
  v_tenant uuid;
  v_scope text;
  n integer;
begin
  loop
    n := 0;
    for r in select * from llm.budget_scopes_page(p_tenant, p_limit, v_state, v_deadline, v_at, v_tenant, v_scope) loop
      n := n + 1;
      v_state := r.state; v_deadline := r.deadline_at; v_at := r.started_at; v_tenant := r.tenant_id; v_scope := r.budget_scope;
      return next to_jsonb(r);
    end loop;
    exit when n < p_limit;
  end loop;
end $$;
grant execute on function tests.scopes_all_pages(uuid, integer) to public;
