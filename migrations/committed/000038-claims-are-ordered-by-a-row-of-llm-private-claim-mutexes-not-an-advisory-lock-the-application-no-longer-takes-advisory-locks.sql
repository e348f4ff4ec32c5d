--! Previous: sha1:955048f07998750e2e080f70ef2ac4abe892dda6
--! Hash: sha1:96f711a442c9599e849268f6bf01e4c92ef132de
--! Message: Claims are ordered by a row of llm_private.claim_mutexes, not an advisory lock: the application no longer takes advisory locks

-- The claim of (tenant, endpoint, request_id) is ordered by a row of its own, not by an advisory lock.
--
-- Concurrent claims of one key were ordered by pg_advisory_xact_lock, which the application's role (llm_app) therefore
-- had to be able to run, with any key: one SQL injection took ~12,700 transaction-level advisory locks in a loop of
-- subtransactions and held them (a long statement, or an open transaction: idle_in_transaction_session_timeout is the
-- session's own to set). While it did, the cluster's shared lock table was full, and every new connection of every role
-- and database failed (FATAL: out of shared memory), as did any statement that needed a lock outside its fast path.
--
-- A claim now writes its key's row here (llm_private.lock_claim, INSERT ... ON CONFLICT DO UPDATE): a concurrent claim of
-- the key waits for the claimant's transaction at the primary key (an insert in progress, or the row's lock), as it waited
-- for the lock, in the table's tuples instead of the shared lock table. The enqueue wrapper deletes the row in the same
-- transaction, so it is never seen committed (a duplicate enqueue finds the committed claim first and writes none); a
-- row that is (inserted by hand, or a claim that found a claim committed meanwhile) is taken over by the next claim of
-- its key and swept by llm.purge_expired. The rows are under the tenant's row-level security,
-- so no other tenant can insert, lock or collide with a tenant's keys. llm_app holds column privileges only, never a table's
-- INSERT, UPDATE or DELETE, with which LOCK TABLE would let it take the table in ACCESS EXCLUSIVE mode and stop every
-- tenant's claims. pg_advisory_xact_lock and its variants are revoked from PUBLIC in the app's database once the replayed
-- API no longer takes them (sql/bootstrap/after-api.sql; the money role keeps the one the reserve's single flight
-- takes). This closes the advisory path only: a session that nests savepoints, each with a write, still holds one lock per open subtransaction, and a
-- transaction one per relation it reads (docs/review-2026-11-26.md, open).
create table if not exists llm_private.claim_mutexes (
  tenant_id uuid not null,
  key_hash bigint not null,
  primary key (tenant_id, key_hash)
);
comment on table llm_private.claim_mutexes is
  'The order of concurrent claims of one key: llm_private.lock_claim writes (tenant_id, hash of endpoint/request_id) and the enqueue wrapper deletes it in the same transaction; a concurrent claim of the key waits for that transaction at the primary key. A row seen committed (inserted by hand, or by a claim that found one committed meanwhile) is taken over by the next claim of its key and swept by llm.purge_expired.';
alter table llm_private.claim_mutexes enable row level security;
alter table llm_private.claim_mutexes force row level security;
-- The application's own tenant only (any of its users: the claim key is the tenant's). Once per statement: the verifier
-- runs the HMAC (migration 000014). Column privileges only: no LOCK TABLE beyond ACCESS SHARE.
drop policy if exists app_claim_keys on llm_private.claim_mutexes;
create policy app_claim_keys on llm_private.claim_mutexes to llm_app
  using (tenant_id = (select llm_private.app_tenant_id()))
  with check (tenant_id = (select llm_private.app_tenant_id()));
grant select (tenant_id, key_hash), insert (tenant_id, key_hash), update (key_hash) on llm_private.claim_mutexes to llm_app;
-- The enqueue wrapper (SECURITY DEFINER, owner llm_worker) deletes the row of the claim it adds a job for: the caller's
-- tenant's only.
drop policy if exists worker_enqueue_release on llm_private.claim_mutexes;
create policy worker_enqueue_release on llm_private.claim_mutexes to llm_worker
  using (tenant_id = (select llm_private.app_tenant_id()));
grant select, delete on llm_private.claim_mutexes to llm_worker;
-- The operator's hourly purge sweeps the rows seen committed, skipping those a claim holds.
drop policy if exists operator_sweep on llm_private.claim_mutexes;
create policy operator_sweep on llm_private.claim_mutexes to llm_operator using (true);
grant select, delete on llm_private.claim_mutexes to llm_operator;
grant update (key_hash) on llm_private.claim_mutexes to llm_operator;
-- Every claim leaves a dead row or two here: vacuumed after every 10 000 of them, not after a fifth of a table that is
-- always nearly empty. Without truncating it: the table is empty at every vacuum, and truncation takes ACCESS EXCLUSIVE
-- (every claim of every tenant waits for it) and writes that lock to WAL for the standbys (review of this migration).
alter table llm_private.claim_mutexes set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
  autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000, vacuum_truncate = off);

-- llm_queue.add_request_job (the SECURITY DEFINER enqueue wrapper, 000027) is replaced whole: it deletes the claim's key row.
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
  -- The claim's key row (llm_private.lock_claim): deleted in the claim's own transaction, so never seen committed; a
  -- concurrent claim of the key still waits at its primary-key entry until this transaction ends.
  delete from llm_private.claim_mutexes m
   where m.tenant_id = r.tenant_id and m.key_hash = hashtextextended(r.endpoint::text || '/' || r.request_id, 0);
  return v_job_id;
end
$$;
comment on function llm_queue.add_request_job(bigint) is
  'SECURITY DEFINER (owner llm_worker): adds the graphile-worker job of a queued request of the caller''s own signed context, once. The job''s identifier, payload ({tenant_id, user_id, request_pk}), key and priority (the tenant''s queued or cancelled requests among its recent ones ÷ settings.queue_share_jobs, up to 4: a fair share of the queue between tenants) are built here; the claim''s key row (llm_private.claim_mutexes) is deleted. Called by llm.enqueue_call.';
reset role;
