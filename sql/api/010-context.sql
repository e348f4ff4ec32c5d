/*
 * Context and input checks shared by the API. Expected failures raise stable SQLSTATEs (see
 * src/errors.ts): 42501 no or bad context, 22023 bad argument, P0002 not found.
 *
 * The application (llm_app) proves its tenant and user with a signed token (llm.use_context);
 * the worker (llm_money) sets plain settings in its own transaction (src/db/context.ts withMoney).
 * Either way a context is honoured only in the transaction that set it (app.context_tx).
 */
create or replace function llm_private.nil_uuid() returns uuid
  language sql immutable parallel safe
as $$ select '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid $$;
comment on function llm_private.nil_uuid() is 'The nil uuid: "no user" / "every tenant" in usage keys, "shared" as a cache owner.';

create or replace function llm.sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer default 300) returns text
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  body text;
begin
  if p_secret is null or octet_length(p_secret) < 16 or p_tenant_id is null or p_user_id is null or p_ttl_s is null or p_ttl_s not between 1 and 86400 then
    raise exception using errcode = '22023', message = 'bad arguments to sign a context',
      hint = 'A secret of at least 16 bytes, a tenant, a user and a ttl of 1 to 86400 seconds.';
  end if;
  body := format('v1.%s.%s.%s', p_tenant_id, p_user_id, floor(date_part('epoch', clock_timestamp()))::bigint + p_ttl_s);
  return body || '.' || encode((select llm_private.hmac_sha256(k.ipad, k.opad, convert_to(body, 'UTF8'))
                                  from llm_private.hmac_pads(convert_to(p_secret, 'UTF8')) k), 'hex');
end
$$;
comment on function llm.sign_context(text, uuid, uuid, integer) is
  'Makes an application context token for a tenant and user, valid p_ttl_s seconds, signed with the context secret you pass (the same secret as LLM_CONTEXT_SECRET). Harmless to expose: without the secret it signs nothing the database accepts. Applications usually sign in their own code (src/db/context.ts signContext).';

create or replace function llm.use_context(p_token text) returns table (tenant_id uuid, user_id uuid)
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  ctx record;
begin
  perform set_config('app.context', coalesce(p_token, ''), true),
          set_config('app.context_tx', llm_private.tx_stamp()::text, true);
  select * into ctx from llm_private.app_context();
  if ctx.tenant_id is null then
    raise exception using errcode = '42501', message = 'invalid or expired context token',
      hint = 'Sign v1.<tenant>.<user>.<expires>.<hmac> with LLM_CONTEXT_SECRET (src/db/context.ts signContext, or llm.sign_context).';
  end if;
  return query select ctx.tenant_id, ctx.user_id;
end
$$;
comment on function llm.use_context(text) is
  'The application''s first call in each transaction: verifies the signed context token (42501 when invalid or expired) and sets it for this transaction only. Returns the tenant and user it names.';

create or replace function llm_private.require_money_context() returns void
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then
    raise exception using errcode = '42501', message = 'no request context',
      hint = 'Set app.current_tenant_id, app.current_user_id and app.context_tx in this transaction (src/db/context.ts withMoney).';
  end if;
end
$$;
comment on function llm_private.require_money_context() is 'Raises 42501 unless the transaction set a tenant+user context for the money path.';

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

/*
 * A writer whose rule reads what a concurrent transaction committed while it waited for a lock: in REPEATABLE READ or
 * SERIALIZABLE its snapshot predates that commit, and the rule would vouch for a state it never saw.
 */
create or replace function llm_private.require_read_committed(p_what text, p_risk text, p_call text) returns void
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception using errcode = '25000', message = format('%s in a READ COMMITTED transaction', p_what),
      detail = format('this transaction is %s: %s', current_setting('transaction_isolation'), p_risk),
      hint = format('%s in a READ COMMITTED transaction (the default).', p_call);
  end if;
end
$$;
comment on function llm_private.require_read_committed(text, text, text) is
  'Raises 25000 (message: p_what, detail: the isolation and p_risk, hint: p_call) unless the transaction is READ COMMITTED.';
grant execute on function llm_private.require_read_committed(text, text, text) to llm_operator;

create or replace function llm_private.split_model_ref(p_ref text, out provider text, out model text)
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  if p_ref is null or p_ref !~ E'^[a-z0-9_-]{1,40}:[^\\s\\x01-\\x1f]{1,200}$' then
    raise exception using errcode = '22023', message = 'a model is written provider:model',
      detail = format('model = %s', coalesce(p_ref, 'NULL'));
  end if;
  provider := split_part(p_ref, ':', 1);
  model := substr(p_ref, length(provider) + 2);
end
$$;
comment on function llm_private.split_model_ref(text) is 'Splits ''provider:model'' (22023 when malformed).';

/*
 * Who made an operator's record (month closes, usage repairs, erasures): the role acting, and the login when it differs.
 * Every operator acts as llm_operator; the record's audit asks which person did.
 */
create or replace function llm_private.acting_role() returns text
  language sql stable
  set search_path = pg_catalog
as $$
  select case when current_user = session_user then current_user::text
              else pg_catalog.format('%s (login %s)', current_user, session_user) end
$$;
comment on function llm_private.acting_role() is
  'The role acting, with the login when it differs (llm_operator (login alice)): the author an operator''s record keeps.';
grant execute on function llm_private.acting_role() to llm_operator;

grant execute on function llm_private.hmac_pads(bytea), llm_private.hmac_sha256(bytea, bytea, bytea) to llm_app, llm_operator;
grant execute on function llm.sign_context(text, uuid, uuid, integer), llm.use_context(text) to llm_app, llm_operator;
grant execute on function llm_private.nil_uuid() to llm_app, llm_money, llm_operator, llm_auditor, llm_exporter, llm_viewer;
grant execute on function llm_private.require_money_context(), llm_private.require_range(text, bigint, bigint, bigint),
  llm_private.split_model_ref(text) to llm_app, llm_money, llm_operator;
