-- The ranges of a ledger row (attempts) hold by a trigger that fires after every other BEFORE trigger of the table, as
-- the 16 CHECK constraints it replaces held them (they were 8 % of a pair's instructions, compiled per statement:
-- bench/PROFILE.md §19); those of usage and requests by their guard triggers (the 2 and 4 CHECKs they replace). Each rule is broken once, by an UPDATE and by an INSERT with the deriving triggers off (the
-- superuser only: no role of the product can turn a trigger off), and refused with 23514 naming the rule; through the
-- product's own path, a settle that reports more tokens than a row may hold is refused before it reaches the row.
begin;
select plan(42);
select tests.seed();

-- The catalog: no CHECK is left on attempts, and the range trigger is a BEFORE INSERT OR UPDATE row trigger, enabled,
-- the last of the table's BEFORE triggers (they fire in name order), with the rules' function.
select is((select count(*) from pg_constraint where conrelid = 'llm_private.attempts'::regclass and contype = 'c'), 0::bigint,
  'attempts carries no CHECK constraint: its ranges are the trigger''s');
select results_eq($$select t.tgname::text collate "default", t.tgenabled::text, t.tgfoid::regprocedure::text from pg_trigger t
                     where t.tgrelid = 'llm_private.attempts'::regclass and not t.tgisinternal
                       and (t.tgtype::int & 2) = 2 and (t.tgtype::int & (4 | 16)) <> 0   -- BEFORE, INSERT or UPDATE
                     order by t.tgname desc limit 1$$,
  $$values ('_900_ranges'::text, 'O'::text, 'llm_private.tg_attempts__ranges()'::text)$$,
  'the range trigger is the last BEFORE INSERT/UPDATE trigger of attempts, enabled');
select is((select (t.tgtype::int & (1 | 2 | 4 | 16)) from pg_trigger t
            where t.tgrelid = 'llm_private.attempts'::regclass and t.tgname = '_900_ranges'), 1 | 2 | 4 | 16,
  '... for each row, before, on INSERT and on UPDATE');
select is((select count(*) from pg_inherits i join pg_trigger t on t.tgrelid = i.inhrelid and t.tgname = '_900_ranges'
            where i.inhparent = 'llm_private.attempts'::regclass),
          (select count(*) from pg_inherits i where i.inhparent = 'llm_private.attempts'::regclass),
  '... and on every partition (a row trigger of a partitioned table is cloned to each)');
-- On every table of the three and every partition, the trigger that checks the ranges is the last BEFORE INSERT/UPDATE row
-- trigger in the order they fire: by name, byte by byte (collate "C": a name that starts with a lower-case letter fires
-- after '_900_ranges', one with a capital before it), so that no trigger can change a row after its ranges were checked.
select is_empty($$select c.relname, last.tgname from pg_class c
                   cross join lateral (select t.tgname from pg_trigger t
                                        where t.tgrelid = c.oid and not t.tgisinternal
                                          and (t.tgtype::int & (1 | 2)) = (1 | 2) and (t.tgtype::int & (4 | 16)) <> 0
                                        order by t.tgname collate "C" desc limit 1) last
                  where c.oid in (select x from unnest(array['llm_private.attempts', 'llm_private.usage', 'llm_private.requests']::regclass[]) x
                                  union all
                                  select i.inhrelid from pg_inherits i
                                   where i.inhparent = any (array['llm_private.attempts', 'llm_private.usage', 'llm_private.requests']::regclass[]))
                    and last.tgname <> case when c.relname like 'attempts%' then '_900_ranges' else '_100_guard' end$$,
  'on attempts, usage and requests and each of their partitions, the ranges'' trigger fires last of the BEFORE row triggers');

-- A real attempt, then the deriving triggers off (this transaction only) so that a value reaches the range trigger as written.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'ranges-1')), 'allow', 'an attempt to break');
alter table llm_private.attempts disable trigger _100_transition, disable trigger _200_after_transition;
create temporary table broken (rule text, assignment text) on commit drop;
insert into broken values
  ('attempts_attempt_no_check', 'attempt_no = 1001'), ('attempts_cache_key_check', $$cache_key = 'abc'$$),
  ('attempts_cached_input_tokens_check', 'cached_input_tokens = -1'), ('attempts_charged_micros_check', 'charged_micros = -1'),
  ('attempts_cost_micros_check', 'cost_micros = -5'), ('attempts_held_micros_check', 'held_micros = -1'),
  ('attempts_input_tokens_check', 'input_tokens = 10000001'), ('attempts_input_tokens_estimate_check', 'input_tokens_estimate = -1'),
  ('attempts_job_attempt_check', 'job_attempt = 1001'), ('attempts_latency_ms_check', 'latency_ms = 86400001'),
  ('attempts_max_output_tokens_check', 'max_output_tokens = 1000001'),
  ('attempts_meter_ids_check', 'meter_ids = (select array_agg(g::smallint) from generate_series(1, 65) g)'),
  ('attempts_output_tokens_check', 'output_tokens = -2'), ('attempts_semantic_check', 'semantic_candidates = 3'),
  ('attempts_similarity_check', 'similarity = 1.5'), ('attempts_trace_id_check', $$trace_id = 'not-hex'$$);
select throws_ok(format('update llm_private.attempts set %s where request_pk = %s', b.assignment, tests.request_pk('ranges-1')),
  '23514', format('new row for relation "attempts" violates check constraint "%s"', b.rule), format('UPDATE: %s refused', b.rule))
  from broken b order by b.rule;
-- A rule holds when its expression is NULL, as a CHECK's does, and at its bounds.
select lives_ok(format($$update llm_private.attempts set similarity = null, semantic_candidates = null, semantic_bound_hit = null,
    cost_micros = null, latency_ms = 86400000, max_output_tokens = 1000000, attempt_no = attempt_no, cache_key = repeat('a', 64),
    trace_id = repeat('0', 32) where request_pk = %s$$, tests.request_pk('ranges-1')),
  'NULLs and values at the bounds pass');
select is((select semantic_candidates from llm_private.attempts where request_pk = tests.request_pk('ranges-1')), null,
  '... and the row was written');
select lives_ok(format($$update llm_private.attempts set semantic_candidates = 0, semantic_bound_hit = false, similarity = -1
                         where request_pk = %s$$, tests.request_pk('ranges-1')), 'semantic figures together, similarity -1');
select throws_ok(format($$update llm_private.attempts set semantic_candidates = 1000001, semantic_bound_hit = true
                          where request_pk = %s$$, tests.request_pk('ranges-1')),
  '23514', 'new row for relation "attempts" violates check constraint "attempts_semantic_check"', 'semantic candidates above 10^6 refused');
select is(tests.err_of(format('update llm_private.attempts set held_micros = -1 where request_pk = %s', tests.request_pk('ranges-1'))),
  '23514 +hint', 'the refusal carries a hint');
alter table llm_private.attempts enable trigger _100_transition, enable trigger _200_after_transition;

-- INSERT: the reserve's trigger off, a row written as given.
alter table llm_private.attempts disable trigger _100_reserve, disable trigger _200_after_reserve;
create temporary table row_of as select * from llm_private.attempts where request_pk = tests.request_pk('ranges-1');
update row_of set attempt_no = 2, job_attempt = 2, semantic_candidates = null, semantic_bound_hit = null, similarity = null;
select lives_ok($$insert into llm_private.attempts select * from row_of$$, 'INSERT of a row within every range passes');
update row_of set attempt_no = 3, job_attempt = 3, input_tokens_estimate = 10000001;
select throws_ok($$insert into llm_private.attempts select * from row_of$$,
  '23514', 'new row for relation "attempts" violates check constraint "attempts_input_tokens_estimate_check"', 'INSERT: an estimate above 10^7 refused');
update row_of set input_tokens_estimate = 1000, attempt_no = 0;
select throws_ok($$insert into llm_private.attempts select * from row_of$$,
  '23514', 'new row for relation "attempts" violates check constraint "attempts_attempt_no_check"', 'INSERT: attempt 0 refused');
-- The row inserted by hand goes again (the ledger refuses a DELETE: that trigger off too), so that the ledger and usage agree.
alter table llm_private.attempts disable trigger _100_no_delete;
delete from llm_private.attempts where request_pk = tests.request_pk('ranges-1') and attempt_no = 2;
alter table llm_private.attempts enable trigger _100_reserve, enable trigger _200_after_reserve, enable trigger _100_no_delete;

-- Through the product: a settle reporting 10^7 + 1 output tokens is refused before the row (llm.settle_call), nothing moved.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'ranges-2')), 'allow', 'a second attempt');
select is(tests.err_of(format($$select * from tests.settle(%s, 1, 'ok', 1000, 0, 10000001)$$, tests.request_pk('ranges-2'))),
  '22023 +hint', 'a settle reporting more output tokens than a row may hold: refused by llm.settle_call itself (22023)');
select is((select state::text from llm_private.attempts where request_pk = tests.request_pk('ranges-2')), 'held', '... the attempt still held');
select is((select state from tests.settle(tests.request_pk('ranges-2'), 1, 'ok', 1000, 0, 500)), 'settled', '... and settles within range');
select is(tests.drift_rows(), 0::bigint, 'no drift');

-- No role of the product can turn the trigger off (only the table's owner can; the money and operator roles are not it).
select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select throws_ok($$alter table llm_private.attempts disable trigger _900_ranges$$, '42501', null, 'the money role cannot disable it');
select tests.as_admin();
select tests.act_as_role('llm_operator');
select throws_ok($$alter table llm_private.attempts disable trigger _900_ranges$$, '42501', null, 'nor the operator');
select tests.as_admin();

-- usage: its guard refuses a write that no ledger trigger makes (depth < 2, LG005) before anything else; a write made at
-- depth 2 (here by a trigger of a temporary table, as the superuser) with a negative hold or a shard outside 0 .. 63 is
-- refused by the ranges.
create temporary table poke (what text) on commit drop;
create function pg_temp.poke_usage() returns trigger language plpgsql as $f$
declare
  u record;
begin
  select * into u from llm_private.usage order by period_start desc, meter_id limit 1;
  if new.what = 'held' then
    update llm_private.usage x set held = -1
     where (x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start, x.shard)
         = (u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.shard);
  else
    insert into llm_private.usage (tenant_id, meter_id, user_id, budget_scope, period_start, shard, limit_id, cap, quota)
    values (u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, 64, u.limit_id, u.cap, u.quota);
  end if;
  return new;
end $f$;
create trigger poke after insert on poke for each row execute function pg_temp.poke_usage();
select throws_ok($$insert into poke values ('held')$$, '23514', 'new row for relation "usage" violates check constraint "usage_held_check"',
  'usage: a negative hold is refused');
select throws_ok($$insert into poke values ('shard')$$, '23514', 'new row for relation "usage" violates check constraint "usage_shard_check"',
  'usage: shard 64 is refused');

-- requests: the guard checks a claim's ranges as it is born (its identity never changes after).
select throws_ok($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint)
                   values (tests.tenant_a(), tests.user_a1(), repeat('r', 201), 'explanation', decode(repeat('00', 32), 'hex'))$$,
  '23514', 'new row for relation "requests" violates check constraint "requests_request_id_check"', 'requests: a request_id of 201 characters is refused');
select throws_ok($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint)
                   values (tests.tenant_a(), tests.user_a1(), 'ranges-r2', 'explanation', decode(repeat('00', 31), 'hex'))$$,
  '23514', 'new row for relation "requests" violates check constraint "requests_fingerprint_check"', 'requests: a fingerprint of 31 bytes is refused');
select throws_ok($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint, budget_scope)
                   values (tests.tenant_a(), tests.user_a1(), 'ranges-r3', 'explanation', decode(repeat('00', 32), 'hex'), '')$$,
  '23514', 'new row for relation "requests" violates check constraint "requests_budget_scope_check"', 'requests: an empty budget scope is refused');

select * from finish();
rollback;
