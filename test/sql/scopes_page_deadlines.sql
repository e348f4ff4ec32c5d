-- llm.budget_scopes_page reads the open scopes without a deadline (its part 2) only where some scope may have none: an
-- endpoint without everyone's hard elapsed_ms limit, less the tenants whose own limit gives every scope of theirs there a
-- deadline (llm_private.scopes_all_have_deadline). It had read, and computed the figures of, every scope of such a tenant
-- to drop each one for its deadline: a tenant with its own deadline on an endpoint without everyone's paid for all its
-- scopes at every first page (8 s at 10^5 scopes, the dashboard's 200; review r103). The pages still list every scope
-- once, in the view's order, also when a user's soft limit leaves one of the tenant's scopes without a deadline.
begin;
select plan(14);
select tests.seed();

select tests.act_as_role('llm_operator');
select ok(llm.define_meter('bo_deadline', 'budget_scope', 'budget_scope', 'elapsed_ms', null, null, null, 'budget_optimization') > 0
      and llm.set_limit('bo_deadline', 60000, tests.tenant_a()) > 0,
  'budget_optimization: no deadline for everyone; tenant A''s own, 60 s');
select tests.as_admin();

-- Tenant A: 30 scopes on budget_optimization, each of a user of its own (a scope's deadline is computed once per distinct
-- first user: llm_private.budget_scope_span's calls count the scopes whose figures were computed). Tenant B: 2, no deadline.
insert into llm_private.users (tenant_id, id)
select tests.tenant_a(), ('a5000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid from generate_series(1, 30) i;
select count(*) from (select tests.call(tests.tenant_a(), ('a5000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'bo-' || i,
                                        'budget_optimization', 'mock:tiny', 10, jsonb_build_object('budget_scope', 'bo-scope-' || lpad(i::text, 2, '0')), 100)
                        from generate_series(1, 30) i) x;
select count(*) from (select tests.call(tests.tenant_b(), tests.user_b1(), 'bo-b' || i, 'budget_optimization', 'mock:tiny', 10,
                                        jsonb_build_object('budget_scope', 'bo-b-scope-' || i), 100) from generate_series(1, 2) i) x;
-- Ten minutes on: A's scopes are past their deadline, B's open without one.
select tests.freeze_clock(llm_private.now() + interval '10 minutes');
analyze llm_private.budget_scopes;
select results_eq($$select tenant_id, state, count(*), count(deadline_at) from llm.budget_scopes group by 1, 2 order by 1, 2$$,
  $$values (tests.tenant_a(), 'deadline_passed', 30::bigint, 30::bigint), (tests.tenant_b(), 'open', 2::bigint, 0::bigint)$$,
  'A''s 30 scopes past their deadline, B''s 2 open without one');

select results_eq($$select llm_private.scopes_all_have_deadline('budget_optimization', tests.tenant_a(), llm_private.now()),
                           llm_private.scopes_all_have_deadline('budget_optimization', tests.tenant_b(), llm_private.now()),
                           llm_private.scopes_all_have_deadline('budget_optimization', null, llm_private.now()),
                           llm_private.scopes_all_have_deadline('investigation', null, llm_private.now())$$,
  $$values (true, false, false, true)$$,
  'every scope of A on budget_optimization has a deadline; not of B, nor of every tenant; of investigation, everyone''s');

set local track_functions = 'all';
create function pg_temp.span_calls() returns bigint language sql volatile as $$
  select coalesce(pg_stat_get_xact_function_calls('llm_private.budget_scope_span(uuid,uuid,llm_private.endpoint)'::regprocedure), 0)
$$;
create temp table calls_before (n bigint) on commit drop;
grant all on pg_temp.calls_before to public;

select tests.act_as_role('llm_viewer');
insert into calls_before select pg_temp.span_calls();
select is((select count(*) from llm.budget_scopes_page(tests.tenant_a(), 5)), 5::bigint, 'the dashboard''s first page of tenant A (5 rows)');
select cmp_ok(pg_temp.span_calls() - (select n from calls_before), '<=', 6::bigint,
  'computed about its 5 rows: none of A''s 30 scopes is read for an open one without a deadline');
truncate calls_before;
insert into calls_before select pg_temp.span_calls();
select results_eq($$select tenant_id, state from llm.budget_scopes_page(null, 5)$$,
  $$values (tests.tenant_b(), 'open'), (tests.tenant_b(), 'open'), (tests.tenant_a(), 'deadline_passed'), (tests.tenant_a(), 'deadline_passed'),
           (tests.tenant_a(), 'deadline_passed')$$, 'the first page of every tenant: B''s open ones, then A''s newest');
select cmp_ok(pg_temp.span_calls() - (select n from calls_before), '<=', 8::bigint,
  'computed about its 5 rows: A''s scopes are left out of the open ones without a deadline');
select results_eq($$select * from tests.scopes_all_pages(null, 4)$$, $$select * from tests.scopes_in_order(null)$$,
  'pages of 4 list every scope of every tenant once, in the view''s order');
select results_eq($$select * from tests.scopes_all_pages(tests.tenant_a(), 7)$$, $$select * from tests.scopes_in_order(tests.tenant_a())$$,
  'and of tenant A');
select results_eq($$select * from tests.scopes_all_pages(tests.tenant_b(), 1)$$, $$select * from tests.scopes_in_order(tests.tenant_b())$$,
  'and of tenant B');
select tests.as_admin();

-- A user's soft limit: that user's scope has no deadline (its limit is the user's own, soft), so A is no longer sure.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('bo_deadline', 60000, tests.tenant_a(), 'a5000000-0000-0000-0000-000000000007', 'soft') > 0,
  'a soft limit for one of A''s users');
select tests.as_admin();
select is(llm_private.scopes_all_have_deadline('budget_optimization', tests.tenant_a(), llm_private.now()), false,
  'not every scope of A has a deadline now');
select results_eq($$select budget_scope, state, deadline_at from llm.budget_scopes where budget_scope = 'bo-scope-07'$$,
  $$values ('bo-scope-07', 'open', null::timestamptz)$$, 'that user''s scope is open, without a deadline');
select tests.act_as_role('llm_viewer');
select results_eq($$select * from tests.scopes_all_pages(tests.tenant_a(), 7)$$, $$select * from tests.scopes_in_order(tests.tenant_a())$$,
  'the pages of A list it first, and every other scope once');
select tests.as_admin();

select * from finish();
rollback;
