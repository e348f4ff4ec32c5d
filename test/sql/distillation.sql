-- The distillation gate: a persisted decision with its reason for every settled call, decided in SQL.
begin;
select plan(12);
select tests.seed();

create function pg_temp.settle_one(p_id text, p_model text default 'small', p_status text default 'ok', p_output text default 'ok answer',
  p_valid boolean default true, p_pii boolean default false, p_max_output integer default 100, p_input integer default 1000) returns text language plpgsql as $$
declare
  rid bigint;
begin
  select x.reservation_id into rid from tests.reserve(p_id, p_model => p_model, p_max_output => p_max_output, p_input => p_input) x;
  perform llm.settle_call(rid, 10, 0, 10, 5, p_status, false, '[]', p_output, 'thinking...', p_valid, p_pii);
  return (select r.distillation_reason from llm_private.reservations r where r.id = rid);
end
$$;

select tests.act_as(tests.tenant_a(), tests.user_a1());
select is(pg_temp.settle_one('g-1'), 'tenant_not_opted_in', 'a tenant that has not opted in: ineligible');
reset role;
select llm.set_tenant_data_use(tests.tenant_a(), true, false);
select tests.act_as(tests.tenant_a(), tests.user_a1());
select is(pg_temp.settle_one('g-2'), 'eligible', 'opted in, successful, valid, allowed model, no PII: eligible');
select is(pg_temp.settle_one('g-3', p_status => 'error', p_output => null), 'call_failed', 'a failed call: ineligible');
select is(pg_temp.settle_one('g-4', p_model => 'large', p_max_output => 8192, p_input => 10000), 'capped_output', 'an output cut by a cap: ineligible');
select is(pg_temp.settle_one('g-5', p_valid => false), 'invalid_output', 'an output that failed validation: ineligible');
select is(pg_temp.settle_one('g-6', p_model => 'large'), 'model_terms_forbid', 'a model whose terms forbid training: ineligible');
select is(pg_temp.settle_one('g-7', p_pii => true), 'pii_flagged', 'a PII flag: ineligible');
select is(pg_temp.settle_one('g-8', p_output => null), 'no_output', 'no output recorded: ineligible');

-- From cache
select llm.settle_call((select reservation_id from tests.reserve_cached('g-9', 'rev-1')), 10, 0, 10, 5, 'ok', false, '[]', 'cached answer', null, true, false);
create temp table hit as select * from tests.reserve_cached('g-10', 'rev-1');
select is((select hit.decision || '/' || r.distillation_reason from hit join llm_private.reservations r on r.id = hit.reservation_id),
  'cached/from_cache', 'a cache hit: ineligible');

-- Only eligible rows reach the export view; traces only with the separate flag.
reset role;
select tests.act_as_role('llm_exporter');
select is((select count(*)::int from llm.distillation_export), 2, 'the exporter sees only the eligible calls');
select is((select count(*)::int from llm.distillation_export where reasoning_trace is not null), 0,
  'and no reasoning trace while the tenant has not allowed traces');
reset role;
select llm.set_tenant_data_use(tests.tenant_a(), true, true);
select tests.act_as_role('llm_exporter');
select is((select count(*)::int from llm.distillation_export where reasoning_trace is not null), 1,
  'with the separate trace flag, the eligible call that had a trace carries it');
select * from finish();
rollback;
