-- Claims: one request per (tenant, request_id, endpoint); duplicates and retries never charge twice.
begin;
select plan(22);
select tests.seed();
select tests.act_as(tests.tenant_a(), tests.user_a1());

create temp table r1 as select * from tests.reserve('req-1');
select is((select decision from r1), 'allow', 'a first reserve is allowed');
select is((select held_micros from r1), 40000::bigint, 'it holds the worst case: 1 000 in x 10 USD + 1 000 out x 30 USD per Mtok');

create temp table dup as select * from tests.reserve('req-1');
select is((select decision || '/' || reason from dup), 'replay/in_flight', 'the same attempt again while held is a replay (in flight): do not call');
select is((select reservation_id from dup), (select reservation_id from r1), 'the replay names the live reservation');
select is((select count(*)::int from llm_private.reservations), 1, 'a duplicate creates no second hold');

create temp table retry as select * from tests.reserve('req-1', p_attempt => 2);
select is((select decision from retry), 'allow', 'a retry (higher attempt) is re-reserved, budget checked again');
select isnt((select reservation_id from retry), (select reservation_id from r1), 'the retry gets its own reservation');
select is((select state || '/' || end_reason from llm_private.reservations where id = (select reservation_id from r1)),
  'expired/superseded', 'the previous hold was given back (superseded)');
select is((select held_micros from llm_private.spend_rollups where scope = 'user' and period = 'month'), 40000::bigint,
  'only one hold counts on the month');

create temp table s1 as select * from llm.settle_call((select reservation_id from retry), 900, 100, 500, 1234, 'ok');
select is((select cost_micros from s1), 24500::bigint, 'settle charges the real cost: 900 x 10 + 100 x 5 + 500 x 30 per Mtok = 24 500');
select is((select released_micros from s1), 15500::bigint, 'and releases the rest of the hold');
create temp table s2 as select * from llm.settle_call((select reservation_id from retry), 900, 100, 500, 1234, 'ok');
select is((select (replayed, cost_micros) from s2), (true, 24500::bigint), 'settling twice returns the first result, marked replayed');
select is((select spent_micros from llm_private.spend_rollups where scope = 'user' and period = 'month'), 24500::bigint,
  'settling twice charged once');

create temp table done as select * from tests.reserve('req-1', p_attempt => 3);
select is((select decision || '/' || reason from done), 'replay/already_settled', 'a settled request replays: do not call the provider');
select is((select reservation_id from done), (select reservation_id from retry), 'the replay names the settled reservation');

select is((select decision || '/' || reason from tests.reserve('req-1', p_max_output => 2000, p_attempt => 4)),
  'block/request_conflict', 'the same id with other parameters is refused (request_conflict)');
select is((select state from llm_private.requests where request_id = 'req-1'), 'done', 'and it did not touch the first request');

select is((select decision from tests.reserve('req-1', p_endpoint => 'explanation')), 'allow',
  'the same request id on another endpoint is another claim');

-- Another user of the same tenant reusing an id: refused, without revealing the first user's claim.
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is((select decision || '/' || reason from tests.reserve('req-1')), 'block/request_conflict',
  'another user''s request id is refused as a conflict, not an error');
select is((select count(*)::int from llm_private.reservations), 0, 'and the second user sees nothing of the first one''s ledger');

-- Tenant B may use the same request id freely.
select tests.act_as(tests.tenant_b(), tests.user_b1());
select is((select decision from tests.reserve('req-1')), 'allow', 'the same request id in another tenant is an independent claim');

reset role;
select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
