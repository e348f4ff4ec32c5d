--! Previous: sha1:e2eba4220df07e843a419cc2fee3bc7b410e7851
--! Hash: sha1:77195e2071c42feee4adb4173f7a19c9b633c7cd
--! Message: The fair share of the queue counts cancelled requests as backlog

-- The fair share of the queue counts cancelled requests as backlog (ninth review): the application padded its window of
-- 4 x queue_share_jobs recent requests with hand-made claims it cancelled at once (never queued, never a job), so that at
-- most a fifth of the window was queued and every job of its burst ran at priority 0, ahead of every other tenant again.
-- llm_queue.add_request_job (the SECURITY DEFINER enqueue wrapper of 000024) is replaced whole; one line changes.
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
  -- The tenant's backlog: its requests still queued, or cancelled, among its 4 x queue_share_jobs most recent before this
  -- one (all its users'; this wrapper sees the tenant's claims). Read, never locked. Cancelled ones count: the application
  -- padded the window with claims it cancelled at once, and every real job of its burst ran at priority 0 (ninth review).
  select count(*) filter (where x.state in ('queued', 'cancelled')) into v_queued
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
  'SECURITY DEFINER (owner llm_worker): adds the graphile-worker job of a queued request of the caller''s own signed context, once. The job''s identifier, payload ({tenant_id, user_id, request_pk}), key and priority (the tenant''s queued or cancelled requests among its recent ones ÷ settings.queue_share_jobs, up to 4: a fair share of the queue between tenants) are built here. Called by llm.enqueue_call.';
reset role;

-- cache_fills.token (000026): what it says about a retry.
comment on column llm_private.cache_fills.token is
  'What llm_cache_filled carries when this fill ends: random, so a listener learns nothing of the key, the tenant or the request; a waiter gets it from its reserve''s wait answer. Kept while the same request renews its live fill; a fill that expired is ended (its token sent) and the next one has a new token.';
