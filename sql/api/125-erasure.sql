/*
 * Erasure of stored content (README, Backups and restore: "Erasing a user's content"). A data subject's request to erase
 * what was kept of them reaches the operator, who erases a user's, or a whole tenant's, prompts (request_inputs), final
 * outputs (call_outputs), reasoning traces and cache entries (their own, and the tenant's shared ones their calls filled,
 * embeddings included), and the cache's fill claims, in one statement with a record of it. The ledger stays: request ids,
 * amounts, decisions and the hashes it keeps (a request's fingerprint, an attempt's cache_key) are money and audit,
 * dropped with their month (ledger_retention_months). The subject's requests must all be final first: a queued or
 * running request still needs its prompt (55000 otherwise).
 *
 * INSERT into llm_private.erasures is the command (the operator's, through llm.erase_content or by hand): the trigger
 * deletes and counts, and stamps who and when, so that a row cannot say content was erased that was not.
 */
create or replace function llm_private.tg_erasures__erase() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_open bigint;
begin
  if not exists (select 1 from llm_private.tenants t where t.id = new.tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant',
      detail = format('tenant %s', new.tenant_id), hint = 'Name a tenant created with llm.upsert_tenant.';
  end if;
  if new.user_id is not null
     and not exists (select 1 from llm_private.users u where u.tenant_id = new.tenant_id and u.id = new.user_id) then
    raise exception using errcode = '23503', message = 'no such user in this tenant',
      detail = format('user %s in tenant %s', new.user_id, new.tenant_id),
      hint = 'A user belongs to one tenant and is enrolled at its first request: name the user''s own tenant (llm.monthly_spend lists tenants and users), or p_user_id NULL for the whole tenant.';
  end if;
  -- Those it sees must be final (a clear refusal); a request claimed after this check keeps its prompt all the same: the
  -- DELETE below may take only a final request's (policy operator_erase on request_inputs, migration 000061).
  select count(*) into v_open from llm_private.requests q
   where q.tenant_id = new.tenant_id and (new.user_id is null or q.user_id = new.user_id) and q.state in ('queued', 'running');
  if v_open > 0 then
    raise exception using errcode = '55000', message = 'the subject has requests in flight',
      detail = format('%s request(s) of tenant %s%s are queued or running', v_open, new.tenant_id,
                      coalesce(' and user ' || new.user_id::text, '')),
      hint = 'Let them finish (or the application cancels its queued ones: llm.cancel_request), then erase again.';
  end if;
  delete from llm_private.request_inputs x
   where x.tenant_id = new.tenant_id and (new.user_id is null or x.user_id = new.user_id);
  get diagnostics new.inputs = row_count;
  delete from llm_private.call_outputs x
   where x.tenant_id = new.tenant_id and (new.user_id is null or x.user_id = new.user_id);
  get diagnostics new.outputs = row_count;
  delete from llm_private.reasoning_traces x
   where x.tenant_id = new.tenant_id and (new.user_id is null or x.user_id = new.user_id);
  get diagnostics new.traces = row_count;
  -- The user's own entries, and the tenant's shared ones (owner nil) that one of the user's calls filled.
  delete from llm_private.cache_entries x
   where x.tenant_id = new.tenant_id
     and (new.user_id is null or x.owner_user_id = new.user_id
          or exists (select 1 from llm_private.requests q
                      where q.tenant_id = x.tenant_id and q.id = x.source_request_pk and q.user_id = new.user_id));
  get diagnostics new.cache_entries = row_count;
  delete from llm_private.cache_fills x
   where x.tenant_id = new.tenant_id
     and (new.user_id is null or x.owner_user_id = new.user_id
          or exists (select 1 from llm_private.requests q
                      where q.tenant_id = x.tenant_id and q.id = x.request_pk and q.user_id = new.user_id));
  get diagnostics new.cache_fills = row_count;
  new.reason := btrim(new.reason);
  new.erased_at := llm_private.now();
  new.erased_by := llm_private.acting_role();
  return new;
end
$$;
comment on function llm_private.tg_erasures__erase() is
  'BEFORE INSERT on erasures: the erasure itself. Refuses an unknown tenant or a user of another tenant (23503) and a subject with queued or running requests (55000); deletes the subject''s request_inputs, call_outputs, reasoning_traces, cache entries (its own, and shared ones its calls filled) and cache fill claims; records the counts, when (llm_private.now()) and who (current_user, and the login when it differs: llm_operator (login alice)), whatever the writer gave.';
create or replace trigger _100_erase before insert on llm_private.erasures
  for each row execute function llm_private.tg_erasures__erase();
create or replace trigger _100_no_update before update or delete on llm_private.erasures
  for each row execute function llm_private.tg_ledger__no_delete();
create or replace trigger _100_no_truncate before truncate on llm_private.erasures
  for each statement execute function llm_private.tg_ledger__no_delete();

create or replace function llm.erase_content(p_tenant_id uuid, p_user_id uuid, p_reason text)
  returns table (erasure_id bigint, inputs bigint, outputs bigint, traces bigint, cache_entries bigint, cache_fills bigint)
  language plpgsql
  set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  e llm_private.erasures;
begin
  if p_tenant_id is null then
    raise exception using errcode = '22023', message = 'an erasure names a tenant',
      hint = 'Pass the tenant, and the user (or NULL for every user of the tenant).';
  end if;
  if p_reason is null or btrim(p_reason) = '' then
    raise exception using errcode = '22023', message = 'an erasure says why',
      hint = 'Pass p_reason, e.g. the data subject''s request reference (it is kept in llm.erasures).';
  end if;
  insert into llm_private.erasures as x (tenant_id, user_id, reason) values (p_tenant_id, p_user_id, left(p_reason, 500))
  returning x.* into e;
  return query select e.id, e.inputs, e.outputs, e.traces, e.cache_entries, e.cache_fills;
end
$$;
comment on function llm.erase_content(uuid, uuid, text) is
  'Operator, for a data subject''s request: erases what is stored of user p_user_id''s content in tenant p_tenant_id (p_user_id NULL: every user of the tenant): prompts, final outputs, reasoning traces, cache entries (the user''s own, and the tenant''s shared ones the user''s calls filled, with their embeddings) and cache fill claims, and records it in llm.erasures with p_reason. The ledger stays (request ids, amounts, decisions, and the payload hashes requests.fingerprint and attempts.cache_key) until its month is dropped. Refuses while the subject has queued or running requests (55000), an unknown tenant or a user of another tenant (23503), no reason (22023). Returns the erasure''s id and how many rows of each kind it deleted.';

create view llm.erasures with (security_invoker = true) as
select e.id, e.tenant_id, e.user_id, e.reason, e.inputs, e.outputs, e.traces, e.cache_entries, e.cache_fills, e.erased_at, e.erased_by
  from llm_private.erasures e;
comment on view llm.erasures is
  'Every erasure of stored content (llm.erase_content): the tenant, the user (NULL: the whole tenant), why, how many prompts, outputs, traces, cache entries and fill claims it deleted, when and by whom (operator, auditor, viewer).';

revoke all on function llm.erase_content(uuid, uuid, text) from public;
grant execute on function llm.erase_content(uuid, uuid, text) to llm_operator;
grant select on llm.erasures to llm_operator, llm_auditor, llm_viewer;
