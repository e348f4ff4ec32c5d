--! Previous: sha1:9f11c707eb1bf28d79c8896c3df8e92a4e7134af
--! Hash: sha1:386fe376595ec2531469abf862a7d3c2d82d0197
--! Message: A fair share of the job queue between tenants (a job's priority from its tenant's queued requests); llm_viewer reads no attempts.cache_key

-- A fair share of the job queue between tenants. graphile-worker runs jobs by (priority, run_at): with every job at
-- priority 0, 5,000 enqueue_calls of one tenant in one statement went ahead of every later job of every tenant (review
-- of 2026-11-26; all tenants share one application login, so one SQL injection could do it). Now a job's priority is
-- how many of its tenant's requests are still queued (among the tenant's 4 x queue_share_jobs most recent ones),
-- divided by queue_share_jobs: a tenant's first queue_share_jobs queued jobs run at priority 0, the next ones at 1, and
-- so on, so another tenant's new job waits behind at most queue_share_jobs jobs of a flooding tenant, not behind its
-- whole burst. The count is read, not kept: no row is written or locked for it, so enqueues of one tenant never wait on
-- each other for it (a counter row held to commit would have crossed the claims' advisory locks: a deadlock). It costs
-- an index scan of at most 4 x queue_share_jobs of the tenant's requests. Priorities only order jobs; none is refused.
alter table llm_private.settings
  add column queue_share_jobs integer not null default 50 check (queue_share_jobs between 1 and 10000);
comment on column llm_private.settings.queue_share_jobs is
  'Queued jobs of one tenant per step of graphile-worker priority (llm_queue.add_request_job): a tenant''s first queue_share_jobs queued jobs run at priority 0, the next at 1, ... (up to 4), so other tenants'' new jobs wait behind at most this many of its jobs.';

set local role llm_worker;
create or replace function llm_queue.add_request_job(p_request_pk bigint) returns bigint
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  ctx record;
  r record;
  s record;
  v_job_id bigint;
  v_queued bigint;
begin
  select * into ctx from llm_private.app_context();
  if ctx.tenant_id is null then
    raise exception using errcode = '42501', message = 'no application context',
      hint = 'Call llm.use_context(token) in this transaction first.';
  end if;
  -- Only a request of the caller's own tenant and user, still queued, with no job yet: the wrapper
  -- builds the identifier, payload, key and priority itself, so it can do nothing llm.enqueue_call cannot.
  select q.tenant_id, q.user_id, q.id, q.endpoint, q.state, q.job_id, q.request_id into r
    from llm_private.requests q
   where q.tenant_id = ctx.tenant_id and q.user_id = ctx.user_id and q.id = p_request_pk
   for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
  if r.state <> 'queued' or r.job_id is not null then
    raise exception using errcode = '55000', message = 'request already has a job or is not queued',
      detail = format('request %s is %s, job %s', r.id, r.state, coalesce(r.job_id::text, 'none'));
  end if;
  select x.idempotency_months, x.enqueue_max_attempts, x.queue_share_jobs into s from llm_private.settings x;
  -- The claim key is the tenant's: another user of the tenant holding (request_id, endpoint) in the
  -- idempotency window makes this claim a conflict (the caller cannot see that user's rows).
  if exists (select 1 from llm_private.requests o
              where o.tenant_id = r.tenant_id and o.request_id = r.request_id and o.endpoint = r.endpoint and o.id <> r.id
                and o.user_id <> r.user_id
                and o.id >= (llm_private.month_index(llm_private.now()) - s.idempotency_months + 1)::bigint << 40) then
    raise exception using errcode = 'LG409', message = 'request_id already claimed by another user of the tenant',
      detail = format('tenant %s, endpoint %s, request_id %s', r.tenant_id, r.endpoint, r.request_id),
      hint = 'Use a new request_id.';
  end if;
  -- The tenant's backlog: its requests still queued among its 4 x queue_share_jobs most recent before this one (all its
  -- users'; this wrapper sees the tenant's claims). Read, never locked.
  select count(*) filter (where x.state = 'queued') into v_queued
    from (select o.state from llm_private.requests o
           where o.tenant_id = r.tenant_id and o.id < r.id
           order by o.id desc limit 4 * s.queue_share_jobs) x;
  select j.id into v_job_id
    from graphile_worker.add_job(r.endpoint::text,
           json_build_object('tenant_id', r.tenant_id, 'user_id', r.user_id, 'request_pk', r.id::text),
           max_attempts => s.enqueue_max_attempts::int,
           job_key => format('llm:%s:%s', r.tenant_id, r.id), job_key_mode => 'unsafe_dedupe',
           priority => (v_queued / s.queue_share_jobs)::int) j;
  update llm_private.requests q set job_id = v_job_id where q.tenant_id = r.tenant_id and q.id = r.id;
  return v_job_id;
end
$$;
comment on function llm_queue.add_request_job(bigint) is
  'SECURITY DEFINER (owner llm_worker): adds the graphile-worker job of a queued request of the caller''s own signed context, once. The job''s identifier, payload ({tenant_id, user_id, request_pk}), key and priority (the tenant''s queued requests ÷ settings.queue_share_jobs, up to 4: a fair share of the queue between tenants) are built here. Called by llm.enqueue_call.';
reset role;

-- llm_viewer reads every column of attempts but cache_key (review of 2026-11-26): on a cache hit it holds the bare
-- sha256 of the normalized payload, with which the viewer confirmed a guessed prompt (and saw two tenants send the same
-- one). The audit views read the columns they need only (llm_private.held_amount / charged_amount over columns). A
-- column added to attempts later is not granted to llm_viewer until a migration says so.
revoke select on llm_private.attempts from llm_viewer;
do $$
begin
  execute format('grant select (%s) on llm_private.attempts to llm_viewer',
    (select string_agg(quote_ident(a.attname), ', ' order by a.attnum) from pg_catalog.pg_attribute a
      where a.attrelid = 'llm_private.attempts'::regclass and a.attnum > 0 and not a.attisdropped and a.attname <> 'cache_key'));
end
$$;
