-- Structure: the closed world of the API surface and its grants (pinned), FORCE RLS everywhere, the two SECURITY DEFINER
-- functions and nothing else, pinned search_path, comments, and what the runtime roles cannot be or do.
begin;
select plan(29);

select tables_are('llm', array[]::name[], 'the API schema llm holds no tables');
select is_empty($$
  select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'llm_private' and c.relkind in ('r', 'p') and not c.relispartition
     and c.relname <> all (array['settings', 'context_keys', 'tenants', 'users', 'endpoint_settings', 'models', 'model_prices',
       'model_fallbacks', 'meters', 'limits', 'budget_scopes', 'shutoff_windows', 'provider_breakers', 'requests', 'request_inputs', 'attempts',
       'usage', 'alerts', 'adjustments', 'call_outputs', 'reasoning_traces', 'cache_entries', 'cache_fills', 'claim_mutexes', 'clock', 'schema_state',
       'reconciliation_checks', 'breaker_transitions', 'usage_repairs', 'month_closes', 'worker_heartbeats', 'erasures'])
$$, 'llm_private holds exactly our tables (and their monthly partitions)');
select is_empty($$
  select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'llm_private' and c.relkind in ('r', 'p') and not (c.relrowsecurity and c.relforcerowsecurity)
$$, 'every table and every partition has row level security enabled and forced');
select is_empty($$
  select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'llm_private' and c.relispartition and c.relacl is not null
$$, 'partitions carry no grants: every access goes through the parent''s policies');

select results_eq($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint') and p.prosecdef order by 1
$$, $$values ('llm_private.app_context()'), ('llm_queue.add_request_job(bigint)')$$,
  'two SECURITY DEFINER functions, no more: the context verifier (reads the key), the enqueue wrapper (graphile-worker''s tables)');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint')
     and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
     and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
     -- (a qualified relation may carry an alias: removed with it; what follows FROM or JOIN then is a keyword or nothing)
     and not (p.prolang = (select oid from pg_language where lanname = 'sql') and not p.prosecdef
              and regexp_replace(p.prosrc, '(pg_catalog|llm_private|llm)\.[a-z_0-9]+(\s+(as\s+)?(?!(on|where|join|left|right|inner|full|cross|lateral|order|group|limit|union)\M)[a-z_][a-z_0-9]*)?|OPERATOR\(pg_catalog\.[^)]+\)|''[^'']*''|::pg_catalog\.[a-z0-9_]+|"[a-z_]+"', '', 'g')
                  !~ '\m(from|join)\s+(lateral\s+)?(?!(join|left|right|inner|full|cross|on|where|lateral)\M)[a-z]' )
     and p.oid not in ('llm_private.current_tenant_id()'::regprocedure, 'llm_private.current_user_id()'::regprocedure)
$$, 'every function pins search_path, except inlinable SQL functions whose every name is schema-qualified, and the two money context helpers (below)');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p
   where p.oid in ('llm_private.current_tenant_id()'::regprocedure, 'llm_private.current_user_id()'::regprocedure)
     and (p.prosecdef
          or regexp_replace(lower(p.prosrc), '(pg_catalog|llm_private)\.[a-z_0-9]+|operator\(pg_catalog\.[^)]+\)|''[^'']*''|::pg_catalog\.[a-z0-9_]+|\m(begin|if|and|then|return|null|end|true)\M', '', 'g')
             ~ '[a-z]')
$$, 'the money context helpers, called per row by the money policies without a SET clause, name nothing through search_path: every function, operator and type in them is schema-qualified');
select results_eq($$
  select format('%s %s', p.oid::regprocedure, l.lanname) collate "default" from pg_proc p join pg_language l on l.oid = p.prolang
   where p.oid in ('llm_private.current_tenant_id()'::regprocedure, 'llm_private.current_user_id()'::regprocedure) order by 1
$$, $$values ('llm_private.current_tenant_id() plpgsql'), ('llm_private.current_user_id() plpgsql')$$,
  'the money context helpers are PL/pgSQL calls, not inlined into the policy of every partition an UPDATE opens (bench: goal 5, retention row)');
-- graphile-worker's schema is not ours, but who may reach into it is: only the operator's sweep reads the jobs view.
select results_eq($$
  select x from (
    select 'schema graphile_worker ' || a.grantee::regrole::text || '=' || a.privilege_type as x
      from pg_namespace n, aclexplode(n.nspacl) a where n.nspname = 'graphile_worker' and a.grantee <> n.nspowner
    union all
    select c.relkind::text || ' ' || c.oid::regclass::text || ' ' || case a.grantee when 0 then 'public' else a.grantee::regrole::text end
           || '=' || a.privilege_type
      from pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a
     where n.nspname = 'graphile_worker' and a.grantee <> c.relowner) s order by 1
$$, $$values ('schema graphile_worker llm_operator=USAGE'), ('v graphile_worker.jobs llm_operator=SELECT')$$,
  'graphile-worker''s schema: usage and the jobs view for the operator''s sweep, nothing else for any role of ours or PUBLIC');
select tests.act_as_role('llm_operator');
select throws_ok($$select graphile_worker.add_job('route', '{}'::json)$$, '42501', null,
  'the operator, who may see graphile-worker''s schema, still cannot add a job (its EXECUTE to PUBLIC meets no table grant)');
select throws_ok($$select graphile_worker.remove_job('llm:x')$$, '42501', null, 'nor remove one');
select tests.as_admin();
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where p.prosecdef and n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint')
     and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c in ('search_path=pg_catalog', 'search_path=pg_catalog, pg_temp'))
$$, 'every SECURITY DEFINER function pins search_path to pg_catalog');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint') and obj_description(p.oid, 'pg_proc') is null
     and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
$$, 'every function of ours has a COMMENT');
select is_empty($$
  select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('llm', 'llm_private') and c.relkind in ('r', 'p', 'v') and obj_description(c.oid, 'pg_class') is null
$$, 'every table, partition and view of ours has a COMMENT');
select is_empty($$
  select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'llm' and c.relkind = 'v' and not coalesce('security_invoker=true' = any (c.reloptions), false)
$$, 'every view in llm is security_invoker');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint') and has_function_privilege('public', p.oid, 'execute')
$$, 'PUBLIC may execute none of our functions');
select is_empty($$
  select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('llm', 'llm_private', 'llm_queue', 'llm_maint') and c.relkind in ('r', 'p', 'v', 'S')
     and pg_get_userbyid(c.relowner) <> 'llm_owner'
$$, 'llm_owner owns every relation of ours');

-- Roles: who may become whom, who may create anything.
select results_eq($$
  select r.rolname::text collate "default", coalesce(string_agg(g.rolname::text, ',' order by g.rolname), '')::text collate "default" from pg_roles r
    left join pg_auth_members m on m.member = r.oid left join pg_roles g on g.oid = m.roleid
   where r.rolname in ('llm_app', 'llm_money', 'llm_worker', 'llm_operator', 'llm_auditor', 'llm_exporter')
   group by r.rolname order by 1
$$, $$values ('llm_app', ''), ('llm_auditor', ''), ('llm_exporter', ''), ('llm_money', ''), ('llm_operator', ''),
             ('llm_worker', 'llm_money,llm_operator')$$,
  'memberships: the application is a member of nothing; only the worker may become llm_money (and llm_operator)');
select is_empty($$
  select rolname from pg_roles where rolname like 'llm\_%' and (rolsuper or rolbypassrls or rolcreaterole or rolcreatedb)
$$, 'none of our roles is superuser, BYPASSRLS, or may create roles or databases');
select is((select rolcanlogin from pg_roles where rolname = 'llm_money'), false, 'llm_money cannot log in');
select is_empty($$
  select r.rolname || ' ' || x.priv from pg_roles r
   cross join (values ('create'), ('temporary')) x(priv)
   where r.rolname in ('llm_app', 'llm_money', 'llm_operator', 'llm_auditor', 'llm_exporter')
     and has_database_privilege(r.rolname, current_database(), x.priv)
  union all
  select r.rolname || ' create on ' || n.nspname from pg_roles r cross join pg_namespace n
   where r.rolname in ('llm_app', 'llm_money', 'llm_operator', 'llm_auditor', 'llm_exporter')
     and n.nspname not like 'pg\_%' and n.nspname <> 'information_schema' and has_schema_privilege(r.rolname, n.oid, 'create')
$$, 'no runtime role may create anything (no table, no temporary table, hence no trigger of its own)');
select is_empty($$
  select r.rolname || ' ' || c.oid::regclass::text || ' ' || x.priv from pg_roles r cross join pg_class c
    join pg_namespace n on n.oid = c.relnamespace cross join (values ('insert'), ('update'), ('delete'), ('truncate')) x(priv)
   where r.rolname in ('llm_app', 'llm_auditor', 'llm_exporter', 'llm_viewer')
     and c.relpersistence <> 't' and c.relkind in ('r', 'p', 'v', 'm', 'f') and has_table_privilege(r.rolname, c.oid, x.priv)
$$, 'the application and the readers hold no table-wide write privilege on any relation, the catalog''s included (PUBLIC had UPDATE on pg_settings), only column ones: LOCK TABLE in any mode above ACCESS SHARE needs one, and would stop every tenant');
select results_eq($$
  select r.rolname::text collate "default", coalesce(string_agg(p.oid::regprocedure::text, ' ' order by p.oid::regprocedure::text), '') from pg_roles r
    left join pg_proc p on p.pronamespace = 'pg_catalog'::regnamespace and p.proname ~ 'advisory'
                        and has_function_privilege(r.rolname, p.oid, 'execute')
   where r.rolname in ('llm_app', 'llm_worker', 'llm_money', 'llm_operator', 'llm_auditor', 'llm_exporter', 'llm_viewer')
   group by r.rolname order by 1
$$, $$values ('llm_app', ''), ('llm_auditor', ''), ('llm_exporter', ''), ('llm_money', 'pg_advisory_xact_lock(bigint)'),
  ('llm_operator', ''), ('llm_viewer', ''), ('llm_worker', '')$$,
  'no runtime role takes an advisory lock, session or transaction level (the shared lock table is the cluster''s), but the money role the reserve''s single flight (the worker takes it as llm_money, after SET ROLE)');
select is_empty($$
  select r.rolname || ' ' || c.oid::regclass::text from pg_roles r cross join pg_class c join pg_namespace n on n.oid = c.relnamespace
   where r.rolname in ('llm_app', 'llm_money', 'llm_operator', 'llm_auditor', 'llm_exporter') and n.nspname in ('llm_private', 'graphile_worker')
     and c.relkind in ('r', 'p') and (has_table_privilege(r.rolname, c.oid, 'trigger') or has_table_privilege(r.rolname, c.oid, 'truncate')
       or has_table_privilege(r.rolname, c.oid, 'references'))
$$, 'no runtime role holds TRIGGER, TRUNCATE or REFERENCES on any table');
select is_empty($$
  select r.rolname || ' ' || c.oid::regclass::text || ' ' || x.priv from pg_roles r cross join pg_class c
    join pg_namespace n on n.oid = c.relnamespace cross join (values ('insert'), ('update'), ('delete')) x(priv)
   where r.rolname = 'llm_app' and n.nspname = 'llm_private' and c.relkind in ('r', 'p') and not c.relispartition
     and c.relname not in ('requests', 'request_inputs', 'users', 'claim_mutexes')
     and (has_table_privilege(r.rolname, c.oid, x.priv) or (x.priv <> 'delete' and has_any_column_privilege(r.rolname, c.oid, x.priv)))
$$, 'the application writes nothing but a claim: requests (and cancel), its inputs, its own enrollment, and the claim''s transient key row');
select ok(not has_schema_privilege('llm_app', 'graphile_worker', 'usage') and not has_schema_privilege('llm_money', 'graphile_worker', 'usage')
  and not has_schema_privilege('llm_auditor', 'graphile_worker', 'usage'), 'the application, the money role and the auditor cannot reach graphile-worker');
select results_eq($$
  select c.relname::text collate "default" from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('llm', 'llm_private') and c.relkind in ('r', 'p', 'v') and not c.relispartition
     and (has_table_privilege('llm_exporter', c.oid, 'select') or has_any_column_privilege('llm_exporter', c.oid, 'select'))
   order by 1
$$, $$values ('attempts'), ('call_outputs'), ('distillation_export'), ('model_prices'), ('models'), ('reasoning_traces'), ('request_inputs'),
           ('tenants')$$,
  'the exporter reaches the export view and only the columns it reads, or its policies read (row policies: eligible rows, consenting tenants, trainable models)');
select is_empty($$
  select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('llm', 'llm_private') and c.relkind = 'v'
     and (has_table_privilege('llm_exporter', c.oid, 'select')) and c.relname <> 'distillation_export'
$$, 'and no other view');

-- The closed world: every function, table, view, column grant, policy and schema of ours with its grants.
select results_eq('select * from tests.catalog_pins()',
-- pins:begin
$$values
  ('column llm_private.adjustments.amount_micros | llm_operator=INSERT'),
  ('column llm_private.adjustments.effective_at | llm_operator=INSERT'),
  ('column llm_private.adjustments.reason | llm_operator=INSERT'),
  ('column llm_private.adjustments.tenant_id | llm_operator=INSERT'),
  ('column llm_private.adjustments.user_id | llm_operator=INSERT'),
  ('column llm_private.attempts.answered_model | llm_app=SELECT llm_money=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.attempt_no | llm_app=SELECT llm_exporter=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.cache_key | llm_app=SELECT llm_money=INSERT'),
  ('column llm_private.attempts.cache_source_pk | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.cached_input_tokens | llm_app=SELECT llm_money=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.charged_micros | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.cost_micros | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.decision | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.distillation_eligible | llm_app=SELECT llm_exporter=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.distillation_reason | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.ended_at | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.expires_at | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.fills_cache | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.held_micros | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.holds_least_charge | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.input_tokens | llm_app=SELECT llm_money=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.input_tokens_estimate | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.job_attempt | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.late | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.latency_ms | llm_app=SELECT llm_money=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.limit_cap | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.limit_id | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.limit_used | llm_viewer=SELECT'),
  ('column llm_private.attempts.max_output_tokens | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.meter_ids | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.output_tokens | llm_app=SELECT llm_money=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.output_valid | llm_app=SELECT llm_money=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.pii_flagged | llm_app=SELECT llm_money=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.price_id | llm_app=SELECT llm_exporter=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.provider_status | llm_app=SELECT llm_money=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.purpose | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.reason | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.request_pk | llm_app=SELECT llm_exporter=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.reserved_at | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.semantic_bound_hit | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.semantic_candidates | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.similarity | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.state | llm_app=SELECT llm_money=UPDATE llm_operator=UPDATE llm_viewer=SELECT'),
  ('column llm_private.attempts.tenant_id | llm_app=SELECT llm_exporter=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.trace_id | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.attempts.usage_unknown | llm_app=SELECT llm_viewer=SELECT'),
  ('column llm_private.attempts.user_id | llm_app=SELECT llm_money=INSERT llm_viewer=SELECT'),
  ('column llm_private.breaker_transitions.call_tenant_id | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.cause | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.consecutive_failures | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.from_state | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.model | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.open_until | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.provider | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.streak_tenant_id | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.streak_tenants_many | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.breaker_transitions.to_state | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.budget_scopes.first_endpoint | llm_app=SELECT llm_money=INSERT'),
  ('column llm_private.budget_scopes.first_request_pk | llm_money=INSERT'),
  ('column llm_private.budget_scopes.first_user_id | llm_app=SELECT llm_money=INSERT'),
  ('column llm_private.budget_scopes.last_reserve_month | llm_money=UPDATE'),
  ('column llm_private.budget_scopes.scope_key | llm_app=SELECT llm_money=INSERT'),
  ('column llm_private.budget_scopes.started_at | llm_app=SELECT llm_money=INSERT'),
  ('column llm_private.budget_scopes.tenant_id | llm_app=SELECT llm_money=INSERT'),
  ('column llm_private.call_outputs.attempt_no | llm_exporter=SELECT'),
  ('column llm_private.call_outputs.created_at | llm_exporter=SELECT'),
  ('column llm_private.call_outputs.output | llm_exporter=SELECT'),
  ('column llm_private.call_outputs.request_pk | llm_exporter=SELECT'),
  ('column llm_private.call_outputs.tenant_id | llm_exporter=SELECT'),
  ('column llm_private.claim_mutexes.key_hash | llm_app=INSERT,SELECT,UPDATE llm_operator=UPDATE'),
  ('column llm_private.claim_mutexes.tenant_id | llm_app=INSERT,SELECT'),
  ('column llm_private.erasures.reason | llm_operator=INSERT'),
  ('column llm_private.erasures.tenant_id | llm_operator=INSERT'),
  ('column llm_private.erasures.user_id | llm_operator=INSERT'),
  ('column llm_private.limits.valid_until | llm_operator=UPDATE'),
  ('column llm_private.meters.disabled_at | llm_operator=UPDATE'),
  ('column llm_private.model_prices.id | llm_exporter=SELECT'),
  ('column llm_private.model_prices.model | llm_exporter=SELECT'),
  ('column llm_private.model_prices.provider | llm_exporter=SELECT'),
  ('column llm_private.models.model | llm_exporter=SELECT'),
  ('column llm_private.models.provider | llm_exporter=SELECT'),
  ('column llm_private.models.training_allowed | llm_exporter=SELECT'),
  ('column llm_private.provider_breakers.consecutive_failures | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.last_failure_at | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.last_success_at | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.model | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.provider_breakers.open_until | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.opened_count | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.probe_started_at | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.provider | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.provider_breakers.state | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.streak_tenant_id | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.streak_tenants_many | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.provider_breakers.updated_at | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.reasoning_traces.attempt_no | llm_exporter=SELECT'),
  ('column llm_private.reasoning_traces.request_pk | llm_exporter=SELECT'),
  ('column llm_private.reasoning_traces.tenant_id | llm_exporter=SELECT'),
  ('column llm_private.reasoning_traces.trace | llm_exporter=SELECT'),
  ('column llm_private.request_inputs.cache_key | llm_app=INSERT'),
  ('column llm_private.request_inputs.correlation_id | llm_app=INSERT'),
  ('column llm_private.request_inputs.cost_ceiling_micros | llm_app=INSERT'),
  ('column llm_private.request_inputs.max_output_tokens | llm_app=INSERT'),
  ('column llm_private.request_inputs.messages | llm_app=INSERT llm_exporter=SELECT'),
  ('column llm_private.request_inputs.model_ref | llm_app=INSERT'),
  ('column llm_private.request_inputs.request_pk | llm_app=INSERT llm_exporter=SELECT llm_operator=SELECT'),
  ('column llm_private.request_inputs.response_format | llm_app=INSERT'),
  ('column llm_private.request_inputs.source_watermark | llm_app=INSERT'),
  ('column llm_private.request_inputs.system_hash | llm_app=INSERT'),
  ('column llm_private.request_inputs.tenant_id | llm_app=INSERT llm_exporter=SELECT llm_operator=SELECT'),
  ('column llm_private.request_inputs.user_id | llm_app=INSERT llm_operator=SELECT'),
  ('column llm_private.requests.budget_scope | llm_app=INSERT llm_viewer=SELECT'),
  ('column llm_private.requests.created_at | llm_app=INSERT llm_viewer=SELECT'),
  ('column llm_private.requests.endpoint | llm_app=INSERT llm_viewer=SELECT'),
  ('column llm_private.requests.fingerprint | llm_app=INSERT'),
  ('column llm_private.requests.finished_at | llm_money=UPDATE llm_operator=UPDATE llm_viewer=SELECT'),
  ('column llm_private.requests.id | llm_viewer=SELECT'),
  ('column llm_private.requests.job_id | llm_viewer=SELECT'),
  ('column llm_private.requests.reason | llm_money=UPDATE llm_operator=UPDATE llm_viewer=SELECT'),
  ('column llm_private.requests.request_id | llm_app=INSERT llm_viewer=SELECT'),
  ('column llm_private.requests.state | llm_app=UPDATE llm_money=UPDATE llm_operator=UPDATE llm_viewer=SELECT'),
  ('column llm_private.requests.tenant_id | llm_app=INSERT llm_viewer=SELECT'),
  ('column llm_private.requests.user_id | llm_app=INSERT llm_viewer=SELECT'),
  ('column llm_private.shutoff_windows.cancel_reason | llm_operator=UPDATE'),
  ('column llm_private.shutoff_windows.cancelled_at | llm_operator=UPDATE'),
  ('column llm_private.shutoff_windows.cancelled_by | llm_operator=UPDATE'),
  ('column llm_private.shutoff_windows.ends_at | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.shutoff_windows.kind | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.shutoff_windows.limit_id | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.shutoff_windows.reason | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.shutoff_windows.scope | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.shutoff_windows.starts_at | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.shutoff_windows.tenant_id | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.shutoff_windows.user_id | llm_money=INSERT llm_operator=INSERT'),
  ('column llm_private.tenants.created_at | llm_auditor=SELECT'),
  ('column llm_private.tenants.distillation_opt_in | llm_auditor=SELECT llm_exporter=SELECT'),
  ('column llm_private.tenants.id | llm_auditor=SELECT llm_exporter=SELECT'),
  ('column llm_private.tenants.name | llm_auditor=SELECT'),
  ('column llm_private.tenants.traces_distillable | llm_auditor=SELECT llm_exporter=SELECT'),
  ('column llm_private.usage.cap | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.usage.held | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.usage.limit_id | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.usage.next_alert_at | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.usage.quota | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.usage.spent | llm_money=UPDATE llm_operator=UPDATE'),
  ('column llm_private.users.id | llm_app=INSERT'),
  ('column llm_private.users.tenant_id | llm_app=INSERT'),
  ('function llm.adjust_usage(uuid,uuid,bigint,text,timestamp with time zone) | llm_operator=EXECUTE'),
  ('function llm.budget_scopes_page(uuid,integer,text,timestamp with time zone,timestamp with time zone,uuid,text) | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm.cache_key(jsonb) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm.cancel_request(text,text) | llm_app=EXECUTE'),
  ('function llm.cancel_shutoff(bigint,text) | llm_operator=EXECUTE'),
  ('function llm.check_reconciliation() | llm_operator=EXECUTE'),
  ('function llm.close_month(timestamp with time zone,text) | llm_operator=EXECUTE'),
  ('function llm.define_meter(text,text,text,text,uuid,text,text,text,integer) | llm_operator=EXECUTE'),
  ('function llm.define_model(text,text,integer,boolean,bigint,bigint,bigint,text,text) | llm_operator=EXECUTE'),
  ('function llm.disable_meter(text) | llm_operator=EXECUTE'),
  ('function llm.embedding_for_call(bigint) | llm_money=EXECUTE'),
  ('function llm.end_limit(integer) | llm_operator=EXECUTE'),
  ('function llm.enqueue_call(jsonb) | llm_app=EXECUTE'),
  ('function llm.erase_content(uuid,uuid,text) | llm_operator=EXECUTE'),
  ('function llm.evaluate_limits() | llm_operator=EXECUTE'),
  ('function llm.expire_holds(integer,boolean) | llm_operator=EXECUTE'),
  ('function llm.fail_lost_requests(boolean) | llm_operator=EXECUTE'),
  ('function llm.fail_request(bigint,text) | llm_money=EXECUTE'),
  ('function llm.limit_use_maxima(integer) | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm.locked_jobs()'),
  ('function llm.open_hold_counts() | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm.product_time() | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm.purge_cache(uuid,text,text) | llm_operator=EXECUTE'),
  ('function llm.purge_expired(integer) | llm_operator=EXECUTE'),
  ('function llm.record_worker_heartbeat(text,text[],text,integer)'),
  ('function llm.release_call(bigint,integer,text,text,timestamp with time zone) | llm_money=EXECUTE'),
  ('function llm.release_dead_worker_locks(integer,integer)'),
  ('function llm.repair_usage_drift(text) | llm_operator=EXECUTE'),
  ('function llm.request_for_call(bigint) | llm_money=EXECUTE'),
  ('function llm.reserve_call(bigint,integer,integer,integer,text,text,real[]) | llm_money=EXECUTE'),
  ('function llm.reset_breaker(text,text) | llm_operator=EXECUTE'),
  ('function llm.schedule_shutoff(text,uuid,uuid,timestamp with time zone,timestamp with time zone,text) | llm_operator=EXECUTE'),
  ('function llm.semantic_cache_path(integer) | llm_operator=EXECUTE'),
  ('function llm.set_breaker_settings(integer,integer) | llm_operator=EXECUTE'),
  ('function llm.set_endpoint_cache(uuid,text,boolean,real,text) | llm_operator=EXECUTE'),
  ('function llm.set_fallbacks(text,text,text[]) | llm_operator=EXECUTE'),
  ('function llm.set_limit(text,bigint,uuid,uuid,text,text,timestamp with time zone,timestamp with time zone,smallint[],boolean,smallint,text,integer,text) | llm_operator=EXECUTE'),
  ('function llm.set_model_price(text,text,bigint,bigint,bigint,timestamp with time zone) | llm_operator=EXECUTE'),
  ('function llm.set_setting(text,text) | llm_operator=EXECUTE'),
  ('function llm.set_tenant_data_use(uuid,boolean,boolean) | llm_operator=EXECUTE'),
  ('function llm.settle_call(bigint,integer,text,integer,integer,integer,integer,text,text,boolean,boolean,text,real[],text,boolean,timestamp with time zone) | llm_money=EXECUTE'),
  ('function llm.sign_context(text,uuid,uuid,integer) | llm_app=EXECUTE llm_operator=EXECUTE'),
  ('function llm.trip_shutoff(text,uuid,uuid,timestamp with time zone,text) | llm_operator=EXECUTE'),
  ('function llm.upsert_tenant(uuid,text) | llm_operator=EXECUTE'),
  ('function llm.use_context(text) | llm_app=EXECUTE llm_operator=EXECUTE'),
  ('function llm.validate_payload(jsonb) | llm_app=EXECUTE llm_auditor=EXECUTE llm_operator=EXECUTE'),
  ('function llm.watched_open_holds(uuid,integer) | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_maint.drop_expired_partitions()'),
  ('function llm_maint.ensure_partitions()'),
  ('function llm_maint.forget_unused_budget_scopes(timestamp with time zone)'),
  ('function llm_maint.summarize_ended_months()'),
  ('function llm_private.acting_role() | llm_operator=EXECUTE'),
  ('function llm_private.active_shutoff(uuid,uuid,timestamp with time zone) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.answered_cost_micros(text,text,timestamp with time zone,integer,integer,integer) | llm_money=EXECUTE'),
  ('function llm_private.answered_model_names(text) | llm_money=EXECUTE'),
  ('function llm_private.app_context() SECURITY DEFINER | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.app_tenant_id() | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.app_user_id() | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.applicable_limits(uuid,uuid,llm_private.endpoint,text,text,boolean,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.breaker_admission(text,text,timestamp with time zone) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.breaker_probe_back(text,text,timestamp with time zone,timestamp with time zone) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.breaker_unclaim(text[],text,timestamp with time zone) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.budget_scope_deadline(uuid,uuid,llm_private.endpoint,timestamp with time zone) | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.budget_scope_span(uuid,uuid,llm_private.endpoint) | llm_app=EXECUTE llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.cache_owner(uuid,uuid,llm_private.endpoint) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.cache_policy(uuid,uuid,text) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.call_cost_micros(llm_private.model_prices,integer,integer,integer) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.charged_amount(llm_private.limit_unit,llm_private.attempt_state,bigint,boolean,integer,integer,integer,integer,integer,llm_private.purpose) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.charged_amount(llm_private.limit_unit,llm_private.attempts) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.claim_window_start() | llm_app=EXECUTE'),
  ('function llm_private.closed_through() | llm_operator=EXECUTE'),
  ('function llm_private.cost_micros(bigint,bigint) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.create_month_partition(text,integer)'),
  ('function llm_private.current_tenant_id() | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.current_user_id() | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.declared_role_settings() | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.distillation_gate(uuid,llm_private.decision,llm_private.provider_status,boolean,boolean,text,text) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.drift_keys() | llm_operator=EXECUTE'),
  ('function llm_private.embedding_attempt_model(uuid,bigint) | llm_money=EXECUTE'),
  ('function llm_private.embedding_tokens_floor(jsonb) | llm_money=EXECUTE'),
  ('function llm_private.end_cache_fill(uuid,bigint,smallint) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.fingerprint(uuid,jsonb) | llm_app=EXECUTE'),
  ('function llm_private.finish_failed(uuid,bigint,llm_private.reason) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.from_worker_login_as_operator() | llm_app=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.guard_partition_truncate(regclass)'),
  ('function llm_private.held_amount(llm_private.limit_unit,bigint,integer,integer,llm_private.purpose,boolean) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.held_amount(llm_private.limit_unit,llm_private.attempts) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.hmac_pads(bytea) | llm_app=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.hmac_sha256(bytea,bytea,bytea) | llm_app=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.input_tokens_floor(jsonb) | llm_app=EXECUTE llm_money=EXECUTE'),
  ('function llm_private.is_asked_model(text,text) | llm_money=EXECUTE'),
  ('function llm_private.job_is_ours(bigint,text,text)'),
  ('function llm_private.ledger_kept_from() | llm_operator=EXECUTE'),
  ('function llm_private.limit_in_effect(smallint,uuid,uuid,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.limits_in_effect(smallint,uuid,uuid,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.live_cache_entry(uuid,uuid,text,timestamp with time zone) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.lock_claim(uuid,text,text) | llm_app=EXECUTE'),
  ('function llm_private.lock_salt(uuid) | llm_money=EXECUTE'),
  ('function llm_private.max_output_within(llm_private.model_prices,integer,bigint) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.month_index(timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.month_start(integer) | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.new_request_id() | llm_app=EXECUTE'),
  ('function llm_private.nil_uuid() | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.now() | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.oldest_reservable_request_pk(timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.partitioned_tables() | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.payload_errors(jsonb) | llm_app=EXECUTE llm_auditor=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.period_end(llm_private.limit_window,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.period_start(llm_private.limit_window,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.price_in_effect(text,text,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.record_breaker_outcome(text,text,llm_private.provider_status,uuid,timestamp with time zone,timestamp with time zone) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.repair_limit(smallint,uuid,uuid,timestamp with time zone) | llm_operator=EXECUTE'),
  ('function llm_private.request_ranges(llm_private.requests) | llm_app=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.request_used_micros(uuid,bigint) | llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.require_cancel_reason(text) | llm_operator=EXECUTE'),
  ('function llm_private.require_embedding(real[]) | llm_money=EXECUTE'),
  ('function llm_private.require_failure_reason(text) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.require_money_context() | llm_app=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.require_range(text,bigint,bigint,bigint) | llm_app=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.require_read_committed(text,text,text) | llm_operator=EXECUTE'),
  ('function llm_private.require_shutoff_scope(text) | llm_operator=EXECUTE'),
  ('function llm_private.require_shutoff_subject(llm_private.limit_scope,uuid,uuid,timestamp with time zone,timestamp with time zone) | llm_operator=EXECUTE'),
  ('function llm_private.require_status(text) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.reserved_in_scope(timestamp with time zone,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.role_settings_live() | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.scopes_all_have_deadline(llm_private.endpoint,uuid,timestamp with time zone) | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.semantic_check_args(uuid,uuid,text,text,text,text,text,text,real[],real,integer,text) | llm_money=EXECUTE'),
  ('function llm_private.semantic_claim(uuid,uuid,bigint,real[],timestamp with time zone) | llm_money=EXECUTE'),
  ('function llm_private.semantic_hnsw_index(integer) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.semantic_lookup(uuid,uuid,text,text,text,text,text,text,real[],real,integer,text,integer) | llm_money=EXECUTE'),
  ('function llm_private.semantic_lookup_pgvector(uuid,uuid,text,text,text,text,text,text,real[],real,integer,text,integer) | llm_money=EXECUTE'),
  ('function llm_private.semantic_lookup_portable(uuid,uuid,text,text,text,text,text,text,real[],real,integer,text,integer) | llm_money=EXECUTE'),
  ('function llm_private.split_model_ref(text) | llm_app=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.stale_reservation(llm_private.attempts,timestamp with time zone) | llm_money=EXECUTE'),
  ('function llm_private.subject_used(llm_private.applicable_limit,uuid,uuid,text,timestamp with time zone,timestamp with time zone) | llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.system_hash(jsonb) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.tg_adjustments__apply()'),
  ('function llm_private.tg_alerts__guard()'),
  ('function llm_private.tg_attempts__after_reserve()'),
  ('function llm_private.tg_attempts__after_transition()'),
  ('function llm_private.tg_attempts__ranges()'),
  ('function llm_private.tg_attempts__reserve()'),
  ('function llm_private.tg_attempts__transition()'),
  ('function llm_private.tg_breaker_transitions__guard()'),
  ('function llm_private.tg_budget_scopes__guard()'),
  ('function llm_private.tg_cache_entries__derive()'),
  ('function llm_private.tg_cache_fills__guard()'),
  ('function llm_private.tg_call_outputs__derive()'),
  ('function llm_private.tg_erasures__erase()'),
  ('function llm_private.tg_ledger__no_delete()'),
  ('function llm_private.tg_limits__check()'),
  ('function llm_private.tg_month_closes__check()'),
  ('function llm_private.tg_operator_changes__not_from_worker()'),
  ('function llm_private.tg_provider_breakers__guard()'),
  ('function llm_private.tg_provider_breakers__record_transition()'),
  ('function llm_private.tg_reconciliation_checks__derive()'),
  ('function llm_private.tg_request_inputs__derive()'),
  ('function llm_private.tg_requests__guard()'),
  ('function llm_private.tg_shutoff_windows__guard()'),
  ('function llm_private.tg_usage__guard()'),
  ('function llm_private.tg_usage_alert_checks__check()'),
  ('function llm_private.tg_usage_recaps__recap()'),
  ('function llm_private.tg_usage_repairs__apply()'),
  ('function llm_private.tg_usage_repairs__stamp()'),
  ('function llm_private.trip_shutoff(smallint,integer,uuid,uuid,timestamp with time zone,bigint,bigint) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.tx_stamp() | llm_app=EXECUTE llm_auditor=EXECUTE llm_exporter=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.usage_after_spend(smallint,uuid,uuid,text,timestamp with time zone,smallint,bigint,bigint,smallint,bigint,integer,bigint) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.usage_apply(llm_private.attempts,llm_private.attempts,text,timestamp with time zone) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.usage_borrow(smallint,uuid,uuid,text,timestamp with time zone,smallint,bigint) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.usage_hold(smallint,smallint,uuid,uuid,text,timestamp with time zone,smallint,integer,bigint,boolean,bigint) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.usage_key(llm_private.limit_scope,llm_private.limit_window,smallint,uuid,uuid,text,timestamp with time zone,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.usage_name_limit(smallint,uuid,uuid,text,timestamp with time zone,integer) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.usage_period_end(llm_private.limit_window,timestamp with time zone,timestamp with time zone) | llm_app=EXECUTE llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.usage_prepare(smallint,smallint,uuid,uuid,text,timestamp with time zone,integer,bigint) | llm_money=EXECUTE llm_operator=EXECUTE'),
  ('function llm_private.usage_shard(llm_private.limit_scope,smallint,uuid,uuid) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.used_pct(bigint,bigint) | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.watched_holds_from() | llm_auditor=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_private.worst_case_micros(llm_private.model_prices,integer,integer) | llm_app=EXECUTE llm_auditor=EXECUTE llm_money=EXECUTE llm_operator=EXECUTE llm_viewer=EXECUTE'),
  ('function llm_queue.add_request_job(bigint) SECURITY DEFINER | llm_app=EXECUTE llm_worker=EXECUTE'),
  ('policy llm_private.adjustments auditor_select SELECT to llm_auditor'),
  ('policy llm_private.adjustments operator_all ALL to llm_operator'),
  ('policy llm_private.adjustments viewer_select SELECT to llm_viewer'),
  ('policy llm_private.alerts auditor_select SELECT to llm_auditor'),
  ('policy llm_private.alerts money_own ALL to llm_money'),
  ('policy llm_private.alerts operator_all ALL to llm_operator'),
  ('policy llm_private.alerts viewer_select SELECT to llm_viewer'),
  ('policy llm_private.attempts app_select_own SELECT to llm_app'),
  ('policy llm_private.attempts auditor_select SELECT to llm_auditor'),
  ('policy llm_private.attempts exporter_eligible SELECT to llm_exporter'),
  ('policy llm_private.attempts money_own ALL to llm_money'),
  ('policy llm_private.attempts operator_expire UPDATE to llm_operator'),
  ('policy llm_private.attempts operator_select SELECT to llm_operator'),
  ('policy llm_private.attempts viewer_select SELECT to llm_viewer'),
  ('policy llm_private.breaker_transitions money_record INSERT to llm_money'),
  ('policy llm_private.breaker_transitions operator_purge DELETE to llm_operator'),
  ('policy llm_private.breaker_transitions operator_record INSERT to llm_operator'),
  ('policy llm_private.breaker_transitions readers_select SELECT to llm_auditor,llm_operator,llm_viewer'),
  ('policy llm_private.budget_scopes app_select SELECT to llm_app'),
  ('policy llm_private.budget_scopes auditor_select SELECT to llm_auditor'),
  ('policy llm_private.budget_scopes money_own ALL to llm_money'),
  ('policy llm_private.budget_scopes operator_select SELECT to llm_operator'),
  ('policy llm_private.budget_scopes viewer_select SELECT to llm_viewer'),
  ('policy llm_private.cache_entries auditor_select SELECT to llm_auditor'),
  ('policy llm_private.cache_entries money_scope ALL to llm_money'),
  ('policy llm_private.cache_entries operator_all ALL to llm_operator'),
  ('policy llm_private.cache_fills money_scope ALL to llm_money'),
  ('policy llm_private.cache_fills operator_all ALL to llm_operator'),
  ('policy llm_private.call_outputs app_select_own SELECT to llm_app'),
  ('policy llm_private.call_outputs auditor_select SELECT to llm_auditor'),
  ('policy llm_private.call_outputs exporter_eligible SELECT to llm_exporter'),
  ('policy llm_private.call_outputs money_own ALL to llm_money'),
  ('policy llm_private.call_outputs operator_all ALL to llm_operator'),
  ('policy llm_private.claim_mutexes app_claim_keys ALL to llm_app'),
  ('policy llm_private.claim_mutexes operator_sweep ALL to llm_operator'),
  ('policy llm_private.claim_mutexes worker_enqueue_release ALL to llm_worker'),
  ('policy llm_private.clock owner_all ALL to llm_owner'),
  ('policy llm_private.clock select_all SELECT to public'),
  ('policy llm_private.context_keys owner_all ALL to llm_owner'),
  ('policy llm_private.endpoint_settings auditor_select SELECT to llm_auditor'),
  ('policy llm_private.endpoint_settings money_select SELECT to llm_money'),
  ('policy llm_private.endpoint_settings operator_all ALL to llm_operator'),
  ('policy llm_private.endpoint_settings owner_all ALL to llm_owner'),
  ('policy llm_private.endpoint_settings viewer_select SELECT to llm_viewer'),
  ('policy llm_private.erasures operator_record INSERT to llm_operator'),
  ('policy llm_private.erasures owner_all ALL to llm_owner'),
  ('policy llm_private.erasures readers_select SELECT to llm_auditor,llm_operator,llm_viewer'),
  ('policy llm_private.limits app_select SELECT to llm_app'),
  ('policy llm_private.limits auditor_select SELECT to llm_auditor'),
  ('policy llm_private.limits money_select SELECT to llm_money'),
  ('policy llm_private.limits operator_all ALL to llm_operator'),
  ('policy llm_private.limits owner_all ALL to llm_owner'),
  ('policy llm_private.limits viewer_select SELECT to llm_viewer'),
  ('policy llm_private.meters app_select SELECT to llm_app'),
  ('policy llm_private.meters auditor_select SELECT to llm_auditor'),
  ('policy llm_private.meters money_select SELECT to llm_money'),
  ('policy llm_private.meters operator_all ALL to llm_operator'),
  ('policy llm_private.meters owner_all ALL to llm_owner'),
  ('policy llm_private.meters viewer_select SELECT to llm_viewer'),
  ('policy llm_private.model_fallbacks operator_all ALL to llm_operator'),
  ('policy llm_private.model_fallbacks owner_all ALL to llm_owner'),
  ('policy llm_private.model_fallbacks select_all SELECT to llm_auditor,llm_money,llm_operator,llm_viewer'),
  ('policy llm_private.model_fallbacks worker_select SELECT to llm_worker'),
  ('policy llm_private.model_prices exporter_trainable SELECT to llm_exporter'),
  ('policy llm_private.model_prices operator_insert INSERT to llm_operator'),
  ('policy llm_private.model_prices owner_all ALL to llm_owner'),
  ('policy llm_private.model_prices select_all SELECT to llm_app,llm_auditor,llm_money,llm_operator,llm_viewer'),
  ('policy llm_private.model_prices worker_select SELECT to llm_worker'),
  ('policy llm_private.models exporter_trainable SELECT to llm_exporter'),
  ('policy llm_private.models operator_all ALL to llm_operator'),
  ('policy llm_private.models owner_all ALL to llm_owner'),
  ('policy llm_private.models select_all SELECT to llm_app,llm_auditor,llm_money,llm_operator,llm_viewer'),
  ('policy llm_private.models worker_select SELECT to llm_worker'),
  ('policy llm_private.month_closes operator_close INSERT to llm_operator'),
  ('policy llm_private.month_closes owner_all ALL to llm_owner'),
  ('policy llm_private.month_closes readers_select SELECT to llm_auditor,llm_operator,llm_viewer'),
  ('policy llm_private.provider_breakers money_record INSERT to llm_money'),
  ('policy llm_private.provider_breakers money_update UPDATE to llm_money'),
  ('policy llm_private.provider_breakers operator_all ALL to llm_operator'),
  ('policy llm_private.provider_breakers select_all SELECT to llm_auditor,llm_money,llm_operator,llm_viewer'),
  ('policy llm_private.reasoning_traces auditor_select SELECT to llm_auditor'),
  ('policy llm_private.reasoning_traces exporter_allowed SELECT to llm_exporter'),
  ('policy llm_private.reasoning_traces money_own ALL to llm_money'),
  ('policy llm_private.reasoning_traces operator_all ALL to llm_operator'),
  ('policy llm_private.reconciliation_checks operator_read SELECT to llm_operator'),
  ('policy llm_private.reconciliation_checks operator_record INSERT to llm_operator'),
  ('policy llm_private.reconciliation_checks owner_all ALL to llm_owner'),
  ('policy llm_private.reconciliation_checks readers_select SELECT to llm_auditor,llm_viewer'),
  ('policy llm_private.request_inputs app_own ALL to llm_app'),
  ('policy llm_private.request_inputs auditor_select SELECT to llm_auditor'),
  ('policy llm_private.request_inputs exporter_eligible SELECT to llm_exporter'),
  ('policy llm_private.request_inputs money_select_own SELECT to llm_money'),
  ('policy llm_private.request_inputs operator_erase DELETE to llm_operator'),
  ('policy llm_private.request_inputs operator_keys SELECT to llm_operator'),
  ('policy llm_private.requests app_cancel_own UPDATE to llm_app'),
  ('policy llm_private.requests app_claim_own INSERT to llm_app'),
  ('policy llm_private.requests app_select_own SELECT to llm_app'),
  ('policy llm_private.requests auditor_select SELECT to llm_auditor'),
  ('policy llm_private.requests money_own ALL to llm_money'),
  ('policy llm_private.requests operator_fail UPDATE to llm_operator'),
  ('policy llm_private.requests operator_select SELECT to llm_operator'),
  ('policy llm_private.requests viewer_select SELECT to llm_viewer'),
  ('policy llm_private.requests worker_enqueue_select SELECT to llm_worker'),
  ('policy llm_private.requests worker_enqueue_update UPDATE to llm_worker'),
  ('policy llm_private.requests worker_login_select SELECT to llm_worker'),
  ('policy llm_private.schema_state owner_all ALL to llm_owner'),
  ('policy llm_private.schema_state select_all SELECT to public'),
  ('policy llm_private.settings operator_update UPDATE to llm_operator'),
  ('policy llm_private.settings owner_all ALL to llm_owner'),
  ('policy llm_private.settings select_all SELECT to llm_app,llm_auditor,llm_money,llm_operator,llm_viewer'),
  ('policy llm_private.settings worker_select SELECT to llm_worker'),
  ('policy llm_private.shutoff_windows auditor_select SELECT to llm_auditor'),
  ('policy llm_private.shutoff_windows money_select SELECT to llm_money'),
  ('policy llm_private.shutoff_windows money_trip INSERT to llm_money'),
  ('policy llm_private.shutoff_windows operator_all ALL to llm_operator'),
  ('policy llm_private.shutoff_windows viewer_select SELECT to llm_viewer'),
  ('policy llm_private.tenants app_select_own SELECT to llm_app'),
  ('policy llm_private.tenants auditor_select SELECT to llm_auditor'),
  ('policy llm_private.tenants exporter_consented SELECT to llm_exporter'),
  ('policy llm_private.tenants money_select_own SELECT to llm_money'),
  ('policy llm_private.tenants operator_all ALL to llm_operator'),
  ('policy llm_private.tenants owner_all ALL to llm_owner'),
  ('policy llm_private.usage app_select_own SELECT to llm_app'),
  ('policy llm_private.usage auditor_select SELECT to llm_auditor'),
  ('policy llm_private.usage money_own ALL to llm_money'),
  ('policy llm_private.usage operator_all ALL to llm_operator'),
  ('policy llm_private.usage viewer_select SELECT to llm_viewer'),
  ('policy llm_private.usage_repairs operator_record INSERT to llm_operator'),
  ('policy llm_private.usage_repairs owner_all ALL to llm_owner'),
  ('policy llm_private.usage_repairs readers_select SELECT to llm_auditor,llm_operator,llm_viewer'),
  ('policy llm_private.users app_enroll_own INSERT to llm_app'),
  ('policy llm_private.users app_select_own SELECT to llm_app'),
  ('policy llm_private.users auditor_select SELECT to llm_auditor'),
  ('policy llm_private.users money_select_own SELECT to llm_money'),
  ('policy llm_private.users operator_all ALL to llm_operator'),
  ('policy llm_private.users owner_all ALL to llm_owner'),
  ('policy llm_private.worker_heartbeats owner_all ALL to llm_owner'),
  ('policy llm_private.worker_heartbeats readers_select SELECT to llm_auditor,llm_operator,llm_viewer'),
  ('policy llm_private.worker_heartbeats worker_all ALL to llm_worker'),
  ('schema graphile_worker | llm_operator=USAGE llm_worker=CREATE,USAGE'),
  ('schema llm | llm_app=USAGE llm_auditor=USAGE llm_exporter=USAGE llm_money=USAGE llm_operator=USAGE llm_viewer=USAGE llm_worker=USAGE'),
  ('schema llm_maint'),
  ('schema llm_private | llm_app=USAGE llm_auditor=USAGE llm_exporter=USAGE llm_money=USAGE llm_operator=USAGE llm_viewer=USAGE llm_worker=USAGE'),
  ('schema llm_queue | llm_app=USAGE llm_worker=CREATE,USAGE'),
  ('table llm_private.adjustments | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('table llm_private.alerts | llm_auditor=SELECT llm_money=INSERT llm_operator=INSERT,SELECT llm_viewer=SELECT'),
  ('table llm_private.attempts | llm_auditor=SELECT llm_money=SELECT llm_operator=SELECT'),
  ('table llm_private.breaker_transitions | llm_auditor=SELECT llm_operator=DELETE,SELECT llm_viewer=SELECT'),
  ('table llm_private.budget_scopes | llm_auditor=SELECT llm_money=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('table llm_private.cache_entries | llm_auditor=SELECT llm_money=INSERT,SELECT,UPDATE llm_operator=DELETE,SELECT'),
  ('table llm_private.cache_fills | llm_money=DELETE,INSERT,SELECT,UPDATE llm_operator=DELETE,SELECT'),
  ('table llm_private.call_outputs | llm_app=SELECT llm_auditor=SELECT llm_money=INSERT,SELECT llm_operator=DELETE,SELECT'),
  ('table llm_private.claim_mutexes | llm_operator=DELETE,SELECT'),
  ('table llm_private.clock | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('table llm_private.context_keys'),
  ('table llm_private.endpoint_settings | llm_auditor=SELECT llm_money=SELECT llm_operator=DELETE,INSERT,SELECT,UPDATE llm_viewer=SELECT'),
  ('table llm_private.erasures | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('table llm_private.limits | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=INSERT,SELECT llm_viewer=SELECT'),
  ('table llm_private.meters | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=INSERT,SELECT llm_viewer=SELECT'),
  ('table llm_private.model_fallbacks | llm_auditor=SELECT llm_money=SELECT llm_operator=DELETE,INSERT,SELECT llm_viewer=SELECT'),
  ('table llm_private.model_prices | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=INSERT,SELECT llm_viewer=SELECT'),
  ('table llm_private.models | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=INSERT,SELECT,UPDATE llm_viewer=SELECT'),
  ('table llm_private.month_closes | llm_auditor=SELECT llm_operator=INSERT,SELECT,UPDATE llm_viewer=SELECT'),
  ('table llm_private.provider_breakers | llm_auditor=SELECT llm_money=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('table llm_private.reasoning_traces | llm_auditor=SELECT llm_money=INSERT,SELECT llm_operator=DELETE,SELECT'),
  ('table llm_private.reconciliation_checks | llm_auditor=SELECT llm_operator=INSERT,SELECT llm_viewer=SELECT'),
  ('table llm_private.request_inputs | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=DELETE'),
  ('table llm_private.requests | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=SELECT'),
  ('table llm_private.schema_state | llm_app=SELECT llm_auditor=SELECT llm_operator=SELECT'),
  ('table llm_private.settings | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=SELECT,UPDATE llm_viewer=SELECT'),
  ('table llm_private.shutoff_windows | llm_auditor=SELECT llm_money=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('table llm_private.tenants | llm_app=SELECT llm_money=SELECT llm_operator=INSERT,SELECT,UPDATE'),
  ('table llm_private.usage | llm_app=SELECT llm_auditor=SELECT llm_money=INSERT,SELECT llm_operator=INSERT,SELECT llm_viewer=SELECT'),
  ('table llm_private.usage_repairs | llm_auditor=SELECT llm_operator=INSERT,SELECT,UPDATE llm_viewer=SELECT'),
  ('table llm_private.users | llm_app=SELECT llm_auditor=SELECT llm_money=SELECT llm_operator=INSERT,SELECT'),
  ('table llm_private.worker_heartbeats | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.adjustments | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.alerts | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.breaker_state | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.breaker_transitions | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.budget_scopes | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.cache_stats | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.calls | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.decision_log | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.distillation_export | llm_auditor=SELECT llm_exporter=SELECT'),
  ('view llm.endpoint_cache_settings | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.erasures | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.final_outputs | llm_auditor=SELECT'),
  ('view llm.hourly_spend | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.limit_usage | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.limits | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.model_catalog | llm_auditor=SELECT llm_money=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.month_closes | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.monthly_spend | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.my_usage | llm_app=SELECT'),
  ('view llm.open_holds | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.partition_coverage | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.reconciliation_checked_drift | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.reconciliation_drift | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.reconciliation_status | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.refusals_by_reason | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.request_results | llm_app=SELECT llm_auditor=SELECT'),
  ('view llm.role_settings_drift | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.shutoff_windows | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.tenants | llm_auditor=SELECT llm_operator=SELECT'),
  ('view llm.usage_repairs | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm.workers | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm_private.limit_usage_rows | llm_auditor=SELECT llm_operator=SELECT llm_viewer=SELECT'),
  ('view llm_private.usage_alert_checks | llm_operator=INSERT'),
  ('view llm_private.usage_recaps | llm_operator=INSERT')$$
-- pins:end
, 'the API surface and every grant are exactly as pinned (regenerate: npx tsx test/support/pin-structure.ts, then review the diff)');

select * from finish();
rollback;
