--! Previous: sha1:955048f07998750e2e080f70ef2ac4abe892dda6
--! Hash: sha1:688bfcdf1004902d6b6c1eee5c4139bce6de645d
--! Message: Claims are ordered by a row of llm_private.claim_mutexes, not an advisory lock: the application cannot fill the shared lock table

-- The claim of (tenant, endpoint, request_id) is ordered by a row of its own, not by an advisory lock.
--
-- Concurrent claims of one key were ordered by pg_advisory_xact_lock, which the application's role (llm_app) therefore
-- had to be able to run, with any key: one SQL injection took ~12,700 transaction-level advisory locks in a loop of
-- subtransactions and held them (a long statement, or an open transaction: idle_in_transaction_session_timeout is the
-- session's own to set). While it did, the cluster's shared lock table was full, and every new connection of every role
-- and database failed (FATAL: out of shared memory), as did any statement that needed a lock outside its fast path.
--
-- A claim now inserts its key's row here and deletes it in the same transaction (llm_private.lock_claim). The row is
-- never seen committed, but its index entry stays until the claimant's transaction ends, and a concurrent claimant's
-- insert of the same key waits on that transaction at the unique index: the same order as the lock, in the table's
-- tuples instead of the shared lock table. The rows are under the tenant's row-level security, so no one else can
-- insert, lock or even collide with a tenant's keys; pg_advisory_xact_lock and its variants are revoked from PUBLIC in
-- the app's database (sql/bootstrap/database.sql; the money role keeps the one the reserve's single flight takes).
create table if not exists llm_private.claim_mutexes (
  tenant_id uuid not null,
  key_hash bigint not null,
  primary key (tenant_id, key_hash)
);
comment on table llm_private.claim_mutexes is
  'The order of concurrent claims of one key: llm_private.lock_claim inserts (tenant_id, hash of endpoint/request_id) and deletes it in the same transaction; the entry left in the primary key makes a concurrent claim of the key wait for that transaction. Rows are never seen committed (one left by hand is taken over and removed by the next claim of its key); VACUUM reclaims the dead ones.';
alter table llm_private.claim_mutexes enable row level security;
alter table llm_private.claim_mutexes force row level security;
-- The application's own tenant only (any of its users: the claim key is the tenant's). Once per statement: the verifier
-- runs the HMAC (migration 000014).
drop policy if exists app_claim_keys on llm_private.claim_mutexes;
create policy app_claim_keys on llm_private.claim_mutexes to llm_app
  using (tenant_id = (select llm_private.app_tenant_id()))
  with check (tenant_id = (select llm_private.app_tenant_id()));
grant select, insert, delete on llm_private.claim_mutexes to llm_app;
grant update (key_hash) on llm_private.claim_mutexes to llm_app;
-- Every claim leaves two dead rows here (llm.enqueue_call's and the claim trigger's): vacuumed after every 10 000 of them,
-- not after a fifth of a table that is always empty.
alter table llm_private.claim_mutexes set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
  autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000);
