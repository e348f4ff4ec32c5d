--! Previous: sha1:6298706e2d15dc84d6e7750809f4b88a7b63b307
--! Hash: sha1:db694fc83922e2282c2224ecef871a7830725d47
--! Message: enqueue-and-breaker

/*
 * Enqueue from SQL and the shared breaker's settings.
 * graphile-worker's tables admit only their owner (llm_worker), so the one SECURITY DEFINER
 * function of the product lives here: llm_queue.add_llm_job, owned by llm_worker, narrow (our four
 * task names, our queue, bounded attempts), search_path pinned, executable by llm_app only.
 * Everything else stays SECURITY INVOKER. llm.enqueue_call (sql/api) validates and calls it.
 */
set local role llm_worker;                        -- only the schema's owner may drop it
drop schema if exists llm_queue cascade;
reset role;
create schema llm_queue authorization llm_worker;

set local role llm_worker;
comment on schema llm_queue is 'The enqueue wrapper around graphile_worker.add_job (the one SECURITY DEFINER function), owned by llm_worker.';
revoke all on schema llm_queue from public;
grant usage on schema llm_queue to llm_app;
create function llm_queue.add_llm_job(p_endpoint text, p_payload jsonb, p_job_key text, p_max_attempts integer)
  returns bigint
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  job_id bigint;
begin
  if p_endpoint is null or p_endpoint not in ('route', 'explanation', 'investigation', 'budget_optimization') then
    raise exception using errcode = '22023', message = 'unknown endpoint', detail = format('endpoint = %s', p_endpoint);
  end if;
  if p_max_attempts is null or p_max_attempts not between 1 and 10 then
    raise exception using errcode = '22023', message = 'max_attempts must be between 1 and 10';
  end if;
  if p_job_key is null or length(p_job_key) not between 1 and 512 then
    raise exception using errcode = '22023', message = 'job_key must be 1 to 512 characters';
  end if;
  if p_payload is null or jsonb_typeof(p_payload) <> 'object' or octet_length(p_payload::text) > 262144 then
    raise exception using errcode = '22023', message = 'payload must be a JSON object of at most 256 KiB';
  end if;
  select j.id into job_id
    from graphile_worker.add_job(p_endpoint, p_payload::json, queue_name => null, max_attempts => p_max_attempts,
                                 job_key => p_job_key, job_key_mode => 'replace') j;
  return job_id;
end
$$;
comment on function llm_queue.add_llm_job(text, jsonb, text, integer) is
  'SECURITY DEFINER (owner llm_worker): adds one of our four LLM jobs with a job key; validated, narrow. Call llm.enqueue_call instead.';
revoke all on function llm_queue.add_llm_job(text, jsonb, text, integer) from public;
grant execute on function llm_queue.add_llm_job(text, jsonb, text, integer) to llm_app;
reset role;

alter table llm_private.settings
  add column if not exists breaker_failure_threshold integer not null default 3 check (breaker_failure_threshold between 1 and 1000),
  add column if not exists breaker_cooldown_ms integer not null default 30000 check (breaker_cooldown_ms between 100 and 86400000),
  add column if not exists enqueue_max_attempts integer not null default 3 check (enqueue_max_attempts between 1 and 10);
comment on column llm_private.settings.breaker_failure_threshold is 'Consecutive provider failures of one provider+model that open its breaker.';
comment on column llm_private.settings.breaker_cooldown_ms is 'How long an open breaker refuses calls before one half-open probe may try.';
comment on column llm_private.settings.enqueue_max_attempts is 'graphile-worker max_attempts given to every LLM job.';
