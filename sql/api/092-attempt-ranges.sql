/*
 * The ranges of a ledger row (attempts), checked by a trigger rather than by CHECK constraints.
 *
 * PostgreSQL 15 compiles a table's CHECK constraints for every statement that writes it (each constraint's stored
 * expression is read back from text, planned and prepared as the statement starts), and a pair writes attempts twice.
 * Counted in instructions (bench/callgrind.sh, bench/PROFILE.md §19), attempts' 16 CHECKs were 8 % of a reserve+settle
 * pair; this trigger, whose expression PL/pgSQL keeps prepared, checks the same 16 rules for about a quarter of that.
 *
 * It is a BEFORE trigger named to fire last (after _100_reserve and _100_transition, which derive every field), so it
 * sees the row as it will be written, as a CHECK does; a rule holds when its expression is true or NULL, as a CHECK's
 * does. A row that breaks one is refused with 23514 naming the rule (the constraint's former name). Nobody but the
 * owner can disable it, as nobody but the owner could drop a constraint (test/sql/ledger_ranges.sql).
 */
create or replace function llm_private.tg_attempts__ranges() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_rule text;
begin
  -- One expression, so that the row is read once; the first rule that fails names the error.
  v_rule := case when not coalesce(new.attempt_no between 1 and 1000, true) then 'attempts_attempt_no_check'
                 when not coalesce(length(new.cache_key) = 64, true) then 'attempts_cache_key_check'
                 when not coalesce(new.cached_input_tokens between 0 and 10000000, true) then 'attempts_cached_input_tokens_check'
                 when not coalesce(new.charged_micros >= 0, true) then 'attempts_charged_micros_check'
                 when not coalesce(new.cost_micros >= 0, true) then 'attempts_cost_micros_check'
                 when not coalesce(new.held_micros >= 0, true) then 'attempts_held_micros_check'
                 when not coalesce(new.input_tokens between 0 and 10000000, true) then 'attempts_input_tokens_check'
                 when not coalesce(new.input_tokens_estimate between 0 and 10000000, true) then 'attempts_input_tokens_estimate_check'
                 when not coalesce(new.job_attempt between 0 and 1000, true) then 'attempts_job_attempt_check'
                 when not coalesce(new.latency_ms between 0 and 86400000, true) then 'attempts_latency_ms_check'
                 when not coalesce(new.max_output_tokens between 0 and 1000000, true) then 'attempts_max_output_tokens_check'
                 when not coalesce(cardinality(new.meter_ids) <= 64, true) then 'attempts_meter_ids_check'
                 when not coalesce(new.output_tokens between 0 and 10000000, true) then 'attempts_output_tokens_check'
                 when not coalesce((new.semantic_candidates is null) = (new.semantic_bound_hit is null)
                                   and new.semantic_candidates between 0 and 1000000, true) then 'attempts_semantic_check'
                 when not coalesce(new.similarity between -1 and 1, true) then 'attempts_similarity_check'
                 when not coalesce(new.trace_id ~ '^[0-9a-f]{32}$', true) then 'attempts_trace_id_check' end;
  if v_rule is not null then
    raise exception using errcode = '23514', constraint = v_rule, table = 'attempts', schema = 'llm_private',
      message = format('new row for relation "attempts" violates check constraint "%s"', v_rule),
      detail = format('attempt %s of request %s (tenant %s)', new.attempt_no, new.request_pk, new.tenant_id),
      hint = 'See llm_private.tg_attempts__ranges for the ranges of a ledger row.';
  end if;
  return new;
end
$$;
comment on function llm_private.tg_attempts__ranges() is
  'BEFORE INSERT OR UPDATE on attempts, last of its BEFORE triggers: the ranges of a ledger row (attempt_no 1..1000, job_attempt 0..1000, token counts 0..10^7, max output 0..10^6, micro-USD amounts >= 0, latency 0..86 400 000 ms, at most 64 meters, a 64-character cache key, a 32-hex trace id, similarity -1..1, semantic figures together and 0..10^6), as the CHECK constraints they replace (migration 000063: 8 % of a pair''s instructions, compiled per statement). A rule holds when true or NULL; a row that breaks one is refused with 23514 naming it.';
create or replace trigger _900_ranges before insert or update on llm_private.attempts
  for each row execute function llm_private.tg_attempts__ranges();
