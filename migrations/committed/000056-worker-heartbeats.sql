--! Previous: sha1:3417fbbf57bbb3fc49205894dc3bdb6fbcfdcb78
--! Hash: sha1:5da2e383b5d0369e2233c278c7ceb07dcf309780
--! Message: worker heartbeats

-- Live workers say so (a heartbeat), so that the locks of a dead one are released without an operator. A worker killed
-- mid-call (kill -9, out of memory, a lost host) left its jobs locked for graphile-worker's 4-hour lock timeout, their
-- requests waiting, until an operator compared the locked ids with every live worker's /healthz by hand (README,
-- Supervision and crash recovery). Each worker process now records the ids it locks jobs with every 10 s
-- (llm.record_worker_heartbeat), and a cron job releases the LLM jobs of ids that no worker has named for a minute and
-- whose locks are older than a governed job can run (llm.release_dead_worker_locks).
create table if not exists llm_private.worker_heartbeats (
  worker_id text primary key check (length(worker_id) between 1 and 200),
  lock_ids text[] not null check (cardinality(lock_ids) <= 1100),
  host text check (length(host) <= 200),
  pid integer,
  started_at timestamptz not null,
  seen_at timestamptz not null
);
comment on table llm_private.worker_heartbeats is
  'One row per worker process (its graphile-worker pool id): the ids its jobs are locked with and when it last said it was alive (seen_at, the server''s clock). Written by the worker''s login every 10 s; rows unseen for a day are deleted by llm.release_dead_worker_locks.';
alter table llm_private.worker_heartbeats enable row level security;
alter table llm_private.worker_heartbeats force row level security;
drop policy if exists worker_all on llm_private.worker_heartbeats;
create policy worker_all on llm_private.worker_heartbeats to llm_worker using (true) with check (true);
drop policy if exists readers_select on llm_private.worker_heartbeats;
create policy readers_select on llm_private.worker_heartbeats for select to llm_operator, llm_auditor, llm_viewer using (true);
drop policy if exists owner_all on llm_private.worker_heartbeats;
create policy owner_all on llm_private.worker_heartbeats to llm_owner using (true) with check (true);
grant select, insert, update, delete on llm_private.worker_heartbeats to llm_worker;
grant select on llm_private.worker_heartbeats to llm_operator, llm_auditor, llm_viewer;
