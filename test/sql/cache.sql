-- The exact cache: keyed on the request and its source watermark, scoped to the user unless the tenant shares the
-- endpoint, single flight, only complete valid answers of the requested model, purge by tenant, endpoint, watermark.
begin;
select plan(38);
select tests.seed();

select ok(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'c-1', 'explanation', 'mock:small', 100, 'Why?', '{"source_watermark": "w1"}') > 0,
  'A1 asks with watermark w1');
select ok(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'c-2', 'explanation', 'mock:small', 100, 'Why?', '{"source_watermark": "w1"}') > 0,
  'and asks the same again (another request id)');
select is((select decision from tests.reserve(tests.request_pk('c-1'))), 'allow', 'the first misses and fills');
select results_eq($$select decision, reason from tests.reserve(tests.request_pk('c-2'))$$, $$values ('wait', 'cache_fill_in_flight')$$,
  'the identical one waits for the fill (single flight)');
select is((select count(*)::int from llm_private.attempts where request_pk = tests.request_pk('c-2')), 0, 'a wait writes nothing');
-- (review of 2026-11-26) What the waiter listens for is a random token of the fill: the bare key, sent to every listener
-- of llm_cache_filled, let another tenant confirm a guessed prompt (llm.cache_key needs no tenant); so did a token
-- sha256(tenant/owner/key), all of whose parts are public or guessable (seventh review); a salted one offered the
-- tenant's lock salt to a brute force (eighth review).
select isnt((select cache_key from tests.reserve(tests.request_pk('c-2'))),
  (select cache_key from llm_private.request_inputs where request_pk = tests.request_pk('c-2')), 'the wait names a token, not the cache key');
select is((select cache_key from tests.reserve(tests.request_pk('c-2'))),
  (select f.token::text from llm_private.cache_fills f where f.request_pk = tests.request_pk('c-1')),
  'the token of the fill: random, stored with it (llm_cache_filled carries the same); nothing anyone could compute');
select isnt((select cache_key from tests.reserve(tests.request_pk('c-2'))),
  (select encode(sha256(convert_to(f.tenant_id::text || '/' || f.owner_user_id::text || '/' || f.cache_key, 'UTF8')), 'hex')
     from llm_private.cache_fills f where f.request_pk = tests.request_pk('c-1')),
  'it is not the hash of tenant, owner and key that another tenant could compute for a guessed prompt');
select is((select state from tests.settle(tests.request_pk('c-1'), 1, 'ok', 10, 0, 20, 'Because of March.')), 'settled', 'the fill settles');
select results_eq($$select decision, reason, cached_output, held_micros from tests.reserve(tests.request_pk('c-2'))$$,
  $$values ('cached', 'cache_hit', 'Because of March.', 0::bigint)$$, 'the waiter is served from the cache: nothing held');
select results_eq($$select state, cached, cache_reason, output, spent_micros, reused_request_id from llm.request_results where request_id = 'c-2'$$,
  $$values ('done', true, 'cache_hit', 'Because of March.', 0::bigint, 'c-1')$$, 'request_results shows the hit and whose answer it reused');

-- Scope: another user of the tenant has their own cache; another tenant never shares.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'c-3', 'explanation', 'mock:small', 100,
  '{"source_watermark": "w1"}')), 'allow', 'A2 asking the same misses: caches are per user by default');
select ok(tests.enqueue(tests.tenant_b(), tests.user_b1(), 'c-4', 'explanation', 'mock:small', 100, 'Why?', '{"source_watermark": "w1"}') > 0,
  'B1 asks the same');
select is((select decision from tests.reserve(tests.request_pk('c-4'))), 'allow', 'and misses: never across tenants');
select ok(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'c-5', 'explanation', 'mock:small', 100, 'Why?', '{"source_watermark": "w2"}') > 0,
  'A1 asks with a new watermark w2');
select is((select decision from tests.reserve(tests.request_pk('c-5'))), 'allow', 'a new watermark never serves the old entry');

-- A tenant shares an endpoint's cache among its users.
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.set_endpoint_cache(tests.tenant_b(), 'explanation', true)$$, 'tenant B shares explanation answers among its users');
select tests.as_admin();
select is((select state from tests.settle(tests.request_pk('c-4'), 1, 'ok', 10, 0, 20, 'Shared answer.')), 'settled', 'B1''s call settles');
select results_eq($$select owner_user_id from llm_private.cache_entries where output = 'Shared answer.'$$,
  $$values ('00000000-0000-0000-0000-000000000000'::uuid)$$, 'stored in the tenant''s shared cache');
select results_eq($$select decision, cached_output from tests.reserve(tests.enqueue(tests.tenant_b(), 'b2000000-0000-0000-0000-000000000002', 'c-6',
                     'explanation', 'mock:small', 100, 'Why?', '{"source_watermark": "w1"}'))$$, $$values ('cached', 'Shared answer.')$$,
  'another user of B is served');
select tests.act_as_app(tests.tenant_b(), 'b2000000-0000-0000-0000-000000000002');
select results_eq($$select reused_request_pk, reused_request_id from llm.request_results where request_id = 'c-6'$$,
  $$values (null::bigint, null::text)$$, 'who answered stays hidden from the colleague (another user''s request pk told it; tenth review)');
select tests.as_admin();
-- (tenth review) An answer flagged for personal data never enters the shared cache: a colleague's semantic hit was served
-- another user's answer with her e-mail address and card number.
select is((select decision from tests.reserve(tests.enqueue(tests.tenant_b(), tests.user_b1(), 'c-pii', 'explanation', 'mock:small', 100,
  'Draft a reply to alice@example.com', '{"source_watermark": "w1"}'))), 'allow', 'B1 asks something personal');
select is((select state from tests.settle(tests.request_pk('c-pii'), 1, 'ok', 10, 0, 20, 'Dear Alice (alice@example.com)', true, true)),
  'settled', 'its answer, flagged for personal data, settles');
select is((select count(*)::int from llm_private.cache_entries where output like 'Dear Alice%'), 0, 'but is not shared');
select tests.act_as_money(tests.tenant_b(), tests.user_b1());
select throws_ok(format($q$insert into llm_private.cache_entries (tenant_id, owner_user_id, cache_key, endpoint, provider, model, system_hash,
                           response_format, source_watermark, output, source_request_pk, source_attempt_no, source_cost_micros, embedding,
                           created_at, expires_at)
                         values (%L, null, null, null, null, null, null, null, null, 'x', %s, 1, null, null, null, null)$q$,
                        tests.tenant_b(), tests.request_pk('c-pii')),
  'LG007', null, 'nor can the worker''s role share it by hand');
select tests.as_admin();

-- Only complete, valid answers of the requested model are stored.
insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until) values ('mock', 'large', 'open', 3, '2026-03-15 11:00+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'c-fb', 'explanation', 'mock:large', 100,
  '{"source_watermark": "w1"}')), 'fallback', 'a call served by a fallback model (breaker open)');
select is((select state from tests.settle(tests.request_pk('c-fb'), 1, 'ok', 10, 0, 20, 'From the small model.')), 'settled', 'settles');
select is((select count(*)::int from llm_private.cache_entries where output = 'From the small model.'), 0,
  'is never stored under the requested model''s key');
delete from llm_private.provider_breakers;
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'c-cap', 'explanation', 'mock:large', 8000,
  '{"source_watermark": "w1"}')), 'cap', 'a capped call');
select is((select state from tests.settle(tests.request_pk('c-cap'), 1, 'ok', 10, 0, 20, 'Cut short.')), 'settled', 'settles');
select is((select count(*)::int from llm_private.cache_entries where output = 'Cut short.'), 0, 'a capped answer is not stored');
select is((select state from tests.settle(tests.request_pk('c-5'), 1, 'ok', 10, 0, 20, 'not json', false)), 'settled',
  'an answer that failed validation');
select is((select count(*)::int from llm_private.cache_entries where output = 'not json'), 0, 'is not stored');

-- The money role cannot rewrite an entry, nor keep one alive: an entry holds its source call's recorded answer.
select is((select count(*)::int from llm_private.cache_entries c join llm_private.call_outputs o
            on o.tenant_id = c.tenant_id and o.request_pk = c.source_request_pk and o.attempt_no = c.source_attempt_no
           where o.output = c.output), (select count(*)::int from llm_private.cache_entries), 'every entry is its source call''s recorded output');
select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select throws_ok($$update llm_private.cache_entries set output = 'poisoned' where owner_user_id = tests.user_a1()$$, 'LG001', null,
  'the worker''s role cannot rewrite its own entry''s answer');
select throws_ok($$update llm_private.cache_entries set expires_at = 'infinity' where owner_user_id = tests.user_a1()$$, 'LG001', null,
  'nor keep it alive');
select tests.as_admin();

-- Purge.
select tests.act_as_role('llm_operator');
select is(llm.purge_cache(null, null, 'w1'), 2::bigint, 'an operator purges every entry of watermark w1');
select throws_ok($$select llm.purge_cache()$$, '22023', null, 'a purge must say what');
select tests.as_admin();

select * from finish();
rollback;
