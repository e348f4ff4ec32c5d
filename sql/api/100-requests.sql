/*
 * Requests are claimed at enqueue. llm.enqueue_call (the application, llm_app, in its signed
 * context) validates the payload, claims (tenant, request_id, endpoint) once, stores the inputs
 * and adds the job; the job payload carries only {tenant_id, user_id, request_pk}, and the worker
 * reads everything else from the rows (llm.request_for_call).
 *   same key, same fingerprint   -> the existing request, no second job (created = false)
 *   same key, other fingerprint  -> LG409, now (DETAIL names the key)
 * The key is found again within settings.idempotency_months calendar months (this one and the
 * previous); the key's row in llm_private.claim_mutexes (llm_private.lock_claim) orders concurrent enqueues of it.
 */
create or replace function llm_private.payload_errors(p jsonb) returns text[]
  language plpgsql immutable
  set search_path = pg_catalog
as $$
declare
  errs text[] := '{}';
  m jsonb;
  uuid_re constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
  allowed constant text[] := array['tenant_id', 'user_id', 'request_id', 'endpoint', 'model', 'messages', 'max_output_tokens',
    'correlation_id', 'cost_ceiling_micros', 'source_watermark', 'response_format', 'budget_scope'];
begin
  if p is null or jsonb_typeof(p) <> 'object' then
    return array['payload: must be a JSON object'];
  end if;
  if octet_length(p::text) > 262144 then
    errs := errs || 'payload: larger than 256 KiB'::text;
  end if;
  errs := errs || coalesce((select array_agg(format('%s: unknown key', k) order by k) from jsonb_object_keys(p) k
                             where k <> all (allowed)), '{}');
  if p ? 'tenant_id' and (jsonb_typeof(p->'tenant_id') is distinct from 'string' or (p->>'tenant_id') !~ uuid_re) then
    errs := errs || 'tenant_id: must be a uuid'::text; end if;
  if p ? 'user_id' and (jsonb_typeof(p->'user_id') is distinct from 'string' or (p->>'user_id') !~ uuid_re) then
    errs := errs || 'user_id: must be a uuid'::text; end if;
  if jsonb_typeof(p->'request_id') is distinct from 'string' or length(p->>'request_id') not between 1 and 200 then
    errs := errs || 'request_id: must be a string of 1 to 200 characters'::text; end if;
  if jsonb_typeof(p->'endpoint') is distinct from 'string' or (p->>'endpoint') not in ('route', 'explanation', 'investigation', 'budget_optimization') then
    errs := errs || 'endpoint: must be one of route, explanation, investigation, budget_optimization'::text; end if;
  if jsonb_typeof(p->'model') is distinct from 'string' or (p->>'model') !~ E'^[a-z0-9_-]{1,40}:[^\\s\\x01-\\x1f]{1,200}$' then
    errs := errs || 'model: must be "provider:model"'::text; end if;
  if jsonb_typeof(p->'max_output_tokens') is distinct from 'number' or (p->>'max_output_tokens') !~ '^[0-9]+$'
     or (p->>'max_output_tokens')::numeric not between 1 and 100000 then
    errs := errs || 'max_output_tokens: must be an integer from 1 to 100000'::text; end if;
  if jsonb_typeof(p->'messages') is distinct from 'array' or jsonb_array_length(p->'messages') not between 1 and 50 then
    errs := errs || 'messages: must be an array of 1 to 50 messages'::text;
  else
    for m in select * from jsonb_array_elements(p->'messages') loop
      if jsonb_typeof(m) is distinct from 'object' or (select count(*) from jsonb_object_keys(m) k where k not in ('role', 'content')) > 0
         or jsonb_typeof(m->'role') is distinct from 'string' or (m->>'role') not in ('system', 'user', 'assistant')
         or jsonb_typeof(m->'content') is distinct from 'string' or length(m->>'content') > 100000 then
        errs := errs || 'messages: each must be {role: system|user|assistant, content: string of at most 100000 characters}'::text;
        exit;
      end if;
    end loop;
  end if;
  if p ? 'correlation_id' and (jsonb_typeof(p->'correlation_id') is distinct from 'string' or length(p->>'correlation_id') not between 1 and 200) then
    errs := errs || 'correlation_id: must be a string of 1 to 200 characters'::text; end if;
  if p ? 'source_watermark' and (jsonb_typeof(p->'source_watermark') is distinct from 'string' or length(p->>'source_watermark') not between 1 and 200) then
    errs := errs || 'source_watermark: must be a string of 1 to 200 characters'::text; end if;
  if p ? 'budget_scope' and (jsonb_typeof(p->'budget_scope') is distinct from 'string' or length(p->>'budget_scope') not between 1 and 200) then
    errs := errs || 'budget_scope: must be a string of 1 to 200 characters'::text; end if;
  if p ? 'response_format' and (jsonb_typeof(p->'response_format') is distinct from 'string' or (p->>'response_format') not in ('text', 'json')) then
    errs := errs || 'response_format: must be text or json'::text; end if;
  if p ? 'cost_ceiling_micros' and (jsonb_typeof(p->'cost_ceiling_micros') not in ('number', 'string') or (p->>'cost_ceiling_micros') !~ '^[0-9]{1,13}$'
     or (p->>'cost_ceiling_micros')::numeric > 1000000000000) then
    errs := errs || 'cost_ceiling_micros: must be an integer from 0 to 1000000000000'::text; end if;
  return errs;
end
$$;
comment on function llm_private.payload_errors(jsonb) is
  'Validates an enqueue payload (shape and limits); returns the list of problems, empty when valid. Mirrors src/payload.ts.';

create or replace function llm.validate_payload(p_payload jsonb) returns text[]
  language sql immutable
  set search_path = pg_catalog
as $$ select llm_private.payload_errors(p_payload) $$;
comment on function llm.validate_payload(jsonb) is 'The problems with an enqueue payload, or an empty array when llm.enqueue_call would accept it.';

create or replace function llm_private.fingerprint(p_user_id uuid, p jsonb) returns bytea
  language sql immutable
  set search_path = pg_catalog
as $$
  -- A JSON array: every field has an unambiguous boundary (no "ab"+"c" = "a"+"bc").
  select sha256(convert_to(jsonb_build_array(p_user_id, p->>'endpoint', p->>'model', p->'messages', (p->>'max_output_tokens')::numeric,
    coalesce(p->>'response_format', 'text'), p->>'source_watermark', (p->>'cost_ceiling_micros')::numeric, p->>'budget_scope')::text, 'UTF8'))
$$;
comment on function llm_private.fingerprint(uuid, jsonb) is
  'sha256 of the user and every parameter of a call (messages, model, max output, format, watermark, ceiling, budget scope; not correlation_id, which only traces).';

create or replace function llm_private.claim_window_start() returns bigint
  language sql stable
  set search_path = pg_catalog
as $$
  select (llm_private.month_index(llm_private.now()) - (select s.idempotency_months from llm_private.settings s) + 1)::bigint << 40
$$;
comment on function llm_private.claim_window_start() is
  'The smallest request pk of the idempotency window (settings.idempotency_months calendar months, this one included): a claim of a key is found again from here.';

-- PL/pgSQL, not SQL: a SQL function's plan, cached for the rest of a transaction by the expression that calls it, keeps the
-- row-level policies of the role that first called it, so after a role change within one transaction it read 0 (seen from
-- a PL/pgSQL caller run as llm_money and then as the administrator; test/sql/enqueue.sql). PL/pgSQL plans follow the role.
-- Every caller of ours runs as one role per transaction; this keeps the lock keys right even when one does not.
create or replace function llm_private.lock_salt(p_tenant_id uuid) returns bigint
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  return coalesce((select t.lock_salt from llm_private.tenants t where t.id = p_tenant_id), 0);
end
$$;
comment on function llm_private.lock_salt(uuid) is
  'The seed of a tenant''s advisory lock keys (tenants.lock_salt; 0 where the caller cannot see the tenant): another tenant cannot compute them.';

create or replace function llm_private.lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  -- A concurrent claim of the key waits here for this transaction: at the primary key while this row's insert is in
  -- progress, or for its lock when the row was there (committed by hand, or by a claim that found one committed
  -- meanwhile) and this took it over. The enqueue wrapper (llm_queue.add_request_job) deletes the row before this
  -- transaction ends.
  insert into llm_private.claim_mutexes as m (tenant_id, key_hash)
  values (p_tenant_id, hashtextextended(p_endpoint || '/' || p_request_id, 0))
      on conflict (tenant_id, key_hash) do update set key_hash = excluded.key_hash;
end
$$;
comment on function llm_private.lock_claim(uuid, text, text) is
  'Orders the claims of (tenant, endpoint, request_id) until this transaction ends: writes the key''s llm_private.claim_mutexes row, at whose primary key a concurrent claim of the key waits (no advisory lock: the application cannot fill the shared lock table). Another tenant''s key is refused by row-level security (42501).';

/* A claim is born queued; its state moves only forward; the application may only cancel its own queued request. */
/*
 * A request's ranges, as the CHECK constraints it replaces stated them (requests_request_id_check, requests_budget_scope_check,
 * requests_fingerprint_check, requests_check). PostgreSQL compiled those for every statement writing requests, the settle's
 * own update to done included (1.3 % of a pair's instructions, bench/PROFILE.md §19); the guard below calls this on every
 * INSERT, and on an UPDATE only when its state and finished_at disagree (the claim's identity is immutable there).
 */
create or replace function llm_private.request_ranges(r llm_private.requests) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_rule text;
begin
  v_rule := case when not coalesce(length(r.request_id) between 1 and 200, true) then 'requests_request_id_check'
                 when not coalesce(length(r.budget_scope) between 1 and 200, true) then 'requests_budget_scope_check'
                 when not coalesce(octet_length(r.fingerprint) = 32, true) then 'requests_fingerprint_check'
                 when not coalesce((r.state in ('queued', 'running')) = (r.finished_at is null), true) then 'requests_check' end;
  if v_rule is not null then
    raise exception using errcode = '23514', constraint = v_rule, table = 'requests', schema = 'llm_private',
      message = format('new row for relation "requests" violates check constraint "%s"', v_rule),
      detail = format('request %s of tenant %s', r.id, r.tenant_id),
      hint = 'request_id and budget_scope are 1 .. 200 characters, the fingerprint 32 bytes; finished_at is set exactly when the state is final.';
  end if;
end
$$;
comment on function llm_private.request_ranges(llm_private.requests) is
  'Raises 23514 naming the rule a request row breaks (request_id and budget_scope 1..200 characters, a fingerprint of 32 bytes, finished_at set exactly when the state is final); called by the requests guard trigger. The CHECK constraints it replaces were compiled per statement.';
grant execute on function llm_private.request_ranges(llm_private.requests) to llm_app, llm_money, llm_operator;

create or replace function llm_private.tg_requests__guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if tg_op = 'INSERT' then
    new.state := 'queued'; new.reason := null; new.job_id := null; new.finished_at := null;
    new.created_at := llm_private.now();
    -- One claim per key, whoever inserts: under the same lock as llm.enqueue_call, a claim of the key
    -- in the idempotency window that the inserter can see refuses this one (another user's claim,
    -- which RLS hides here, is refused by llm_queue.add_request_job, which sees every claim).
    -- The check must read the claims committed up to the lock: under REPEATABLE READ or SERIALIZABLE the transaction's
    -- snapshot predates the lock and would miss a claim committed meanwhile (SERIALIZABLE protects only against other
    -- SERIALIZABLE transactions; the other claimant may be READ COMMITTED).
    if current_setting('transaction_isolation') in ('repeatable read', 'serializable') then
      raise exception using errcode = '0A000', message = 'a request is claimed under READ COMMITTED',
        detail = format('this transaction is %s: its snapshot could miss a claim of the same key committed meanwhile',
          upper(current_setting('transaction_isolation'))),
        hint = 'Call llm.enqueue_call in a READ COMMITTED transaction (PostgreSQL''s default).';
    end if;
    perform llm_private.lock_claim(new.tenant_id, new.endpoint::text, new.request_id);
    if exists (select 1 from llm_private.requests x
                where x.tenant_id = new.tenant_id and x.request_id = new.request_id and x.endpoint = new.endpoint
                  and x.id >= llm_private.claim_window_start()) then
      raise exception using errcode = 'LG409', message = 'request_id already claimed',
        detail = format('tenant %s, endpoint %s, request_id %s', new.tenant_id, new.endpoint, new.request_id),
        hint = 'Claim through llm.enqueue_call: the same payload returns the existing request.';
    end if;
    perform llm_private.request_ranges(new);
    return new;
  end if;
  if current_user = 'llm_app' then
    if new.state <> 'cancelled' or old.state <> 'queued'
       or exists (select 1 from llm_private.attempts a where a.tenant_id = old.tenant_id and a.request_pk = old.id) then
      raise exception using errcode = '42501', message = 'the application may only cancel its own request before its first attempt';
    end if;
  end if;
  if (new.tenant_id, new.id, new.user_id, new.request_id, new.endpoint, new.fingerprint, new.budget_scope, new.created_at)
     is distinct from (old.tenant_id, old.id, old.user_id, old.request_id, old.endpoint, old.fingerprint, old.budget_scope, old.created_at) then
    raise exception using errcode = 'LG001', message = 'a request claim''s identity is immutable', detail = format('request %s', old.id);
  end if;
  if old.job_id is not null and new.job_id is distinct from old.job_id then
    raise exception using errcode = 'LG001', message = 'a request''s job is set once', detail = format('request %s', old.id);
  end if;
  if new.state is distinct from old.state and not (
       (old.state = 'queued' and new.state in ('running', 'done', 'refused', 'failed', 'cancelled'))
    or (old.state = 'running' and new.state in ('done', 'refused', 'failed'))) then
    raise exception using errcode = 'LG002', message = 'illegal request state transition',
      detail = format('request %s: %s -> %s', old.id, old.state, new.state),
      hint = 'queued -> running -> done | refused | failed; queued -> cancelled; final states are final.';
  end if;
  if old.state not in ('queued', 'running') and (new.state, new.reason, new.finished_at) is distinct from
       (old.state, old.reason, old.finished_at) then
    raise exception using errcode = 'LG002', message = 'a final request does not change', detail = format('request %s is %s', old.id, old.state);
  end if;
  if new.state = 'cancelled' then
    new.reason := 'cancelled_by_app';
  end if;
  if new.state not in ('queued', 'running') and old.state in ('queued', 'running') then
    new.finished_at := llm_private.now();
  elsif new.state in ('queued', 'running') then
    new.finished_at := null;
  end if;
  -- (The claim's identity cannot change, so its ranges held at INSERT hold still; finished_at was just derived.)
  if (new.state in ('queued', 'running')) <> (new.finished_at is null) then
    perform llm_private.request_ranges(new);
  end if;
  return new;
end
$$;
comment on function llm_private.tg_requests__guard() is
  'Requests: born queued with nothing (whatever the inserter wrote), one claim per (tenant, request_id, endpoint) in the idempotency window (LG409); identity, fingerprint and job immutable once set; state only forward to one final state (done | refused | failed, or cancelled before any attempt); the application may only cancel its own request before its first attempt.';
create or replace trigger _100_guard before insert or update on llm_private.requests
  for each row execute function llm_private.tg_requests__guard();
create or replace trigger _100_no_delete before delete on llm_private.requests
  for each row execute function llm_private.tg_ledger__no_delete();
create or replace trigger _100_no_truncate before truncate on llm_private.requests
  for each statement execute function llm_private.tg_ledger__no_delete();

/* Inputs are written once, for a queued request of the same tenant and user; the cache key is derived from them. */
create or replace function llm_private.tg_request_inputs__derive() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  q llm_private.requests;
  v_payload jsonb;
  v_errs text[];
begin
  if tg_op = 'UPDATE' then
    raise exception using errcode = 'LG001', message = 'a request''s inputs are immutable';
  end if;
  select * into q from llm_private.requests x where x.tenant_id = new.tenant_id and x.id = new.request_pk;
  if q.id is null or q.user_id <> new.user_id or q.state <> 'queued' then
    raise exception using errcode = 'LG007', message = 'inputs belong to a queued request of the same tenant and user';
  end if;
  -- Whoever writes them, the inputs are a payload llm.enqueue_call would accept, of the model
  -- catalog's chat models, and exactly the parameters the claim's fingerprint was made of.
  select coalesce(jsonb_object_agg(e.key, e.value), '{}') into v_payload
    from jsonb_each(jsonb_build_object('request_id', q.request_id, 'endpoint', q.endpoint::text, 'model', new.model_ref,
           'messages', new.messages, 'max_output_tokens', new.max_output_tokens, 'response_format', new.response_format,
           'source_watermark', new.source_watermark, 'correlation_id', new.correlation_id,
           'cost_ceiling_micros', new.cost_ceiling_micros, 'budget_scope', q.budget_scope)) e
   where e.value <> 'null'::jsonb;
  v_errs := llm_private.payload_errors(v_payload);
  if cardinality(v_errs) > 0 then
    raise exception using errcode = '22023', message = 'invalid request inputs', detail = array_to_string(v_errs, '; '),
      hint = 'Claim through llm.enqueue_call, which validates the payload.';
  end if;
  if not exists (select 1 from llm_private.models m where m.provider || ':' || m.model = new.model_ref and m.kind = 'chat') then
    raise exception using errcode = '22023', message = 'unknown model', detail = format('model = %s', new.model_ref),
      hint = 'See llm.model_catalog for the models you may call, written provider:model.';
  end if;
  if llm_private.fingerprint(q.user_id, v_payload) <> q.fingerprint then
    raise exception using errcode = 'LG409', message = 'inputs are not the parameters the request was claimed with',
      detail = format('request %s', q.id), hint = 'Claim through llm.enqueue_call, which computes the fingerprint from the payload.';
  end if;
  new.system_hash := llm_private.system_hash(new.messages);
  new.input_tokens_floor := llm_private.input_tokens_floor(new.messages);
  new.cache_key := case when new.source_watermark is not null then llm.cache_key(jsonb_build_object('endpoint', q.endpoint::text,
    'model', new.model_ref, 'max_output_tokens', new.max_output_tokens, 'response_format', new.response_format,
    'source_watermark', new.source_watermark, 'messages', new.messages)) end;
  return new;
end
$$;
comment on function llm_private.tg_request_inputs__derive() is
  'Inputs: once, for a queued request of the same tenant and user, valid as an enqueue payload (22023), of a chat model in the catalog, and matching the claim''s fingerprint (LG409); the cache key, the system prompt hash and the input token floor are computed here from the inputs themselves (a writer cannot file an answer under another question''s key, nor lower the least input a reserve holds for).';
create or replace trigger _100_derive before insert or update on llm_private.request_inputs
  for each row execute function llm_private.tg_request_inputs__derive();

create or replace function llm.enqueue_call(p_payload jsonb) returns table (request_pk bigint, state text, created boolean)
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  errs text[] := llm_private.payload_errors(p_payload);
  ctx record;
  v_fp bytea;
  q llm_private.requests;
  v_ref record;
  v_from bigint;
  v_created boolean := false;
begin
  if cardinality(errs) > 0 then
    raise exception using errcode = '22023', message = 'invalid LLM request payload',
      detail = array_to_string(errs, '; '), hint = 'See llm.validate_payload(payload) and src/payload.ts for the contract.';
  end if;
  select * into ctx from llm_private.app_context();
  if ctx.tenant_id is null then
    raise exception using errcode = '42501', message = 'no application context',
      hint = 'Call llm.use_context(token) in this transaction first (a token signed with LLM_CONTEXT_SECRET).';
  end if;
  if (p_payload ? 'tenant_id' and (p_payload->>'tenant_id')::uuid <> ctx.tenant_id)
     or (p_payload ? 'user_id' and (p_payload->>'user_id')::uuid <> ctx.user_id) then
    raise exception using errcode = '42501', message = 'tenant or user does not match the request context',
      detail = format('payload names tenant %s user %s', p_payload->>'tenant_id', p_payload->>'user_id');
  end if;
  if not exists (select 1 from llm_private.tenants t where t.id = ctx.tenant_id) then
    raise exception using errcode = 'P0002', message = 'unknown tenant', detail = format('tenant %s', ctx.tenant_id),
      hint = 'An operator creates it: select llm.upsert_tenant(''<uuid>'', ''<name>'');';
  end if;
  select * into v_ref from llm_private.split_model_ref(p_payload->>'model');
  if not exists (select 1 from llm_private.models m where m.provider = v_ref.provider and m.model = v_ref.model and m.kind = 'chat') then
    raise exception using errcode = '22023', message = 'unknown model', detail = format('model = %s', p_payload->>'model'),
      hint = 'See llm.model_catalog for the models you may call, written provider:model.';
  end if;
  insert into llm_private.users (tenant_id, id) values (ctx.tenant_id, ctx.user_id) on conflict do nothing;
  v_fp := llm_private.fingerprint(ctx.user_id, p_payload);
  v_from := llm_private.claim_window_start();
  -- The newest claim: the window can grow (idempotency_months raised), and then holds an older claim of the same key too.
  -- A claim of this month, committed and complete (its job added, or past queued), is the answer without ordering
  -- anything: claims are never deleted, and a claim of the key made after it, which would be newer, would have found it
  -- (this month is in every window). So a duplicate enqueue, the usual retry, writes no key row (review of 2026-11-27:
  -- each left one committed). Anything else takes the claim's order (llm_private.lock_claim) and looks again: no claim;
  -- an older month's, while a newer one may be in flight since the window grew (it was returned instead of waiting for
  -- the newer one); one made by hand, without a job yet, which a concurrent duplicate completes (its add_request_job
  -- failed with 55000) (review of that change).
  select * into q from llm_private.requests x
   where x.tenant_id = ctx.tenant_id and x.request_id = p_payload->>'request_id'
     and x.endpoint = (p_payload->>'endpoint')::llm_private.endpoint and x.id >= v_from
   order by x.id desc limit 1;
  if q.id is null or q.id < (llm_private.month_index(llm_private.now())::bigint << 40)
     or (q.state = 'queued' and q.job_id is null) then
    perform llm_private.lock_claim(ctx.tenant_id, p_payload->>'endpoint', p_payload->>'request_id');
    select * into q from llm_private.requests x
     where x.tenant_id = ctx.tenant_id and x.request_id = p_payload->>'request_id'
       and x.endpoint = (p_payload->>'endpoint')::llm_private.endpoint and x.id >= v_from
     order by x.id desc limit 1;
  end if;
  if q.id is not null then
    if q.fingerprint <> v_fp then
      raise exception using errcode = 'LG409', message = 'request_id already claimed with other parameters',
        detail = format('tenant %s, endpoint %s, request_id %s is request %s', ctx.tenant_id, p_payload->>'endpoint',
          p_payload->>'request_id', q.id),
        hint = 'Use a new request_id for a different request, or the same payload to get the existing one.';
    end if;
    if q.state <> 'queued' or q.job_id is not null then
      return query select q.id, case when q.state = 'queued' and exists (select 1 from llm_private.attempts a
                                      where a.tenant_id = q.tenant_id and a.request_pk = q.id) then 'running' else q.state::text end, false;
      return;
    end if;
    -- A claim made by hand (an INSERT, not this function) with these very parameters: completed below (inputs, job).
  else
    insert into llm_private.requests as x (tenant_id, user_id, request_id, endpoint, fingerprint, budget_scope, created_at)
    values (ctx.tenant_id, ctx.user_id, p_payload->>'request_id', (p_payload->>'endpoint')::llm_private.endpoint, v_fp,
      p_payload->>'budget_scope', llm_private.now())
    returning x.* into q;
    v_created := true;
  end if;
  insert into llm_private.request_inputs (tenant_id, request_pk, user_id, model_ref, messages, max_output_tokens, response_format,
    source_watermark, correlation_id, cost_ceiling_micros, cache_key, system_hash)
  values (q.tenant_id, q.id, q.user_id, p_payload->>'model', p_payload->'messages', (p_payload->>'max_output_tokens')::int,
    coalesce(p_payload->>'response_format', 'text'), p_payload->>'source_watermark', p_payload->>'correlation_id',
    (p_payload->>'cost_ceiling_micros')::bigint, null, repeat('0', 64))
  on conflict do nothing;
  perform llm_queue.add_request_job(q.id);
  return query select q.id, 'queued'::text, v_created;
end
$$;
comment on function llm.enqueue_call(jsonb) is
  'The application''s one call (as llm_app after llm.use_context): validates the payload (22023 listing every problem), claims (tenant, request_id, endpoint) for the context''s user (LG409 when claimed with other parameters), stores the inputs and adds the job. Returns the request pk, its state and whether this call created it.';

create or replace function llm.cancel_request(p_request_id text, p_endpoint text) returns boolean
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
begin
  update llm_private.requests q set state = 'cancelled'
   where q.tenant_id = llm_private.app_tenant_id() and q.user_id = llm_private.app_user_id()
     and q.request_id = p_request_id and q.endpoint = p_endpoint::llm_private.endpoint and q.state = 'queued';
  return found;
end
$$;
comment on function llm.cancel_request(text, text) is
  'The application cancels its own request while it is still queued (its job then ends without a call); false when it already started or does not exist.';

create or replace function llm.request_for_call(p_request_pk bigint)
  returns table (request_pk bigint, request_id text, endpoint text, state text, model_ref text, messages jsonb, max_output_tokens integer,
    response_format text, source_watermark text, budget_scope text, correlation_id text)
  language plpgsql stable
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  return query
  select q.id, q.request_id, q.endpoint::text,
         case when q.state = 'queued' and exists (select 1 from llm_private.attempts a where a.tenant_id = q.tenant_id and a.request_pk = q.id)
              then 'running' else q.state::text end, i.model_ref, i.messages, i.max_output_tokens, i.response_format,
         i.source_watermark, q.budget_scope, i.correlation_id
    from llm_private.requests q
    join llm_private.request_inputs i on i.tenant_id = q.tenant_id and i.request_pk = q.id
   where q.tenant_id = llm_private.current_tenant_id() and q.user_id = llm_private.current_user_id() and q.id = p_request_pk;
  if not found then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
end
$$;
comment on function llm.request_for_call(bigint) is
  'The worker (as llm_money) reads what a job must call: the request''s inputs as enqueued. A job payload is never trusted for them.';

create view llm.request_results with (security_invoker = true) as
select q.tenant_id, q.user_id, q.request_id, q.endpoint::text as endpoint,
       case when q.state = 'queued' and money.attempts > 0 then 'running' else q.state::text end as state,
       case when q.reason = 'limit' then coalesce(lm.name, 'cost_ceiling') else q.reason::text end as reason,
       coalesce(money.spent_micros, 0)::bigint as spent_micros, o.output, fin.output_valid,
       fin.state = 'cached' as cached, case when fin.state = 'cached' then fin.reason::text end as cache_reason, fin.similarity,
       -- The reused request only when the reader may see it: another user's request pk told a colleague whose answer it got.
       case when src.id is not null then fin.cache_source_pk end as reused_request_pk, src.request_id as reused_request_id,
       fpr.provider || ':' || fpr.model as model_ref, q.id as request_pk, q.created_at, q.finished_at
  from llm_private.requests q
  left join lateral (select sum(a.charged_micros) as spent_micros, count(*) as attempts from llm_private.attempts a
                      where a.tenant_id = q.tenant_id and a.request_pk = q.id) money on true
  -- (The columns it shows, not a.*: the application may not read limit_used, a global meter's figure of every tenant.)
  left join lateral (select a.tenant_id, a.request_pk, a.attempt_no, a.state, a.reason, a.output_valid, a.similarity,
                            a.cache_source_pk, a.price_id, a.limit_id
                       from llm_private.attempts a
                      where a.tenant_id = q.tenant_id and a.request_pk = q.id and a.purpose = 'chat'
                        and (a.state = 'cached' or (a.state = 'settled' and a.provider_status = 'ok') or a.state = 'refused')
                      order by a.attempt_no desc limit 1) fin on true
  left join llm_private.call_outputs o on o.tenant_id = fin.tenant_id and o.request_pk = fin.request_pk and o.attempt_no = fin.attempt_no
  left join llm_private.model_prices fpr on fpr.id = fin.price_id
  left join llm_private.limits li on li.id = fin.limit_id
  left join llm_private.meters lm on lm.id = li.meter_id
  left join llm_private.requests src on src.tenant_id = q.tenant_id and src.id = fin.cache_source_pk;
comment on view llm.request_results is
  'For the application (llm_app: its own tenant and user only) and auditors: each request''s state and reason (a refusal names its limit), what it cost, its final output once done (from the provider or the cache: cached, cache_reason, similarity and the reused request, when the reader may see that request).';

/*
 * The application's usage, summed over shards. A budget scope's period ends where llm.limit_usage ends it
 * (llm_private.usage_period_end): its life at its deadline, a clock period of it (a cap per UTC day of an investigation)
 * at the clock's end or the deadline, whichever comes first; it ended a clock period at the clock's end and a life at
 * infinity, so the application saw a scope's day open hours after reserve had started refusing its calls. The deadline
 * is the scope's (its first request's tenant, user and endpoint), its span computed once per distinct three as
 * llm_private.limit_usage_rows does (a Memoize node). The application reads only the budget_scopes rows its own user
 * started (policy app_select), by key from its usage rows, and its own, its tenant's and everyone's limits: a scope that
 * another user of the tenant started (shared by name, so in its usage rows too) has no row here (who started it and that
 * user's limits are another user's data), and its periods end as before: a clock period at the clock's end, its life never.
 */
create view llm.my_usage with (security_invoker = true) as
-- The clock, read once (as a column, it lets llm_private.limits_in_effect be inlined).
with clock as materialized (select llm_private.now() as now)
select m.name as meter_name, m.scope::text as scope, m."window"::text as "window", m.unit::text as unit,
       nullif(u.user_id, llm_private.nil_uuid()) as user_id, nullif(u.budget_scope, '') as budget_scope,
       u.period_start, llm_private.usage_period_end(m."window", u.period_start, b.started_at + dl.span) as period_end,
       -- while the meter's period contains now (a scope's past its deadline too, as llm.limit_usage), the cap of the limit in
       -- effect now (usage.cap follows it at the next reserve); in a past period, the cap its usage was last held under
       case when u.period_start <= c.now and llm_private.period_end(m."window", u.period_start) > c.now then lim.cap else u.cap end as cap,
       u.held, u.spent
  from clock c
  cross join (select x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start, max(x.cap) as cap,
                     sum(x.held)::bigint as held, sum(x.spent)::bigint as spent
                from llm_private.usage x
               where x.tenant_id <> llm_private.nil_uuid()
               group by x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start) u
  join llm_private.meters m on m.id = u.meter_id
  -- The limit in effect now, once per meter and subject (a Memoize node, the three through a one-row subquery as the
  -- span's below; inlined): called per row, a tenant with 32 000 budget scopes (64 700 rows) read its usage in 5.5 s,
  -- 3.7 of them in llm_private.limit_in_effect.
  left join lateral (select u.meter_id, u.tenant_id, u.user_id limit 1) k on true
  left join lateral (select e.cap from llm_private.limits_in_effect(k.meter_id, k.tenant_id, k.user_id, c.now) e offset 0) lim on true
  left join llm_private.budget_scopes b on m.scope = 'budget_scope' and b.tenant_id = u.tenant_id and b.scope_key = u.budget_scope
  -- (as llm_private.limit_usage_rows: the three through a one-row subquery, so that the planner memoizes the span)
  left join lateral (select b.tenant_id, b.first_user_id, b.first_endpoint limit 1) q0 on true
  left join lateral (select llm_private.budget_scope_span(q0.tenant_id, q0.first_user_id, q0.first_endpoint) as span offset 0) dl
    on m.scope = 'budget_scope';
comment on view llm.my_usage is
  'For the application: its user''s usage and its tenant''s (and budget scopes'') against their caps, per meter and period. period_end: the clock period''s end; for a budget scope its user started, its deadline when that comes first (its life''s: the deadline; infinity without one), as llm.limit_usage; for a scope another user of the tenant started (whose row and limits the application does not read), the clock period''s end (its life''s: infinity), as before. cap: while the meter''s period contains now, the cap of the limit in effect now (NULL when none applies any more; a scope''s day past its deadline included, as llm.limit_usage); in a past period, the cap its usage was last held under.';

grant execute on function llm_private.payload_errors(jsonb), llm.validate_payload(jsonb), llm_private.fingerprint(uuid, jsonb),
  llm_private.claim_window_start(), llm_private.lock_claim(uuid, text, text),
  llm.enqueue_call(jsonb), llm.cancel_request(text, text) to llm_app;
grant execute on function llm_private.lock_salt(uuid) to llm_money;
-- (the application computed advisory keys with it until claims were ordered by a row: llm_private.claim_mutexes)
revoke execute on function llm_private.lock_salt(uuid) from llm_app;
grant execute on function llm_private.payload_errors(jsonb), llm.validate_payload(jsonb) to llm_operator, llm_auditor;
grant execute on function llm.request_for_call(bigint) to llm_money;
grant select on llm.request_results to llm_app, llm_auditor;
grant select on llm.my_usage to llm_app;
