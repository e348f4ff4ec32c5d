/*
 * Ending a hold without a settle: release (the caller says no provider call was billed), expiry
 * (the hold outlived its call: the worker died, or a retry superseded it). Holds expire on their
 * own clock (expires_at), not on graphile-worker's 4-hour lock timeout.
 */
create or replace function llm_private.end_hold(p_reservation_id bigint, p_state text, p_reason text) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  r llm_private.reservations;
begin
  -- The row lock makes ending a hold exactly-once: a concurrent settle, release or sweep waits here
  -- and then sees state <> 'held'.
  select * into r from llm_private.reservations where id = p_reservation_id for update;
  if not found or r.state <> 'held' then
    return false;
  end if;
  update llm_private.reservations
     set state = p_state, ended_at = llm_private.now(), end_reason = p_reason
   where id = r.id;
  perform llm_private.apply_rollups(r.tenant_id, r.user_id, r.month_start, r.hour_start, r.holds_global, -r.held_micros, 0);
  return true;
end
$$;
comment on function llm_private.end_hold(bigint, text, text) is
  'Moves a held reservation to released or expired and gives its hold back to the rollups; false if it was not held.';

create or replace function llm_private.expire_due_holds(p_tenant_id uuid, p_user_id uuid, p_limit integer) returns integer
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  n integer := 0;
  rid bigint;
begin
  for rid in
    select id from llm_private.reservations
     where state = 'held' and expires_at <= llm_private.now()
       and (p_tenant_id is null or (tenant_id = p_tenant_id and user_id = p_user_id))
     order by expires_at limit p_limit
  loop
    if llm_private.end_hold(rid, 'expired', 'expired') then n := n + 1; end if;
  end loop;
  return n;
end
$$;
comment on function llm_private.expire_due_holds(uuid, uuid, integer) is
  'Expires holds whose expires_at has passed: one user''s (lazily, from reserve) or, with NULL ids, every visible one (the sweep). Returns how many; end_hold''s row lock makes each expiry happen once.';

create or replace function llm.release_call(p_reservation_id bigint, p_reason text default 'released')
  returns table (reservation_id bigint, state text, released_micros bigint)
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  r llm_private.reservations;
begin
  perform llm_private.require_range('length(p_reason)', length(coalesce(p_reason, '')), 1, 200);
  select * into r from llm_private.reservations where id = p_reservation_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'reservation not found',
      detail = format('reservation %s is not visible in this tenant and user context', p_reservation_id);
  end if;
  if llm_private.end_hold(r.id, 'released', p_reason) then
    return query select r.id, 'released'::text, r.held_micros;
  else
    return query select x.id, x.state, 0::bigint from llm_private.reservations x where x.id = r.id;
  end if;
end
$$;
comment on function llm.release_call(bigint, text) is
  'Gives back a hold without a settle, when the caller knows the provider was not billed (for example it never sent the request). Idempotent: a reservation that is no longer held is returned unchanged. Runs as llm_app under the tenant+user context.';

create or replace function llm.expire_holds(p_limit integer default 1000) returns integer
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  perform llm_private.require_range('p_limit', p_limit, 1, 100000);
  return llm_private.expire_due_holds(null, null, p_limit);
end
$$;
comment on function llm.expire_holds(integer) is
  'Sweep: expires every hold whose expires_at has passed, across tenants (run as llm_operator, by a scheduled job). Returns the number expired; nothing is expired twice.';

revoke all on function llm.release_call(bigint, text), llm.expire_holds(integer) from public;
grant execute on function llm_private.end_hold(bigint, text, text), llm_private.expire_due_holds(uuid, uuid, integer) to llm_app, llm_operator;
grant execute on function llm.release_call(bigint, text) to llm_app;
grant execute on function llm.expire_holds(integer) to llm_operator;
