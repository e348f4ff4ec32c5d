/*
 * Emergency shutoff windows at global, tenant or user scope. A window is active while
 * starts_at <= now < ends_at (or no end) and it has not been cleared: windows end by time alone.
 */
create or replace function llm_private.active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamptz)
  returns llm_private.shutoff_windows
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  w llm_private.shutoff_windows;
begin
  select * into w from llm_private.shutoff_windows x
   where x.cleared_at is null and x.starts_at <= p_at and (x.ends_at is null or x.ends_at > p_at)
     and (x.scope = 'global'
       or (x.scope = 'tenant' and x.tenant_id = p_tenant_id)
       or (x.scope = 'user' and x.tenant_id = p_tenant_id and x.user_id = p_user_id))
   order by (x.kind = 'manual') desc, x.id
   limit 1;
  return w;
end
$$;
comment on function llm_private.active_shutoff(uuid, uuid, timestamptz) is
  'The shutoff window (manual ones first) that blocks this tenant and user at an instant, or NULL.';

create or replace function llm.trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamptz, p_reason text,
  p_tripped_by text default current_user) returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  wid bigint;
begin
  if p_scope is null or p_scope not in ('global', 'tenant', 'user')
     or (p_scope = 'global') <> (p_tenant_id is null) or (p_scope = 'user') <> (p_user_id is not null) then
    raise exception using errcode = '22023', message = 'scope and ids do not agree',
      hint = 'global: no tenant, no user; tenant: a tenant, no user; user: a tenant and a user.';
  end if;
  if p_until is not null and p_until <= llm_private.now() then
    raise exception using errcode = '22023', message = 'p_until is not in the future',
      detail = format('until %s, now %s', p_until, llm_private.now()), hint = 'Pass NULL for a window that lasts until cleared.';
  end if;
  perform llm_private.require_range('length(p_reason)', length(coalesce(p_reason, '')), 1, 500);
  insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason, tripped_by)
  values (p_scope, p_tenant_id, p_user_id, 'manual', llm_private.now(), p_until, p_reason, left(p_tripped_by, 300))
  returning id into wid;
  return wid;
end
$$;
comment on function llm.trip_shutoff(text, uuid, uuid, timestamptz, text, text) is
  'Operator: shuts off LLM calls at global, tenant or user scope from now until p_until (NULL = until cleared). Returns the window id.';

create or replace function llm.clear_shutoff(p_window_id bigint, p_cleared_by text default current_user) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  update llm_private.shutoff_windows
     set cleared_at = llm_private.now(), cleared_by = left(p_cleared_by, 300)
   where id = p_window_id and cleared_at is null;
  return found;
end
$$;
comment on function llm.clear_shutoff(bigint, text) is
  'Operator: ends a shutoff window now (manual or hourly). Returns false when it was already cleared or does not exist.';

grant execute on function llm_private.active_shutoff(uuid, uuid, timestamptz) to llm_app, llm_operator;
grant execute on function llm.trip_shutoff(text, uuid, uuid, timestamptz, text, text), llm.clear_shutoff(bigint, text) to llm_operator;
