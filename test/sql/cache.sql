-- The Postgres cache: exact, per tenant, keyed on the normalized request plus the source watermark.
begin;
select plan(17);
select tests.seed();
select tests.act_as(tests.tenant_a(), tests.user_a1());

select is(llm.cache_key(tests.payload('k-1', 'rev-1')), llm.cache_key(tests.payload('k-2', 'rev-1')),
  'the request id is not part of the key: the same question is the same entry');
select is(llm.cache_key(tests.payload('k-1', 'rev-1', E'  Why did spend rise in March?\r\n')), llm.cache_key(tests.payload('k-1', 'rev-1')),
  'outer whitespace and line endings are normalized');
select isnt(llm.cache_key(tests.payload('k-1', 'rev-2')), llm.cache_key(tests.payload('k-1', 'rev-1')), 'the watermark is part of the key');
select is(llm.cache_key(tests.payload('k-1', 'rev-1') - 'source_watermark'), null, 'without a watermark there is no key: not cached');

-- A miss fills: the filling call settles with a valid output.
create temp table m1 as select * from tests.reserve_cached('c-1', 'rev-1');
select is((select decision from m1), 'allow', 'first request: a miss, reserved normally');
select is((select decision || '/' || reason from tests.reserve_cached('c-2', 'rev-1')), 'wait/cache_fill_in_flight',
  'an identical request while the first is in flight waits: no second provider call');
select is((select count(*)::int from llm_private.reservations where request_id = 'c-2'), 0, 'and holds nothing');
select llm.settle_call((select reservation_id from m1), 100, 0, 50, 10, 'ok', false,
  '[{"role":"user","content":"Why did spend rise in March?"}]', 'Because of the new cluster.', null, true, false);

create temp table h1 as select * from tests.reserve_cached('c-2', 'rev-1');
select is((select decision || '/' || reason from h1), 'cached/cache_hit', 'asked again, it is served from the cache');
select is((select cached_output from h1), 'Because of the new cluster.', 'with the cached answer');
select is((select (cached, cost_micros, held_micros, state, provider_status) from llm_private.reservations where id = (select reservation_id from h1)),
  (true, 0::bigint, 0::bigint, 'settled'::text, 'ok'::text), 'a hit is a ledger call: cached, zero cost, nothing held');
select is((select cache_saved_micros from llm_private.reservations where id = (select reservation_id from h1)), 200::bigint,
  'and records the money it saved (what the filling call cost: 100 x 1 + 50 x 2 per Mtok)');
select is((select spent_micros from llm_private.spend_rollups where scope = 'user' and period = 'month'), 200::bigint,
  'the hit added nothing to the month');

-- The other user of the tenant shares the entry; another tenant never sees it.
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is((select decision from tests.reserve_cached('c-3', 'rev-1')), 'cached', 'another user of the same tenant gets the hit');
select tests.act_as(tests.tenant_b(), tests.user_b1());
select is((select decision from tests.reserve_cached('c-4', 'rev-1')), 'allow', 'another tenant misses: entries are per tenant');
select is_empty('select * from llm_private.cache_entries', 'and cannot read tenant A''s entries');

-- The source data changed: a new watermark can never hit the old entry.
select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select decision from tests.reserve_cached('c-5', 'rev-2')), 'allow', 'after a watermark bump the old answer is never served');

reset role;
select tests.act_as_role('llm_auditor');
select is((select (hits, saved_micros) from llm.cache_stats where tenant_id = tests.tenant_a()), (2::bigint, 400::bigint),
  'the auditor sees hits and money saved per tenant');
select * from finish();
rollback;
