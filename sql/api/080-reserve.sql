/*
 * Reserve: an INSERT into llm_private.attempts. Whoever inserts (llm.reserve_call, or the money
 * role by hand), the triggers below decide: the inserter gives only facts (which request, which
 * job attempt, the input token estimate, the call timeout, a claimed semantic cache entry with the
 * figures of the lookup that found it, a trace id); the decision, the model, the hold, the footprint
 * and every figure are computed here, and the usage counters move in the same statement.
 * llm.reserve_call makes the semantic lookup itself (llm_private.semantic_claim, sql/api/076); the
 * trigger verifies the claim again against the entry's scope and the endpoint's threshold, so that
 * a money role inserting by hand can claim no entry outside the request's scope.
 *
 * Order of the rules (the first that decides wins):
 *   the request is final                       -> error (llm.reserve_call answers replay before inserting)
 *   the request claimed before the previous UTC month -> block / request_stale
 *   a live cache entry (exact, or a verified semantic claim)  -> cached / cache_hit | semantic_hit
 *   attempts of the request >= max            -> block / attempts_exhausted
 *   an active shutoff window                   -> block / shutoff
 *   a budget scope past its deadline           -> block / limit (the deadline limit)
 *   model: breaker open -> next of the chain (fallback / breaker_open); budget pressure -> pressure
 *          model (fallback / budget_pressure); no price -> block / unknown_model
 *   shaping limits (per request, per budget scope, the caller's ceiling): the worst case must fit
 *          the smallest headroom; else by the binding limit's action: cap (fewer output tokens),
 *          fallback (a cheaper model of the chain), block
 *   the hold: every applicable meter, in meter order, strictly (held + spent + hold <= quota) for
 *          hard limits, a hold being at least 1 of each unit the call can be charged in (the least charge,
 *          llm_private.held_amount) -> allow | cap | fallback; a hard limit that does not fit -> block / limit
 *
 * The limit an attempt records (limit_id, limit_cap, limit_used): for a refusal by a limit, the limit that refused it;
 * for cap or fallback, the binding limit that shaped it (or the pressure limit that moved it); for allow / ok, the
 * tightest limit it was compared with and fitted: the least room left after its hold, counted in calls like this one
 * ((room before the hold) / (what it asked, at least 1)), so that limits of different units compare and, within a unit,
 * the least room wins (the first in meter order on a tie). Candidates: the hard micro-USD limits of the shaping (per
 * request, per budget scope, the payload's cost ceiling: limit_id NULL) with the figures shaping compared, and every hard
 * limit of the hold with the figures the hold compared under the row lock: the call's shard's held + spent before the
 * hold against its quota (on a meter of one shard, the cap; on an escrow-sharded meter, the shard's share of the cap,
 * which is at most the cap). Not the budget scope's deadline (elapsed_ms), soft limits, nor what an embedding call
 * asks no room of. No statement is added for it: the hold's UPDATE returns the figures it compared.
 */
create or replace function llm_private.request_used_micros(p_tenant_id uuid, p_request_pk bigint) returns bigint
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  -- Live holds of earlier attempts count: a retry never frees the headroom of an attempt that may still run.
  return (select coalesce(sum(a.charged_micros + case when a.state = 'held' then a.held_micros else 0 end), 0)::bigint
            from llm_private.attempts a where a.tenant_id = p_tenant_id and a.request_pk = p_request_pk);
end
$$;
comment on function llm_private.request_used_micros(uuid, bigint) is
  'What a request has used: the charges of its attempts plus the holds of those still live.';

create or replace function llm_private.subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text,
  p_scope_started_at timestamptz, p_at timestamptz) returns bigint
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  k record;
begin
  select * into k from llm_private.usage_key(l.scope, l."window", l.shards, p_tenant_id, p_user_id, p_budget_scope, p_scope_started_at, p_at);
  return (select coalesce(sum(u.held + u.spent), 0)::bigint from llm_private.usage u
           where u.tenant_id = k.k_tenant and u.meter_id = l.meter_id and u.user_id = k.k_user and u.budget_scope = k.k_scope
             and u.period_start = k.k_period);
end
$$;
comment on function llm_private.subject_used(llm_private.applicable_limit, uuid, uuid, text, timestamptz, timestamptz) is
  'What the call''s subject has used (held + spent, all shards) on a limit''s meter this period: an unlocked read, for shaping and pressure (the hold itself re-checks under the row lock).';

/*
 * A budget scope (an investigation) starts at its first reserve: the row is written by the reserve's
 * trigger only (pg_trigger_depth() >= 2; no runtime role can create a trigger of its own), and its
 * start is the current time whatever the inserter wrote. A money role that inserted a start in 2099
 * ahead of the first reserve had moved the deadline out of reach (review of 2026-11-26).
 * The reserve trigger also moves last_reserve_month (the UTC month of its latest reserve, which retention
 * reads to forget a scope unused for the whole retention) forward to the current month, and nothing else.
 */
create or replace function llm_private.tg_budget_scopes__guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if pg_trigger_depth() < 2 then
    raise exception using errcode = 'LG005', message = 'a budget scope starts only at its first reserve',
      hint = 'llm.reserve_call of a request with this budget_scope starts it.';
  end if;
  if tg_op = 'UPDATE' then
    if (new.tenant_id, new.scope_key, new.started_at, new.first_request_pk, new.first_endpoint, new.first_user_id)
       is distinct from (old.tenant_id, old.scope_key, old.started_at, old.first_request_pk, old.first_endpoint, old.first_user_id) then
      raise exception using errcode = 'LG005', message = 'a budget scope''s start is never changed',
        hint = 'Only the month of its latest reserve moves, by llm.reserve_call.';
    end if;
    new.last_reserve_month := greatest(old.last_reserve_month, llm_private.period_start('month', llm_private.now()));
    return new;
  end if;
  new.started_at := llm_private.now();
  new.last_reserve_month := llm_private.period_start('month', new.started_at);
  return new;
end
$$;
comment on function llm_private.tg_budget_scopes__guard() is
  'Budget scopes are started by the reserve trigger only (trigger depth >= 2), at the current time, with their first request''s endpoint and user; that trigger alone moves last_reserve_month, forward to the current UTC month.';
create or replace trigger _100_guard before insert or update on llm_private.budget_scopes
  for each row execute function llm_private.tg_budget_scopes__guard();

/*
 * The least input a chat call's hold covers, whatever the worker's estimate says (review of 2026-11-26, open until
 * 2026-11-27: a worker passing 0 for a long prompt held only the output's worst case, and the cap did not bind). The
 * worker's estimate stays the rule (README "Token estimates"); this only bounds how far below the prompt it may go.
 * Computed once per request, by the inputs' derive trigger (request_inputs.input_tokens_floor).
 */
create or replace function llm_private.input_tokens_floor(p_messages jsonb) returns integer
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  -- Plain replace(), not a regex: an alternation of runs cost ~3.5 us a match, 100 ms to enqueue 255 kB of '........a'.
  -- Each replace turns a block of 8 of one character into one U+0001, which keeps its neighbours apart (removing it
  -- joined them into blocks of the next character: ';' then 8 ':' counted 0, review of b059cd4); the markers it added are
  -- then not counted. What a run leaves (fewer than 8) counts less than one token.
  -- No backslash outside E'' strings: a session's standard_conforming_strings would change them (review of dabaf83).
  select coalesce(sum(char_length(replace(y.r, E'\u0001', '')) + char_length(x.c) - char_length(replace(x.c, E'\u0001', ''))) / 12, 0)::integer
    from (select m->>'content' as c from jsonb_array_elements(p_messages) m) x
    cross join lateral (select
      replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(x.c,
      '        ', E'\u0001'), E'\t\t\t\t\t\t\t\t', E'\u0001'), E'\n\n\n\n\n\n\n\n', E'\u0001'), '--------', E'\u0001'),
      '========', E'\u0001'), '________', E'\u0001'), '********', E'\u0001'), '########', E'\u0001'), '~~~~~~~~',
      E'\u0001'), '........', E'\u0001'), '////////', E'\u0001'), '++++++++', E'\u0001'), '!!!!!!!!', E'\u0001'),
      '::::::::', E'\u0001'), ';;;;;;;;', E'\u0001'), '%%%%%%%%', E'\u0001'), '^^^^^^^^', E'\u0001'),
      E'\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500', E'\u0001'),
      E'\u2501\u2501\u2501\u2501\u2501\u2501\u2501\u2501', E'\u0001'),
      E'\u2550\u2550\u2550\u2550\u2550\u2550\u2550\u2550', E'\u0001'),
      E'\u2014\u2014\u2014\u2014\u2014\u2014\u2014\u2014', E'\u0001'),
      E'\u2026\u2026\u2026\u2026\u2026\u2026\u2026\u2026', E'\u0001'),
      E'\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000', E'\u0001') as r) y
$$;
comment on function llm_private.input_tokens_floor(jsonb) is
  'The fewest input tokens a chat call''s messages can take by our rule: the characters of their contents, less every block of 8 of one space, tab, newline, ideographic space or separator character (- = _ * # ~ . / + ! : ; % ^, box-drawing rules, em dash, ellipsis: o200k and cl100k cover 16 to 128 of those in a token), divided by 12. Characters, not bytes: o200k takes up to 12 bytes a token in Hindi or Bengali. 12, not 8: dense formal English took up to 9.4 characters a token in o200k (review of b059cd4). Every other character counts, punctuation and emoji included (random punctuation takes ~1.5 bytes a token). Above the real count only for text whose tokens average more than 12 characters (runs of a letter or of a character not listed); below it, and weak, for a tokenizer that spells runs character by character, or spells a script byte by byte (cl100k: Georgian). Plain replace(), linear whatever the text (~3 ms for 256 kB); independent of the locale and of standard_conforming_strings.';
grant execute on function llm_private.input_tokens_floor(jsonb) to llm_money, llm_app;

/*
 * The least input an embedding call's hold covers. The semantic cache embeds one text only (src/semantic.ts
 * semanticText): the request's single user message, when its other messages are system or developer ones and it comes
 * last, with CRLF as LF and the spaces, tabs and newlines around it trimmed. This is that text's floor by the rule above;
 * NULL when the request has no such text (its shape, or a text that is empty once trimmed), where the reserve refuses an
 * embedding call (review of b11c4a8: one held nothing, and could embed anything). The embedding call was left out of the
 * floor (review of 2026-11-26, open until 2026-11-27): a worker passing 0 held nothing for its input.
 */
create or replace function llm_private.embedding_tokens_floor(p_messages jsonb) returns integer
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  -- One pass over the messages (none when they are not an array): the shape, and the single user message's text.
  select case when a.users = 1 and a.known_roles and (p_messages->-1)->>'role' = 'user' and t.text <> ''
              then llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('content', t.text))) end
    from (select count(*) filter (where m->>'role' = 'user') as users,
                 coalesce(bool_and(coalesce(m->>'role' in ('user', 'system', 'developer'), false)), false) as known_roles,
                 max(m->>'content') filter (where m->>'role' = 'user') as question
            from jsonb_array_elements(case when jsonb_typeof(p_messages) = 'array' then p_messages end) m) a
   cross join lateral (select btrim(replace(a.question, E'\r\n', E'\n'), E' \t\n') as text) t
$$;
comment on function llm_private.embedding_tokens_floor(jsonb) is
  'The fewest input tokens an embedding call of the semantic cache can take: llm_private.input_tokens_floor of the one text the worker embeds (src/semantic.ts semanticText: the single user message of a request whose other messages are system or developer ones and whose last message is that one, CRLF as LF, trimmed of spaces, tabs and newlines). NULL when the request has no such text (its shape, or a text empty once trimmed): the reserve then refuses the embedding call. The worker also skips a text over 16 000 UTF-16 units, which is floored here like any other (a stricter hold for a call it does not make).';
grant execute on function llm_private.embedding_tokens_floor(jsonb) to llm_money;

create or replace function llm_private.tg_attempts__reserve() returns trigger
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_now timestamptz := llm_private.now();
  st llm_private.settings;
  q llm_private.requests;
  i llm_private.request_inputs;
  e llm_private.cache_entries;
  w llm_private.shutoff_windows;
  p llm_private.model_prices;
  chosen_p llm_private.model_prices;
  l llm_private.applicable_limit;
  lims llm_private.applicable_limit[];
  chosen_lims llm_private.applicable_limit[];
  binding llm_private.applicable_limit;
  v_adm_fit numeric;            -- an admitted call's tightest limit: its room in calls like this one, id, cap, used
  v_adm_limit integer;
  v_adm_cap bigint;
  v_adm_used bigint;
  v_cmp_used bigint;            -- the hold's figures compared: the shard's held + spent before the hold, its quota
  v_cmp_quota bigint;
  k record;
  h record;
  v_timeout_ms bigint;
  v_claimed_key text := new.cache_key;
  v_claimed_similarity real := new.similarity;
  v_candidates_scanned integer := new.semantic_candidates;
  v_bound_hit boolean := new.semantic_bound_hit;
  pol record;
  v_owner uuid;
  v_scope_started timestamptz;
  v_scope_month timestamptz;
  v_candidates text[];
  v_cand text;
  v_idx integer;
  v_start integer := 1;
  v_pressure_off boolean := false;
  v_chain text[];
  v_target integer;
  v_provider text;
  v_model text;
  v_model_max integer;
  v_max_out integer;
  v_worst bigint;
  v_headroom bigint;
  v_used bigint;
  v_req_used bigint;
  v_m integer;
  v_decision llm_private.decision;
  v_reason llm_private.reason := 'ok';
  v_bind_used bigint;
  v_held_rows integer := 0;
  v_found boolean;
  v_amounts bigint[] := '{}';
  v_kt uuid[] := '{}';
  v_ku uuid[] := '{}';
  v_ks text[] := '{}';
  v_kp timestamptz[] := '{}';
  v_kh smallint[] := '{}';
  v_footprint smallint[] := '{}';
  v_amount bigint;
  v_hard boolean;
  v_last integer;
  v_same_purpose integer;
  v_probes text[] := '{}';
  v_admission text;
  v_overdue boolean;
  v_refused_p llm_private.model_prices;
  v_refused_max integer;
  k_tenant uuid;
  k_user uuid;
  k_scope text;
  k_period timestamptz;
  k_shard smallint;
  v_hour timestamptz := date_trunc('hour', v_now, 'UTC');
  v_embed_floor integer;
begin
  select * into st from llm_private.settings;
  select * into q from llm_private.requests x where x.tenant_id = new.tenant_id and x.id = new.request_pk for update;
  if q.id is null or q.user_id <> new.user_id then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', new.request_pk);
  end if;
  if q.state not in ('queued', 'running') then
    raise exception using errcode = 'LG002', message = 'the request is final',
      detail = format('request %s is %s', q.id, q.state), hint = 'llm.reserve_call answers replay for a final request.';
  end if;
  select * into i from llm_private.request_inputs x where x.tenant_id = new.tenant_id and x.request_pk = new.request_pk;

  /* Facts the inserter gives; everything else is decided below and never taken as written. */
  -- The input estimate is the worker's, but never below the prompt's floor: a chat call's, computed when the inputs were
  -- written (inputs older than that have none); an embedding call's, of the one text the worker embeds, computed here
  -- (only the semantic cache's reserves pay for it).
  if new.purpose = 'chat' then
    new.input_tokens_estimate := greatest(new.input_tokens_estimate, coalesce(i.input_tokens_floor, llm_private.input_tokens_floor(i.messages)));
  else
    v_embed_floor := llm_private.embedding_tokens_floor(i.messages);
    if v_embed_floor is null then
      -- Nothing the semantic cache embeds (a conversation, two questions, an empty one): no such call is made by the worker,
      -- and one reserved anyway held nothing and could embed any text (review of b11c4a8).
      raise exception using errcode = '22023', message = 'the request has no question the semantic cache embeds',
        detail = format('request %s is not a single-turn question (system or developer messages, then one non-empty user message)', new.request_pk),
        hint = 'Reserve an embedding call only for a request src/semantic.ts semanticText embeds; the chat reserve needs no vector.';
    end if;
    new.input_tokens_estimate := greatest(new.input_tokens_estimate, v_embed_floor);
  end if;
  v_timeout_ms := case when new.expires_at is null or not isfinite(new.expires_at) then 30000
                       else greatest(1000, least(3600000, (date_part('epoch', new.expires_at - v_now) * 1000)::bigint)) end;
  -- The request's attempts so far: their number (all, and of this purpose: the semantic cache's embedding calls do not use up
  -- the chat calls' allowance, nor do refusals behind an open breaker, which leave the request open for its job's next
  -- attempt), what they used (live holds included), and whether a hold outlived its expiry.
  select coalesce(max(a.attempt_no), 0),
         count(*) filter (where a.purpose = new.purpose and not (a.state = 'refused' and a.reason = 'breaker_open')),
         coalesce(sum(a.charged_micros + case when a.state = 'held' then a.held_micros else 0 end), 0),
         coalesce(bool_or(a.state = 'held' and a.expires_at <= v_now), false)
    into v_last, v_same_purpose, v_req_used, v_overdue
    from llm_private.attempts a where a.tenant_id = new.tenant_id and a.request_pk = new.request_pk;
  new.attempt_no := v_last + 1;
  new.reserved_at := v_now;
  new.expires_at := v_now + make_interval(secs => (v_timeout_ms + st.hold_margin_ms) / 1000.0);
  new.state := 'refused'; new.decision := 'block'; new.reason := 'ok'; new.price_id := null;
  new.max_output_tokens := 0; new.held_micros := 0; new.ended_at := null;
  new.input_tokens := null; new.cached_input_tokens := null; new.output_tokens := null; new.cost_micros := null;
  new.charged_micros := 0; new.latency_ms := null; new.provider_status := null; new.usage_unknown := false; new.late := false;
  new.output_valid := null; new.pii_flagged := null; new.meter_ids := '{}';
  new.limit_id := null; new.limit_cap := null; new.limit_used := null; new.cache_key := null; new.similarity := null;
  new.cache_source_pk := null; new.fills_cache := false; new.semantic_candidates := null; new.semantic_bound_hit := null;
  new.distillation_eligible := null; new.distillation_reason := null;
  new.holds_least_charge := true;                      -- the hold's rule (llm_private.held_amount), whatever the inserter wrote

  -- Holds of this request's earlier attempts that outlived their expiry are charged in full now.
  if v_overdue then
    update llm_private.attempts a set state = 'expired'
     where a.tenant_id = new.tenant_id and a.request_pk = new.request_pk and a.state = 'held' and a.expires_at <= v_now;
    select coalesce(sum(a.charged_micros + case when a.state = 'held' then a.held_micros else 0 end), 0) into v_req_used
      from llm_private.attempts a where a.tenant_id = new.tenant_id and a.request_pk = new.request_pk;
  end if;

  -- A request claimed before the previous UTC month is neither sent nor answered from the cache: its answer was long given
  -- up (its job waited that long: workers stopped for a month, or a retry that late), and no reconciliation check reads
  -- its attempts (llm_private.oldest_reservable_request_pk).
  if new.request_pk < llm_private.oldest_reservable_request_pk(v_now) then
    new.reason := 'request_stale';
    return new;
  end if;

  /* The cache: free, so it comes first. */
  if new.purpose = 'chat' and i.cache_key is not null then
    select * into pol from llm_private.cache_policy(q.tenant_id, q.user_id, q.endpoint::text);
    v_owner := pol.owner_user_id;
    e := llm_private.live_cache_entry(q.tenant_id, v_owner, i.cache_key, v_now);
    if e.cache_key is not null then
      new.reason := 'cache_hit';
    elsif pol.semantic_threshold is not null then
      -- A semantic lookup could run: keep what it reported (the bound, for the audit).
      if v_candidates_scanned is not null then
        new.semantic_candidates := v_candidates_scanned;
        new.semantic_bound_hit := coalesce(v_bound_hit, false);
      end if;
      if v_claimed_key is not null and v_claimed_similarity >= pol.semantic_threshold and v_claimed_similarity <= 1 then
        -- The claim: an embedded, live entry of exactly the request's scope, embedded by the model of its own embedding call,
        -- and written under a cap no larger than the request's (a longer answer than it asked for is no hit).
        select * into e from llm_private.cache_entries c
         where c.tenant_id = q.tenant_id and c.owner_user_id = v_owner and c.cache_key = v_claimed_key and c.expires_at > v_now
           and c.endpoint = q.endpoint and c.provider || ':' || c.model = i.model_ref and c.source_watermark = i.source_watermark
           and c.system_hash = i.system_hash and c.response_format = i.response_format
           and c.max_output_tokens <= i.max_output_tokens
           and c.embedding is not null and c.embedding_model = llm_private.embedding_attempt_model(q.tenant_id, q.id);
        if e.cache_key is not null then
          new.reason := 'semantic_hit';
          new.similarity := v_claimed_similarity;
        end if;
      end if;
    end if;
    if e.cache_key is not null then
      new.state := 'cached'; new.decision := 'cached'; new.cache_key := e.cache_key; new.cache_source_pk := e.source_request_pk;
      new.price_id := (llm_private.price_in_effect(e.provider, e.model, v_now)).id;
      return new;
    end if;
  end if;

  if v_same_purpose >= st.max_attempts_per_request then
    new.reason := 'attempts_exhausted';
    return new;
  end if;
  perform 1 from llm_private.shutoff_windows x
   where x.ends_at > v_now and x.starts_at <= v_now and x.cancelled_at is null
     and (x.tenant_id is null or (x.tenant_id = q.tenant_id and (x.user_id is null or x.user_id = q.user_id)));
  if found then
    new.reason := 'shutoff';
    return new;
  end if;
  if q.budget_scope is not null then
    -- With the first request's endpoint and user, which its deadline depends on (kept after the request leaves the retention).
    insert into llm_private.budget_scopes (tenant_id, scope_key, started_at, first_request_pk, first_endpoint, first_user_id)
    values (q.tenant_id, q.budget_scope, v_now, q.id, q.endpoint, q.user_id) on conflict do nothing;
    select b.started_at, b.last_reserve_month into v_scope_started, v_scope_month
      from llm_private.budget_scopes b where b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope;
    -- The scope's first reserve of a month notes the month (retention forgets a scope unused for the whole retention):
    -- one write per scope and month, none on its other reserves.
    if v_scope_month < llm_private.period_start('month', v_now) then
      update llm_private.budget_scopes b set last_reserve_month = v_now where b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope;
    end if;
  end if;

  /* The model: the requested one, else along its fallback chain. */
  if new.purpose = 'embedding' then
    select x.embedding_model into v_cand from llm_private.endpoint_settings x
     where (x.tenant_id = q.tenant_id or x.tenant_id is null) and x.endpoint = q.endpoint and x.embedding_model is not null
     order by x.tenant_id nulls last limit 1;
    if v_cand is null then
      raise exception using errcode = '22023', message = 'the endpoint has no embedding model',
        hint = 'llm.set_endpoint_cache(tenant, endpoint, shared, threshold, embedding_model).';
    end if;
    v_candidates := array[v_cand];
  else
    v_candidates := array[i.model_ref] || coalesce((select array_agg(f.fallback_provider || ':' || f.fallback_model order by f.position)
      from llm_private.model_fallbacks f where f.provider || ':' || f.model = i.model_ref), '{}');
  end if;
  v_decision := 'allow';
  v_chain := v_candidates;

  <<passes>>
  loop
  v_idx := 0;
  <<candidates>>
  loop
    v_idx := v_idx + 1;
    exit when v_idx > cardinality(v_candidates);
    continue when v_idx < v_start;
    v_provider := split_part(v_candidates[v_idx], ':', 1);
    v_model := substr(v_candidates[v_idx], length(v_provider) + 2);
    select * into p from llm_private.model_prices x
     where x.provider = v_provider and x.model = v_model and x.effective_from <= v_now order by x.effective_from desc limit 1;
    select m.max_output_tokens into v_model_max from llm_private.models m
     where m.provider = v_provider and m.model = v_model and m.kind = case when new.purpose = 'embedding' then 'embedding' else 'chat' end;
    if p.id is null or v_model_max is null then
      if v_idx = 1 then
        new.reason := 'unknown_model';
        return new;
      end if;
      continue;
    end if;
    select array_agg(x) into lims from llm_private.applicable_limits(q.tenant_id, q.user_id, q.endpoint, v_provider, v_model,
      q.budget_scope is not null, v_now) x;
    lims := coalesce(lims, '{}');

    -- A budget scope past its deadline refuses whatever the model.
    foreach l in array lims loop
      if l.unit = 'elapsed_ms' and l.kind = 'hard' and (date_part('epoch', v_now - v_scope_started) * 1000)::bigint > l.cap then
        new.reason := 'limit'; new.limit_id := l.limit_id; new.limit_cap := l.cap;
        new.limit_used := (date_part('epoch', v_now - v_scope_started) * 1000)::bigint;
        perform llm_private.breaker_unclaim(v_probes, null, v_now);
        return new;
      end if;
    end loop;

    -- Budget pressure (on the requested model only): above a share of a cap, prefer the cheaper model. Reached by usage above
    -- 0 only, as an alert's threshold is: at a cap of 0 (0 >= 0) it was on with nothing held or spent, and moved every call.
    if v_idx = 1 and new.purpose = 'chat' and not v_pressure_off then
      foreach l in array lims loop
        continue when l.pressure_pct is null;
        v_used := llm_private.subject_used(l, q.tenant_id, q.user_id, q.budget_scope, v_scope_started, v_now);
        if v_used > 0 and v_used * 100 >= l.cap::numeric * l.pressure_pct then
          -- A preference, never a refusal: the named model (tried next even when it is not in the chain),
          -- else the chain's first; with neither (or the requested model named), stay on the requested model.
          if l.pressure_model is not null then
            v_target := array_position(v_candidates, l.pressure_model);
            if v_target is null then
              v_candidates := v_candidates || l.pressure_model;
              v_target := cardinality(v_candidates);
            end if;
          else
            v_target := case when cardinality(v_candidates) >= 2 then 2 end;
          end if;
          continue when v_target is null or v_target = 1;
          v_start := v_target;
          v_decision := 'fallback'; v_reason := 'budget_pressure';
          new.limit_id := l.limit_id; new.limit_cap := l.cap; new.limit_used := v_used;
          continue candidates;
        end if;
      end loop;
    end if;

    v_admission := llm_private.breaker_admission(v_provider, v_model, v_now);
    if v_admission = 'probe' then
      v_probes := v_probes || (v_provider || ':' || v_model);   -- given back below unless this attempt calls this model
    end if;
    if v_admission = 'refused' then
      if v_reason = 'ok' then
        v_reason := 'breaker_open';
      end if;
      v_decision := 'fallback';
      continue;
    end if;

    v_max_out := case when new.purpose = 'embedding' then 0 else least(i.max_output_tokens, v_model_max) end;
    v_worst := llm_private.worst_case_micros(p, new.input_tokens_estimate, v_max_out);

    -- Shaping limits: per request, per budget scope (micro-USD), and the caller's own ceiling.
    v_headroom := null; binding := null;
    foreach l in array lims loop
      continue when l.kind <> 'hard' or l.unit <> 'micros' or l.scope not in ('request', 'budget_scope');
      v_used := case when l.scope = 'request' then v_req_used
                     else llm_private.subject_used(l, q.tenant_id, q.user_id, q.budget_scope, v_scope_started, v_now) end;
      if v_headroom is null or l.cap - v_used < v_headroom then
        v_headroom := l.cap - v_used; binding := l; v_bind_used := v_used;
      end if;
    end loop;
    if i.cost_ceiling_micros is not null and (v_headroom is null or i.cost_ceiling_micros - v_req_used < v_headroom) then
      v_headroom := i.cost_ceiling_micros - v_req_used;
      binding := row(null, 'cost_ceiling', 'request', 'request', 'micros', 1, null, i.cost_ceiling_micros, 'hard', 'cap', 16, false,
        '{}', null, null)::llm_private.applicable_limit;
      v_bind_used := v_req_used;
    end if;
    if v_headroom is not null and v_worst > v_headroom then
      new.limit_id := binding.limit_id; new.limit_cap := binding.cap; new.limit_used := v_bind_used;
      if binding.action = 'block' then
        -- The figures compared: the model and the max output asked (the worst case derives from them); nothing is held.
        new.reason := 'limit'; new.price_id := p.id; new.max_output_tokens := v_max_out;
        perform llm_private.breaker_unclaim(v_probes, null, v_now);
        return new;
      end if;
      v_m := llm_private.max_output_within(p, new.input_tokens_estimate, v_headroom);
      if new.purpose = 'chat' and v_m is not null and v_m >= binding.min_output_tokens
         and (binding.action = 'cap' or v_idx = cardinality(v_candidates)) then
        v_max_out := least(v_max_out, v_m);
        v_worst := llm_private.worst_case_micros(p, new.input_tokens_estimate, v_max_out);
        v_decision := 'cap'; v_reason := 'limit';
      else
        v_decision := 'fallback'; v_reason := 'limit';
        v_refused_p := p; v_refused_max := v_max_out;                 -- the figures compared, if no model is left
        continue;                                                     -- a cheaper model of the chain may fit
      end if;
    end if;
    chosen_p := p; chosen_lims := lims;
    exit candidates;
  end loop;
  -- Pressure is a preference: when no model from the preferred one on can be used (breaker open, no price), the
  -- call goes on as if there were no pressure, from the requested model.
  exit passes when chosen_p.id is not null or v_reason <> 'budget_pressure' or v_pressure_off;
  v_pressure_off := true; v_start := 1; v_decision := 'allow'; v_reason := 'ok'; v_candidates := v_chain;
  v_refused_p := null; v_refused_max := null;
  new.limit_id := null; new.limit_cap := null; new.limit_used := null;
  end loop;

  if chosen_p.id is null then
    new.reason := case when v_reason = 'ok' then 'unknown_model' else v_reason end;
    if v_reason = 'limit' then
      -- The chain ran out under a limit: the last model it tried, and the max output it asked, are what the limit's
      -- figures (limit_cap, limit_used) were compared with. Nothing is held.
      new.price_id := v_refused_p.id; new.max_output_tokens := coalesce(v_refused_max, new.max_output_tokens);
    end if;
    perform llm_private.breaker_unclaim(v_probes, null, v_now);
    return new;
  end if;
  if v_decision = 'fallback' and chosen_p.provider || ':' || chosen_p.model = i.model_ref then
    v_decision := 'allow';
  end if;
  -- The shaping's binding limit of the chosen model (the least headroom among its micro-USD limits) is the first
  -- candidate for the tightest limit an admitted call records; the hold's limits follow.
  if v_headroom is not null then
    v_adm_fit := v_headroom::numeric / greatest(v_worst, 1);
    v_adm_limit := binding.limit_id; v_adm_cap := binding.cap; v_adm_used := v_bind_used;
  end if;

  /*
   * The hold: every applicable meter, in meter order; all or nothing. Fast path: one conditional UPDATE.
   * Every meter the attempt can be charged on is on its footprint (meter_ids), a hold of 0 included: the settle, the expiry
   * and the reconciliation move and read usage on meter_ids only. Left out when it held 0, a meter was never charged: the
   * 800 input tokens a provider reported against an estimate of 0, an embedding call's micro-USD at a worst case of 0
   * (llm_private.charged_amount charges what is reported, or the answering model's price, whatever was held). Only what
   * charged_amount never charges stays out: the calls of an embedding call.
   * The hold on each meter is llm_private.held_amount of the attempt: the amount in the meter's unit, and at least 1 of
   * every unit the call can be charged in (the least charge). A hard limit checks room for exactly what is held, so a call
   * estimated at 0 is refused by a cap of 0 (which refuses every call) and by a cap already full, whose next charge would
   * pass it, and it takes the unit it was checked for: a concurrent reserve sees it taken. (Checked for 1 and holding 0,
   * 8 sessions reserving calls estimated at 0 input tokens on a hard cap of 40 were admitted 43 times; review of the zero
   * holds.) The settle, release and expiry give back held_amount of the same attempt (llm_private.usage_apply), and the
   * reconciliation counts it. Not the output tokens of an embedding call, which has no output (the worker settles it
   * with 0): it holds 0 there, and its output meter stays on the footprint (a settle charges what is reported) and asks
   * for no room, as a soft limit. Asking for 1, a full output cap (or one of 0) refused the embedding call, and with it the
   * semantic cache's free answer to a question asked again in other words (review r103); the chat call still meets that
   * cap at its own reserve.
   */
  foreach l in array chosen_lims loop
    continue when l."window" = 'request' or l.unit = 'elapsed_ms' or (l.unit = 'calls' and new.purpose <> 'chat');
    v_amount := llm_private.held_amount(l.unit, v_worst, new.input_tokens_estimate, v_max_out, new.purpose, true);
    v_hard := l.kind = 'hard' and not (l.unit = 'output_tokens' and new.purpose = 'embedding');
    k_tenant := case when l.scope = 'global' then llm_private.nil_uuid() else q.tenant_id end;
    k_user := case when l.scope = 'user' then q.user_id else llm_private.nil_uuid() end;
    k_scope := case when l.scope = 'budget_scope' then q.budget_scope else '' end;
    k_period := case l."window" when 'budget_scope' then v_scope_started when 'hour' then v_hour
                                when 'month' then date_trunc('month', v_now, 'UTC') else llm_private.period_start(l."window", v_now) end;
    k_shard := llm_private.usage_shard(l.scope, l.shards, q.tenant_id, q.user_id);
    if l.shards = 1 then
      update llm_private.usage u set held = u.held + v_amount, limit_id = l.limit_id
       where u.tenant_id = k_tenant and u.meter_id = l.meter_id and u.user_id = k_user and u.budget_scope = k_scope
         and u.period_start = k_period and u.shard = k_shard and u.cap = l.cap
         and (not v_hard or u.held + u.spent + v_amount <= u.quota)
      returning u.held + u.spent - v_amount, u.quota into v_cmp_used, v_cmp_quota;
      v_found := found;
    else
      -- A sharded meter's fast path runs in a subtransaction that is rolled back when it holds nothing. An UPDATE that
      -- waited for a concurrent change of its shard and whose re-check then failed keeps that row locked (PostgreSQL locks
      -- the row it re-checks); the slow path then locks every shard in shard order to follow a changed cap, and holding
      -- this one out of order it deadlocked with another reserve doing the same, or with a sweep or a credit locking in
      -- order (tenth and twelfth reviews: 39 to 45 40P01 per ~735 reserves with the cap changed every 5 ms).
      begin
        update llm_private.usage u set held = u.held + v_amount, limit_id = l.limit_id
         where u.tenant_id = k_tenant and u.meter_id = l.meter_id and u.user_id = k_user and u.budget_scope = k_scope
           and u.period_start = k_period and u.shard = k_shard and u.cap = l.cap
           and (not v_hard or u.held + u.spent + v_amount <= u.quota)
        returning u.held + u.spent - v_amount, u.quota into v_cmp_used, v_cmp_quota;
        v_found := found;
        if not v_found then
          raise exception using errcode = 'LGX00', message = 'internal: let go of the re-checked shard';
        end if;
      exception when sqlstate 'LGX00' then
        v_found := false;
      end;
    end if;
    if not v_found then
      h := llm_private.usage_hold(l.meter_id, l.shards, k_tenant, k_user, k_scope, k_period, k_shard, l.limit_id, l.cap,
        v_hard, v_amount);
      if not h.ok then
        -- Give back what this attempt already held (the rows are ours, locked in order).
        for v_idx in 1 .. v_held_rows loop
          update llm_private.usage u set held = u.held - v_amounts[v_idx]
           where u.tenant_id = v_kt[v_idx] and u.meter_id = v_footprint[v_idx] and u.user_id = v_ku[v_idx]
             and u.budget_scope = v_ks[v_idx] and u.period_start = v_kp[v_idx] and u.shard = v_kh[v_idx];
        end loop;
        new.reason := 'limit'; new.limit_id := l.limit_id; new.limit_cap := l.cap; new.limit_used := h.used;
        -- The amount that did not fit stays readable (held_micros stays 0, nothing is held or charged): the model and the max
        -- output asked, from which llm.calls and llm.decision_log derive the worst case (micros) or the tokens (input + output, input, output).
        -- Left at 0, the refusal showed a worst case of 0 against its cap and used.
        new.price_id := chosen_p.id; new.max_output_tokens := v_max_out;
        perform llm_private.breaker_unclaim(v_probes, null, v_now);
        return new;
      end if;
      v_cmp_used := h.used; v_cmp_quota := h.quota;
    end if;
    -- A hard limit that fitted: the tightest so far when it has the least room for calls like this one.
    if v_hard and (v_adm_fit is null or (v_cmp_quota - v_cmp_used)::numeric / greatest(v_amount, 1) < v_adm_fit) then
      v_adm_fit := (v_cmp_quota - v_cmp_used)::numeric / greatest(v_amount, 1);
      v_adm_limit := l.limit_id; v_adm_cap := l.cap; v_adm_used := v_cmp_used;
    end if;
    v_held_rows := v_held_rows + 1;
    v_footprint := v_footprint || l.meter_id;
    v_amounts := v_amounts || v_amount;
    v_kt := v_kt || k_tenant; v_ku := v_ku || k_user; v_ks := v_ks || k_scope; v_kp := v_kp || k_period; v_kh := v_kh || k_shard;
  end loop;

  if cardinality(v_probes) > 0 then
    perform llm_private.breaker_unclaim(v_probes, chosen_p.provider || ':' || chosen_p.model, v_now);
  end if;
  new.state := 'held'; new.decision := v_decision; new.reason := v_reason;
  new.price_id := chosen_p.id; new.max_output_tokens := v_max_out; new.held_micros := v_worst; new.meter_ids := v_footprint;
  if v_decision = 'allow' then
    -- Allowed as asked: the tightest limit it fitted and the figures compared (used + asked <= cap); none when no hard limit
    -- was compared. (An allow that went down the chain for another reason and came back to its own model records none.)
    if v_reason = 'ok' and v_adm_fit is not null then
      new.limit_id := v_adm_limit; new.limit_cap := v_adm_cap; new.limit_used := v_adm_used;
    else
      new.limit_id := null; new.limit_cap := null; new.limit_used := null;
    end if;
  end if;
  -- Single flight: this attempt fills its key (unless another live fill holds it).
  if new.purpose = 'chat' and i.cache_key is not null then
    insert into llm_private.cache_fills as f (tenant_id, owner_user_id, cache_key, request_pk, attempt_no, expires_at)
    values (q.tenant_id, llm_private.cache_owner(q.tenant_id, q.user_id, q.endpoint), i.cache_key, q.id, new.attempt_no, new.expires_at)
    on conflict (tenant_id, owner_user_id, cache_key) do update
      set request_pk = excluded.request_pk, attempt_no = excluded.attempt_no, expires_at = excluded.expires_at,
          token = case when f.request_pk = excluded.request_pk then f.token else excluded.token end
      where f.expires_at <= v_now or f.request_pk = excluded.request_pk;
    new.fills_cache := found;
  end if;
  return new;
end
$$;
comment on function llm_private.tg_attempts__reserve() is
  'BEFORE INSERT on attempts: the reserve decision (cache, attempts, shutoffs, deadline, model, shaping, hold) derived from facts, with the usage holds made in meter order. See the rule list at the top of sql/api/080-reserve.sql.';
create or replace trigger _100_reserve before insert on llm_private.attempts
  for each row execute function llm_private.tg_attempts__reserve();

/* After the row exists, for a refusal or a cache hit only: the request ends; a hit's answer is the request's output. */
create or replace function llm_private.tg_attempts__after_reserve() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if new.state = 'cached' and new.purpose = 'chat' then
    insert into llm_private.call_outputs (tenant_id, request_pk, attempt_no, user_id, output, created_at, expires_at)
    select new.tenant_id, new.request_pk, new.attempt_no, new.user_id, c.output, new.reserved_at, new.reserved_at
      from llm_private.cache_entries c
     where c.tenant_id = new.tenant_id and c.cache_key = new.cache_key
       and c.owner_user_id in (new.user_id, llm_private.nil_uuid())
     order by c.owner_user_id = new.user_id desc limit 1;
  end if;
  -- Every model of the chain behind an open breaker: the request stays open and its job is retried on graphile-worker's
  -- backoff (reserve_call answers retry_after_ms, the cooldown; the worker holds no slot meanwhile), until its job's last
  -- attempt. Refused for good, it was one tenant's slow calls
  -- that ended other tenants' requests (review of the provider boundary).
  if new.state = 'refused' and new.reason = 'breaker_open'
     and new.job_attempt < (select s.enqueue_max_attempts from llm_private.settings s) then
    return null;
  end if;
  update llm_private.requests q
     set state = case when new.state = 'refused' then 'refused' else 'done' end::llm_private.request_state, reason = new.reason
   where q.tenant_id = new.tenant_id and q.id = new.request_pk and q.state in ('queued', 'running');
  return null;
end
$$;
comment on function llm_private.tg_attempts__after_reserve() is
  'AFTER INSERT on attempts, for refusals of chat calls and cache hits (the common held path fires nothing here; a refused embedding call leaves the request to its chat reserve): the request ends refused or done, and a hit''s answer is stored as its output. A breaker_open refusal before the job''s last attempt leaves the request open (its job tries again).';
create or replace trigger _200_after_reserve after insert on llm_private.attempts
  for each row when ((new.state = 'refused' and new.purpose = 'chat') or new.state = 'cached')
  execute function llm_private.tg_attempts__after_reserve();

/*
 * llm.reserve_call: what the worker calls before the provider. It serialises on the request row,
 * answers replays and cache waits without writing, then inserts the attempt (the triggers decide).
 */
create or replace function llm.reserve_call(p_request_pk bigint, p_job_attempt integer, p_input_tokens integer, p_call_timeout_ms integer,
  p_trace_id text default null, p_purpose text default 'chat', p_embedding real[] default null)
  returns table (decision text, reason text, attempt_no integer, provider text, model text, max_output_tokens integer,
    held_micros bigint, worst_case_micros bigint, limit_id integer, limit_name text, limit_cap bigint, limit_used bigint,
    expires_at timestamptz, cached_output text, retry_after_ms integer, cache_key text, limit_scope text, limit_window text)
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_now timestamptz := llm_private.now();
  q llm_private.requests;
  a llm_private.attempts;
  v_owner uuid;
  f llm_private.cache_fills;
  v_key text;
  v_sem_key text;
  v_sem_similarity real;
  v_sem_candidates integer;
  v_sem_bound_hit boolean;
  v_output text;
  v_retry_after_ms integer;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  if p_job_attempt is null or p_job_attempt not between 0 and 1000 then perform llm_private.require_range('p_job_attempt', p_job_attempt, 0, 1000); end if;
  if p_input_tokens is null or p_input_tokens not between 0 and 10000000 then perform llm_private.require_range('p_input_tokens', p_input_tokens, 0, 10000000); end if;
  if p_call_timeout_ms is null or p_call_timeout_ms not between 1000 and 3600000 then perform llm_private.require_range('p_call_timeout_ms', p_call_timeout_ms, 1000, 3600000); end if;
  if p_purpose is null or p_purpose not in ('chat', 'embedding') then
    raise exception using errcode = '22023', message = 'p_purpose is chat or embedding';
  end if;
  if p_embedding is not null then
    if p_purpose <> 'chat' then
      raise exception using errcode = '22023', message = 'p_embedding goes with the chat reserve',
        hint = 'Reserve the embedding call with p_purpose => ''embedding'' and no p_embedding; pass its vector to the chat reserve.';
    end if;
    perform llm_private.require_embedding(p_embedding);
  end if;
  select * into q from llm_private.requests x
   where x.tenant_id = llm_private.current_tenant_id() and x.user_id = llm_private.current_user_id() and x.id = p_request_pk
   for update;
  if q.id is null then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
  -- The same job attempt asking again (its first answer was lost): the same attempt.
  select * into a from llm_private.attempts x
   where x.tenant_id = q.tenant_id and x.request_pk = q.id and x.job_attempt = p_job_attempt and x.purpose = p_purpose::llm_private.purpose
     and x.state = 'held'
   order by x.attempt_no desc limit 1;
  if a.attempt_no is not null then
    return query select 'replay', 'in_flight', a.attempt_no::int, pr.provider, pr.model, a.max_output_tokens, a.held_micros, a.held_micros,
      null::int, null::text, null::bigint, null::bigint, a.expires_at, null::text, null::int, null::text, null::text, null::text
      from llm_private.model_prices pr where pr.id = a.price_id;
    return;
  end if;
  if q.state not in ('queued', 'running') then
    return query select 'replay', 'request_final', null::int, null::text, null::text, null::int, null::bigint, null::bigint,
      null::int, q.state::text, null::bigint, null::bigint, null::timestamptz, null::text, null::int, null::text, null::text, null::text;
    return;
  end if;
  -- Single flight: another request is filling this cache key right now.
  if p_purpose = 'chat' then
    select x.cache_key into v_key from llm_private.request_inputs x where x.tenant_id = q.tenant_id and x.request_pk = q.id;
    if v_key is not null then
      v_owner := llm_private.cache_owner(q.tenant_id, q.user_id, q.endpoint);
      -- Check and claim as one step: identical reserves queue here until the first one commits its
      -- fill (the trigger's cache_fills insert), so exactly one of them calls the provider.
      perform pg_advisory_xact_lock(hashtextextended(q.tenant_id::text || '/' || v_owner::text || '/' || v_key, llm_private.lock_salt(q.tenant_id)));
      select * into f from llm_private.cache_fills x
       where x.tenant_id = q.tenant_id and x.owner_user_id = v_owner
         and x.cache_key = v_key and x.expires_at > v_now and x.request_pk <> q.id;
      if f.request_pk is not null and llm_private.live_cache_entry(q.tenant_id, f.owner_user_id, v_key, v_now) is null then
        return query select 'wait', 'cache_fill_in_flight', null::int, null::text, null::text, null::int, null::bigint, null::bigint,
          null::int, null::text, null::bigint, null::bigint, f.expires_at, null::text,
          least((select s.cache_fill_wait_ms from llm_private.settings s), greatest(10, (date_part('epoch', f.expires_at - v_now) * 1000)::int)),
          f.token::text, null::text, null::text;
        return;
      end if;
    end if;
  end if;
  -- The semantic cache: after the exact key missed, the nearest entry of the request's scope (no row: no lookup ran).
  if p_embedding is not null then
    select x.cache_key, x.similarity, x.candidates_scanned, x.bound_hit into v_sem_key, v_sem_similarity, v_sem_candidates, v_sem_bound_hit
      from llm_private.semantic_claim(q.tenant_id, q.user_id, q.id, p_embedding, v_now) x;
  end if;
  insert into llm_private.attempts as x (tenant_id, request_pk, user_id, purpose, job_attempt, input_tokens_estimate, expires_at,
    cache_key, similarity, semantic_candidates, semantic_bound_hit, trace_id)
  values (q.tenant_id, q.id, q.user_id, p_purpose::llm_private.purpose, p_job_attempt, p_input_tokens,
    v_now + make_interval(secs => p_call_timeout_ms / 1000.0), v_sem_key, v_sem_similarity, v_sem_candidates, v_sem_bound_hit,
    p_trace_id)
  returning x.* into a;
  -- What only a hit or a refusal answers is read by statements of their own, run only then: as a join and a subquery of
  -- the answer's query, every reserve started their scans of the partitioned call_outputs and requests (-1.1 % instructions
  -- per pair, bench/PROFILE.md §21).
  if a.state = 'cached' then
    select o.output into v_output from llm_private.call_outputs o
     where o.tenant_id = a.tenant_id and o.request_pk = a.request_pk and o.attempt_no = a.attempt_no;
  elsif a.state = 'refused' and a.purpose = 'chat'
        and (select r.state from llm_private.requests r where r.tenant_id = a.tenant_id and r.id = a.request_pk) in ('queued', 'running') then
    v_retry_after_ms := (select s.breaker_cooldown_ms from llm_private.settings s);
  end if;
  return query
  select a.decision::text,
         case when a.reason = 'limit' then coalesce(m.name, 'cost_ceiling') else a.reason::text end,
         a.attempt_no::int, pr.provider, pr.model, a.max_output_tokens, a.held_micros,
         case when pr.id is null then null else llm_private.worst_case_micros(pr, a.input_tokens_estimate, a.max_output_tokens) end,
         a.limit_id, coalesce(m.name, case when a.limit_cap is not null then 'cost_ceiling' end), a.limit_cap, a.limit_used, a.expires_at,
         v_output,
         v_retry_after_ms,
         null::text,
         coalesce(m.scope::text, case when a.limit_cap is not null then 'request' end),
         coalesce(m."window"::text, case when a.limit_cap is not null then 'request' end)
    from (select 1) one
    left join llm_private.model_prices pr on pr.id = a.price_id
    left join llm_private.limits li on li.id = a.limit_id
    left join llm_private.meters m on m.id = li.meter_id;
end
$$;
comment on function llm.reserve_call(bigint, integer, integer, integer, text, text, real[]) is
  'Before a provider call (the worker, as llm_money, in the job''s tenant+user context): decides and holds. decision allow | cap | fallback: call provider:model with max_output_tokens, then llm.settle_call (or llm.release_call if no request was sent); block: refused (reason names the limit, with limit_id, limit_scope, limit_window, limit_cap and limit_used; refused by a limit, max_output_tokens and worst_case_micros are what the call asked, held_micros 0; the same figures for the limit that capped or moved a call; for a call allowed as asked (allow / ok), the tightest hard limit it was compared with and fitted (the least room left after its hold, in calls like this one), what that limit had used when compared (on an escrow-sharded meter, the call''s shard''s held + spent, compared with the shard''s share of the cap) and its cap: limit_used + what it holds there <= limit_cap; NULL when no hard limit applied; limit_name cost_ceiling (scope and window request, limit_id NULL) for the payload''s cost ceiling; with retry_after_ms, the request stays open: every model of its chain was behind an open breaker before the job''s last attempt: the cooldown in ms; the worker leaves the job to graphile-worker''s backoff); cached: cached_output is the answer, nothing to call; replay: in_flight (this job attempt already holds attempt_no) or request_final; wait: an identical request fills the cache, LISTEN llm_cache_filled for the fill''s token (returned in cache_key; not the key itself) or ask again after retry_after_ms. p_purpose embedding reserves the embedding call of the semantic cache (at the endpoint''s embedding model''s price); p_embedding (chat only, after that call settled ok) is the question''s vector: when the exact key misses and the endpoint has a threshold, the database looks up the nearest entry of the request''s scope, and a hit is decision cached / semantic_hit, free (llm.calls records similarity, cache_source_pk, semantic_candidates and semantic_bound_hit).';

grant execute on function llm_private.request_used_micros(uuid, bigint),
  llm_private.subject_used(llm_private.applicable_limit, uuid, uuid, text, timestamptz, timestamptz) to llm_money, llm_operator, llm_auditor;
grant execute on function llm.reserve_call(bigint, integer, integer, integer, text, text, real[]) to llm_money;
