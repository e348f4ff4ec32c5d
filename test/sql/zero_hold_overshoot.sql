-- A hold of 0 holds the least charge. A hard limit keeps room for the least charge above 0 (1 of its unit) on a meter the
-- call can be charged on, even when the call holds 0 there (test/sql/zero_holds.sql); the hold took 0, so every reserve saw
-- the same unit free: on a hard cap of 40 input tokens, reserves estimated at 0 input tokens were all admitted while open
-- (60 of 60 here; 8 sessions racing, each call settled with 1 input token, were admitted 43 times and charged 43 tokens,
-- test/ts/concurrency.test.ts). Now a call holds at least 1 of each unit it can be charged in (llm_private.held_amount),
-- so a cap admits at most as many such calls as it has units, and calls that report no more than they held never pass it.
-- The settle, release, expiry and late settles give back what was held, the reconciliation counts it, and what a call is
-- charged does not change (held_micros stays the worst case, which an expiry charges; an expiry charges the estimate).
-- An embedding call's output meter still holds 0 and asks no room; an attempt reserved before the rule gives back what it held.
begin;
select plan(51);
select tests.seed();

select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_daily_input_4', 'tenant', 'day', 'input_tokens', p_shards => 4) > 0
      and llm.set_limit('tenant_daily_input_4', 40, tests.tenant_a()) > 0,
  'tenant A: at most 40 input tokens a day, over 4 escrow shards (A1 and A2 count on their own shards)');
select tests.as_admin();

/* A request whose prompt has a floor of 0 input tokens ('Hi'): the worker's estimate of 0 stands. */
create function pg_temp.hi(p_request_id text, p_tenant uuid default tests.tenant_a(), p_user uuid default tests.user_a1()) returns bigint
  language sql as $$ select tests.enqueue(p_tenant, p_user, p_request_id, 'route', 'mock:small', 100, 'Hi') $$;
create function pg_temp.usage(p_meter text, p_tenant uuid default tests.tenant_a()) returns table (held bigint, spent bigint)
  language sql as $$ select sum(held)::bigint, sum(spent)::bigint from llm.limit_usage
                      where meter_name = p_meter and tenant_id = p_tenant and current $$;
/* Settles every held attempt of a tenant with these tokens; how many settled. */
create function pg_temp.settle_all(p_tenant uuid, p_input integer, p_output integer) returns bigint language plpgsql as $$
declare
  a record;
  n bigint := 0;
begin
  for a in select x.request_pk, x.attempt_no from llm_private.attempts x where x.tenant_id = p_tenant and x.state = 'held'
            order by x.request_pk loop
    n := n + (select count(*) from tests.settle(a.request_pk, a.attempt_no, 'ok', p_input, 0, p_output) s where s.state = 'settled');
  end loop;
  return n;
end $$;
/* n calls estimated at 0 input tokens, held open (users A1 and A2 in turn): how many were admitted. */
create function pg_temp.reserve_zeros(p_prefix text, n integer) returns bigint language sql as $$
  select count(*) filter (where d = 'allow')
    from (select (select decision from tests.reserve(pg_temp.hi(p_prefix || g, tests.tenant_a(),
                                                             case when g % 2 = 0 then tests.user_a1() else tests.user_a2() end), 1, 0)) as d
            from generate_series(1, n) g) x
$$;

-- Holds of 0 open: 39 of them fill the cap to 39.
select is(pg_temp.reserve_zeros('f-', 39), 39::bigint, '39 calls estimated at 0 input tokens, held open: all admitted');
select results_eq($$select * from pg_temp.usage('tenant_daily_input_4')$$, $$values (39::bigint, 0::bigint)$$,
  'each holds the 1 input token its room was checked for: 39 held of 40');
select is((select count(*) from llm.calls where request_id like 'f-%' and input_tokens_estimate = 0 and state = 'held'), 39::bigint,
  'their estimates stay 0 (what an expiry charges)');
select is(pg_temp.reserve_zeros('g-', 10), 1::bigint, 'of 10 more, 1 is admitted (it was every one of them: 10)');
select results_eq($$select * from pg_temp.usage('tenant_daily_input_4')$$, $$values (40::bigint, 0::bigint)$$, 'the cap is held in full');
select results_eq($$select distinct decision, reason, limit_cap, limit_used, limit_asked from llm.decision_log
                     where request_id like 'g-%' and decision = 'block'$$,
  $$values ('block', 'tenant_daily_input_4', 40::bigint, 40::bigint, 1::bigint)$$,
  'the others are refused by the cap: 40 used, 1 asked');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger: the reconciliation counts the unit held');
select results_eq($$select sum(u.quota)::bigint, bool_and(u.held + u.spent <= u.quota) from llm_private.usage u
                     join llm_private.meters m on m.id = u.meter_id where m.name = 'tenant_daily_input_4'$$,
  $$values (40::bigint, true)$$, 'the 4 shards'' quotas still sum to the cap, and none holds more than its quota');

-- Each reports 1 input token: charged in full, and the cap is reached, not passed.
select is(pg_temp.settle_all(tests.tenant_a(), 1, 10), 40::bigint,
  'the 40 admitted calls settle, each with 1 input token reported');
select results_eq($$select * from pg_temp.usage('tenant_daily_input_4')$$, $$values (0::bigint, 40::bigint)$$,
  '40 input tokens spent of 40, nothing held: the hold was given back');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');
select results_eq($$select decision, reason from tests.reserve(pg_temp.hi('h-1'), 1, 0)$$, $$values ('block', 'tenant_daily_input_4')$$,
  'the cap is full: a call estimated at 0 is refused');

-- One shard: a cap of 2 admits 2 holds of 0. Released: the unit comes back.
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_daily_input_b', 'tenant', 'day', 'input_tokens', tests.tenant_b()) > 0
      and llm.set_limit('tenant_daily_input_b', 2, tests.tenant_b()) > 0, 'tenant B: at most 2 input tokens a day, one shard');
select tests.as_admin();
create function pg_temp.hi_b(p_request_id text) returns bigint language sql as $$ select pg_temp.hi(p_request_id, tests.tenant_b(), tests.user_b1()) $$;
select is((select decision from tests.reserve(pg_temp.hi_b('b-1'), 1, 0)), 'allow', 'B''s first call estimated at 0');
select is((select decision from tests.reserve(pg_temp.hi_b('b-2'), 1, 0)), 'allow', 'its second');
select results_eq($$select decision, limit_used from tests.reserve(pg_temp.hi_b('b-3'), 1, 0)$$, $$values ('block', 2::bigint)$$,
  'its third is refused while the first two are open: 2 held of 2');
select is((select state from tests.release(tests.request_pk('b-2'), 1)), 'released', 'the second is released: nothing was sent');
select results_eq($$select * from pg_temp.usage('tenant_daily_input_b', tests.tenant_b())$$, $$values (1::bigint, 0::bigint)$$,
  'its unit is given back: 1 held');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');
select is((select decision from tests.reserve(pg_temp.hi_b('b-4'), 1, 0)), 'allow', 'a new call fits in the unit given back');

-- Expired: the hold given back, the charge what the expiry charges (the estimate: 0 input tokens; the worst case in micro-USD).
select tests.freeze_clock('2026-03-15 10:31:30+00');
select tests.act_as_role('llm_operator');
select is(llm.expire_holds(100), 2, 'the sweep charges B''s two open holds');
select tests.as_admin();
select results_eq($$select * from pg_temp.usage('tenant_daily_input_b', tests.tenant_b())$$, $$values (0::bigint, 0::bigint)$$,
  'their units are given back, and 0 input tokens charged (as estimated; the least charge is held, never charged)');
select results_eq($$select distinct charged_micros = held_micros, held_micros, usage_unknown from llm.calls where request_id in ('b-1', 'b-4')$$,
  $$values (true, 200::bigint, true)$$, 'charged their worst case, 200 micro-USD each, as before: the money does not change');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger after the sweep');
select is((select late from tests.settle(tests.request_pk('b-1'), 1, 'ok', 1, 0, 10)), true, 'one was sent after all: settled late, 1 input token');
select results_eq($$select * from pg_temp.usage('tenant_daily_input_b', tests.tenant_b())$$, $$values (0::bigint, 1::bigint)$$,
  'charged on the meter');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger after the late settle');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- The least charge is held, not charged: a settle of 1 input token on an estimate of 0 waits for its WAL flush (a lost
-- settle would leave the expiry to charge 0 of them).
select is((select decision from tests.reserve(pg_temp.hi_b('b-5'), 1, 0)), 'allow', 'B''s call estimated at 0 (B''s cap: 1 left)');
select set_config('synchronous_commit', 'on', true);
select is((select state from tests.settle(tests.request_pk('b-5'), 1, 'ok', 1, 0, 10)), 'settled', 'settled with 1 input token');
select is(current_setting('synchronous_commit'), 'on', 'its commit waits for its flush: the expiry would charge less');

-- A soft limit: the call holds the least charge there too (what an attempt holds is a function of the attempt alone).
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('tenant_daily_input_b', 2, tests.tenant_b(), null, 'soft') > 0, 'B''s cap made soft');
select tests.as_admin();
select is((select decision from tests.reserve(pg_temp.hi_b('b-6'), 1, 0)), 'allow', 'a call estimated at 0: a soft limit admits it');
select results_eq($$select * from pg_temp.usage('tenant_daily_input_b', tests.tenant_b())$$, $$values (1::bigint, 2::bigint)$$,
  'and it holds 1 there');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');
select is(pg_temp.settle_all(tests.tenant_b(), 0, 10), 1::bigint, 'settled with 0 input tokens');
select results_eq($$select * from pg_temp.usage('tenant_daily_input_b', tests.tenant_b())$$, $$values (0::bigint, 2::bigint)$$,
  'its unit given back, nothing charged');

-- An embedding call of a text whose floor is 0: it holds 1 on its input meter and 1 micro-USD on its micro-USD meters (its
-- worst case is 0), and 0 on its output meter, which asks no room (review r103).
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_daily_output_b', 'tenant', 'day', 'output_tokens', tests.tenant_b()) > 0
      and llm.set_limit('tenant_daily_output_b', 0, tests.tenant_b()) > 0
      and llm.set_endpoint_cache(tests.tenant_b(), 'route', false, 0.90, 'mock:embed') is not null,
  'tenant B: a hard cap of 0 output tokens; its route''s semantic cache embeds with mock:embed');
select tests.as_admin();
select results_eq($$select decision, held_micros, worst_case_micros from tests.reserve(pg_temp.hi_b('e-1'), 1, 0, 30000, 'embedding')$$,
  $$values ('allow', 0::bigint, 0::bigint)$$, 'B''s embedding call estimated at 0: allowed at the output cap of 0; its worst case, 0, is its held_micros');
select results_eq($$select meter_name, held from llm.limit_usage where tenant_id = tests.tenant_b() and current
                     and meter_name in ('tenant_daily_input_b', 'tenant_daily_output_b', 'tenant_monthly') order by meter_name$$,
  $$values ('tenant_daily_input_b', 1::bigint), ('tenant_daily_output_b', 0::bigint), ('tenant_monthly', 1::bigint)$$,
  'on its meters it holds 1 input token, 0 output tokens (no room asked) and 1 micro-USD of the month');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');
select is((select cost_micros from tests.settle(tests.request_pk('e-1'), 1, 'ok', 1000, 0, 0, null)), 20::bigint,
  'settled: 1 000 input tokens, 20 micro-USD');
select results_eq($$select meter_name, held, spent from llm.limit_usage where tenant_id = tests.tenant_b() and current
                     and meter_name in ('tenant_daily_input_b', 'tenant_daily_output_b') order by meter_name$$,
  $$values ('tenant_daily_input_b', 0::bigint, 1002::bigint), ('tenant_daily_output_b', 0::bigint, 0::bigint)$$,
  'its holds given back, its tokens charged');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('tenant_daily_output_b', 100000, tests.tenant_b()) > 0 and llm.set_limit('tenant_daily_input_b', 2000, tests.tenant_b()) > 0,
  'B''s output cap raised to 100 000, its input cap (hard) to 2 000');
select tests.as_admin();

-- The rule is the attempt's, fixed at its reserve (attempts.holds_least_charge), and nobody changes it afterwards; an
-- attempt reserved before it (false: its hold of 0 taken as 0) gives back 0 at its settle. Made here by hand, as the
-- superuser with the triggers off, from one reserved now.
select is((select decision from tests.reserve(pg_temp.hi_b('o-1'), 1, 0)), 'allow', 'another call estimated at 0');
select throws_ok($$update llm_private.attempts set holds_least_charge = false where request_pk = tests.request_pk('o-1')$$, 'LG001', null,
  'the rule of a held attempt cannot be changed (LG001): its settle would give back another amount than it held');
set local session_replication_role = replica;
update llm_private.attempts set holds_least_charge = false where request_pk = tests.request_pk('o-1');
update llm_private.usage u set held = u.held - 1 from llm_private.meters m
 where m.id = u.meter_id and m.name = 'tenant_daily_input_b' and u.tenant_id = tests.tenant_b() and u.held = 1;
set local session_replication_role = origin;
select is(tests.drift_rows(), 0::bigint, 'as an attempt of the release before: 0 held on the input meter, and the ledger agrees');
select is((select state from tests.settle(tests.request_pk('o-1'), 1, 'ok', 1, 0, 10)), 'settled', 'settled with 1 input token');
select results_eq($$select * from pg_temp.usage('tenant_daily_input_b', tests.tenant_b())$$, $$values (0::bigint, 1003::bigint)$$,
  'it gave back the 0 it held, and was charged its 1 input token');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');

select * from finish();
rollback;
