--! Previous: sha1:db694fc83922e2282c2224ecef871a7830725d47
--! Hash: sha1:6e43d56eecf562c708c90d2dd245a42870fc0ce9
--! Message: worker-liveness

/*
 * Worker liveness. graphile-worker releases the jobs of a crashed worker only after 4 hours; a
 * worker killed mid-call would hold its LLM job that long. Each worker process heartbeats here,
 * and llm_queue.unlock_dead_workers (run at worker start and by the sweep) unlocks the jobs of
 * workers whose heartbeat went stale, so the retry runs in seconds (its new attempt re-reserves;
 * the dead attempt's hold expires on its own clock).
 */
drop table if exists llm_private.worker_heartbeats cascade;
create table llm_private.worker_heartbeats (
  worker_pool_id text primary key check (length(worker_pool_id) between 1 and 200),
  pid integer not null,
  hostname text not null check (length(hostname) <= 255),
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);
comment on table llm_private.worker_heartbeats is 'One row per running graphile-worker pool: its id (jobs are locked_by it) and its last heartbeat.';
alter table llm_private.worker_heartbeats enable row level security;
alter table llm_private.worker_heartbeats force row level security;
create policy worker_all on llm_private.worker_heartbeats to llm_worker using (true) with check (true);
create policy auditor_select on llm_private.worker_heartbeats for select to llm_auditor using (true);
grant select, insert, update, delete on llm_private.worker_heartbeats to llm_worker;
grant select on llm_private.worker_heartbeats to llm_auditor;

set local role llm_worker;
drop function if exists llm_queue.unlock_dead_workers(integer);
create function llm_queue.unlock_dead_workers(p_stale_ms integer) returns text[]
  language plpgsql
  set search_path = pg_catalog, pg_temp
as $$
declare
  dead text[];
begin
  if p_stale_ms is null or p_stale_ms < 1000 then
    raise exception using errcode = '22023', message = 'p_stale_ms must be at least 1000';
  end if;
  with gone as (
    delete from llm_private.worker_heartbeats
     where last_seen_at < now() - make_interval(secs => p_stale_ms / 1000.0)
    returning worker_pool_id
  )
  select array_agg(worker_pool_id) into dead from gone;
  if dead is not null then
    perform graphile_worker.force_unlock_workers(dead);
  end if;
  return coalesce(dead, '{}');
end
$$;
comment on function llm_queue.unlock_dead_workers(integer) is
  'Run by the worker (llm_worker, INVOKER): forgets workers whose heartbeat is older than p_stale_ms and unlocks their jobs so they are retried now rather than after graphile-worker''s 4-hour timeout. Returns their ids.';
revoke all on function llm_queue.unlock_dead_workers(integer) from public;
reset role;
