-- Why a call was allowed: a call allowed as asked (allow / ok, held) records the tightest hard limit it was compared
-- with and fitted (the least room left after its hold, counted in calls like it), that limit's cap and what it had used
-- when compared, so that llm.calls shows limit_used + limit_asked <= limit_cap. Before, an allowed call recorded no
-- limit at all (limit_id, limit_cap, limit_used NULL): the audit could prove a refusal, never an admission.
-- Prices: mock:large 10/5/30 USD per Mtok; a call of 1 000 in + 1 000 out holds 40 000 micros, 2 000 tokens, 1 call.
-- Every call is on endpoint investigation, whose per-request cap (300 000) leaves room for 7.5 such calls: a limit
-- with less room than that is the tightest.
begin;
select plan(43);
select tests.seed();

-- Tenants and users of their own, one per shape, so that no shape's limits reach another's calls.
insert into llm_private.tenants (id, name) values
  ('c0000000-0000-0000-0000-00000000000c', 'tenant C'), ('d0000000-0000-0000-0000-00000000000d', 'tenant D'),
  ('da000000-0000-0000-0000-0000000000da', 'tenant DA'), ('e0000000-0000-0000-0000-00000000000e', 'tenant E'),
  ('f0000000-0000-0000-0000-00000000000f', 'tenant F');
insert into llm_private.users (tenant_id, id) values
  ('c0000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001'),
  ('c0000000-0000-0000-0000-00000000000c', 'c2000000-0000-0000-0000-000000000002'),
  ('d0000000-0000-0000-0000-00000000000d', 'd1000000-0000-0000-0000-000000000001'),
  ('d0000000-0000-0000-0000-00000000000d', 'd2000000-0000-0000-0000-000000000002'),
  ('da000000-0000-0000-0000-0000000000da', 'da100000-0000-0000-0000-000000000001'),
  ('e0000000-0000-0000-0000-00000000000e', 'e1000000-0000-0000-0000-000000000001'),
  ('f0000000-0000-0000-0000-00000000000f', 'f1000000-0000-0000-0000-000000000001');

-- The limits, set by an operator before any call of their subjects.
select tests.act_as_role('llm_operator');
select set_config('tests.um', llm.set_limit('user_monthly', 100000, tests.tenant_a(), tests.user_a2())::text, true);
select llm.define_meter('ad_user_day_tokens', 'user', 'day', 'tokens', tests.tenant_b());
select set_config('tests.tok', llm.set_limit('ad_user_day_tokens', 5000, tests.tenant_b(), tests.user_b1())::text, true);
select llm.define_meter('ad_c_user_day', 'user', 'day', 'micros', 'c0000000-0000-0000-0000-00000000000c');
select llm.define_meter('ad_c_tenant_day', 'tenant', 'day', 'micros', 'c0000000-0000-0000-0000-00000000000c');
select set_config('tests.c_u1', llm.set_limit('ad_c_user_day', 200000, 'c0000000-0000-0000-0000-00000000000c',
  'c1000000-0000-0000-0000-000000000001')::text, true);
select set_config('tests.c_u2', llm.set_limit('ad_c_user_day', 50000, 'c0000000-0000-0000-0000-00000000000c',
  'c2000000-0000-0000-0000-000000000002')::text, true);
select set_config('tests.c_t', llm.set_limit('ad_c_tenant_day', 120000, 'c0000000-0000-0000-0000-00000000000c')::text, true);
select set_config('tests.esc', llm.set_limit('tenant_monthly', 1600000, 'd0000000-0000-0000-0000-00000000000d')::text, true);
select llm.define_meter('ad_da_tenant_day', 'tenant', 'day', 'micros', 'da000000-0000-0000-0000-0000000000da', p_shards => 4);
select set_config('tests.borrow', llm.set_limit('ad_da_tenant_day', 100000, 'da000000-0000-0000-0000-0000000000da')::text, true);
select set_config('tests.calls', llm.set_limit('investigation_calls', 3, 'e0000000-0000-0000-0000-00000000000e')::text, true);
select tests.as_admin();

-- What llm.calls says of one call: the recorded limit, its figures, and whether they prove the decision.
create function pg_temp.admitted(p_request_id text) returns table (decision text, reason text, state text, limit_id integer,
  limit_cap bigint, limit_used bigint, limit_unit text, limit_asked bigint, fits boolean)
  language sql stable as $$
  select c.decision, c.reason, c.state, c.limit_id, c.limit_cap, c.limit_used, c.limit_unit, c.limit_asked,
         c.limit_used + c.limit_asked <= c.limit_cap
    from llm.calls c where c.request_id = p_request_id and c.purpose = 'chat'
$$;

/* A user's monthly micro-USD cap: 100 000 for A2 (2.5 calls of room, tighter than the request cap's 7.5). */
select results_eq($$select decision, reason, limit_name, limit_scope, limit_window, limit_cap, limit_used
                     from tests.call(tests.tenant_a(), tests.user_a2(), 'ad-um-1')$$,
  $$values ('allow', 'ok', 'user_monthly', 'user', 'month', 100000::bigint, 0::bigint)$$,
  'allowed under the user''s monthly cap: reserve_call names that cap, the tightest, with what it had used (0)');
select results_eq($$select * from pg_temp.admitted('ad-um-1')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.um')::int, 100000::bigint, 0::bigint, 'micros', 40000::bigint, true)$$,
  'llm.calls: the limit id, cap 100 000, used 0, asked 40 000 micros: 0 + 40 000 <= 100 000');
select is((select state from tests.settle(tests.request_pk('ad-um-1'), 1)), 'settled', 'settled at 25 000 (1 000 in x 10 + 500 out x 30)');
select results_eq($$select * from pg_temp.admitted('ad-um-1')$$,
  $$values ('allow', 'ok', 'settled', current_setting('tests.um')::int, 100000::bigint, 0::bigint, 'micros', 40000::bigint, true)$$,
  'the settle keeps the figures of the admission');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'ad-um-2')), 'allow', 'a second call fits (25 000 + 40 000)');
select results_eq($$select * from pg_temp.admitted('ad-um-2')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.um')::int, 100000::bigint, 25000::bigint, 'micros', 40000::bigint, true)$$,
  'its figures: 25 000 spent when compared, + 40 000 asked <= 100 000');
select results_eq($$select limit_id, limit_scope, limit_window, limit_cap, limit_used, limit_unit, limit_asked, granted_max_output_tokens
                     from llm.decision_log where request_id = 'ad-um-2'$$,
  $$values (current_setting('tests.um')::int, 'user', 'month', 100000::bigint, 25000::bigint, 'micros', 40000::bigint, 1000)$$,
  'llm.decision_log shows the same: why it was allowed');
select results_eq($$select decision, reason, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'ad-um-3')$$,
  $$values ('block', 'user_monthly', 65000::bigint)$$, 'a third does not fit: 25 000 spent + 40 000 held + 40 000 > 100 000 (the refusal''s figures)');
select results_eq($$select * from pg_temp.admitted('ad-um-3')$$,
  $$values ('block', 'user_monthly', 'refused', current_setting('tests.um')::int, 100000::bigint, 65000::bigint, 'micros', 40000::bigint, false)$$,
  'and the refusal''s row proves the refusal: 65 000 + 40 000 > 100 000');

/* The payload's cost ceiling: 50 000 (1.25 calls of room), a cap without a limit row. */
select results_eq($$select decision, reason, limit_id, limit_name, limit_scope, limit_window, limit_cap, limit_used
                     from tests.call(tests.tenant_a(), tests.user_a1(), 'ad-ceiling', 'investigation', 'mock:large', 1000, '{"cost_ceiling_micros": 50000}')$$,
  $$values ('allow', 'ok', null::int, 'cost_ceiling', 'request', 'request', 50000::bigint, 0::bigint)$$,
  'allowed under the payload''s cost ceiling: reserve_call names it (cost_ceiling, request, request), reason stays ok');
select results_eq($$select * from pg_temp.admitted('ad-ceiling')$$,
  $$values ('allow', 'ok', 'held', null::int, 50000::bigint, 0::bigint, 'micros', 40000::bigint, true)$$,
  'llm.calls: no limit id, cap 50 000 in micros, 0 + 40 000 <= 50 000');
select results_eq($$select limit_scope, limit_window from llm.decision_log where request_id = 'ad-ceiling'$$,
  $$values ('request', 'request')$$, 'llm.decision_log: the ceiling''s scope and window, request');

/* A token cap: 5 000 tokens a day for B1 (2.5 calls of 2 000 tokens). */
select results_eq($$select decision, reason, limit_name, limit_cap, limit_used from tests.call(tests.tenant_b(), tests.user_b1(), 'ad-tok-1')$$,
  $$values ('allow', 'ok', 'ad_user_day_tokens', 5000::bigint, 0::bigint)$$, 'allowed under a token cap: that cap is the tightest');
select results_eq($$select * from pg_temp.admitted('ad-tok-1')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.tok')::int, 5000::bigint, 0::bigint, 'tokens', 2000::bigint, true)$$,
  'llm.calls: in tokens, 0 + 2 000 (1 000 in + 1 000 out) <= 5 000');
select 1 from tests.call(tests.tenant_b(), tests.user_b1(), 'ad-tok-2');
select results_eq($$select * from pg_temp.admitted('ad-tok-2')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.tok')::int, 5000::bigint, 2000::bigint, 'tokens', 2000::bigint, true)$$,
  'a second: 2 000 held when compared, + 2 000 <= 5 000');
select results_eq($$select decision, reason, limit_used from tests.call(tests.tenant_b(), tests.user_b1(), 'ad-tok-3')$$,
  $$values ('block', 'ad_user_day_tokens', 4000::bigint)$$, 'a third is refused by it: 4 000 + 2 000 > 5 000');

/* Two limits: the tighter is recorded, whichever comes first in meter order. */
-- C2: its own day (50 000: 1.25 calls) is tighter than the tenant's day (120 000: 3 calls); the first meter.
select results_eq($$select decision, limit_name, limit_cap, limit_used
                     from tests.call('c0000000-0000-0000-0000-00000000000c', 'c2000000-0000-0000-0000-000000000002', 'ad-two-0')$$,
  $$values ('allow', 'ad_c_user_day', 50000::bigint, 0::bigint)$$, 'the first of two limits, tighter, is recorded');
select results_eq($$select * from pg_temp.admitted('ad-two-0')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.c_u2')::int, 50000::bigint, 0::bigint, 'micros', 40000::bigint, true)$$,
  'llm.calls: the user''s day, 0 + 40 000 <= 50 000');
-- C1: its own day (200 000: 5 calls) against the tenant's (40 000 held by C2: 2 calls left): the second meter.
select results_eq($$select decision, limit_name, limit_cap, limit_used
                     from tests.call('c0000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', 'ad-two-1')$$,
  $$values ('allow', 'ad_c_tenant_day', 120000::bigint, 40000::bigint)$$, 'the second of two limits, tighter, is recorded');
select results_eq($$select * from pg_temp.admitted('ad-two-1')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.c_t')::int, 120000::bigint, 40000::bigint, 'micros', 40000::bigint, true)$$,
  'llm.calls: the tenant''s day, 40 000 + 40 000 <= 120 000');
select 1 from tests.call('c0000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', 'ad-two-2');
select results_eq($$select * from pg_temp.admitted('ad-two-2')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.c_t')::int, 120000::bigint, 80000::bigint, 'micros', 40000::bigint, true)$$,
  'up to the cap itself: 80 000 + 40 000 = 120 000');
select is((select decision from tests.call('c0000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', 'ad-two-3')),
  'block', 'the next is refused (the tenant''s day is full)');

/* An escrow-sharded meter (tenant_monthly, 8 shards): 1 600 000 for tenant D, a quota of 200 000 a shard (5 calls). */
select results_eq($$select decision, limit_name, limit_cap, limit_used
                     from tests.call('d0000000-0000-0000-0000-00000000000d', 'd1000000-0000-0000-0000-000000000001', 'ad-esc-1')$$,
  $$values ('allow', 'tenant_monthly', 1600000::bigint, 0::bigint)$$, 'allowed under a sharded cap: the shard''s room (200 000) is the tightest');
select 1 from tests.call('d0000000-0000-0000-0000-00000000000d', 'd1000000-0000-0000-0000-000000000001', 'ad-esc-2');
select results_eq($$select * from pg_temp.admitted('ad-esc-2')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.esc')::int, 1600000::bigint, 40000::bigint, 'micros', 40000::bigint, true)$$,
  'the same user''s next call: what its shard had used (40 000) when compared');
-- D2 is on another shard (6; D1 on 1): the figure compared is its shard's, not the tenant's 80 000.
select is(llm_private.usage_shard('tenant', 8::smallint, null, 'd2000000-0000-0000-0000-000000000002')
          <> llm_private.usage_shard('tenant', 8::smallint, null, 'd1000000-0000-0000-0000-000000000001'), true, '(D1 and D2 use two shards)');
select 1 from tests.call('d0000000-0000-0000-0000-00000000000d', 'd2000000-0000-0000-0000-000000000002', 'ad-esc-3');
select results_eq($$select * from pg_temp.admitted('ad-esc-3')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.esc')::int, 1600000::bigint, 0::bigint, 'micros', 40000::bigint, true)$$,
  'another user''s call: its own shard''s 0, the figure the reserve compared');
select results_eq($$select c.limit_used + c.limit_asked <= u.quota, u.quota <= c.limit_cap, u.held + u.spent - c.limit_asked = c.limit_used
                     from llm.calls c join llm_private.usage u on u.tenant_id = c.tenant_id and u.meter_id = 6
                      and u.shard = llm_private.usage_shard('tenant', 8::smallint, null, c.user_id) and u.period_start = '2026-03-01'
                    where c.request_id in ('ad-esc-2', 'ad-esc-3') and u.user_id = llm_private.nil_uuid() and u.budget_scope = ''
                    order by c.request_id$$,
  $$values (true, true, true), (true, true, true)$$,
  'each fitted its shard''s quota (itself within the cap), and its limit_used is its shard''s held + spent before its own hold (the last hold of each shard)');
select is(tests.used('tenant_monthly', 'd0000000-0000-0000-0000-00000000000d'), 120000::bigint, '(the tenant holds 120 000 over its shards)');
-- A shard short of the call borrows (the slow path): 100 000 over 4 shards, 25 000 each, for calls of 40 000.
select 1 from tests.call('da000000-0000-0000-0000-0000000000da', 'da100000-0000-0000-0000-000000000001', 'ad-borrow-1');
select results_eq($$select * from pg_temp.admitted('ad-borrow-1')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.borrow')::int, 100000::bigint, 0::bigint, 'micros', 40000::bigint, true)$$,
  'a shard that borrowed: the limit, and the shard''s 0 used when compared after borrowing');
select 1 from tests.call('da000000-0000-0000-0000-0000000000da', 'da100000-0000-0000-0000-000000000001', 'ad-borrow-2');
select results_eq($$select * from pg_temp.admitted('ad-borrow-2')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.borrow')::int, 100000::bigint, 40000::bigint, 'micros', 40000::bigint, true)$$,
  'it borrowed again: 40 000 held on the shard when compared');
select results_eq($$select u.quota, u.held + u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name = 'ad_da_tenant_day' and u.shard = llm_private.usage_shard('tenant', 4::smallint, null, 'da100000-0000-0000-0000-000000000001')$$,
  $$values (80000::bigint, 80000::bigint)$$, '(its shard borrowed up to 80 000: each call fitted exactly what it had borrowed)');

/* A budget scope's calls cap: 3 calls for tenant E's investigations (3 calls of room, tighter than 7.5). */
select results_eq($$select decision, reason, limit_name, limit_scope, limit_window, limit_cap, limit_used
                     from tests.call('e0000000-0000-0000-0000-00000000000e', 'e1000000-0000-0000-0000-000000000001', 'ad-calls-1',
                                     'investigation', 'mock:large', 1000, '{"budget_scope": "inv-e"}')$$,
  $$values ('allow', 'ok', 'investigation_calls', 'budget_scope', 'budget_scope', 3::bigint, 0::bigint)$$,
  'allowed under a budget scope''s calls cap: that cap, 0 calls used');
select 1 from tests.call('e0000000-0000-0000-0000-00000000000e', 'e1000000-0000-0000-0000-000000000001', 'ad-calls-2',
                                'investigation', 'mock:large', 1000, '{"budget_scope": "inv-e"}');
select results_eq($$select * from pg_temp.admitted('ad-calls-2')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.calls')::int, 3::bigint, 1::bigint, 'calls', 1::bigint, true)$$,
  'llm.calls: in calls, 1 + 1 <= 3');
select 1 from tests.call('e0000000-0000-0000-0000-00000000000e', 'e1000000-0000-0000-0000-000000000001', 'ad-calls-3',
                                'investigation', 'mock:large', 1000, '{"budget_scope": "inv-e"}');
select results_eq($$select * from pg_temp.admitted('ad-calls-3')$$,
  $$values ('allow', 'ok', 'held', current_setting('tests.calls')::int, 3::bigint, 2::bigint, 'calls', 1::bigint, true)$$,
  'the last call of the scope: 2 + 1 = 3');
select results_eq($$select decision, reason, limit_used from tests.call('e0000000-0000-0000-0000-00000000000e', 'e1000000-0000-0000-0000-000000000001',
                     'ad-calls-4', 'investigation', 'mock:large', 1000, '{"budget_scope": "inv-e"}')$$,
  $$values ('block', 'investigation_calls', 3::bigint)$$, 'a fourth is refused by it');
-- Allowed calls that name a limit are not refusals, anywhere.
select results_eq($$select reason, refusals from llm.refusals_by_reason where tenant_id = 'e0000000-0000-0000-0000-00000000000e'$$,
  $$values ('investigation_calls', 1::bigint)$$, 'llm.refusals_by_reason counts the refusal only, not the three calls admitted under the cap');
select results_eq($$select request_id, state, reason from llm.request_results where tenant_id = 'e0000000-0000-0000-0000-00000000000e' order by request_id$$,
  $$values ('ad-calls-1', 'running', null), ('ad-calls-2', 'running', null), ('ad-calls-3', 'running', null),
           ('ad-calls-4', 'refused', 'investigation_calls')$$,
  'llm.request_results names the limit of the refused request only');

/* No limit at all: every limit in effect for everyone ended; tenant F has only a soft limit, which refuses nothing. */
select tests.act_as_role('llm_operator');
select is((select bool_and(llm.end_limit(l.limit_id)) from llm.limits l where l.tenant_id is null and l.in_effect), true,
  'an operator ends every limit for everyone');
select ok(llm.set_limit('user_monthly', 10, 'f0000000-0000-0000-0000-00000000000f', 'f1000000-0000-0000-0000-000000000001', 'soft') > 0,
  'and gives F1 a soft cap of 10 micros');
select tests.as_admin();
select results_eq($$select decision, reason, limit_id, limit_name, limit_scope, limit_window, limit_cap, limit_used
                     from tests.call('f0000000-0000-0000-0000-00000000000f', 'f1000000-0000-0000-0000-000000000001', 'ad-none')$$,
  $$values ('allow', 'ok', null::int, null::text, null::text, null::text, null::bigint, null::bigint)$$,
  'no hard limit applies: reserve_call names none');
select results_eq($$select * from pg_temp.admitted('ad-none')$$,
  $$values ('allow', 'ok', 'held', null::int, null::bigint, null::bigint, null::text, null::bigint, null::boolean)$$,
  'llm.calls: no limit, no unit, nothing asked of one');

/* Over the whole file: every call allowed as asked names its tightest limit (but the one without), and its figures fit. */
select is((select count(*)::int from llm.calls c where c.request_id like 'ad-%' and c.decision = 'allow'
            and c.limit_cap is null and c.request_id <> 'ad-none'), 0, 'every allowed call of this file records a limit, but ad-none');
select is((select count(*)::int from llm.calls c where c.request_id like 'ad-%' and c.decision = 'allow'
            and not (c.limit_used + c.limit_asked <= c.limit_cap)), 0, 'and for each, limit_used + limit_asked <= limit_cap');

select * from finish();
rollback;
