/*
 * Live workers and the locks of dead ones (README, Supervision and crash recovery). graphile-worker keeps a job locked by
 * a process that died (kill -9, out of memory, a lost host) for 4 hours; nothing in its tables says which lock ids are
 * dead. Each worker process records the ids it locks jobs with every 10 s (src/worker/health.ts); a cron job
 * (llm__release_dead_locks, every minute) releases the LLM jobs of ids whose worker has not named them for a minute, once
 * their locks are older than a governed job can run. Money does not depend on it: the dead call's hold expires on its own clock
 * and is charged in full; this only gives the job back sooner than 4 hours.
 */
create or replace function llm.record_worker_heartbeat(p_worker_id text, p_lock_ids text[], p_host text default null,
  p_pid integer default null) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  insert into llm_private.worker_heartbeats as h (worker_id, lock_ids, host, pid, started_at, seen_at)
  values (p_worker_id, coalesce(p_lock_ids, '{}'), left(p_host, 200), p_pid, clock_timestamp(), clock_timestamp())
  on conflict (worker_id) do update set lock_ids = excluded.lock_ids, host = excluded.host, pid = excluded.pid, seen_at = excluded.seen_at;
end
$$;
comment on function llm.record_worker_heartbeat(text, text[], text, integer) is
  'The worker''s login, every 10 s: this process (its graphile-worker pool id) is alive and locks jobs as p_lock_ids (graphile_worker.jobs.locked_by).';

/*
 * Which of graphile-worker's jobs are ours. Its schema may be shared with other applications, and their tasks may be named
 * like our endpoints (`route`): a task's name does not make a job ours (it did: another application's `route` job counted
 * as ours in the dead-lock release, and its lock was released as a dead worker's of ours). A request's job is the one
 * llm_queue.add_request_job added for it: the job's key names the request (llm:<tenant_id>:<request_pk>), the request's
 * job_id is the job's id (set once, in the transaction that added the job, by the wrapper alone) and the job's task is the
 * request's endpoint. The key only finds the request (its primary key: one index probe, in the partition of the id's
 * month): the job id decides, so a job given a request's key after that request's own job ended is not ours either.
 * The maintenance jobs are the crontab's, named in our namespace llm__ (they have no request). Read from graphile-worker's
 * public jobs view, which has the key but not the payload (its private tables are not ours to read or write).
 * The caller's policies apply: the worker's login reads every request (policy worker_login_select on llm_private.requests).
 * About 40 us a job (a PL/pgSQL call and one probe): meant for the locked jobs (tens), not for every queued one.
 */
create or replace function llm_private.job_is_ours(p_job_id bigint, p_task_identifier text, p_key text) returns boolean
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if p_task_identifier like 'llm\_\_%' then
    return true;
  end if;
  -- The key as the wrapper writes it (format('llm:%s:%s', tenant uuid, request pk)) before any cast: another
  -- application's key is any text.
  if p_job_id is null or p_key is null
     or p_key !~ '^llm:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[1-9][0-9]{0,17}$' then
    return false;
  end if;
  return exists (select 1 from llm_private.requests q
                  where q.tenant_id = split_part(p_key, ':', 2)::uuid and q.id = split_part(p_key, ':', 3)::bigint
                    and q.job_id = p_job_id and q.endpoint::text = p_task_identifier);
end
$$;
comment on function llm_private.job_is_ours(bigint, text, text) is
  'True when a graphile-worker job (its id, task identifier and key, from graphile_worker.jobs) is ours: a maintenance job (task llm__*), or the job llm_queue.add_request_job added for a request (its key names the request, whose job_id is this job''s id, and its task is the request''s endpoint). Another application''s job is not, whatever its task''s name. Reads llm_private.requests under the caller''s policies (the worker''s login reads every request).';

create or replace function llm.locked_jobs()
  returns table (job_id bigint, task_identifier text, attempts integer, max_attempts integer, locked_by text, locked_at timestamptz)
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  return query
  select j.id, j.task_identifier, j.attempts::integer, j.max_attempts::integer, j.locked_by, j.locked_at
    from graphile_worker.jobs j
   where j.locked_by is not null and llm_private.job_is_ours(j.id, j.task_identifier, j.key);
end
$$;
comment on function llm.locked_jobs() is
  'The worker''s login (the metric llm_job_oldest_lock_seconds, the on-call releasing a gone worker''s locks by hand): the jobs of ours that a worker holds in graphile-worker''s queue (llm_private.job_is_ours: the requests'' jobs and the maintenance jobs llm__*), never another application''s on the same schema, whatever its tasks are named; with who locked each and when (the server''s clock).';

/*
 * The ids to release: locked jobs of ours (llm_private.job_is_ours) whose lock is older than p_locked_for_ms, by an id that
 * no heartbeat of the last p_heartbeat_within_ms names, and that holds no job that is not ours (graphile-worker may be
 * shared: another application's long jobs are not ours to judge, and force_unlock_workers releases every job of an id).
 * The server's clock throughout (graphile-worker writes locked_at with it), not the product's.
 */
create or replace function llm.release_dead_worker_locks(p_locked_for_ms integer, p_heartbeat_within_ms integer default 60000)
  returns table (locked_by text, jobs integer)
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_ids text[];
  v_jobs integer[];
begin
  if p_locked_for_ms is null or p_locked_for_ms < 1000 or p_heartbeat_within_ms is null or p_heartbeat_within_ms < 1000 then
    raise exception using errcode = '22023', message = 'p_locked_for_ms and p_heartbeat_within_ms are 1000 ms or more',
      detail = format('p_locked_for_ms = %s, p_heartbeat_within_ms = %s', p_locked_for_ms, p_heartbeat_within_ms),
      hint = 'p_locked_for_ms: longer than a governed job can run (the worker passes 4 x its call timeout + its Retry-After bound + 1 minute).';
  end if;
  delete from llm_private.worker_heartbeats h where h.seen_at < clock_timestamp() - interval '1 day';
  with named as (
    select x.id, bool_or(h.seen_at > clock_timestamp() - make_interval(secs => p_heartbeat_within_ms / 1000.0)) as live
      from llm_private.worker_heartbeats h cross join lateral unnest(h.lock_ids) x(id)
     where x.id is not null
     group by x.id
  ), locked as (
    select j.locked_by as id, j.locked_at,
           llm_private.job_is_ours(j.id, j.task_identifier, j.key) as ours
      from graphile_worker.jobs j
     where j.locked_by is not null
  )
  select array_agg(d.id order by d.id), array_agg(d.n order by d.id) into v_ids, v_jobs
    from (select l.id, count(*)::int as n from locked l
           -- Dead: named by a heartbeat, none of them recent. An id no heartbeat ever named is left to graphile-worker's own
           -- 4 hours: a worker of a release before heartbeats (alive during a rolling upgrade: drill 93 saw an old worker's
           -- 199 s call released at 189 s by new workers with a shorter bound, and sent twice), or one killed before its first.
           where exists (select 1 from named v where v.id = l.id and not v.live)
           group by l.id
          having bool_and(l.ours) and max(l.locked_at) < clock_timestamp() - make_interval(secs => p_locked_for_ms / 1000.0)) d;
  if v_ids is not null then
    perform graphile_worker.force_unlock_workers(v_ids);
  end if;
  return query select u.id, u.n from unnest(v_ids, v_jobs) u(id, n);
end
$$;
comment on function llm.release_dead_worker_locks(integer, integer) is
  'The worker''s login, every minute (llm__release_dead_locks): releases (graphile_worker.force_unlock_workers) the locks of ids that a worker heartbeat named but none in the last p_heartbeat_within_ms, and whose jobs, all ours (llm_private.job_is_ours: a request''s job, by its key and the request''s job_id, or a maintenance job llm__*; never by its task''s name alone), are locked longer than p_locked_for_ms (an id no heartbeat ever named, from a release before heartbeats, and an id that also locks another application''s job, even one named like an endpoint, are left to graphile-worker''s own timeout); returns each id released and its jobs. Deletes heartbeats unseen for a day.';

create view llm.workers with (security_invoker = true) as
select h.worker_id, h.lock_ids, h.host, h.pid, h.started_at, h.seen_at, h.seen_at > clock_timestamp() - interval '1 minute' as alive
  from llm_private.worker_heartbeats h;
comment on view llm.workers is
  'Worker processes by their heartbeats (operator, auditor, viewer): the ids each locks jobs with, host and pid, when it started and was last seen; alive: seen in the last minute. A locked job whose locked_by no live worker names is a dead one''s, released by llm.release_dead_worker_locks once older than a job can run.';

revoke all on function llm.record_worker_heartbeat(text, text[], text, integer), llm.release_dead_worker_locks(integer, integer),
  llm.locked_jobs(), llm_private.job_is_ours(bigint, text, text) from public;
grant execute on function llm.record_worker_heartbeat(text, text[], text, integer), llm.release_dead_worker_locks(integer, integer),
  llm.locked_jobs(), llm_private.job_is_ours(bigint, text, text) to llm_worker;
grant select on llm.workers to llm_operator, llm_auditor, llm_viewer;
