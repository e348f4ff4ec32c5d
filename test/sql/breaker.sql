-- The circuit breaker shared by all workers: opens after 3 consecutive provider failures of two tenants or more, falls back
-- or defers during the cooldown, then one half-open probe decides; healthy traffic never writes it.
begin;
select plan(71);
select tests.seed();

create function pg_temp.fail_once(p_id text, p_tenant uuid default tests.tenant_a(), p_user uuid default tests.user_a1(),
  p_model text default 'mock:small') returns text language sql as $$
  select s.state from tests.reserve(tests.enqueue(p_tenant, p_user, p_id, 'investigation', p_model, 100)) r
  cross join lateral tests.settle(tests.request_pk(p_id), 1, 'error', 0, 0, 0) s
$$;
select is(pg_temp.fail_once('b-1') || pg_temp.fail_once('b-2'), 'settledsettled', 'two provider failures');
select is((select state from llm_private.provider_breakers where model = 'small'), 'closed', 'still closed');
-- (review of the provider boundary) A tenant decides how long its calls take and what they send: three slow calls of one
-- tenant (timeouts) opened the model's breaker for every tenant, whose requests were then refused for good.
select is(pg_temp.fail_once('b-3'), 'settled', 'a third, of the same tenant');
select results_eq($$select state, consecutive_failures, streak_tenants_many from llm_private.provider_breakers where model = 'small'$$,
  $$values ('closed', 3, false)$$, 'does not open it: one tenant''s failures alone never stop the other tenants');
select is((select count(*)::int from llm.breaker_transitions), 0, 'failures that change no state record no transition');
select is(pg_temp.fail_once('b-3b', tests.tenant_b(), tests.user_b1()), 'settled', 'a failure of another tenant in the same streak');
select results_eq($$select state, open_until from llm_private.provider_breakers where model = 'small'$$,
  $$values ('open', '2026-03-15 10:30:30+00'::timestamptz)$$, 'opens it for the cooldown (30 s)');
-- (DBA review of 2026-11-27) Transitions were only metrics: a DBA could not prove with SQL why a model's calls were refused.
select results_eq($$select from_state, to_state, cause, changed_at, consecutive_failures, open_until, streak_tenant_id, streak_tenants_many,
                           call_tenant_id, changed_by from llm.breaker_transitions where model_ref = 'mock:small'$$,
  $$values ('closed', 'open', 'failures', '2026-03-15 10:30:00+00'::timestamptz, 4, '2026-03-15 10:30:30+00'::timestamptz, tests.tenant_a(), false,
            tests.tenant_b(), 'llm_money')$$,
  'one transition closed -> open: the streak''s first tenant (A), the tenant whose failure opened it (B), the cooldown');
select results_eq($$select decision || '/' || reason, retry_after_ms
                     from tests.call(tests.tenant_a(), tests.user_a1(), 'b-4', 'investigation', 'mock:small', 100)$$,
  $$values ('block/breaker_open', 30000)$$, 'a model without a chain is refused while open, to be tried again after the cooldown');
select results_eq($$select state::text, reason from llm_private.requests where request_id = 'b-4'$$,
  $$values ('queued', null::llm_private.reason)$$, 'its request stays open (its job tries again)');
-- (review of the fixes) Deferrals counted against max_attempts_per_request: with it at 2, the third job attempt ended the
-- request attempts_exhausted though no call had been made.
select tests.act_as_role('llm_operator');
select llm.set_setting('max_attempts_per_request', '2');
select tests.as_admin();
select results_eq($$select decision || '/' || reason, retry_after_ms from tests.reserve(tests.request_pk('b-4'), 2, 100)$$,
  $$values ('block/breaker_open', 30000)$$, 'the job''s second attempt is deferred again (a deferral uses up no call attempt)');
select results_eq($$select decision || '/' || reason, retry_after_ms from tests.reserve(tests.request_pk('b-4'), 3, 100)$$,
  $$values ('block/breaker_open', null::int)$$, 'on the job''s last attempt (enqueue_max_attempts) the refusal is final...');
select tests.act_as_role('llm_operator');
select llm.set_setting('max_attempts_per_request', '5');
select tests.as_admin();
select results_eq($$select state::text, reason from llm_private.requests where request_id = 'b-4'$$,
  $$values ('refused', 'breaker_open'::llm_private.reason)$$, '... and ends the request refused');
insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until) values ('mock', 'large', 'open', 3, '2026-03-15 10:31:00+00');
select is((select decision || '/' || reason || '/' || model from tests.call(tests.tenant_a(), tests.user_a1(), 'b-5')),
  'fallback/breaker_open/tiny', 'an open model falls back along its chain, skipping open fallbacks');

-- Client errors say nothing about the provider; a success on a closed breaker writes nothing.
select is((select state from tests.reserve(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'b-6', 'investigation', 'mock:tiny', 10)) r
  cross join lateral tests.settle(tests.request_pk('b-6'), 1, 'client_error', 1, 0, 0) s), 'settled', 'a client error settles');
select is((select count(*)::int from llm_private.provider_breakers where model = 'tiny'), 0, 'and records no failure');
-- A call our worker aborted while stopping: charged in full (the outcome is unknown), no failure of the provider's.
select results_eq($$select s.state, s.cost_micros = s.held_micros, s.usage_unknown
                     from tests.reserve(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'b-6a', 'investigation', 'mock:tiny', 10)) r
                     cross join lateral tests.settle(tests.request_pk('b-6a'), 1, 'aborted', null, null, null) s$$,
  $$values ('settled', true, true)$$, 'a call aborted by a stopping worker is charged its full hold (outcome unknown)');
select is((select count(*)::int from llm_private.provider_breakers where model = 'tiny'), 0,
  'and counts no failure on the shared breaker (three such used to open it for every worker)');
select is((select state from tests.settle(tests.request_pk('b-5'), 1, 'ok')), 'settled', 'a success on mock:tiny');
select is((select count(*)::int from llm_private.provider_breakers where model = 'tiny'), 0, 'writes no breaker row (no shared hot row)');
select is((select count(*)::int from llm.breaker_transitions where model_ref = 'mock:tiny'), 0, 'and no transition');

-- After the cooldown exactly one probe goes ahead.
select tests.freeze_clock('2026-03-15 10:30:31+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'b-7', 'investigation', 'mock:small', 100)), 'allow',
  'after the cooldown the first caller is the half-open probe');
select results_eq($$select from_state || '>' || to_state, cause, call_tenant_id from llm.breaker_transitions where model_ref = 'mock:small'
                     order by id desc limit 1$$,
  $$values ('open>half_open', 'probe_claimed', tests.tenant_a())$$, 'the probe''s claim is a transition open -> half_open, of its tenant');
select is((select decision || '/' || reason from tests.call(tests.tenant_b(), tests.user_b1(), 'b-8', 'investigation', 'mock:small', 100)),
  'block/breaker_open', 'a second caller (another tenant) during the probe is refused');
select is((select state from tests.settle(tests.request_pk('b-7'), 1, 'ok')), 'settled', 'the probe succeeds');
select results_eq($$select state, consecutive_failures from llm_private.provider_breakers where model = 'small'$$,
  $$values ('closed', 0)$$, 'and closes the breaker');
select results_eq($$select from_state || '>' || to_state, cause, consecutive_failures, open_until from llm.breaker_transitions
                     where model_ref = 'mock:small' order by id desc limit 1$$,
  $$values ('half_open>closed', 'probe_ok', 0, null::timestamptz)$$, 'recorded half_open -> closed (probe_ok)');
select is((select s.state from tests.call(tests.tenant_b(), tests.user_b1(), 'b-7b', 'investigation', 'mock:small', 100) c
           cross join lateral tests.settle(tests.request_pk('b-7b'), 1, 'ok') s), 'settled', 'a healthy call on the closed breaker...');
select is((select count(*)::int from llm.breaker_transitions where model_ref = 'mock:small'), 3, '... records no transition');

-- (review of 2026-11-26) A reserve that claimed the probe and then made no call (a limit refused it) kept the claim: every
-- tenant waited another cooldown for a probe nobody sent. It gives the probe back.
select tests.as_admin();
insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until)
values ('mock', 'tiny', 'open', 3, '2026-03-15 10:00:00+00');
select tests.act_as_role('llm_operator');
select llm.set_limit('user_monthly', 1, tests.tenant_a(), tests.user_a2());
select tests.as_admin();
select is((select decision || '/' || reason from tests.call(tests.tenant_a(), tests.user_a2(), 'b-10', 'investigation', 'mock:tiny', 10)),
  'block/user_monthly', 'a user over its cap, on a model whose cooldown is over, is refused by the limit...');
select results_eq($$select state, probe_started_at from llm_private.provider_breakers where model = 'tiny'$$,
  $$values ('open', null::timestamptz)$$, '... and gives back the probe it had claimed');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b-11', 'investigation', 'mock:tiny', 10)), 'allow',
  'so another tenant''s call is the probe at once');
select is((select array_agg(from_state || '>' || to_state || ':' || cause order by id) from llm.breaker_transitions where model_ref = 'mock:tiny'),
  '{closed>open:by_hand,open>half_open:probe_claimed,half_open>open:probe_given_back,open>half_open:probe_claimed}',
  'the probe given back is recorded (half_open -> open, its cooldown over), and the next claim');

-- Only the operator resets a breaker by hand.
select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select throws_ok($$update llm_private.provider_breakers set state = 'open', open_until = 'infinity' where model = 'small'$$, 'LG005', null,
  'the money role cannot force a breaker open by hand');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select llm.reset_breaker('mock', 'large')$$, '42501', null, 'the application cannot reset one');

-- (review of the fixes) One tenant kept a breaker open that two had opened: its failed probes reopened it, and its calls
-- still in flight pushed the end of the cooldown. Only the probe's own outcome decides after the cooldown, and a tenant whose
-- probe failed last cannot reopen it again alone.
select tests.as_admin();
update llm_private.provider_breakers set state = 'closed', open_until = null, consecutive_failures = 0 where model = 'large';
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'b-p0', 'investigation', 'mock:large', 100)), 'allow',
  'a call in flight before the breaker opens...');
update llm_private.provider_breakers set state = 'open', open_until = '2026-03-15 10:30:00+00', consecutive_failures = 3,
  streak_tenant_id = null, streak_tenants_many = false where model = 'large';
select tests.freeze_clock('2026-03-15 10:30:32+00');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b-p1', 'investigation', 'mock:large', 100)), 'allow',
  'after the cooldown, another tenant''s call is the probe');
select is((select state from tests.settle(tests.request_pk('b-p0'), 1, 'timeout', null, null, null)), 'settled',
  'the older call times out meanwhile...');
select results_eq($$select state, probe_started_at is not null from llm_private.provider_breakers where model = 'large'$$,
  $$values ('half_open', true)$$, '... which decides nothing: the probe is still out');
select is((select state from tests.settle(tests.request_pk('b-p1'), 1, 'error', 0, 0, 0)), 'settled', 'the probe fails...');
select results_eq($$select state, open_until from llm_private.provider_breakers where model = 'large'$$,
  $$values ('open', '2026-03-15 10:31:02+00'::timestamptz)$$, '... and reopens the breaker for the cooldown');
select results_eq($$select from_state || '>' || to_state, cause, open_until, call_tenant_id from llm.breaker_transitions
                     where model_ref = 'mock:large' order by id desc limit 1$$,
  $$values ('half_open>open', 'probe_failed', '2026-03-15 10:31:02+00'::timestamptz, tests.tenant_b())$$, 'recorded: probe_failed, of tenant B');
select tests.freeze_clock('2026-03-15 10:31:03+00');
select is(pg_temp.fail_once('b-p2', tests.tenant_b(), tests.user_b1(), 'mock:large'), 'settled',
  'the same tenant''s next probe fails too...');
select results_eq($$select state, consecutive_failures, open_until from llm_private.provider_breakers where model = 'large'$$,
  $$values ('closed', 1, null::timestamptz)$$, '... and closes it: one tenant alone keeps no breaker open (a new streak)');
select results_eq($$select from_state || '>' || to_state, cause, streak_tenant_id, call_tenant_id from llm.breaker_transitions
                     where model_ref = 'mock:large' order by id desc limit 1$$,
  $$values ('half_open>closed', 'probe_failed_same_tenant', tests.tenant_b(), tests.tenant_b())$$,
  'recorded: the tenant whose probe failed last failed again');
update llm_private.provider_breakers set state = 'closed', open_until = null, consecutive_failures = 0 where model = 'large';
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'b-p3', 'investigation', 'mock:large', 100)), 'allow',
  'a call in flight...');
update llm_private.provider_breakers set state = 'open', open_until = '2026-03-15 10:31:30+00', streak_tenants_many = true,
  consecutive_failures = 3 where model = 'large';
select is((select state from tests.settle(tests.request_pk('b-p3'), 1, 'timeout', null, null, null)), 'settled', '... fails while it is open...');
select results_eq($$select state, open_until from llm_private.provider_breakers where model = 'large'$$,
  $$values ('open', '2026-03-15 10:31:30+00'::timestamptz)$$, '... and does not push the end of its cooldown');

-- (third review of the fixes) A probe that ends without the provider's word is given back: a tenant's probe released
-- (nothing sent) or answered with a client error had held every tenant out for another cooldown, each time.
update llm_private.provider_breakers set state = 'open', open_until = '2026-03-15 10:31:00+00', consecutive_failures = 3,
  streak_tenant_id = null, streak_tenants_many = false where model = 'large';
select tests.freeze_clock('2026-03-15 10:31:10+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'b-q1', 'investigation', 'mock:large', 100)), 'allow',
  'a tenant''s call is the probe...');
select is((select state from tests.release(tests.request_pk('b-q1'), 1)), 'released', '... and is released (nothing sent)');
select tests.freeze_clock('2026-03-15 10:31:11+00');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b-q2', 'investigation', 'mock:large', 100)), 'allow',
  'so another tenant''s call is the probe at once');
select is((select state from tests.settle(tests.request_pk('b-q2'), 1, 'client_error', 1, 0, 0)), 'settled',
  'a probe answered with a client error...');
select tests.freeze_clock('2026-03-15 10:31:12+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'b-q3', 'investigation', 'mock:large', 100)), 'allow',
  '... is given back too');
-- A call sent before the breaker opened that succeeds meanwhile decides nothing; only the probe does.
update llm_private.provider_breakers set state = 'open', open_until = '2026-03-15 10:32:00+00' where model = 'large';
select is((select state from tests.settle(tests.request_pk('b-q3'), 1, 'ok')), 'settled', 'an earlier call succeeds while it is open...');
select results_eq($$select state, open_until from llm_private.provider_breakers where model = 'large'$$,
  $$values ('open', '2026-03-15 10:32:00+00'::timestamptz)$$, '... and the cooldown goes on');
-- The failure count saturates at its CHECK's bound: the settle (and its answer) is never lost to it.
update llm_private.provider_breakers set state = 'closed', open_until = null, consecutive_failures = 1000000, streak_tenant_id = tests.tenant_a(),
  streak_tenants_many = false where model = 'large';
select tests.freeze_clock('2026-03-15 10:31:13+00');
select is(pg_temp.fail_once('b-q4', tests.tenant_a(), tests.user_a1(), 'mock:large'), 'settled',
  'a failure at 1 000 000 consecutive failures still settles');

-- A deployment with one tenant lets one tenant open it.
select tests.act_as_role('llm_operator');
select llm.reset_breaker('mock', 'large');
select llm.set_setting('breaker_single_tenant_opens', 'true');
select tests.as_admin();
select is(pg_temp.fail_once('b-s1', tests.tenant_b(), tests.user_b1(), 'mock:large')
          || pg_temp.fail_once('b-s2', tests.tenant_b(), tests.user_b1(), 'mock:large')
          || pg_temp.fail_once('b-s3', tests.tenant_b(), tests.user_b1(), 'mock:large'), 'settledsettledsettled',
  'three failures of one tenant on mock:large');
select is((select state from llm_private.provider_breakers where model = 'large'), 'open',
  'open it where settings.breaker_single_tenant_opens says one tenant may');

-- By hand: the operator's reset records who.
select tests.freeze_clock('2026-03-15 10:32:00+00');
select tests.act_as_role('llm_operator');
select ok(llm.reset_breaker('mock', 'large'), 'the operator resets the open breaker');
select results_eq($$select from_state || '>' || to_state, cause, changed_at, consecutive_failures, call_tenant_id, changed_by
                     from llm.breaker_transitions where model_ref = 'mock:large' order by id desc limit 1$$,
  $$values ('open>closed', 'by_hand', '2026-03-15 10:32:00+00'::timestamptz, 0, null::uuid, 'llm_operator')$$,
  'recorded open -> closed, by hand, by llm_operator');
select ok(not exists (select 1 from llm.breaker_transitions where cause = 'other'), 'every transition has a cause the breaker names');

-- Append-only: written only by the breaker's change of state, whoever tries.
select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select throws_ok($$insert into llm_private.breaker_transitions (provider, model, from_state, to_state, cause, consecutive_failures, open_until,
                     streak_tenants_many) values ('mock', 'large', 'closed', 'open', 'failures', 3, '2026-03-15 11:00+00', false)$$, 'LG005', null,
  'the money role cannot forge a transition');
select tests.act_as_role('llm_operator');
select throws_ok($$insert into llm_private.breaker_transitions (provider, model, from_state, to_state, cause, consecutive_failures, open_until,
                     streak_tenants_many) values ('mock', 'large', 'closed', 'open', 'failures', 3, '2026-03-15 11:00+00', false)$$, 'LG005', null,
  'nor the operator');
select throws_ok($$delete from llm_private.breaker_transitions$$, 'LG006', null, 'the operator deletes none within the ledger''s retention');
select tests.as_admin();
select throws_ok($$update llm_private.breaker_transitions set cause = 'by_hand'$$, 'LG006', null, 'no transition is ever changed');
select throws_ok($$truncate llm_private.breaker_transitions$$, 'LG006', null, 'nor truncated');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select count(*) from llm.breaker_transitions$$, '42501', null, 'the application reads none (as llm.breaker_state)');
select tests.act_as_role('llm_viewer');
select set_config('tests.viewer_saw', (select count(*)::text from llm.breaker_transitions), true);
select tests.as_admin();
select is(current_setting('tests.viewer_saw')::int, (select count(*)::int from llm_private.breaker_transitions), 'the viewer reads them all');

-- Kept as long as the ledger (13 months by default, whole UTC months), then purged by llm.purge_expired.
create temp table kept_transitions on commit drop as select count(*)::bigint as n from llm_private.breaker_transitions;
grant select on kept_transitions to public;
select tests.freeze_clock('2027-03-31 23:59:00+00');
select tests.act_as_role('llm_operator');
select is((select breaker_transitions from llm.purge_expired(1000)), 0::bigint, 'on 2027-03-31 the March 2026 transitions are kept');
select tests.as_admin();
select tests.freeze_clock('2027-04-01 00:00:00+00');
select tests.act_as_role('llm_operator');
select is((select breaker_transitions from llm.purge_expired(1000)), (select n from kept_transitions),
  'on 2027-04-01 (March 2026 out of the 13 months) the hourly purge deletes them');
select is((select count(*)::int from llm.breaker_transitions), 0, 'none left');

select * from finish();
rollback;
