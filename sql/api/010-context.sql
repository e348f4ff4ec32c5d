/*
 * Context and input checks shared by the API functions. Expected failures raise with stable
 * SQLSTATEs (see src/errors.ts): 42501 no or mismatched context, 22023 bad argument.
 */
create or replace function llm_private.require_context(p_tenant_id uuid, p_user_id uuid) returns void
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then
    raise exception using errcode = '42501', message = 'no request context',
      hint = 'Set app.current_tenant_id and app.current_user_id with set_config(..., true) in this transaction.';
  end if;
  if p_tenant_id is distinct from llm_private.current_tenant_id() or p_user_id is distinct from llm_private.current_user_id() then
    raise exception using errcode = '42501', message = 'tenant or user does not match the request context',
      detail = format('arguments name tenant %s user %s', p_tenant_id, p_user_id),
      hint = 'Pass the same tenant and user as the transaction''s context.';
  end if;
end
$$;
comment on function llm_private.require_context(uuid, uuid) is
  'Raises 42501 unless the transaction has a tenant+user context equal to the arguments.';

create or replace function llm_private.require_range(p_name text, p_value bigint, p_min bigint, p_max bigint) returns void
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  if p_value is null or p_value < p_min or p_value > p_max then
    raise exception using errcode = '22023', message = format('%s is out of range', p_name),
      detail = format('%s = %s', p_name, coalesce(p_value::text, 'NULL')),
      hint = format('%s must be between %s and %s.', p_name, p_min, p_max);
  end if;
end
$$;
comment on function llm_private.require_range(text, bigint, bigint, bigint) is
  'Raises 22023 naming the argument when a number is NULL or outside [min, max].';

create or replace function llm_private.to_endpoint(p_endpoint text) returns llm_private.endpoint
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  if p_endpoint is null or p_endpoint not in ('route', 'explanation', 'investigation', 'budget_optimization') then
    raise exception using errcode = '22023', message = 'unknown endpoint',
      detail = format('endpoint = %s', coalesce(p_endpoint, 'NULL')),
      hint = 'One of route, explanation, investigation, budget_optimization.';
  end if;
  return p_endpoint::llm_private.endpoint;
end
$$;
comment on function llm_private.to_endpoint(text) is 'Casts text to an endpoint, raising 22023 with the allowed values otherwise.';

grant execute on function llm_private.require_context(uuid, uuid), llm_private.require_range(text, bigint, bigint, bigint),
  llm_private.to_endpoint(text) to llm_app, llm_operator;
