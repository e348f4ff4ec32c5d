/*
 * The Postgres cache. Exact match on sha256(normalized request + source watermark): when the data
 * behind a request changes, the caller's watermark changes, the key changes, and the old entry is
 * never served again. No watermark, no caching. Scope: a user's own entries, unless the tenant
 * shares the endpoint's cache (llm.set_endpoint_cache): then every user of that tenant, never
 * another tenant. Only complete, valid answers of the requested model are stored (not capped
 * outputs, not fallbacks, not failed validations).
 * Single flight: the first request to miss fills (cache_fills); identical requests get 'wait' and
 * are woken by pg_notify('llm_cache_filled', token) when the fill settles (cache_fills.token: random, nothing of the key).
 */
create or replace function llm.cache_key(p_payload jsonb) returns text
  language sql immutable
  set search_path = pg_catalog
as $$
  select case when p_payload ? 'source_watermark' then
    encode(sha256(convert_to(jsonb_build_array(
      p_payload->>'endpoint', p_payload->>'model', p_payload->'max_output_tokens', coalesce(p_payload->>'response_format', 'text'),
      p_payload->>'source_watermark',
      (select jsonb_agg(jsonb_build_array(m->>'role', btrim(replace(m->>'content', E'\r\n', E'\n'), E' \t\n')) order by i)
         from jsonb_array_elements(p_payload->'messages') with ordinality e(m, i))
    )::text, 'UTF8')), 'hex')
  end
$$;
comment on function llm.cache_key(jsonb) is
  'The cache key of a payload: sha256 of its endpoint, model, output parameters, messages (line endings and outer whitespace normalized) and source_watermark, as a JSON array (unambiguous boundaries); NULL without a watermark (not cached).';

create or replace function llm_private.system_hash(p_messages jsonb) returns text
  language sql immutable
  set search_path = pg_catalog
as $$
  select encode(sha256(convert_to(coalesce((select jsonb_agg(m->>'content' order by i)
      from jsonb_array_elements(p_messages) with ordinality e(m, i) where m->>'role' = 'system'), '[]'::jsonb)::text, 'UTF8')), 'hex')
$$;
comment on function llm_private.system_hash(jsonb) is 'sha256 of a request''s system messages: a cache entry never answers a request with another system prompt.';

create or replace function llm_private.cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) returns uuid
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  return (llm_private.cache_policy(p_tenant_id, p_user_id, p_endpoint::text)).owner_user_id;
end
$$;
comment on function llm_private.cache_owner(uuid, uuid, llm_private.endpoint) is
  'Whose cache a request reads and fills: the nil uuid (the tenant''s shared cache) when the tenant shares the endpoint''s cache, else the user''s own (llm_private.cache_policy, sql/api/076-semantic-cache.sql).';

/* Entries are derived from the attempt that produced them: its recorded output; only the embedding comes from the writer. */
create or replace function llm_private.tg_cache_entries__derive() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  a llm_private.attempts;
  q llm_private.requests;
  i llm_private.request_inputs;
  p llm_private.model_prices;
  st llm_private.settings;
  v_output text;
begin
  select * into a from llm_private.attempts x
   where x.tenant_id = new.tenant_id and x.request_pk = new.source_request_pk and x.attempt_no = new.source_attempt_no;
  select * into q from llm_private.requests x where x.tenant_id = new.tenant_id and x.id = new.source_request_pk;
  select * into i from llm_private.request_inputs x where x.tenant_id = new.tenant_id and x.request_pk = new.source_request_pk;
  if a.state is distinct from 'settled' or a.provider_status is distinct from 'ok' or a.purpose <> 'chat' or a.decision <> 'allow'
     or a.output_valid is not true or a.usage_unknown or i.cache_key is null then
    raise exception using errcode = 'LG007', message = 'only a complete, valid answer of the requested model is cached',
      detail = format('attempt %s/%s: %s %s %s', new.source_request_pk, new.source_attempt_no, a.state, a.decision, a.provider_status);
  end if;
  if a.pii_flagged is not false and llm_private.cache_owner(a.tenant_id, a.user_id, q.endpoint) = llm_private.nil_uuid() then
    raise exception using errcode = 'LG007', message = 'an answer that may hold personal data is never shared',
      detail = format('attempt %s/%s: pii_flagged %s, the tenant''s shared cache', new.source_request_pk, new.source_attempt_no,
        coalesce(a.pii_flagged::text, 'unknown'));
  end if;
  select * into p from llm_private.model_prices x where x.id = a.price_id;
  select * into st from llm_private.settings;
  if i.model_ref <> p.provider || ':' || p.model then
    raise exception using errcode = 'LG007', message = 'a fallback model''s answer is never cached under the requested model';
  end if;
  -- An entry changes only by being replaced with another call's answer (a refill after expiry): it cannot be
  -- rewritten, or kept alive, in place.
  if tg_op = 'UPDATE' and new.source_request_pk = old.source_request_pk and new.source_attempt_no = old.source_attempt_no then
    raise exception using errcode = 'LG001', message = 'a cache entry is replaced only by another call''s answer',
      detail = format('entry %s of attempt %s/%s', old.cache_key, old.source_request_pk, old.source_attempt_no);
  end if;
  -- The answer is the one recorded for the source call, not whatever the writer passes.
  select o.output into v_output from llm_private.call_outputs o
   where o.tenant_id = new.tenant_id and o.request_pk = new.source_request_pk and o.attempt_no = new.source_attempt_no;
  if v_output is null then
    raise exception using errcode = 'LG007', message = 'a cache entry holds the recorded answer of its source call',
      detail = format('attempt %s/%s has no stored output', new.source_request_pk, new.source_attempt_no);
  end if;
  new.output := v_output;
  new.owner_user_id := llm_private.cache_owner(a.tenant_id, a.user_id, q.endpoint);
  new.cache_key := i.cache_key;
  new.endpoint := q.endpoint;
  new.provider := p.provider;
  new.model := p.model;
  new.system_hash := i.system_hash;
  new.response_format := i.response_format;
  new.source_watermark := i.source_watermark;
  new.max_output_tokens := i.max_output_tokens;
  new.source_cost_micros := a.charged_micros;
  -- The vector is the writer's; its model is the request's own governed embedding call, or there is none.
  new.embedding_model := case when new.embedding is not null then llm_private.embedding_attempt_model(a.tenant_id, a.request_pk) end;
  if new.embedding_model is null then
    new.embedding := null;
  end if;
  new.created_at := llm_private.now();
  new.expires_at := new.created_at + make_interval(secs => st.cache_ttl_ms / 1000.0);
  return new;
end
$$;
comment on function llm_private.tg_cache_entries__derive() is
  'A cache entry is derived from its source attempt (settled ok, valid, the requested model, uncapped; in the tenant''s shared cache, not flagged for personal data): key, scope, model, watermark, cost, expiry and the output (the call''s recorded one, llm_private.call_outputs) are computed here; the writer supplies only the question''s embedding, kept only when the request made a settled embedding call (whose model becomes embedding_model). An entry is never rewritten in place: an update must replace its source (a refill).';
create or replace trigger _100_derive before insert or update on llm_private.cache_entries
  for each row execute function llm_private.tg_cache_entries__derive();

create or replace function llm_private.live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamptz)
  returns llm_private.cache_entries
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  e llm_private.cache_entries;
begin
  select * into e from llm_private.cache_entries c
   where c.tenant_id = p_tenant_id and c.owner_user_id = p_owner and c.cache_key = p_cache_key and c.expires_at > p_at;
  return e;
end
$$;
comment on function llm_private.live_cache_entry(uuid, uuid, text, timestamptz) is 'The unexpired cache entry of a key in a scope, if any.';

/* A fill ends with the attempt that holds it (settled, released or expired): wake the waiters. */
create or replace function llm_private.end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  t uuid;
begin
  delete from llm_private.cache_fills f
   where f.tenant_id = p_tenant_id and f.request_pk = p_request_pk and f.attempt_no = p_attempt_no
  returning f.token into t;
  if t is not null then
    -- The fill's random token (cache_fills.token), never anything of its key: any role may LISTEN on any channel. The
    -- bare key let one tenant confirm a guess of another's prompt (review of 2026-11-26); so did sha256(tenant/owner/key)
    -- (seventh review); sha256(salt/tenant/request/attempt) offered the salt to a brute force (eighth review).
    perform pg_notify('llm_cache_filled', t::text);
  end if;
end
$$;
comment on function llm_private.end_cache_fill(uuid, bigint, smallint) is 'Ends an attempt''s cache fill and notifies llm_cache_filled with its random token (cache_fills.token).';

/*
 * A fill is claimed only by a reserve (its BEFORE INSERT trigger on attempts, so trigger depth >= 2) and ended only by
 * its attempt's settle, release or expiry (the transition trigger): the worker's role wrote one by hand, for another
 * user's key of a shared cache, with expires_at 'infinity', and every identical request waited on it or failed on the
 * infinite wait (seventh review); and it deleted another user's fill, so that identical requests called the provider
 * again and the fill's waiters were never woken (eighth review). An expired fill needs no cleanup: the next reserve of
 * its key takes it over.
 */
create or replace function llm_private.tg_cache_fills__guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if pg_trigger_depth() < 2 then
    raise exception using errcode = 'LG005', message = 'a cache fill is claimed only by a reserve and ended only by its attempt',
      detail = format('%s on llm_private.cache_fills', tg_op),
      hint = 'llm.reserve_call claims the fill of its request''s cache key; the settle, the release or the expiry ends it.';
  end if;
  return coalesce(new, old);
end
$$;
comment on function llm_private.tg_cache_fills__guard() is
  'Cache fills are written only by the reserve''s trigger and deleted only by the attempt''s transition (trigger depth >= 2): no role may claim, extend or end a fill by hand.';
create or replace trigger _100_guard before insert or update or delete on llm_private.cache_fills
  for each row execute function llm_private.tg_cache_fills__guard();

create or replace function llm.set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real default null,
  p_embedding_model text default null) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  insert into llm_private.endpoint_settings (tenant_id, endpoint, cache_shared, semantic_threshold, embedding_model)
  values (p_tenant_id, p_endpoint::llm_private.endpoint, p_shared, p_semantic_threshold, p_embedding_model)
  on conflict (tenant_id, endpoint) do update set cache_shared = excluded.cache_shared,
    semantic_threshold = excluded.semantic_threshold, embedding_model = excluded.embedding_model;
end
$$;
comment on function llm.set_endpoint_cache(uuid, text, boolean, real, text) is
  'Operator: whether a tenant (NULL: the default for every tenant) shares an endpoint''s cache among its users, and its semantic cache threshold and embedding model (NULL threshold: exact cache only).';

create or replace function llm.purge_cache(p_tenant_id uuid default null, p_endpoint text default null, p_source_watermark text default null)
  returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  n bigint;
begin
  if p_tenant_id is null and p_endpoint is null and p_source_watermark is null then
    raise exception using errcode = '22023', message = 'say what to purge', hint = 'Give a tenant, an endpoint, a watermark, or several.';
  end if;
  delete from llm_private.cache_entries c
   where (p_tenant_id is null or c.tenant_id = p_tenant_id)
     and (p_endpoint is null or c.endpoint = p_endpoint::llm_private.endpoint)
     and (p_source_watermark is null or c.source_watermark = p_source_watermark);
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function llm.purge_cache(uuid, text, text) is 'Operator: deletes cache entries by tenant, endpoint and/or source watermark; returns how many.';

create view llm.endpoint_cache_settings with (security_invoker = true) as
select s.tenant_id, s.endpoint::text as endpoint, s.cache_shared, s.semantic_threshold, s.embedding_model,
       s.semantic_threshold is not null and s.embedding_model is not null as semantic_cache_on
  from llm_private.endpoint_settings s;
comment on view llm.endpoint_cache_settings is
  'The cache settings of each endpoint (tenant_id NULL: the default for every tenant; a tenant''s row overrides it): whether the tenant''s users share the cache, and the semantic threshold and embedding model (set by llm.set_endpoint_cache; npm run sync-config writes the defaults from the config file).';

grant select on llm.endpoint_cache_settings to llm_operator, llm_auditor, llm_viewer;
grant execute on function llm.cache_key(jsonb), llm_private.system_hash(jsonb) to llm_app, llm_money, llm_operator, llm_auditor;
grant execute on function llm_private.cache_owner(uuid, uuid, llm_private.endpoint),
  llm_private.live_cache_entry(uuid, uuid, text, timestamptz), llm_private.end_cache_fill(uuid, bigint, smallint) to llm_money, llm_operator;
grant execute on function llm.set_endpoint_cache(uuid, text, boolean, real, text), llm.purge_cache(uuid, text, text) to llm_operator;
