--! Previous: sha1:ce79d08e41f0ce596ea3b3bf2f789f951e90422f
--! Hash: sha1:4cbbbb06c3ca1ae791f9f65ff91d71608d222fb8
--! Message: erasure of stored content

-- Erasure of what is stored of a user's (or a whole tenant's) content, for a data subject's request, with a record of it.
-- README had left it to the administrator: DELETEs by hand in four tables (and the cache's fill claims), no record of
-- what was erased, when or by whom. An INSERT into llm_private.erasures is the command: its trigger
-- (sql/api/125-erasure.sql) deletes the subject's prompts, outputs, reasoning traces and cache entries and records the
-- counts, so that a row cannot say content was erased that was not. The ledger (requests, attempts, usage) stays: money
-- is never erased before its retention.
create table if not exists llm_private.erasures (
  tenant_id uuid not null,
  id bigint generated always as identity,
  user_id uuid,
  reason text not null check (length(btrim(reason)) between 1 and 500),
  inputs bigint not null default 0 check (inputs >= 0),
  outputs bigint not null default 0 check (outputs >= 0),
  traces bigint not null default 0 check (traces >= 0),
  cache_entries bigint not null default 0 check (cache_entries >= 0),
  cache_fills bigint not null default 0 check (cache_fills >= 0),
  erased_at timestamptz not null,
  erased_by text not null,
  primary key (tenant_id, id)
);
comment on table llm_private.erasures is
  'Append-only: each erasure of stored content (llm.erase_content): the tenant, the user (NULL: every user of the tenant), why, how many prompts (request_inputs), final outputs, reasoning traces, cache entries and cache fill claims it deleted, when and who. Inserting a row is the erasure (its trigger deletes and counts); never updated or deleted.';
alter table llm_private.erasures enable row level security;
alter table llm_private.erasures force row level security;
drop policy if exists operator_record on llm_private.erasures;
create policy operator_record on llm_private.erasures for insert to llm_operator with check (true);
drop policy if exists readers_select on llm_private.erasures;
create policy readers_select on llm_private.erasures for select to llm_operator, llm_auditor, llm_viewer using (true);
drop policy if exists owner_all on llm_private.erasures;
create policy owner_all on llm_private.erasures to llm_owner using (true) with check (true);
grant select on llm_private.erasures to llm_operator, llm_auditor, llm_viewer;
grant insert (tenant_id, user_id, reason) on llm_private.erasures to llm_operator;

-- The erasure deletes prompts as the operator, who never reads them: the keys only (SELECT of tenant, request and user,
-- which a DELETE's WHERE needs), and DELETE.
grant select (tenant_id, request_pk, user_id) on llm_private.request_inputs to llm_operator;
grant delete on llm_private.request_inputs to llm_operator;
drop policy if exists operator_erase on llm_private.request_inputs;
create policy operator_erase on llm_private.request_inputs for delete to llm_operator using (true);
drop policy if exists operator_keys on llm_private.request_inputs;
create policy operator_keys on llm_private.request_inputs for select to llm_operator using (true);
