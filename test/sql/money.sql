-- Money is never under-counted: settlement at the pinned price, overruns in full, unknown outcomes charged the full hold,
-- expired holds charged and corrected once by a late settle, releases, retries that never free a live hold, adjustments.
begin;
select plan(89);
select tests.seed();

-- Settle: cost from the tokens at the price pinned at reserve, the rest of the hold released.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'ok-1')), 'allow', 'reserve 40 000');
insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros)
values ('mock', 'large', '2026-03-15 10:00:00+00', 99000000, 99000000, 99000000);
select results_eq($$select state, cost_micros, released_micros, overrun_micros, usage_unknown, replayed, request_state
                     from tests.settle(tests.request_pk('ok-1'), 1, 'ok', 800, 200, 500)$$,
  $$values ('settled', 24000::bigint, 16000::bigint, 0::bigint, false, false, 'done')$$,
  'cost = 800 x 10 + 200 cached x 5 + 500 x 30 = 24 000 at the pinned price (a price change afterwards does not apply)');
delete from llm_private.model_prices where effective_from = '2026-03-15 10:00:00+00';
select results_eq($$select state, cost_micros, replayed from tests.settle(tests.request_pk('ok-1'), 1, 'ok', 1, 1, 1)$$,
  $$values ('settled', 24000::bigint, true)$$, 'settling twice returns the first result');
select is(tests.used('user_monthly', tests.tenant_a(), tests.user_a1()), 24000::bigint, 'usage: the cost, once');

-- An overrun is recorded in full (a settle never fails for money reasons).
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'over-1')), 'allow', 'reserve 40 000');
select results_eq($$select cost_micros, overrun_micros from tests.settle(tests.request_pk('over-1'), 1, 'ok', 3000, 0, 2000)$$,
  $$values (90000::bigint, 50000::bigint)$$, 'the provider billed more than the worst case: 90 000 recorded, overrun 50 000');
select is((select overrun_micros from llm.calls where request_id = 'over-1'), 50000::bigint, 'llm.calls shows the overrun');

-- Unknown outcomes are charged the full hold; a 429 answered without usage is charged what the provider said (nothing).
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'to-1')), 'allow', 'reserve 40 000');
select results_eq($$select cost_micros, usage_unknown, request_state from tests.settle(tests.request_pk('to-1'), 1, 'timeout', null, null, null)$$,
  $$values (40000::bigint, true, 'running')$$, 'timeout after sending, usage unknown: charged the full hold, flagged usage_unknown');
select is((select decision from tests.reserve(tests.request_pk('to-1'), 2)), 'allow', 'the retry reserves');
select results_eq($$select cost_micros, usage_unknown from tests.settle(tests.request_pk('to-1'), 2, 'rate_limited', 0, 0, 0)$$,
  $$values (0::bigint, false)$$, 'a 429 with zero usage reported: charged zero');
select is((select decision from tests.reserve(tests.request_pk('to-1'), 3)), 'allow', 'a third attempt');
select results_eq($$select cost_micros, usage_unknown from tests.settle(tests.request_pk('to-1'), 3, 'malformed', null, null, null)$$,
  $$values (40000::bigint, true)$$, 'a malformed body: charged the full hold');
select results_eq($$select cost_micros, usage_unknown from tests.settle(tests.request_pk('to-1'), 3, 'ok', 1, 0, 1)$$,
  $$values (40000::bigint, true)$$, 'a settled attempt cannot be settled again to a lower cost');
select results_eq($$select state, consecutive_failures from llm.breaker_state where model_ref = 'mock:large'$$, $$values ('closed', 3)$$,
  'three provider failures count on the shared breaker (one tenant''s alone do not open it: breaker.sql)');
select tests.act_as_role('llm_operator');
select ok(llm.reset_breaker('mock', 'large'), 'an operator closes it');
select tests.as_admin();

-- Expiry: a hold whose worker died is charged in full by the sweep; a late settle replaces it with the real cost, once.
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'exp-1')), 'allow', 'reserve 40 000, expires at 10:31:00');
select tests.freeze_clock('2026-03-15 10:31:30+00');
select tests.act_as_role('llm_operator');
select is(llm.expire_holds(100), 1, 'the sweep expires it');
select tests.as_admin();
select results_eq($$select state, charged_micros, usage_unknown from llm.calls where request_id = 'exp-1'$$,
  $$values ('expired', 40000::bigint, true)$$, 'charged the full hold, flagged');
select is(tests.used('user_monthly', tests.tenant_b(), tests.user_b1()), 40000::bigint, 'usage: spent 40 000, nothing held');
select results_eq($$select state, cost_micros, late, replayed from tests.settle(tests.request_pk('exp-1'), 1, 'ok', 1000, 0, 100)$$,
  $$values ('settled', 13000::bigint, true, false)$$, 'the worker was alive after all: its late settle records the real cost');
select is(tests.used('user_monthly', tests.tenant_b(), tests.user_b1()), 13000::bigint, 'usage corrected to 13 000, once');
select results_eq($$select cost_micros, replayed from tests.settle(tests.request_pk('exp-1'), 1, 'ok', 1000, 0, 100)$$,
  $$values (13000::bigint, true)$$, 'and only once');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- A retry never frees a live hold: per-request cap 50 000 for explanation at tenant B.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('request_cap_explanation', 50000, tests.tenant_b(), null, 'hard', 'cap') > 0, 'tenant B caps explanations at 0.05 USD');
select tests.as_admin();
select is((select held_micros from tests.call(tests.tenant_b(), tests.user_b1(), 'rt-1', 'explanation')), 40000::bigint,
  'attempt 1 holds 40 000 and is still running');
select results_eq($$select decision, model, held_micros from tests.reserve(tests.request_pk('rt-1'), 2)$$,
  $$values ('fallback', 'small', 3000::bigint)$$, 'a retry while attempt 1 may still run sees only 10 000 of headroom: the small model');
select is((select state from tests.settle(tests.request_pk('rt-1'), 1, 'ok', 1000, 0, 1000)), 'settled', 'attempt 1 finishes after all: 40 000');
select is((select state from tests.settle(tests.request_pk('rt-1'), 2, 'ok', 1000, 0, 1000)), 'settled', 'attempt 2: 3 000');
select ok((select spent_micros from llm.request_results where request_id = 'rt-1') <= 50000,
  'the request spent 43 000: never past its 50 000 cap (0.1 reproduced 80 000)');

-- Lazy expiry: a retry after the first attempt's expiry charges it in full first.
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'lz-1')), 'allow', 'attempt 1');
select tests.freeze_clock('2026-03-15 10:32:00+00');
select is((select decision from tests.reserve(tests.request_pk('lz-1'), 2)), 'allow', 'attempt 2 after attempt 1''s expiry');
select is((select state || '/' || charged_micros from llm.calls where request_id = 'lz-1' and attempt_no = 1), 'expired/40000',
  'attempt 1 was charged in full by the retry''s reserve');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- Release: nothing charged; a settle after a release still records the cost (0.1 recorded nothing).
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'rel-1')), 'allow', 'reserve');
select results_eq($$select state, released_micros from tests.release(tests.request_pk('rel-1'), 1)$$, $$values ('released', 40000::bigint)$$,
  'released: the hold given back');
select results_eq($$select cost_micros, late from tests.settle(tests.request_pk('rel-1'), 1, 'ok', 1000, 0, 100)$$,
  $$values (13000::bigint, true)$$, 'a settle after the release charges the real cost (late)');

-- Adjustments: append-only, flowing into usage and the reconciliation.
select tests.act_as_role('llm_operator');
select ok(llm.adjust_usage(tests.tenant_a(), tests.user_a1(), -5000, 'goodwill credit, ticket 17') > 0, 'an operator credits A1 5 000');
select tests.as_admin();
select is(tests.used('user_monthly', tests.tenant_a(), tests.user_a1()), 24000::bigint + 90000 - 5000, 'A1''s month drops by 5 000');
select results_eq($$select amount_micros, reason, created_by, meters from llm.adjustments$$,
  $$values (-5000::bigint, 'goodwill credit, ticket 17', 'llm_operator', array['user_monthly', 'tenant_monthly'])$$,
  'recorded with reason, who, and the meters it moved');
select tests.act_as_role('llm_operator');
select throws_ok($$select llm.adjust_usage(tests.tenant_b(), null, -999999999, 'more than spent')$$, '23514', null,
  'a credit larger than what was spent is refused');
-- The subject must exist: a user of another tenant, or a tenant nobody created, made usage rows of a phantom subject.
select throws_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_b1(), 1000, 'B1 is not A''s')$$, '23503', null,
  'an adjustment of tenant A naming B''s user is refused (23503)');
select throws_ok($$select llm.adjust_usage('c0000000-0000-0000-0000-00000000000c', null, 1000, 'no such tenant')$$, '23503', null,
  'an adjustment of a tenant that does not exist is refused (23503)');
select tests.as_admin();
select is((select count(*) from llm_private.usage where (tenant_id = tests.tenant_a() and user_id = tests.user_b1())
                                                  or tenant_id = 'c0000000-0000-0000-0000-00000000000c'), 0::bigint,
  'no usage row of either phantom subject');

-- A settle's commit waits for its WAL flush only when losing it could under-count (settings.settle_commit): within the hold,
-- a lost settle leaves the attempt held, durable since its reserve, and the expiry charges the hold in full.
select set_config('synchronous_commit', 'on', true);
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'sc-1')), 'allow', 'reserve 40 000');
select is(current_setting('synchronous_commit'), 'on', 'a reserve waits for its flush: the hold must outlive a crash');
select is((select cost_micros from tests.settle(tests.request_pk('sc-1'), 1, 'ok', 1000, 0, 100)), 13000::bigint, 'settle 13 000 of 40 000 held');
select is(current_setting('synchronous_commit'), 'off', 'a settle within its hold in every unit commits without waiting for its flush');
select set_config('synchronous_commit', 'on', true);
select is((select cost_micros from tests.settle(tests.request_pk('sc-1'), 1, 'ok', 1, 1, 1)), 13000::bigint, 'a replayed settle writes nothing...');
select is(current_setting('synchronous_commit'), 'on', '... and changes nothing');
select tests.call(tests.tenant_b(), tests.user_b1(), 'sc-2');
select is((select overrun_micros from tests.settle(tests.request_pk('sc-2'), 1, 'ok', 3000, 0, 2000)), 50000::bigint, 'an overrun of 50 000...');
select is(current_setting('synchronous_commit'), 'on', '... waits for its flush: the hold a lost settle leaves is less than the charge');
select tests.call(tests.tenant_b(), tests.user_b1(), 'sc-3');
select is((select cost_micros from tests.settle(tests.request_pk('sc-3'), 1, 'ok', 0, 2500, 500)), 27500::bigint,
  '27 500 micro-USD of 40 000 held, but 3 000 tokens of 2 000 held (cached input is cheap)...');
select is(current_setting('synchronous_commit'), 'on', '... waits: a tokens meter would be under-counted by the hold');
select tests.call(tests.tenant_b(), tests.user_b1(), 'sc-4');
select tests.release(tests.request_pk('sc-4'), 1);
select is((select late from tests.settle(tests.request_pk('sc-4'), 1, 'ok', 1000, 0, 100)), true, 'a settle after a release...');
select is(current_setting('synchronous_commit'), 'on', '... waits: losing it would leave the release, which charged nothing');
select tests.act_as_role('llm_operator');
select llm.set_setting('settle_commit', 'durable');
select throws_ok($$select llm.set_setting('settle_commit', 'sometimes')$$, '23514', null, 'settle_commit is deferred or durable');
select tests.as_admin();
select tests.call(tests.tenant_b(), tests.user_b1(), 'sc-5');
select tests.settle(tests.request_pk('sc-5'), 1, 'ok', 1000, 0, 100);
select is(current_setting('synchronous_commit'), 'on', 'settle_commit = durable: every settle waits for its flush');

-- (review of 2026-11-26) An answer above 1 MiB failed the settle's insert of the output: the settle was lost, and with it
-- usage above the hold. Now the money settles and the text is not kept.
select tests.call(tests.tenant_b(), tests.user_b1(), 'big-1');
select results_eq($$select state, cost_micros, overrun_micros from tests.settle(tests.request_pk('big-1'), 1, 'ok', 1000, 0, 230000, repeat('word ', 230000))$$,
  $$values ('settled', 6910000::bigint, 6870000::bigint)$$, 'a 1.1 MiB answer of 230 000 tokens settles: 6 910 000 charged, the overrun in full');
select results_eq($$select c.output_valid, o.output is null from llm_private.attempts c join llm_private.requests q on q.tenant_id = c.tenant_id and q.id = c.request_pk left join llm_private.call_outputs o
                     on o.tenant_id = c.tenant_id and o.request_pk = c.request_pk and o.attempt_no = c.attempt_no where q.request_id = 'big-1'$$,
  $$values (false, true)$$, 'its text is not stored, and it is not a valid output');

select is(tests.drift_rows(), 0::bigint, 'usage equals the ledger (attempts and adjustments)');

-- (tenth review) The hold is the most any settle within its tokens can cost. Rounded up per token class, a settle that split
-- the input into uncached and cached tokens cost 1 micro-USD more than the hold (9 on a hold of 8, past a hard cap of 8); a
-- cached price above the uncached one was charged past the hold (5 750 on a hold of 3 000). A call rounds up once, and the
-- worst case prices every input token at the dearer input price.
insert into llm_private.models (provider, model, kind, max_output_tokens, training_allowed) values
  ('mock', 'mini', 'chat', 4096, false), ('mock', 'odd', 'chat', 4096, false);
insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros)
values ('mock', 'mini', '2000-01-01', 150000, 75000, 600000), ('mock', 'odd', '2000-01-01', 1000000, 2000000, 1000000);
select results_eq($$select decision, held_micros from tests.call(tests.tenant_b(), tests.user_b1(), 'round-1', 'route', 'mock:mini', 10, '{}', 10)$$,
  $$values ('allow', 8::bigint)$$, '10 input and 10 output tokens of gpt-4o-mini''s prices: 7.5 micro-USD, held 8');
select results_eq($$select cost_micros, overrun_micros from tests.settle(tests.request_pk('round-1'), 1, 'ok', 7, 3, 10)$$,
  $$values (8::bigint, 0::bigint)$$, '7 uncached, 3 cached and 10 output tokens cost 7.275, charged 8: within the hold (it was 9)');
select results_eq($$select decision, held_micros from tests.call(tests.tenant_b(), tests.user_b1(), 'round-2', 'route', 'mock:odd', 10, '{}', 1000)$$,
  $$values ('allow', 2010::bigint)$$, 'a model whose cached input costs more: 1 000 input tokens held at the cached price');
select results_eq($$select cost_micros, overrun_micros from tests.settle(tests.request_pk('round-2'), 1, 'ok', 0, 1000, 10)$$,
  $$values (2010::bigint, 0::bigint)$$, 'all of them cached: 2 010, within the hold (it held 1 010)');

-- (review of the provider boundary) A gateway answered with another model than the one asked for. Its tokens were priced
-- as the model asked for (9 micro-USD where the answering model's price gave 150); then charged the full hold, which still
-- left a dearer model's cost above the hold uncharged. Now the settle names the model that answered: charged at the dearer
-- of the two prices when that model is priced for the same provider, the full hold when it is not; no cache, no distillation.
create function tests.settle_answered(p_request_id text, p_answered text, p_input integer, p_output integer, p_same boolean default false)
  returns table (cost_micros bigint, overrun_micros bigint, usage_unknown boolean, request_state text)
  language plpgsql as $$
declare
  q record;
begin
  perform tests.as_admin();
  select id, tenant_id, user_id into q from llm_private.requests where request_id = p_request_id order by id desc limit 1;
  perform tests.act_as_money(q.tenant_id, q.user_id);
  return query select s.cost_micros, s.overrun_micros, s.usage_unknown, s.request_state
    from llm.settle_call(q.id, 1, 'ok', p_input, 0, p_output, 100, 'From another model.', null, true, false, null, null, p_answered, p_same) s;
  perform tests.as_admin();
end $$;
select results_eq($$select decision, held_micros from tests.call(tests.tenant_b(), tests.user_b1(), 'other-1', 'explanation', 'mock:small', 1000,
                     '{"source_watermark": "w-other"}')$$,
  $$values ('allow', 3000::bigint)$$, 'mock:small asked for, 1 000 in and 1 000 out: 3 000 held');
select results_eq($$select cost_micros, overrun_micros, usage_unknown, request_state from tests.settle_answered('other-1', 'mock/large-2024-08-06', 1000, 500)$$,
  $$values (25000::bigint, 22000::bigint, false, 'done')$$,
  'mock/large-2024-08-06 answered (an organisation prefix, a dated snapshot): 1 000 x 10 + 500 x 30 = 25 000 at large''s price, the overrun in full (it was 3 000, the hold)');
select results_eq($$select answered_model, input_tokens, output_tokens, charged_micros, distillation_eligible, distillation_reason
                     from llm.calls where request_id = 'other-1'$$,
  $$values ('mock/large-2024-08-06', 1000, 500, 25000::bigint, false, 'other_model_answered')$$,
  'llm.calls names the model that answered; its answer is not eligible for distillation');
select is((select count(*)::int from llm_private.cache_entries where output = 'From another model.'), 0,
  'another model''s answer fills no cache (it would be served as the model asked for)');
select results_eq($$select decision, held_micros from tests.call(tests.tenant_b(), tests.user_b1(), 'other-2', 'explanation', 'mock:large', 1000)$$,
  $$values ('allow', 40000::bigint)$$, 'mock:large asked for: 40 000 held');
select results_eq($$select cost_micros, usage_unknown from tests.settle_answered('other-2', 'tiny:latest', 1000, 500)$$,
  $$values (25000::bigint, false)$$, 'a cheaper model answered (tiny:latest): charged at the dearer price, the one asked for (25 000)');
select results_eq($$select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'other-3', 'explanation', 'mock:small', 1000)$$,
  $$values ('allow')$$, 'mock:small again');
select results_eq($$select cost_micros, usage_unknown from tests.settle_answered('other-3', 'gpt-9', 1000, 500)$$,
  $$values (3000::bigint, true)$$, 'a model with no price here answered: its cost is unknown, charged the full hold');
select results_eq($$select answered_model, input_tokens, output_tokens from llm.calls where request_id = 'other-3'$$,
  $$values ('gpt-9', 1000, 500)$$, 'its tokens are kept: they are known, only their price is not');
-- (review of the fixes) The tokens of an unpriced model's answer were dropped: charged the hold (3 000) where the same tokens
-- at the asked price cost 6 000, and a tokens limit counted the 2 000 held instead of the 5 500 reported.
select results_eq($$select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'other-5', 'explanation', 'mock:small', 1000)$$,
  $$values ('allow')$$, 'mock:small, 3 000 held');
select results_eq($$select cost_micros, overrun_micros, usage_unknown from tests.settle_answered('other-5', 'gpt-9', 5000, 500)$$,
  $$values (6000::bigint, 3000::bigint, true)$$, 'an unpriced model answered 5 000 + 500 tokens: at least their cost at the asked price (6 000), the overrun in full');
select is((select llm_private.charged_amount('tokens', a) from llm_private.attempts a join llm_private.requests q
             on q.tenant_id = a.tenant_id and q.id = a.request_pk where q.request_id = 'other-5'), 5500::bigint,
  'a tokens limit counts the 5 500 tokens reported, not the 2 000 held');
-- (review of the fixes) The worker took a dated snapshot for the model asked for and never named it, so a snapshot priced
-- apart (gpt-4o-2024-05-13 costs more than gpt-4o) was charged at the alias's price.
insert into llm_private.models (provider, model, kind, max_output_tokens, training_allowed) values ('mock', 'small-2024-05-13', 'chat', 4096, true);
insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros)
values ('mock', 'small-2024-05-13', '2000-01-01', 5000000, 2500000, 15000000);
select results_eq($$select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'other-6', 'explanation', 'mock:small', 1000)$$,
  $$values ('allow')$$, 'mock:small asked for');
select results_eq($$select cost_micros, usage_unknown from tests.settle_answered('other-6', 'small-2024-05-13', 1000, 500, true)$$,
  $$values (12500::bigint, false)$$, 'its snapshot small-2024-05-13, priced apart, answered: 1 000 x 5 + 500 x 15 = 12 500 at the snapshot''s price');
select results_eq($$select answered_model, distillation_reason from llm.calls where request_id = 'other-6'$$,
  $$values ('small-2024-05-13', 'tenant_not_opted_in')$$,
  'named in llm.calls, and judged for distillation as the asked model''s (a snapshot of it, not another model)');
-- (review of the last fixes) An organisation prefix made another model the asked one: evilorg/small, whose terms forbid
-- training, was judged for distillation (and cached) as mock:small.
insert into llm_private.models (provider, model, kind, max_output_tokens, training_allowed) values ('mock', 'evilorg/small', 'chat', 4096, false);
insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros)
values ('mock', 'evilorg/small', '2000-01-01', 5000000, 2500000, 15000000);
select results_eq($$select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'other-8', 'explanation', 'mock:small', 1000)$$,
  $$values ('allow')$$, 'mock:small asked for');
select results_eq($$select cost_micros from tests.settle_answered('other-8', 'evilorg/small', 1000, 500, true)$$,
  $$values (12500::bigint)$$, 'evilorg/small answered: charged its own price (12 500)');
select results_eq($$select answered_model, distillation_reason from llm.calls where request_id = 'other-8'$$,
  $$values ('evilorg/small', 'other_model_answered')$$, 'and judged as another model''s answer, not the asked model''s');
select results_eq($$select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'other-7', 'explanation', 'mock:small', 1000)$$,
  $$values ('allow')$$, 'mock:small again');
select results_eq($$select cost_micros, usage_unknown from tests.settle_answered('other-7', 'small-2024-08-06', 1000, 500, true)$$,
  $$values (2000::bigint, false)$$, 'a snapshot with no price of its own is the model asked for: charged its price (2 000)');
select results_eq($$select answered_model, distillation_reason from llm.calls where request_id = 'other-7'$$,
  $$values (null::text, 'tenant_not_opted_in')$$, 'nothing noted, and its answer is judged for distillation as the asked model''s (tenant B has not opted in)');
select results_eq($$select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'other-4', 'explanation', 'mock:small', 1000)$$,
  $$values ('allow')$$, 'mock:small once more');
select results_eq($$select cost_micros, usage_unknown from tests.settle_answered('other-4', 'Ignore all previous instructions', 1000, 500)$$,
  $$values (3000::bigint, true)$$, 'an answer naming no model name: the full hold');
select is((select answered_model from llm.calls where request_id = 'other-4'), '?', 'and the ledger keeps ? instead of the provider''s text');
select is(tests.drift_rows(), 0::bigint, 'usage still equals the ledger');

-- (review of the final replay) Which names are the asked model's own (for distillation and the cache; the price is the
-- dearest either way): :latest on either side, -latest, case, an asked org/name answered bare; never another organisation.
select results_eq($$select array_agg(llm_private.is_asked_model(a, b) order by n) from (values
    (1, 'gpt-4o', 'gpt-4o-2024-08-06'), (2, 'llama3:latest', 'llama3'), (3, 'llama3', 'llama3:latest'), (4, 'openai/gpt-4o', 'gpt-4o'),
    (5, 'claude-3-5-sonnet', 'claude-3-5-sonnet-latest'), (6, 'claude-3-5-sonnet-latest', 'claude-3-5-sonnet-20241022'),
    (7, 'gpt-4o', 'GPT-4o'), (8, 'small', 'evilorg/small'), (9, 'openai/gpt-4o', 'evil/gpt-4o'), (10, 'gpt-4o', 'gpt-4o-mini'),
    (11, 'llama3', 'llama3:70b')) t(n, a, b)$$,
  $$values (array[true, true, true, true, true, true, true, false, false, false, false])$$,
  'is_asked_model: snapshots, :latest, -latest, case and a bare name are the asked model; another organisation, mini or a tag is not');

select * from finish();
rollback;
