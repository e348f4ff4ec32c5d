-- Reserve: every decision (allow, cap, fallback, block with each reason, replay, cached) and the figures it records.
-- Prices: mock:large 10/5/30 USD per Mtok, mock:small 1/0.5/2, mock:tiny 0.1/0.05/0.2; large falls back to small, then tiny.
begin;
select plan(63);
select tests.seed();

-- allow: the worst case (1 000 in at 10 USD + 1 000 out at 30 USD = 40 000 micros) is held on every meter.
select results_eq($$select decision, reason, attempt_no, model, max_output_tokens, held_micros
                     from tests.call(tests.tenant_a(), tests.user_a1(), 'r-allow')$$,
  $$values ('allow', 'ok', 1, 'large', 1000, 40000::bigint)$$, 'a call within every limit is allowed, its worst case held');
select is((select state from llm.request_results where request_id = 'r-allow'), 'running', 'its request is running');
select is(tests.used('user_monthly', tests.tenant_a(), tests.user_a1()), 40000::bigint, 'the hold counts on the user''s month');
select is(tests.used('tenant_monthly', tests.tenant_a()), 40000::bigint, 'and on the tenant''s month');
select is(tests.used('user_monthly', tests.tenant_a(), tests.user_a2()), 0::bigint, 'and on nobody else''s');

-- replay: the same job attempt asking again gets the same attempt; a final request is never reserved again.
select results_eq($$select decision, reason, attempt_no, held_micros from tests.reserve(tests.request_pk('r-allow'), 1)$$,
  $$values ('replay', 'in_flight', 1, 40000::bigint)$$, 'the same job attempt asking again gets its own attempt back (in_flight)');
select is((select count(*)::int from llm_private.attempts where request_pk = tests.request_pk('r-allow')), 1, 'and no second hold');
select is((select state from tests.settle(tests.request_pk('r-allow'), 1)), 'settled', 'settled');
select results_eq($$select decision, reason, limit_name from tests.reserve(tests.request_pk('r-allow'), 2)$$,
  $$values ('replay', 'request_final', 'done')$$, 'a done request is never reserved again (replay / request_final)');

-- cap: explanation is capped at 0.10 USD per request; 8 000 output tokens on large do not fit, 3 000 do.
select results_eq($$select decision, reason, max_output_tokens, held_micros, limit_scope, limit_window, limit_cap, limit_used
                     from tests.call(tests.tenant_a(), tests.user_a1(), 'r-cap', 'explanation', 'mock:large', 8000)$$,
  $$values ('cap', 'request_cap_explanation', 3000, 100000::bigint, 'request', 'request', 100000::bigint, 0::bigint)$$,
  'over the per-request cap with action cap: max output lowered to what fits');

-- fallback by limit: route is capped at 0.02 USD with action fallback: large (40 000) does not fit, small (3 000) does.
select results_eq($$select decision, reason, model, max_output_tokens, held_micros
                     from tests.call(tests.tenant_a(), tests.user_a1(), 'r-fallback', 'route', 'mock:large', 1000)$$,
  $$values ('fallback', 'request_cap_route', 'small', 1000, 3000::bigint)$$, 'over the route cap with action fallback: the first model of the chain that fits');

-- block: nothing of the chain fits even capped (300 000 input tokens cost 30 000 micros on tiny).
select results_eq($$select decision, reason, limit_cap from tests.call(tests.tenant_a(), tests.user_a1(), 'r-nofit', 'route', 'mock:large', 1000, '{}', 300000)$$,
  $$values ('block', 'request_cap_route', 20000::bigint)$$, 'when no model of the chain fits, even capped: block naming the limit');
select is((select state::text || '/' || reason::text from llm_private.requests where request_id = 'r-nofit'), 'refused/limit',
  'a refusal is final: the request is refused');
-- (audit views) A refusal after the whole chain stored no model and no max output: llm.calls showed a worst case of 0
-- against the limit, nothing to compare. It keeps the last model tried and the max output asked (nothing held).
select results_eq($$select model_ref, max_output_tokens, held_micros, worst_case_micros, limit_unit, limit_asked, limit_cap, limit_used
                     from llm.calls where request_id = 'r-nofit'$$,
  $$values ('mock:tiny', 1000, 0::bigint, 30200::bigint, 'micros', 30200::bigint, 20000::bigint, 0::bigint)$$,
  'the chain ran out: llm.calls compares the last model''s worst case (300 000 x 0.1 + 1 000 x 0.2 = 30 200) with the cap of 20 000');

-- the caller's own ceiling (payload cost_ceiling_micros) is a per-request cap too.
select results_eq($$select decision, reason, model, limit_id, limit_scope, limit_window, limit_cap
                     from tests.call(tests.tenant_a(), tests.user_a1(), 'r-ceiling', 'explanation', 'mock:large', 1000, '{"cost_ceiling_micros": 5000}')$$,
  $$values ('fallback', 'cost_ceiling', 'small', null::int, 'request', 'request', 5000::bigint)$$, 'a lower cost ceiling in the payload shapes the call like a cap');

-- unknown model: a model without a price in effect is refused, never free.
insert into llm_private.models (provider, model, max_output_tokens) values ('mock', 'unpriced', 100);
select results_eq($$select decision, reason from tests.call(tests.tenant_a(), tests.user_a1(), 'r-unpriced', 'investigation', 'mock:unpriced', 10)$$,
  $$values ('block', 'unknown_model')$$, 'a model without a price is refused as unknown_model');
select throws_ok($$select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'r-nomodel', 'investigation', 'mock:nonesuch')$$, '22023', null,
  'a model that does not exist at all is refused at enqueue');

-- breaker open: the chain is used, and says why.
insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until)
values ('mock', 'large', 'open', 3, '2026-03-15 11:00:00+00');
select results_eq($$select decision, reason, model from tests.call(tests.tenant_a(), tests.user_a1(), 'r-breaker')$$,
  $$values ('fallback', 'breaker_open', 'small')$$, 'breaker open for the requested model: fallback / breaker_open');
delete from llm_private.provider_breakers;

-- the user's monthly cap: a limit row for user A2 (0.05 USD); one worst case fits, a second does not.
select ok(llm.set_limit('user_monthly', 50000, tests.tenant_a(), tests.user_a2()) > 0, 'an operator caps user A2 at 0.05 USD a month')
  from (select tests.act_as_role('llm_operator')) s;
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'r-a2-1')), 'allow', 'the first worst case fits');
select results_eq($$select decision, reason, limit_scope, limit_window, limit_cap, limit_used, held_micros from tests.call(tests.tenant_a(), tests.user_a2(), 'r-a2-2')$$,
  $$values ('block', 'user_monthly', 'user', 'month', 50000::bigint, 40000::bigint, 0::bigint)$$, 'the second does not: block / user_monthly with cap and used');
select is(tests.used('user_monthly', tests.tenant_a(), tests.user_a2()), 40000::bigint, 'a refusal holds nothing');
select is((select limit_cap from llm.decision_log where request_id = 'r-a2-2'), 50000::bigint, 'the decision log records the figures compared');
select results_eq($$select request_id, limit_id = (select limit_id from llm.limits where meter_name = 'user_monthly' and user_id = tests.user_a2()),
                           limit_scope, limit_window, limit_cap, limit_used
                      from llm.decision_log where request_id in ('r-cap', 'r-ceiling', 'r-a2-2', 'r-allow') order by request_id$$,
  $$values ('r-a2-2', true, 'user', 'month', 50000::bigint, 40000::bigint), ('r-allow', false, 'request', 'request', 300000::bigint, 0::bigint),
           ('r-cap', false, 'request', 'request', 100000::bigint, 0::bigint), ('r-ceiling', null, 'request', 'request', 5000::bigint, 0::bigint)$$,
  'and names the limit that decided: id, scope, window (the payload''s ceiling: request, request), cap, used (an allowed call: its tightest limit, here the per-request cap of 300 000)');
-- tenant A: r-allow settled 25 000 (1 000 in, 500 out), r-cap 100 000, r-fallback, r-ceiling, r-breaker 3 000 each, r-a2-1 40 000.
select is(tests.used('tenant_monthly', tests.tenant_a()), 25000::bigint + 100000 + 3000 + 3000 + 3000 + 40000,
  'the refused reserve gave back what it had held on the tenant''s month (held in meter order, all or nothing)');

-- attempts: at most settings.max_attempts_per_request per request.
update llm_private.settings set max_attempts_per_request = 2;
select ok(tests.enqueue(tests.tenant_b(), tests.user_b1(), 'r-retry') > 0, 'B1 enqueues a request');
select is((select decision from tests.reserve(tests.request_pk('r-retry'), 1)), 'allow', 'attempt 1');
select is((select state from tests.settle(tests.request_pk('r-retry'), 1, 'error', 0, 0, 0)), 'settled', 'fails (a 5xx, nothing billed)');
select is((select decision from tests.reserve(tests.request_pk('r-retry'), 2)), 'allow', 'attempt 2');
select is((select state from tests.settle(tests.request_pk('r-retry'), 2, 'rate_limited', 0, 0, 0)), 'settled', 'fails too');
select results_eq($$select decision, reason from tests.reserve(tests.request_pk('r-retry'), 3)$$, $$values ('block', 'attempts_exhausted')$$,
  'a third attempt is refused: attempts_exhausted');
-- (review of 2026-11-26) The semantic cache's embedding calls used up the chat calls' allowance: attempts count per purpose.
select tests.act_as_role('llm_operator');
select llm.set_endpoint_cache(tests.tenant_b(), 'investigation', false, 0.9, 'mock:embed');
select tests.as_admin();
select ok(tests.enqueue(tests.tenant_b(), tests.user_b1(), 'r-emb', 'investigation', 'mock:large', 1000, 'q', '{"source_watermark": "w"}') > 0,
  'B1 enqueues another request (its endpoint has a semantic cache)');
select tests.reserve(tests.request_pk('r-emb'), 1, 10, 30000, 'embedding');
select tests.reserve(tests.request_pk('r-emb'), 2, 10, 30000, 'embedding');
select is((select decision from tests.reserve(tests.request_pk('r-emb'), 2)), 'allow',
  'after two embedding attempts (the allowance is 2), its first chat attempt is still allowed');

-- a shutoff window stops the user's calls.
select tests.act_as_role('llm_operator');
select ok(llm.trip_shutoff('user', tests.tenant_b(), tests.user_b1(), '2026-03-15 12:00:00+00', 'incident 42') > 0, 'an operator stops user B1 until noon');
select tests.as_admin();
select results_eq($$select decision, reason from tests.call(tests.tenant_b(), tests.user_b1(), 'r-shut')$$, $$values ('block', 'shutoff')$$,
  'reserve refuses during the window');

-- the decisions are all in the ledger, with nothing held by the refusals.
select is((select count(*)::int from llm_private.attempts where state = 'refused'), 5, 'every refusal is a recorded attempt');
select is((select sum(held_micros)::bigint from llm_private.attempts where state = 'refused'), 0::bigint, 'holding nothing');
select is(tests.drift_rows(), 0::bigint, 'usage equals the ledger');
select is((select count(*)::int from llm_private.requests where state in ('queued', 'running')
            and request_id in ('r-nofit', 'r-unpriced', 'r-a2-2', 'r-shut')), 0, 'every refused request is final');

-- (review of 2026-11-26, open until 2026-11-27) The input estimate is the worker's, taken as given: a worker passing 0
-- for a long prompt held only the output's worst case, and a cap did not bind. A chat call's hold now covers at least
-- llm_private.input_tokens_floor(messages): the contents' characters, less blocks of 8 of one separator, over 12.
select is(llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('role', 'system', 'content', repeat('spend rose ', 800)),
                                                           jsonb_build_object('role', 'user', 'content', repeat('x', 800)))),
  800, 'the floor: 8 800 + 800 characters over 12');
select is(llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('role', 'user',
            'content', repeat(' ', 30000) || repeat('-', 30000) || repeat(E'\n', 9) || repeat('=', 8) || 'abcdefghijk'))),
  1, 'blocks of 8 of one space, newline or separator count for nothing (one token covers 16 to 128 of them): 12 characters left');
-- (review of cb75077) Removing every run of [[:space:][:punct:]] left 0 for a prompt of punctuation or emoji (o200k: 40 069
-- tokens for 60 000 bytes of random punctuation, 20 000 for 20 000 emoji): a user capped at 40 000 was charged 430 760.
select is(llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat('*.', 10000)))),
  1666, 'mixed punctuation counts: 20 000 characters, 1 666 tokens');
select is(llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('role', 'user',
            'content', repeat(U&'\2500', 1024) || repeat('!', 1024) || repeat(U&'\2026', 16) || repeat(';', 9)))),
  0, '(review of dabaf83) runs of box-drawing rules, exclamation marks, ellipses count for nothing too (o200k: 16 a token)');
-- (review of b059cd4) Removing a block joined its neighbours into a block of the next character: ';' then 8 ':', 1 200
-- times, counted 0 (o200k: ~2 000 tokens). A block becomes one marker, which keeps them apart.
select is(llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat(';' || repeat(':', 8), 1200)))),
  100, 'a removed block keeps its neighbours apart: 1 200 semicolons left, 100 tokens');
select is(llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat(chr(1), 24)))),
  2, 'the marker character itself, in a prompt, counts like any other');
select is(llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat(U&'\+01F600', 20000)))),
  1666, 'emoji count: 20 000 of them, 1 666 tokens (80 000 bytes)');
-- (same review) Bytes over 8 were above honest o200k counts in Hindi (12 bytes a token), Bengali, Tamil, Georgian, Russian:
-- an honest worker was refused near a cap. Characters over 8: each Devanagari character is 3 bytes.
select is(llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat(U&'\0928\092E\0938\094D\0924\0947 ', 800)))),
  466, 'characters, not bytes: 800 Hindi words of 6 characters and a space (15 200 bytes) give 466, not 1 266');
select results_eq($$select decision, max_output_tokens, held_micros from tests.reserve(
                      tests.enqueue(tests.tenant_a(), tests.user_a1(), 'r-est-0', 'investigation', 'mock:large', 1000, repeat('spend rose ', 1500)), 1, 0)$$,
  $$values ('allow', 1000, 43750::bigint)$$,
  'a worker passing 0 input tokens for a 16 500-character prompt holds 1 375 tokens in (x 10 USD) + 1 000 out (x 30 USD), not 30 000');
select is((select input_tokens_estimate from llm_private.attempts where request_pk = tests.request_pk('r-est-0')), 1375,
  'and the attempt records the floor as its estimate');
select is((select input_tokens_floor from llm_private.request_inputs where request_pk = tests.request_pk('r-est-0')), 1375,
  'the floor was computed once, when the inputs were written (the reserve no longer reads the prompt for it)');
select ok(not has_column_privilege('llm_app', 'llm_private.request_inputs', 'input_tokens_floor', 'INSERT')
          and not has_column_privilege('llm_app', 'llm_private.request_inputs', 'input_tokens_floor', 'UPDATE')
          and not has_column_privilege('llm_money', 'llm_private.request_inputs', 'input_tokens_floor', 'UPDATE'),
  'neither the application nor the worker may write it (the derive trigger sets it whatever the owner writes)');
select results_eq($$select held_micros from tests.reserve(
                      tests.enqueue(tests.tenant_a(), tests.user_a1(), 'r-est-honest', 'investigation', 'mock:large', 1000, repeat('spend rose ', 1500)), 1, 4000)$$,
  $$values (70000::bigint)$$, 'an estimate above the floor is kept as given (4 000 in + 1 000 out)');
select results_eq($$select held_micros from tests.reserve(
                      tests.enqueue(tests.tenant_a(), tests.user_a1(), 'r-est-runs', 'investigation', 'mock:large', 1000, repeat(' ', 60000) || 'ok?'), 1, 0)$$,
  $$values (30000::bigint)$$, 'a prompt of one long run of spaces has no floor: 0 in is kept');
-- Inputs written before migration 000039 have no stored floor: the reserve computes theirs.
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'r-est-old', 'investigation', 'mock:large', 1000, repeat('spend rose ', 1500));
set local session_replication_role = replica;
update llm_private.request_inputs set input_tokens_floor = null where request_pk = tests.request_pk('r-est-old');
set local session_replication_role = origin;
select results_eq($$select held_micros from tests.reserve(tests.request_pk('r-est-old'), 1, 0)$$, $$values (43750::bigint)$$,
  'inputs without a stored floor (written before 000039) get it computed at reserve');
select ok(llm.set_limit('user_monthly', 40000, tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003') > 0, 'an operator caps user A3 at 0.04 USD a month')
  from (select tests.act_as_role('llm_operator')) s;
select tests.as_admin();
select results_eq($$select decision, reason, held_micros from tests.reserve(
                      tests.enqueue(tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003', 'r-est-cap', 'investigation', 'mock:large', 1000,
                                    repeat('spend rose ', 1500)), 1, 0)$$,
  $$values ('block', 'user_monthly', 0::bigint)$$,
  'the cap binds: with 0 in, the worst case (30 000) fitted the 40 000; with the floor (43 750) it does not: block');
select is(tests.drift_rows(), 0::bigint, 'usage still equals the ledger');

-- A request claimed before the previous UTC month is not sent (block / request_stale): no reconciliation check would read
-- its attempt. Without the rule, r-stale-2 was held on October 1st and counted in October's usage, and from November 1st
-- (which checks October, reading the requests from September on) every check found it: drift.
select tests.freeze_clock('2027-08-20 12:00:00+00');
select tests.enqueue(tests.tenant_b(), tests.user_b1(), 'r-stale-1');
select tests.enqueue(tests.tenant_b(), tests.user_b1(), 'r-stale-2');
select tests.freeze_clock('2027-09-30 23:59:59+00');
select results_eq($$select decision, reason from tests.reserve(tests.request_pk('r-stale-1'))$$, $$values ('allow', 'ok')$$,
  'a request claimed in August is sent on September 30th (claimed the previous month)');
select tests.settle(tests.request_pk('r-stale-1'), 1);
select tests.freeze_clock('2027-10-01 00:00:00+00');
select results_eq($$select decision, reason, held_micros from tests.reserve(tests.request_pk('r-stale-2'))$$,
  $$values ('block', 'request_stale', 0::bigint)$$, 'on October 1st (UTC) one claimed in August is refused: request_stale, nothing held');
select results_eq($$select state::text, reason::text from llm_private.requests where id = tests.request_pk('r-stale-2')$$,
  $$values ('refused', 'request_stale')$$, 'the request ends refused with that reason (its job is done)');
select is(llm_private.oldest_reservable_request_pk('2027-10-01 00:00:00+00') >> 40,
  (llm_private.month_index('2027-09-01 00:00:00+00'))::bigint, 'the oldest request a reserve in October may send was claimed in September');
select tests.freeze_clock('2027-11-01 00:00:01+00');
select is(tests.drift_rows(), 0::bigint, 'in November, which checks October, usage equals the ledger');
select results_eq($$select count(*)::int from llm.refusals_by_reason where reason = 'request_stale'$$, $$values (1)$$,
  'the refusal shows in llm.refusals_by_reason');

select * from finish();
rollback;
