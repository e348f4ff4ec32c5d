-- The schema of pg-llm-governor: pg_dump --schema-only of a migrated database (npm run dump-schema).
-- Monthly partitions (llm_private.*_mYYYYMM) are left out: they are created by llm_maint.ensure_partitions().

--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: llm; Type: SCHEMA; Schema: -; Owner: llm_owner
--

CREATE SCHEMA llm;

ALTER SCHEMA llm OWNER TO llm_owner;

--
-- Name: SCHEMA llm; Type: COMMENT; Schema: -; Owner: llm_owner
--

COMMENT ON SCHEMA llm IS 'pg-llm-governor public API: functions and views for the application, the worker, operators and auditors.';

--
-- Name: llm_maint; Type: SCHEMA; Schema: -; Owner: llm_owner
--

CREATE SCHEMA llm_maint;

ALTER SCHEMA llm_maint OWNER TO llm_owner;

--
-- Name: SCHEMA llm_maint; Type: COMMENT; Schema: -; Owner: llm_owner
--

COMMENT ON SCHEMA llm_maint IS 'Partition maintenance of the ledger: two SECURITY INVOKER functions the owner runs (npm run migrate, npm run maintain-partitions).';

--
-- Name: llm_private; Type: SCHEMA; Schema: -; Owner: llm_owner
--

CREATE SCHEMA llm_private;

ALTER SCHEMA llm_private OWNER TO llm_owner;

--
-- Name: llm_queue; Type: SCHEMA; Schema: -; Owner: llm_worker
--

CREATE SCHEMA llm_queue;

ALTER SCHEMA llm_queue OWNER TO llm_worker;

--
-- Name: SCHEMA llm_queue; Type: COMMENT; Schema: -; Owner: llm_worker
--

COMMENT ON SCHEMA llm_queue IS 'The enqueue wrapper around graphile_worker.add_job, owned by llm_worker (graphile-worker''s tables admit only their owner).';

--
-- Name: limit_action; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.limit_action AS ENUM (
    'block',
    'cap',
    'fallback'
);

ALTER TYPE llm_private.limit_action OWNER TO llm_owner;

--
-- Name: TYPE limit_action; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.limit_action IS 'For a hard micro-USD limit on a request or budget scope: refuse, lower max output tokens to fit, or try the fallback chain.';

--
-- Name: limit_kind; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.limit_kind AS ENUM (
    'hard',
    'soft'
);

ALTER TYPE llm_private.limit_kind OWNER TO llm_owner;

--
-- Name: TYPE limit_kind; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.limit_kind IS 'hard: a call that does not fit is refused (or shaped); soft: never refuses, only alerts.';

--
-- Name: limit_scope; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.limit_scope AS ENUM (
    'global',
    'tenant',
    'user',
    'budget_scope',
    'request'
);

ALTER TYPE llm_private.limit_scope OWNER TO llm_owner;

--
-- Name: TYPE limit_scope; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.limit_scope IS 'Whose calls a meter sums: everyone''s, a tenant''s, a user''s, a budget scope''s (e.g. an investigation), one request''s.';

--
-- Name: limit_unit; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.limit_unit AS ENUM (
    'micros',
    'tokens',
    'input_tokens',
    'output_tokens',
    'calls',
    'elapsed_ms'
);

ALTER TYPE llm_private.limit_unit OWNER TO llm_owner;

--
-- Name: TYPE limit_unit; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.limit_unit IS 'What a meter counts: micro-USD, tokens (input, cached input included, + output), input tokens (cached included), output tokens, provider calls, or wall-clock ms since a budget scope started.';

--
-- Name: limit_window; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.limit_window AS ENUM (
    'request',
    'budget_scope',
    'minute',
    'hour',
    'day',
    'week',
    'month',
    'quarter',
    'none'
);

ALTER TYPE llm_private.limit_window OWNER TO llm_owner;

--
-- Name: TYPE limit_window; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.limit_window IS 'The period a meter sums over, in UTC: one request, a budget scope''s life, a clock period, or forever (none).';

--
-- Name: applicable_limit; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.applicable_limit AS (
	meter_id smallint,
	meter_name text,
	scope llm_private.limit_scope,
	"window" llm_private.limit_window,
	unit llm_private.limit_unit,
	shards smallint,
	limit_id integer,
	cap bigint,
	kind llm_private.limit_kind,
	action llm_private.limit_action,
	min_output_tokens integer,
	trips_shutoff boolean,
	alert_pcts smallint[],
	pressure_pct smallint,
	pressure_model text
);

ALTER TYPE llm_private.applicable_limit OWNER TO llm_owner;

--
-- Name: TYPE applicable_limit; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.applicable_limit IS 'One meter that applies to a call with its effective limit (llm_private.applicable_limits).';

--
-- Name: attempt_state; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.attempt_state AS ENUM (
    'held',
    'settled',
    'released',
    'expired',
    'refused',
    'cached'
);

ALTER TYPE llm_private.attempt_state OWNER TO llm_owner;

--
-- Name: TYPE attempt_state; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.attempt_state IS 'An attempt: held (a hold is live), settled, released (no provider request was sent), expired (charged in full, unknown outcome), refused, cached (served without a provider call).';

--
-- Name: decision; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.decision AS ENUM (
    'allow',
    'cap',
    'fallback',
    'block',
    'cached'
);

ALTER TYPE llm_private.decision OWNER TO llm_owner;

--
-- Name: TYPE decision; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.decision IS 'What reserve decided for an attempt.';

--
-- Name: distill_reason; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.distill_reason AS ENUM (
    'eligible',
    'tenant_not_opted_in',
    'call_failed',
    'capped_output',
    'from_cache',
    'invalid_output',
    'model_terms_forbid',
    'pii_flagged',
    'no_output',
    'fallback_model',
    'not_chat',
    'other_model_answered'
);

ALTER TYPE llm_private.distill_reason OWNER TO llm_owner;

--
-- Name: TYPE distill_reason; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.distill_reason IS 'Why a settled call may (eligible) or may not train a model: the first rule that failed.';

--
-- Name: endpoint; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.endpoint AS ENUM (
    'route',
    'explanation',
    'investigation',
    'budget_optimization'
);

ALTER TYPE llm_private.endpoint OWNER TO llm_owner;

--
-- Name: TYPE endpoint; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.endpoint IS 'The kinds of LLM work the product governs (the task identifiers).';

--
-- Name: provider_status; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.provider_status AS ENUM (
    'ok',
    'error',
    'timeout',
    'rate_limited',
    'malformed',
    'network',
    'client_error',
    'aborted'
);

ALTER TYPE llm_private.provider_status OWNER TO llm_owner;

--
-- Name: TYPE provider_status; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.provider_status IS 'How a provider call ended, as the worker saw it.';

--
-- Name: purpose; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.purpose AS ENUM (
    'chat',
    'embedding'
);

ALTER TYPE llm_private.purpose OWNER TO llm_owner;

--
-- Name: TYPE purpose; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.purpose IS 'What a provider call was for: the answer, or the embedding of the question (semantic cache).';

--
-- Name: reason; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.reason AS ENUM (
    'ok',
    'limit',
    'budget_pressure',
    'breaker_open',
    'shutoff',
    'unknown_model',
    'attempts_exhausted',
    'cache_hit',
    'semantic_hit',
    'provider_client_error',
    'provider_not_configured',
    'invalid_output',
    'worker_error',
    'job_lost',
    'cancelled_by_app',
    'request_final',
    'request_stale'
);

ALTER TYPE llm_private.reason OWNER TO llm_owner;

--
-- Name: TYPE reason; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.reason IS 'Why: of a decision (limit: see the limit columns), or of a request''s final state.';

--
-- Name: request_state; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.request_state AS ENUM (
    'queued',
    'running',
    'done',
    'refused',
    'failed',
    'cancelled'
);

ALTER TYPE llm_private.request_state OWNER TO llm_owner;

--
-- Name: TYPE request_state; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.request_state IS 'A request''s life: queued at enqueue, running from its first reserve, then exactly one final state.';

--
-- Name: window_kind; Type: TYPE; Schema: llm_private; Owner: llm_owner
--

CREATE TYPE llm_private.window_kind AS ENUM (
    'manual',
    'scheduled',
    'tripped'
);

ALTER TYPE llm_private.window_kind OWNER TO llm_owner;

--
-- Name: TYPE window_kind; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TYPE llm_private.window_kind IS 'A shutoff window opened by hand (now until a time), scheduled in advance, or tripped by spend crossing a limit.';

--
-- Name: adjust_usage(uuid, uuid, bigint, text, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.adjust_usage(p_tenant_id uuid, p_user_id uuid, p_amount_micros bigint, p_reason text, p_effective_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_id bigint;
begin
  insert into llm_private.adjustments (tenant_id, user_id, amount_micros, reason, effective_at)
  values (p_tenant_id, p_user_id, p_amount_micros, p_reason, coalesce(p_effective_at, llm_private.now()))
  returning id into v_id;
  return v_id;
end
$$;

ALTER FUNCTION llm.adjust_usage(p_tenant_id uuid, p_user_id uuid, p_amount_micros bigint, p_reason text, p_effective_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION adjust_usage(p_tenant_id uuid, p_user_id uuid, p_amount_micros bigint, p_reason text, p_effective_at timestamp with time zone); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.adjust_usage(p_tenant_id uuid, p_user_id uuid, p_amount_micros bigint, p_reason text, p_effective_at timestamp with time zone) IS 'Operator, in a READ COMMITTED transaction (25000): credits (negative) or debits (positive) a tenant''s or user''s spend with a reason, recorded append-only with who and when; it flows into usage, llm.monthly_spend and llm.hourly_spend (at effective_at, now by default) and into llm.reconciliation_drift. The tenant must exist and the user be one of its own (23503); effective_at may not be in the future (22023) nor in a closed month (LG001, llm.month_closes: post it in an open month). Returns the adjustment id.';

--
-- Name: budget_scopes_page(uuid, integer, text, timestamp with time zone, timestamp with time zone, uuid, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.budget_scopes_page(p_tenant_id uuid DEFAULT NULL::uuid, p_limit integer DEFAULT 200, p_after_state text DEFAULT NULL::text, p_after_deadline_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_after_started_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_after_tenant_id uuid DEFAULT NULL::uuid, p_after_budget_scope text DEFAULT NULL::text) RETURNS TABLE(tenant_id uuid, budget_scope text, endpoint text, started_at timestamp with time zone, last_reserve_month timestamp with time zone, deadline_at timestamp with time zone, calls bigint, calls_cap bigint, spent_micros bigint, held_micros bigint, cap_micros bigint, state text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $_$
declare
  v_now timestamptz := llm_private.now();
  v_part integer;          -- the part the page starts in (1 open with a deadline, 2 open without, 3 the others)
  v_longest interval;      -- the longest hard elapsed_ms limit in force: no open scope's deadline is further from now
  v_tenants uuid[];        -- the tenants whose every scope of an endpoint may have a deadline (their own limits)
  v_none text;             -- part 2's candidates: of each endpoint a scope may have no deadline on, less the tenants sure to have one
  v_left integer := p_limit;
  v_n integer;
  v_columns constant text := 'v.tenant_id, v.budget_scope, v.endpoint, v.started_at, v.last_reserve_month, v.deadline_at, v.calls,
    v.calls_cap, v.spent_micros, v.held_micros, v.cap_micros, v.state';
  -- A candidate's row of the view, computed for it alone (OFFSET 0: a join the planner could hash, reading every scope), in
  -- the candidates' order, until the LIMIT.
  v_row constant text :=
    'cross join lateral (select * from llm.budget_scopes s where s.tenant_id = c.tenant_id and s.budget_scope = c.scope_key offset 0) v';
  -- One tenant: its ranges of the indexes that begin with tenant_id, the key without it (as those indexes order it).
  v_tenant text := case when p_tenant_id is null then 'true' else 'b.tenant_id = $5' end;
  v_after text := case when p_tenant_id is null then '(b.started_at, b.tenant_id, b.scope_key) < ($2, $3, $4)'
                       else '(b.started_at, b.scope_key) < ($2, $4)' end;
  -- The order of ties (one tenant: without tenant_id, so that the planner sees its candidates' order as the page's and sorts
  -- none: with it, an incremental sort computed every scope started at the same instant).
  v_ties text := case when p_tenant_id is null then 'c.started_at desc, c.tenant_id desc, c.scope_key desc'
                      else 'c.started_at desc, c.scope_key desc' end;
begin
  -- Raised here: the readers may not run llm_private.require_range (as in llm.watched_open_holds).
  if p_limit is null or p_limit not between 1 and 10000 then
    raise exception using errcode = '22023', message = 'p_limit is 1 .. 10000', detail = format('p_limit = %s', p_limit),
      hint = 'Ask for at most 10 000 rows; the next page starts after the last row''s state, deadline_at, started_at, tenant_id and budget_scope.';
  end if;
  if num_nulls(p_after_state, p_after_started_at, p_after_tenant_id, p_after_budget_scope) not in (0, 4)
     or (p_after_state is null and p_after_deadline_at is not null)
     or p_after_state not in ('open', 'exhausted', 'deadline_passed')
     or (p_tenant_id is not null and p_after_tenant_id is distinct from p_tenant_id and p_after_tenant_id is not null) then
    raise exception using errcode = '22023',
      message = 'the key to continue after is the last row''s state, deadline_at, started_at, tenant_id and budget_scope',
      detail = format('p_after_state = %s, p_after_deadline_at = %s, p_after_started_at = %s, p_after_tenant_id = %s, p_after_budget_scope = %s, p_tenant_id = %s',
                      p_after_state, p_after_deadline_at, p_after_started_at, p_after_tenant_id, p_after_budget_scope, p_tenant_id),
      hint = 'Pass the five of the last row of the previous page (of the same tenant; deadline_at NULL when it has none), or none for the first page.';
  end if;
  v_part := case when p_after_state is null then 1 when p_after_state <> 'open' then 3 when p_after_deadline_at is null then 2 else 1 end;
  -- Each part reads the keys of its candidates in its order, then each one's row of the view, until the page is full (one-shot
  -- plans of its parameters: $1 the deadline and $2..$4 the key to continue after, in its part only; $5 the tenant; $6 now;
  -- $7 the earliest start of a scope open with a deadline; $8 the rows left).
  if v_part = 1 then
    select make_interval(secs => max(l.cap) / 1000.0) into v_longest
      from llm_private.limits l join llm_private.meters m on m.id = l.meter_id
     where m.unit = 'elapsed_ms' and l.kind = 'hard' and l.valid_from <= v_now and l.valid_until > v_now
       and (m.disabled_at is null or m.disabled_at > v_now);
    if v_longest is not null then
      return query execute format(
        'select %s
           from (select x.* from (select b.tenant_id, b.scope_key, b.started_at, b.started_at + sp.span as deadline_at
                                    from llm_private.budget_scopes b
                                   cross join lateral (select b.tenant_id, b.first_user_id, b.first_endpoint limit 1) k
                                   cross join lateral (select llm_private.budget_scope_span(k.tenant_id, k.first_user_id, k.first_endpoint) as span offset 0) sp
                                   where %s and b.started_at >= $7) x
                  where x.deadline_at >= $6
                    and ($1::timestamptz is null or x.deadline_at > $1
                         or (x.deadline_at = $1 and (x.started_at, x.tenant_id, x.scope_key) < ($2, $3, $4)))
                  order by x.deadline_at, %s) c
           %s
          where v.state = ''open''
          order by c.deadline_at, %s limit $8', v_columns, v_tenant, replace(v_ties, 'c.', 'x.'), v_row, v_ties)
        using p_after_deadline_at, p_after_started_at, p_after_tenant_id, p_after_budget_scope, p_tenant_id, v_now,
              greatest(v_now, p_after_deadline_at) - v_longest, v_left;
      get diagnostics v_n = row_count;
      v_left := v_left - v_n;
    end if;
  end if;
  if v_left > 0 and v_part <= 2 then
    -- The endpoints (NULL: a scope whose first endpoint is not known) on which some scope may have no deadline, each without
    -- the tenants whose every scope there has one (llm_private.scopes_all_have_deadline: a tenant's own hard elapsed_ms
    -- limit). Those tenants' scopes, every one with a deadline, are not read here: a tenant with its own deadline (none for
    -- everyone on the endpoint) had every one of its scopes computed and dropped, at every first page (8 s at 10^5; review r103).
    v_tenants := case when p_tenant_id is not null then array[p_tenant_id]
                      else array(select l.tenant_id from llm_private.limits l join llm_private.meters m on m.id = l.meter_id
                                  where m.unit = 'elapsed_ms' and l.tenant_id is not null and l.valid_from <= v_now and l.valid_until > v_now
                                 union
                                 select m.tenant_id from llm_private.meters m where m.unit = 'elapsed_ms' and m.tenant_id is not null) end;
    select string_agg(format('select b.tenant_id, b.scope_key, b.started_at from llm_private.budget_scopes b
                               where %s and b.first_endpoint %s and b.tenant_id <> all (%L::uuid[]) and ($2::timestamptz is null or %s)',
                             v_tenant, case when y.e is null then 'is null' else format('= %L::llm_private.endpoint', y.e) end, y.sure, v_after),
                      ' union all ')
      into v_none
      from (select x.e, array(select t from unnest(v_tenants) t where llm_private.scopes_all_have_deadline(x.e, t, v_now)) as sure
              from (select e from unnest(enum_range(null::llm_private.endpoint)) e union all select null) x(e)
             where not llm_private.scopes_all_have_deadline(x.e, null, v_now)) y
     where p_tenant_id is null or not p_tenant_id = any (y.sure);
    if v_none is not null then
      return query execute format(
        'select %s
           from (select u.* from (%s) u order by %s) c
           %s
          where v.deadline_at is null and v.state = ''open''
          order by %s limit $8', v_columns, v_none, replace(v_ties, 'c.', 'u.'), v_row, v_ties)
        using null::timestamptz, case when v_part = 2 then p_after_started_at end, case when v_part = 2 then p_after_tenant_id end,
              case when v_part = 2 then p_after_budget_scope end, p_tenant_id, v_now, null::timestamptz, v_left;
      get diagnostics v_n = row_count;
      v_left := v_left - v_n;
    end if;
  end if;
  if v_left > 0 then
    return query execute format(
      'select %s
         from (select b.tenant_id, b.scope_key, b.started_at from llm_private.budget_scopes b
                where %s and ($2::timestamptz is null or %s)
                order by %s) c
         %s
        where v.state <> ''open''
        order by %s limit $8', v_columns, v_tenant, v_after, replace(v_ties, 'c.', 'b.'), v_row, v_ties)
      using null::timestamptz, case when v_part = 3 then p_after_started_at end, case when v_part = 3 then p_after_tenant_id end,
            case when v_part = 3 then p_after_budget_scope end, p_tenant_id, v_now, null::timestamptz, v_left;
  end if;
end
$_$;

ALTER FUNCTION llm.budget_scopes_page(p_tenant_id uuid, p_limit integer, p_after_state text, p_after_deadline_at timestamp with time zone, p_after_started_at timestamp with time zone, p_after_tenant_id uuid, p_after_budget_scope text) OWNER TO llm_owner;

--
-- Name: FUNCTION budget_scopes_page(p_tenant_id uuid, p_limit integer, p_after_state text, p_after_deadline_at timestamp with time zone, p_after_started_at timestamp with time zone, p_after_tenant_id uuid, p_after_budget_scope text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.budget_scopes_page(p_tenant_id uuid, p_limit integer, p_after_state text, p_after_deadline_at timestamp with time zone, p_after_started_at timestamp with time zone, p_after_tenant_id uuid, p_after_budget_scope text) IS 'A page of llm.budget_scopes (of one tenant, or all) in the order that finds the scopes about to run out: open ones first, nearest deadline_at first (none last); then the exhausted and past their deadline, newest first; ties newest first (started_at, tenant_id, budget_scope, descending). At most p_limit rows (1..10 000, default 200). The next page: pass the last row''s state, deadline_at, started_at, tenant_id and budget_scope as p_after_* (state and deadline move with the clock, the limits and the spend: a scope that changed place between two pages may be listed twice or not at all). Costs the page''s rows, not the tenant''s scopes: plus the scopes started within the longest hard elapsed_ms limit in force, and the rows passed over (exhausted scopes before the page''s open ones; open scopes without a deadline before its others). The rows and columns of the view, under the same row-level security.';

--
-- Name: cache_key(jsonb); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.cache_key(p_payload jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select case when p_payload ? 'source_watermark' then
    encode(sha256(convert_to(jsonb_build_array(
      p_payload->>'endpoint', p_payload->>'model', p_payload->'max_output_tokens', coalesce(p_payload->>'response_format', 'text'),
      p_payload->>'source_watermark',
      (select jsonb_agg(jsonb_build_array(m->>'role', btrim(replace(m->>'content', E'\r\n', E'\n'), E' \t\n')) order by i)
         from jsonb_array_elements(p_payload->'messages') with ordinality e(m, i))
    )::text, 'UTF8')), 'hex')
  end
$$;

ALTER FUNCTION llm.cache_key(p_payload jsonb) OWNER TO llm_owner;

--
-- Name: FUNCTION cache_key(p_payload jsonb); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.cache_key(p_payload jsonb) IS 'The cache key of a payload: sha256 of its endpoint, model, output parameters, messages (line endings and outer whitespace normalized) and source_watermark, as a JSON array (unambiguous boundaries); NULL without a watermark (not cached).';

--
-- Name: cancel_request(text, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.cancel_request(p_request_id text, p_endpoint text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
begin
  update llm_private.requests q set state = 'cancelled'
   where q.tenant_id = llm_private.app_tenant_id() and q.user_id = llm_private.app_user_id()
     and q.request_id = p_request_id and q.endpoint = p_endpoint::llm_private.endpoint and q.state = 'queued';
  return found;
end
$$;

ALTER FUNCTION llm.cancel_request(p_request_id text, p_endpoint text) OWNER TO llm_owner;

--
-- Name: FUNCTION cancel_request(p_request_id text, p_endpoint text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.cancel_request(p_request_id text, p_endpoint text) IS 'The application cancels its own request while it is still queued (its job then ends without a call); false when it already started or does not exist.';

--
-- Name: cancel_shutoff(bigint, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.cancel_shutoff(p_window_id bigint, p_reason text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  perform llm_private.require_cancel_reason(p_reason);
  update llm_private.shutoff_windows w set cancelled_at = llm_private.now(), cancel_reason = p_reason
   where w.id = p_window_id and w.cancelled_at is null;
  return found;
end
$$;

ALTER FUNCTION llm.cancel_shutoff(p_window_id bigint, p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION cancel_shutoff(p_window_id bigint, p_reason text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.cancel_shutoff(p_window_id bigint, p_reason text) IS 'Operator: cancels a window (active or scheduled), saying why (1..200 characters; 22023 without); shown with who and when in llm.shutoff_windows. False when it was already cancelled or does not exist.';

--
-- Name: check_reconciliation(); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.check_reconciliation() RETURNS TABLE(checked_at timestamp with time zone, drift_rows bigint, duration_ms integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
#variable_conflict use_column
declare
  c llm_private.reconciliation_checks;
begin
  -- The trigger fills every column but the id, which the identity draws.
  insert into llm_private.reconciliation_checks as x (checked_at, drift_rows, duration_ms) values (llm_private.now(), 0, 0)
  returning x.* into c;
  return query select c.checked_at, c.drift_rows, c.duration_ms;
end
$$;

ALTER FUNCTION llm.check_reconciliation() OWNER TO llm_owner;

--
-- Name: FUNCTION check_reconciliation(); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.check_reconciliation() IS 'Operator (the worker''s cron, every 5 minutes), in a READ COMMITTED transaction: counts llm.reconciliation_drift and records the result in llm_private.reconciliation_checks, which llm.reconciliation_status and the metrics read. Returns what it recorded: when the count started, how many drift rows (must be 0), how long the count took.';

--
-- Name: close_month(timestamp with time zone, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.close_month(p_month_start timestamp with time zone, p_reason text) RETURNS TABLE(month_start timestamp with time zone, closed_at timestamp with time zone, closed_by text)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
#variable_conflict use_column
declare
  c llm_private.month_closes;
begin
  -- The trigger's lock, taken before the INSERT's own ROW EXCLUSIVE: taken after it, two closes (or an adjustment and a
  -- close of one session against another's) each held the weaker lock and waited for the stronger (40P01; review 87).
  lock table llm_private.month_closes in share row exclusive mode;
  insert into llm_private.month_closes as x (month_start, closed_at, closed_by, reason)
  values (p_month_start, llm_private.now(), current_user, p_reason)
  returning x.* into c;
  return query select c.month_start, c.closed_at, c.closed_by;
end
$$;

ALTER FUNCTION llm.close_month(p_month_start timestamp with time zone, p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION close_month(p_month_start timestamp with time zone, p_reason text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.close_month(p_month_start timestamp with time zone, p_reason text) IS 'Operator, in a READ COMMITTED transaction: closes the month starting at p_month_start (its first instant in UTC) and every month before it, once it has ended and no hold reserved before its end is open (55000 otherwise). From then on an adjustment dated before its end is refused (LG001); only late settles still change it (llm.month_closes counts them). Returns what it recorded.';

--
-- Name: define_meter(text, text, text, text, uuid, text, text, text, integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.define_meter(p_name text, p_scope text, p_window text, p_unit text, p_tenant_id uuid DEFAULT NULL::uuid, p_provider text DEFAULT NULL::text, p_model text DEFAULT NULL::text, p_endpoint text DEFAULT NULL::text, p_shards integer DEFAULT 1) RETURNS smallint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $_$
declare
  v_id smallint;
begin
  -- Each rule of the table, refused with what to pass instead (a raw 22P02 or a constraint's name said nothing: adopter's
  -- review, 2026-11-27). The table's checks stay the rule; these only explain.
  if p_scope is null or p_scope::text not in (select e::text from unnest(enum_range(null::llm_private.limit_scope)) e) then
    raise exception using errcode = '22023', message = format('unknown meter scope %L', p_scope),
      hint = format('One of %s.', (select string_agg(e::text, ', ') from unnest(enum_range(null::llm_private.limit_scope)) e));
  end if;
  if p_window is null or p_window::text not in (select e::text from unnest(enum_range(null::llm_private.limit_window)) e) then
    raise exception using errcode = '22023', message = format('unknown meter window %L', p_window),
      hint = format('One of %s. Clock windows are UTC; there is no window shorter than a minute.',
        (select string_agg(e::text, ', ') from unnest(enum_range(null::llm_private.limit_window)) e));
  end if;
  if p_unit is null or p_unit::text not in (select e::text from unnest(enum_range(null::llm_private.limit_unit)) e) then
    raise exception using errcode = '22023', message = format('unknown meter unit %L', p_unit),
      hint = format('One of %s.', (select string_agg(e::text, ', ') from unnest(enum_range(null::llm_private.limit_unit)) e));
  end if;
  -- A budget scope counts over its life (window budget_scope) or per clock window (at most $5 a day, 20 calls an hour): not
  -- none, whose counter would be its life again under another name (and another period start than its first call).
  if (p_scope = 'request') <> (p_window = 'request') or (p_window = 'budget_scope' and p_scope <> 'budget_scope')
     or (p_scope = 'budget_scope' and p_window = 'none') then
    raise exception using errcode = '22023', message = format('scope %s does not go with window %s', p_scope, p_window),
      hint = case when p_scope = 'budget_scope'
                  then 'A budget scope counts over its life (window budget_scope, from its first call) or per clock window (minute, hour, day, week, month, quarter).'
                  else 'Scope request goes with window request, window budget_scope with scope budget_scope, every other scope with a clock window or none.' end;
  end if;
  if p_unit = 'elapsed_ms' and p_window <> 'budget_scope' then
    raise exception using errcode = '22023', message = 'an elapsed_ms meter is a deadline of a budget scope',
      hint = 'Scope and window budget_scope: the time since the scope''s first call.';
  end if;
  if p_shards is distinct from 1 and (p_shards is null or p_shards not between 1 and 64 or p_scope not in ('global', 'tenant')) then
    raise exception using errcode = '22023', message = format('p_shards = %s: a meter of scope %s', coalesce(p_shards::text, 'NULL'), p_scope),
      hint = 'Escrow shards (2..64) split a global or a tenant meter; every other meter has 1.';
  end if;
  if p_model is not null and p_provider is null then
    raise exception using errcode = '22023', message = 'a meter of one model names its provider',
      detail = format('p_model = %L without p_provider', p_model),
      hint = case when position(':' in p_model) > 0
                  then format('For the model reference %L: p_provider => %L, p_model => %L.', p_model,
                              split_part(p_model, ':', 1), substr(p_model, position(':' in p_model) + 1))
                  else 'p_provider => the provider''s name (as in the configuration), p_model => the model''s name there.' end;
  end if;
  if p_name is null or p_name !~ '^[a-z][a-z0-9_]{0,59}$' then
    raise exception using errcode = '22023', message = format('a meter''s name is lower case, not %L', p_name),
      hint = 'A letter, then letters, digits or _ (60 at most): it is the refusal''s reason a caller reads, e.g. tenant_weekly_tokens.';
  end if;
  if exists (select 1 from llm_private.meters m where m.name = p_name) then
    raise exception using errcode = '23505', message = format('meter %s exists', p_name),
      hint = 'Meters are never changed or deleted: set a limit on it (llm.set_limit), or disable it (llm.disable_meter) and define one of another name.';
  end if;
  if p_tenant_id is not null and not exists (select 1 from llm_private.tenants t where t.id = p_tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant', detail = format('tenant %s', p_tenant_id),
      hint = 'Create the tenant first (llm.upsert_tenant), or check the id; a meter of every tenant has p_tenant_id NULL.';
  end if;
  if p_endpoint is not null and p_endpoint not in (select e::text from unnest(enum_range(null::llm_private.endpoint)) e) then
    raise exception using errcode = '22023', message = format('unknown endpoint %L', p_endpoint),
      hint = format('One of %s, or NULL for every endpoint.', (select string_agg(e::text, ', ') from unnest(enum_range(null::llm_private.endpoint)) e));
  end if;
  if p_window = 'request' and p_unit is distinct from 'micros' then
    raise exception using errcode = '22023', message = 'a per-request meter counts micros only',
      detail = format('meter %s: window request, unit %s', p_name, p_unit),
      hint = 'Tokens per request are bounded by max_output_tokens (and the model''s limit), calls per request by llm.set_setting(''max_attempts_per_request'', n); a token or call cap over a budget scope or a clock window is a meter of that window.';
  end if;
  insert into llm_private.meters (name, tenant_id, scope, "window", unit, provider, model, endpoint, shards)
  values (p_name, p_tenant_id, p_scope::llm_private.limit_scope, p_window::llm_private.limit_window, p_unit::llm_private.limit_unit,
    p_provider, p_model, p_endpoint::llm_private.endpoint, p_shards)
  returning id into v_id;
  return v_id;
end
$_$;

ALTER FUNCTION llm.define_meter(p_name text, p_scope text, p_window text, p_unit text, p_tenant_id uuid, p_provider text, p_model text, p_endpoint text, p_shards integer) OWNER TO llm_owner;

--
-- Name: FUNCTION define_meter(p_name text, p_scope text, p_window text, p_unit text, p_tenant_id uuid, p_provider text, p_model text, p_endpoint text, p_shards integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.define_meter(p_name text, p_scope text, p_window text, p_unit text, p_tenant_id uuid, p_provider text, p_model text, p_endpoint text, p_shards integer) IS 'Operator: a new kind of limit is a row. A meter counts a unit (micros, tokens, input_tokens, output_tokens, calls, elapsed_ms; input_tokens include cached input) for a scope (global, tenant, user, budget_scope, request) over a window (minute, hour, day, week, month, quarter, none, budget_scope, request), optionally only for a tenant, provider, model or endpoint; shared scopes may be split into escrow shards. Window request goes with scope request only; a budget scope counts over its life (window budget_scope) or per clock window (e.g. at most $5 per UTC day of each investigation), not none; elapsed_ms is a budget scope''s deadline (window budget_scope). A request-window meter counts micros only (22023 otherwise). Caps come from llm.set_limit.';

--
-- Name: define_model(text, text, integer, boolean, bigint, bigint, bigint, text, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.define_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_token_parameter text DEFAULT 'max_tokens'::text, p_kind text DEFAULT 'chat'::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  cur llm_private.model_prices;
begin
  insert into llm_private.models (provider, model, kind, max_output_tokens, token_parameter, training_allowed)
  values (p_provider, p_model, p_kind, p_max_output_tokens, p_token_parameter, p_training_allowed)
  on conflict (provider, model) do update set kind = excluded.kind, max_output_tokens = excluded.max_output_tokens,
    token_parameter = excluded.token_parameter, training_allowed = excluded.training_allowed;
  cur := llm_private.price_in_effect(p_provider, p_model, llm_private.now());
  if cur.id is null or (cur.input_per_mtok_micros, cur.cached_input_per_mtok_micros, cur.output_per_mtok_micros)
     is distinct from (p_input_per_mtok_micros, p_cached_input_per_mtok_micros, p_output_per_mtok_micros) then
    perform llm.set_model_price(p_provider, p_model, p_input_per_mtok_micros, p_cached_input_per_mtok_micros, p_output_per_mtok_micros);
  end if;
end
$$;

ALTER FUNCTION llm.define_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_token_parameter text, p_kind text) OWNER TO llm_owner;

--
-- Name: FUNCTION define_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_token_parameter text, p_kind text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.define_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_token_parameter text, p_kind text) IS 'Operator: declares a model (chat or embedding; its output limit parameter; whether its terms allow training) and, when it differs from the one in effect, a new price starting now.';

--
-- Name: disable_meter(text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.disable_meter(p_name text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  update llm_private.meters m set disabled_at = llm_private.now() where m.name = p_name and m.disabled_at is null;
  return found;
end
$$;

ALTER FUNCTION llm.disable_meter(p_name text) OWNER TO llm_owner;

--
-- Name: FUNCTION disable_meter(p_name text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.disable_meter(p_name text) IS 'Operator: new calls stop counting on a meter (it is never deleted: attempts refer to it).';

--
-- Name: embedding_for_call(bigint); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.embedding_for_call(p_request_pk bigint) RETURNS TABLE(embedding_model text, provider text, model text, semantic_threshold real)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
#variable_conflict use_column
declare
  r record;
  pol record;
  m record;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  select q.tenant_id, q.user_id, q.endpoint::text as endpoint, q.state, i.cache_key into r
    from llm_private.requests q
    join llm_private.request_inputs i on i.tenant_id = q.tenant_id and i.request_pk = q.id
   where q.tenant_id = llm_private.current_tenant_id() and q.user_id = llm_private.current_user_id() and q.id = p_request_pk;
  if r.tenant_id is null then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
  if r.state not in ('queued', 'running') or r.cache_key is null then
    return;
  end if;
  select * into pol from llm_private.cache_policy(r.tenant_id, r.user_id, r.endpoint);
  if pol.semantic_threshold is null or pol.embedding_model is null
     or (llm_private.live_cache_entry(r.tenant_id, pol.owner_user_id, r.cache_key, llm_private.now())).cache_key is not null then
    return;
  end if;
  select * into m from llm_private.split_model_ref(pol.embedding_model);
  if not exists (select 1 from llm_private.models x where x.provider = m.provider and x.model = m.model and x.kind = 'embedding')
     or (llm_private.price_in_effect(m.provider, m.model, llm_private.now())).id is null then
    return;
  end if;
  return query select pol.embedding_model, m.provider, m.model, pol.semantic_threshold;
end
$$;

ALTER FUNCTION llm.embedding_for_call(p_request_pk bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION embedding_for_call(p_request_pk bigint); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.embedding_for_call(p_request_pk bigint) IS 'The worker, as llm_money in the job''s context, before a chat call: whether to embed the question for the semantic cache. One row (the embedding model to call, and the threshold) when the request has a source_watermark, its exact key misses, and its endpoint has a threshold and a priced embedding model; no rows otherwise (skip the embedding call). Then: llm.reserve_call(..., p_purpose => ''embedding''), the embedding call, llm.settle_call, llm.reserve_call(..., p_embedding => the vector). See docs/semantic-cache.md.';

--
-- Name: end_limit(integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.end_limit(p_limit_id integer) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_now timestamptz := llm_private.now();
  l llm_private.limits;
begin
  select * into l from llm_private.limits x where x.id = p_limit_id;
  if not found then
    return false;
  end if;
  -- The meter's permanent limits, as llm.set_limit changes them (one change at a time); then the row as it is now.
  perform 1 from llm_private.meters m where m.id = l.meter_id for no key update;
  select * into l from llm_private.limits x where x.id = p_limit_id and x.valid_until > v_now for update;
  if not found then
    return false;
  end if;
  if l.valid_from > v_now and not l.temporary then
    -- A permanent limit scheduled and not yet started is cancelled: the one it was to replace goes on as if it had not
    -- been scheduled (set_limit ended that one at this one's start). Not one that never applied (valid_from =
    -- valid_until): a limit cancelled before, or replaced before it started, ends there too, and it came back into
    -- effect (a raise to 1 000 000 cancelled at 10:30, a 50 000 for the same 11:00 set and cancelled: the 1 000 000
    -- applied from 11:00).
    update llm_private.limits p set valid_until = l.valid_until
     where p.meter_id = l.meter_id and p.tenant_id is not distinct from l.tenant_id and p.user_id is not distinct from l.user_id
       and p.id <> l.id and not p.temporary and p.valid_until = l.valid_from and p.valid_from < p.valid_until;
  end if;
  -- One not yet started ends at its start: it never applies (it had failed limits' check, valid_from <= valid_until).
  update llm_private.limits x set valid_until = greatest(v_now, l.valid_from) where x.id = l.id;
  return true;
end
$$;

ALTER FUNCTION llm.end_limit(p_limit_id integer) OWNER TO llm_owner;

--
-- Name: FUNCTION end_limit(p_limit_id integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.end_limit(p_limit_id integer) IS 'Operator: ends a limit now (the next most specific one applies again); a limit scheduled and not yet started never applies, and a permanent one so cancelled leaves the limit it was to replace in effect.';

--
-- Name: enqueue_call(jsonb); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.enqueue_call(p_payload jsonb) RETURNS TABLE(request_pk bigint, state text, created boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

ALTER FUNCTION llm.enqueue_call(p_payload jsonb) OWNER TO llm_owner;

--
-- Name: FUNCTION enqueue_call(p_payload jsonb); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.enqueue_call(p_payload jsonb) IS 'The application''s one call (as llm_app after llm.use_context): validates the payload (22023 listing every problem), claims (tenant, request_id, endpoint) for the context''s user (LG409 when claimed with other parameters), stores the inputs and adds the job. Returns the request pk, its state and whether this call created it.';

--
-- Name: erase_content(uuid, uuid, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.erase_content(p_tenant_id uuid, p_user_id uuid, p_reason text) RETURNS TABLE(erasure_id bigint, inputs bigint, outputs bigint, traces bigint, cache_entries bigint, cache_fills bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm.erase_content(p_tenant_id uuid, p_user_id uuid, p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION erase_content(p_tenant_id uuid, p_user_id uuid, p_reason text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.erase_content(p_tenant_id uuid, p_user_id uuid, p_reason text) IS 'Operator, for a data subject''s request: erases what is stored of user p_user_id''s content in tenant p_tenant_id (p_user_id NULL: every user of the tenant): prompts, final outputs, reasoning traces, cache entries (the user''s own, and the tenant''s shared ones the user''s calls filled, with their embeddings) and cache fill claims, and records it in llm.erasures with p_reason. The ledger stays (request ids, amounts, decisions, and the payload hashes requests.fingerprint and attempts.cache_key) until its month is dropped. Refuses while the subject has queued or running requests (55000), an unknown tenant or a user of another tenant (23503), no reason (22023). Returns the erasure''s id and how many rows of each kind it deleted.';

--
-- Name: evaluate_limits(); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.evaluate_limits() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
  r record;
  n integer := 0;
  v_now timestamptz := llm_private.now();
  e llm_private.limits;
  v_tenants uuid[] := '{}';
  v_meters smallint[] := '{}';
  v_users uuid[] := '{}';
  v_scopes text[] := '{}';
  v_periods timestamptz[] := '{}';
  v_shards smallint[] := '{}';
  v_spent bigint[] := '{}';
  v_caps bigint[] := '{}';
  v_limits integer[] := '{}';
  v_recapped boolean[] := '{}';
  v_due boolean[] := '{}';
  v_recap boolean;
  v_checked integer;
  v_cap bigint;
  v_limit integer;
begin
  -- Phase 1: the subjects to look at, and the re-caps, in meter order.
  for r in with recent as materialized (
             -- Limits valid now that began in the last 100 days (a limit set, or a future one that started): usually none.
             -- from_period: the first period of its meter not ended 10 minutes ago (the rows the main query reads below).
             select b.id, b.meter_id, b.tenant_id, b.user_id, b.valid_from, b.valid_until, b.temporary,
                    case when m."window" in ('none', 'budget_scope', 'request') then '-infinity'::timestamptz
                         else llm_private.period_start(m."window", v_now - interval '10 minutes') end as from_period
               from llm_private.limits b join llm_private.meters m on m.id = b.meter_id
              where b.valid_from > v_now - interval '2400 hours' and b.valid_from <= v_now and b.valid_until > v_now
           ), reached as (
             -- Their subjects' current rows from before they began: a tenant's or a user's limit by the usage key (an index
             -- range), everyone's over the meter's rows.
             select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.limit_id,
                    b.id as b_id, b.tenant_id as b_tenant, b.user_id as b_user, b.temporary as b_temporary, b.valid_from as b_from
               from recent b join llm_private.usage u on u.tenant_id = b.tenant_id and u.meter_id = b.meter_id
              where b.tenant_id is not null and (b.user_id is null or u.user_id = b.user_id) and u.shard = 0
                and u.period_start < b.valid_from and u.period_start >= b.from_period
                and (u.period_start >= v_now - interval '2400 hours' or u.period_start = '-infinity')
             union all
             select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.limit_id, b.id, b.tenant_id, b.user_id, b.temporary,
                    b.valid_from
               from recent b join llm_private.usage u on u.meter_id = b.meter_id
              where b.tenant_id is null and (b.user_id is null or u.user_id = b.user_id) and u.shard = 0
                and u.period_start < b.valid_from and u.period_start >= b.from_period
                and (u.period_start >= v_now - interval '2400 hours' or u.period_start = '-infinity')
           ), outranked as (
             -- ... whose rows name a limit that the new one ranks before (applicable_limits' order): not the one in effect.
             select distinct o.tenant_id, o.meter_id, o.user_id, o.budget_scope, o.period_start
               from reached o left join llm_private.limits x on x.id = o.limit_id
              where x.id is null
                 or (o.b_user is not null, o.b_tenant is not null, o.b_temporary,
                     case when o.b_temporary then '-infinity'::timestamptz else o.b_from end, o.b_id)
                    > (x.user_id is not null, x.tenant_id is not null, x.temporary,
                       case when x.temporary then '-infinity'::timestamptz else x.valid_from end, x.id)
           )
           select g.* from (
           select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, m.shards, m.scope,
                  llm_private.period_end(m."window", u.period_start) as period_end,
                  sum(u.spent)::bigint as spent, max(u.cap) as cap, max(u.limit_id) as limit_id,
                  bool_or(u.next_alert_at <= u.spent and u.spent > 0) as alert_due,
                  -- stale: the limit the rows name has ended (expired, ended, replaced), or another ranks before it now; in a
                  -- current period only (usage_recaps leaves an ended one as it is: re-capped each run of the 10 minutes after)
                  bool_or(x.id is null or x.valid_until <= v_now or o.meter_id is not null)
                    and llm_private.period_end(m."window", u.period_start) > v_now as stale
             -- Each meter's rows of the periods not ended 10 minutes ago, by (meter_id, period_start): from the start of the
             -- period that contains that instant (every other ended before it); a lifetime's or a budget scope's all. Read as
             -- the join of every usage row of the 2400 hours with its meter, a meter per minute (one row per subject, shard
             -- and minute) made every run read them all: 0.45-0.52 s a minute for one global 8-shard meter and 30 days of
             -- minutes, growing with its subjects (review of e5ed108).
             -- (A lateral per meter, kept one by OFFSET 0, so that each is an index range: pulled up into a join, the planner
             -- hashed every row of the 2400 hours.)
             from llm_private.meters m
             cross join lateral (
               select * from llm_private.usage u
                where u.meter_id = m.id
                  and u.period_start >= case when m."window" in ('none', 'budget_scope', 'request') then '-infinity'::timestamptz
                                             else llm_private.period_start(m."window", v_now - interval '10 minutes') end
               offset 0) u
             left join llm_private.limits x on x.id = u.limit_id
             left join outranked o on o.tenant_id = u.tenant_id and o.meter_id = u.meter_id and o.user_id = u.user_id
                                  and o.budget_scope = u.budget_scope and o.period_start = u.period_start
            where (m.shards > 1 or (u.next_alert_at <= u.spent and u.spent > 0) or x.id is null or x.valid_until <= v_now
                   or o.meter_id is not null)
              -- (period_start alone, so that the months before are pruned: a test on the meter's window scanned them all)
              and (u.period_start >= v_now - interval '2400 hours' or u.period_start = '-infinity')
              -- and periods ended in the last 10 minutes: a crossing on a shard that checks nothing, committed after the
              -- period's last run (or while it ran, after its snapshot), had no later run to find it (review of the filter)
              and llm_private.period_end(m."window", u.period_start) > v_now - interval '10 minutes'
            group by u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, m.shards, m.scope, m."window"
           ) g
           -- A sharded meter's subject only when its total has something left to fire: a threshold it reached with no alert
           -- yet (the alert's key), or a cap it reached that trips a shutoff with no trip this period (the window guard's own
           -- once-per-period test, cancelled windows included). Any other would insert nothing: evaluating every active tenant
           -- each minute took 0.8 s at 10^4 tenants, and grew with them (review at scale). Spend above 0 only, as a settle
           -- checks it: nothing spent crosses nothing, and a cap of 0 is crossed by the first charge (review 91).
           where g.stale or g.alert_due
              or (g.shards > 1 and g.spent > 0 and exists (
                    select 1 from llm_private.limits l
                     where l.id = g.limit_id
                       and ((l.trips_shutoff and g.spent >= g.cap and g.scope in ('global', 'tenant', 'user') and g.period_end > v_now
                             and not exists (select 1 from llm_private.shutoff_windows w
                                              where w.kind = 'tripped' and w.limit_id = l.id and w.scope = g.scope
                                                and w.tenant_id is not distinct from case when g.scope <> 'global' then g.tenant_id end
                                                and w.user_id is not distinct from case when g.scope = 'user' then g.user_id end
                                                and w.starts_at >= g.period_start))
                            or exists (select 1 from pg_catalog.unnest(l.alert_pcts) t(pct)
                                        where g.spent::numeric * 100 >= g.cap::numeric * t.pct
                                          and not exists (select 1 from llm_private.alerts a
                                                           where a.tenant_id = g.tenant_id and a.meter_id = g.meter_id
                                                             and a.user_id = g.user_id and a.budget_scope = g.budget_scope
                                                             and a.period_start = g.period_start and a.threshold_pct = t.pct)))))
            -- meter order, as a settle's alerts and trips go (trip_shutoff locks per limit and subject), and as usage rows are locked
            order by g.meter_id, g.tenant_id, g.user_id, g.budget_scope, g.period_start loop
    v_recap := false;
    if r.stale then
      e := llm_private.limit_in_effect(r.meter_id, r.tenant_id, r.user_id, v_now);
      -- No limit applies now: the meter no longer counts for the subject, and there is no cap to alert on.
      continue when e.id is null;
      -- The trigger re-caps (or names the limit when the cap is the same), locking the subject's shards in shard order.
      insert into llm_private.usage_recaps (tenant_id, meter_id, user_id, budget_scope, period_start)
      values (r.tenant_id, r.meter_id, r.user_id, r.budget_scope, r.period_start);
      v_recap := true;
    end if;
    if r.alert_due or v_recap then
      -- A shard whose spend reached its next_alert_at (0 after a re-cap, until its next settle): phase 2 checks it as its
      -- settle would and moves it to its next level; its rows are locked now, in shard order, as a re-cap locks them.
      -- Also after a re-cap, which may have changed (and locked) nothing: a reserve had re-capped the subject since this
      -- query's snapshot. Locked in phase 2 instead, after other subjects' alerts, it deadlocked with settles (review).
      perform 1 from llm_private.usage u
       where u.tenant_id = r.tenant_id and u.meter_id = r.meter_id and u.user_id = r.user_id and u.budget_scope = r.budget_scope
         and u.period_start = r.period_start
       order by u.shard for update;
    end if;
    v_due := v_due || (r.alert_due or v_recap);
    v_tenants := v_tenants || r.tenant_id; v_meters := v_meters || r.meter_id; v_users := v_users || r.user_id;
    v_scopes := v_scopes || r.budget_scope; v_periods := v_periods || r.period_start; v_shards := v_shards || r.shards;
    v_spent := v_spent || r.spent; v_caps := v_caps || r.cap; v_limits := v_limits || r.limit_id; v_recapped := v_recapped || v_recap;
  end loop;
  -- Phase 2: alerts and trips from the totals, against the cap the rows now have.
  for i in 1 .. coalesce(cardinality(v_meters), 0) loop
    v_cap := v_caps[i]; v_limit := v_limits[i];
    if v_recapped[i] then
      select max(u.cap), max(u.limit_id) into v_cap, v_limit from llm_private.usage u
       where u.tenant_id = v_tenants[i] and u.meter_id = v_meters[i] and u.user_id = v_users[i] and u.budget_scope = v_scopes[i]
         and u.period_start = v_periods[i];
    end if;
    v_checked := 0;
    if v_due[i] then
      -- Its due shards, as their settles would check them (which also moves them on: left at 0 after a re-cap, every subject
      -- of a changed default limit was evaluated each minute until its next settle).
      insert into llm_private.usage_alert_checks (tenant_id, meter_id, user_id, budget_scope, period_start)
      values (v_tenants[i], v_meters[i], v_users[i], v_scopes[i], v_periods[i]);
      get diagnostics v_checked = row_count;
    end if;
    if v_checked = 0 then
      perform llm_private.usage_after_spend(v_meters[i], v_tenants[i], v_users[i], v_scopes[i], v_periods[i], null, v_spent[i], v_cap,
        v_shards[i], 0, v_limit, v_cap);
    end if;
    n := n + 1;
  end loop;
  return n;
end
$$;

ALTER FUNCTION llm.evaluate_limits() OWNER TO llm_owner;

--
-- Name: FUNCTION evaluate_limits(); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.evaluate_limits() IS 'Operator (cron, every minute): first re-caps the subjects whose limit changed since their last hold (a limit set or ended, a temporary one expired: their usage rows take the cap in effect now, llm_private.usage_recaps), then alerts and trips, from their totals, the sharded meters'' current periods (and those ended in the last 10 minutes, for their alerts) that have a threshold or a tripping cap reached and not yet fired, and the subjects whose cap changed since their last settle (a lowered cap). Returns how many subjects it evaluated.';

--
-- Name: expire_holds(integer, boolean); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.expire_holds(p_limit integer DEFAULT 10000, p_full boolean DEFAULT false) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_now timestamptz := llm_private.now();
  -- The watermark reads only holds that expired since the last sweep (an hour before it). A hold whose transaction committed
  -- after the watermark had passed its expiry (the money role kept its transaction open) is older than that: the full pass
  -- (p_full, daily) reads the holds of the last 35 days and leaves the watermark as it is (tenth review). 35 days, not all:
  -- the expiry's BRIN index then reads about a month of the ledger, not every month retention keeps (eleventh review).
  v_from timestamptz := case when p_full then llm_private.now() - interval '840 hours' else llm_private.watched_holds_from() end;
  r record;
  n integer := 0;
  skipped timestamptz;
  v_scanned integer := 0;
  v_last timestamptz;
  v_tenants uuid[] := '{}';
  v_pks bigint[] := '{}';
  v_nos integer[] := '{}';
begin
  perform llm_private.require_range('p_limit', p_limit, 1, 1000000);
  for r in select a.tenant_id, a.request_pk, a.attempt_no, a.expires_at from llm_private.attempts a
            where a.state = 'held' and a.expires_at <= v_now and a.expires_at > v_from
            order by a.expires_at limit p_limit loop
    v_scanned := v_scanned + 1;
    v_last := r.expires_at;
    perform 1 from llm_private.requests q where q.tenant_id = r.tenant_id and q.id = r.request_pk for update skip locked;
    if not found then
      skipped := least(skipped, r.expires_at);
      continue;
    end if;
    v_tenants := v_tenants || r.tenant_id; v_pks := v_pks || r.request_pk; v_nos := v_nos || r.attempt_no;
  end loop;
  perform 1 from llm_private.usage u
   where (u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.shard) in (
     select case when m.scope = 'global' then llm_private.nil_uuid() else a.tenant_id end, m.id,
            case when m.scope = 'user' then a.user_id else llm_private.nil_uuid() end,
            case when m.scope = 'budget_scope' then q.budget_scope else '' end,
            case when m."window" = 'budget_scope' then b.started_at else llm_private.period_start(m."window", a.reserved_at) end,
            llm_private.usage_shard(m.scope, m.shards, a.tenant_id, a.user_id)
       from unnest(v_tenants, v_pks, v_nos) x(tenant_id, request_pk, attempt_no)
       join llm_private.attempts a on a.tenant_id = x.tenant_id and a.request_pk = x.request_pk and a.attempt_no = x.attempt_no
       join llm_private.requests q on q.tenant_id = a.tenant_id and q.id = a.request_pk
       left join llm_private.budget_scopes b on b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope
       join llm_private.meters m on m.id = any (a.meter_ids)
      where a.state = 'held')
   order by u.meter_id, u.tenant_id, u.user_id, u.budget_scope, u.period_start, u.shard
   for update of u;
  for i in 1 .. cardinality(v_pks) loop
    update llm_private.attempts a set state = 'expired'
     where a.tenant_id = v_tenants[i] and a.request_pk = v_pks[i] and a.attempt_no = v_nos[i] and a.state = 'held';
    if found then
      n := n + 1;
    end if;
  end loop;
  -- A full batch may have left older holds unread: the next sweep starts from the last one read (an hour before it).
  if p_full then
    return n;
  end if;
  update llm_private.settings s set swept_until = greatest(s.swept_until, least(coalesce(skipped, v_now), v_now - interval '10 minutes',
    case when v_scanned >= p_limit then v_last end));
  return n;
end
$$;

ALTER FUNCTION llm.expire_holds(p_limit integer, p_full boolean) OWNER TO llm_owner;

--
-- Name: FUNCTION expire_holds(p_limit integer, p_full boolean); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.expire_holds(p_limit integer, p_full boolean) IS 'Operator (cron, every minute): charges in full and flags usage_unknown every hold past its expiry (the worker died, or the call outlived its timeout), reading from a watermark; p_full (cron, daily) reads every hold of the last 35 days, also those committed after the watermark passed them. Returns how many.';

--
-- Name: fail_lost_requests(boolean); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.fail_lost_requests(p_full boolean DEFAULT false) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  n integer;
  v_now timestamptz := llm_private.now();
  v_since timestamptz := case when p_full then '-infinity' else v_now - interval '48 hours' end;
  v_since_pk bigint := case when p_full then 0 else llm_private.month_index(v_now - interval '48 hours')::bigint << 40 end;
begin
  with lost as (
    select q.tenant_id, q.id,
           case when j.id is null then 'job_lost' else 'attempts_exhausted' end::llm_private.reason as reason
      from llm_private.requests q
      left join graphile_worker.jobs j on j.id = q.job_id
     where q.state in ('queued', 'running')
       and q.id >= v_since_pk and q.created_at >= v_since
       and q.created_at < v_now - interval '1 minute'
       and (q.job_id is null or j.id is null or (j.attempts >= j.max_attempts and j.locked_at is null))
       and not exists (select 1 from llm_private.attempts a where a.tenant_id = q.tenant_id and a.request_pk = q.id and a.state = 'held'))
  update llm_private.requests q set state = 'failed', reason = lost.reason
    from lost where q.tenant_id = lost.tenant_id and q.id = lost.id and q.state in ('queued', 'running')
     and q.id >= v_since_pk and q.created_at >= v_since;    -- (the same bounds: the join read every partition)
  get diagnostics n = row_count;
  return n;
end
$$;

ALTER FUNCTION llm.fail_lost_requests(p_full boolean) OWNER TO llm_owner;

--
-- Name: FUNCTION fail_lost_requests(p_full boolean); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.fail_lost_requests(p_full boolean) IS 'Operator (cron): a request older than a minute whose job is gone, never existed (a claim inserted by hand and never completed by llm.enqueue_call) or has failed its last attempt, and that holds nothing, ends failed (job_lost, attempts_exhausted): nothing stays open after its last attempt. Every minute, the requests claimed in the last two days; p_full (daily), every request. Returns how many.';

--
-- Name: fail_request(bigint, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.fail_request(p_request_pk bigint, p_reason text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
declare
  v_failure llm_private.reason := llm_private.require_failure_reason(p_reason);
  q llm_private.requests;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  if v_failure is null then
    raise exception using errcode = '22023', message = 'a failure needs a reason';
  end if;
  select * into q from llm_private.requests x
   where x.tenant_id = llm_private.current_tenant_id() and x.user_id = llm_private.current_user_id() and x.id = p_request_pk
   for update;
  if q.id is null then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
  perform llm_private.finish_failed(q.tenant_id, q.id, v_failure);
  return (select x.state::text from llm_private.requests x where x.tenant_id = q.tenant_id and x.id = q.id);
end
$$;

ALTER FUNCTION llm.fail_request(p_request_pk bigint, p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION fail_request(p_request_pk bigint, p_reason text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.fail_request(p_request_pk bigint, p_reason text) IS 'The worker gives up on a request that has no live attempt (for example its job''s last attempt failed before reserving): the request ends failed with the reason. Returns its final state (unchanged if it was already final).';

--
-- Name: limit_use_maxima(integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.limit_use_maxima(p_budget_scopes integer DEFAULT 200) RETURNS TABLE(scope text, used_ratio_max numeric, crossings_unread bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_now timestamptz := llm_private.now();
begin
  if p_budget_scopes is null or p_budget_scopes not between 1 and 10000 then
    raise exception using errcode = '22023', message = 'p_budget_scopes is 1 .. 10000', detail = format('p_budget_scopes = %s', p_budget_scopes),
      hint = 'The metrics read 200.';
  end if;
  return query
    select r.scope, max(r.used_pct) / 100, 0::bigint
      from llm_private.limit_usage_rows r
     where r.current and r.used_pct is not null and r.k_scope = ''
     group by r.scope;
  -- A budget-scope subject's period as llm.limit_usage computes it (usage summed over shards; the limit in effect now, the
  -- period's end its deadline), for the subjects of the newest crossings, a deadline not passed and the scope not forgotten
  -- since (its row started at the period's start). Read from llm_private.limit_usage_rows by key instead (per crossing), the
  -- scrape took 27-30 ms for 19-21 ms (200 crossings, 10^5 scopes: its recent_scopes reads every scoped request of the last
  -- 24 hours, and a join it could hash computed every current period first): kept as a copy, the same three rules. Always one row: used_ratio_max NULL when none qualifies (nothing is known
  -- of the scopes below their thresholds), and the crossings left out.
  return query
    with crossed as materialized (
      select distinct x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start
        from (select a.tenant_id, a.meter_id, a.user_id, a.budget_scope, a.period_start from llm_private.alerts a
               where a.budget_scope <> '' and a.fired_at > v_now - interval '24 hours'
               order by a.fired_at desc limit p_budget_scopes) x
    ),
    periods as (
      select llm_private.used_pct(u.held + u.spent, e.cap) as used_pct
        from crossed c
        join llm_private.meters m on m.id = c.meter_id
        left join llm_private.budget_scopes b on b.tenant_id = c.tenant_id and b.scope_key = c.budget_scope
        -- (as llm_private.limit_usage_rows: the deadline ends a clock period of the scope too, at the latest)
        cross join lateral (select llm_private.usage_period_end(m."window", c.period_start,
                                     b.started_at + llm_private.budget_scope_span(b.tenant_id, b.first_user_id, b.first_endpoint))
                                   as period_end) pe
        cross join lateral (select sum(x.held)::bigint as held, sum(x.spent)::bigint as spent from llm_private.usage x
                             where x.tenant_id = c.tenant_id and x.meter_id = c.meter_id and x.user_id = c.user_id
                               and x.budget_scope = c.budget_scope and x.period_start = c.period_start) u
        left join lateral llm_private.limits_in_effect(c.meter_id, c.tenant_id, c.user_id, v_now) e on true
       where c.period_start <= v_now and pe.period_end > v_now
         and (m."window" <> 'budget_scope' or b.started_at = c.period_start)
    )
    select 'budget_scope'::text, max(p.used_pct) / 100,
           (select count(*) from (select 1 from llm_private.alerts a
                                   where a.budget_scope <> '' and a.fired_at > v_now - interval '24 hours'
                                   order by a.fired_at desc offset p_budget_scopes limit 10000) rest)
      from periods p;
end
$$;

ALTER FUNCTION llm.limit_use_maxima(p_budget_scopes integer) OWNER TO llm_owner;

--
-- Name: FUNCTION limit_use_maxima(p_budget_scopes integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.limit_use_maxima(p_budget_scopes integer) IS 'For the metrics scrape (llm_limit_used_ratio_max{scope}): the highest (spent + held) / cap among current limit periods, per limit scope, as llm.limit_usage computes used_pct (/ 100; Infinity for a cap of 0 with anything held or spent, which the metrics export as +Inf). Global, tenant and user: every current period. Budget scopes: only those whose usage crossed one of their alert thresholds in the last 24 hours (rows of llm.alerts) and whose period has not ended, the newest p_budget_scopes crossings (1..10 000); crossings_unread = the crossings of the last 24 hours left out (counted up to 10 000; 0 for the other scopes). The budget_scope row is always there, used_ratio_max NULL when no such scope qualifies. Its cost does not grow with the budget scopes.';

--
-- Name: locked_jobs(); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.locked_jobs() RETURNS TABLE(job_id bigint, task_identifier text, attempts integer, max_attempts integer, locked_by text, locked_at timestamp with time zone)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  return query
  select j.id, j.task_identifier, j.attempts::integer, j.max_attempts::integer, j.locked_by, j.locked_at
    from graphile_worker.jobs j
   where j.locked_by is not null and llm_private.job_is_ours(j.id, j.task_identifier, j.key);
end
$$;

ALTER FUNCTION llm.locked_jobs() OWNER TO llm_owner;

--
-- Name: FUNCTION locked_jobs(); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.locked_jobs() IS 'The worker''s login (the metric llm_job_oldest_lock_seconds, the on-call releasing a gone worker''s locks by hand): the jobs of ours that a worker holds in graphile-worker''s queue (llm_private.job_is_ours: the requests'' jobs and the maintenance jobs llm__*), never another application''s on the same schema, whatever its tasks are named; with who locked each and when (the server''s clock).';

--
-- Name: open_hold_counts(); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.open_hold_counts() RETURNS TABLE(open_holds bigint, holds_overdue bigint, watched_from timestamp with time zone)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $_$
declare
  v_from timestamptz := llm_private.watched_holds_from();
  v_now timestamptz := llm_private.now();
begin
  return query execute
    'select count(*), count(*) filter (where a.expires_at <= $1), $2
       from llm_private.attempts a where a.state = ''held'' and a.expires_at > $2' using v_now, v_from;
end
$_$;

ALTER FUNCTION llm.open_hold_counts() OWNER TO llm_owner;

--
-- Name: FUNCTION open_hold_counts(); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.open_hold_counts() IS 'For the metrics scrape: holds open now (and overdue, past their expiry) among those the expiry sweep watches, expiring after watched_from (its watermark less an hour), read through the expires_at BRIN instead of every attempt. llm.open_holds lists every one.';

--
-- Name: product_time(); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.product_time() RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$ select llm_private.now() $$;

ALTER FUNCTION llm.product_time() OWNER TO llm_owner;

--
-- Name: FUNCTION product_time(); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.product_time() IS 'The time every money and window rule uses (llm_private.now(): the current time unless the owner froze or shifted the clock). Readers'' "this month" and "last 48 hours" (the dashboard) are taken from it.';

--
-- Name: purge_cache(uuid, text, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.purge_cache(p_tenant_id uuid DEFAULT NULL::uuid, p_endpoint text DEFAULT NULL::text, p_source_watermark text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm.purge_cache(p_tenant_id uuid, p_endpoint text, p_source_watermark text) OWNER TO llm_owner;

--
-- Name: FUNCTION purge_cache(p_tenant_id uuid, p_endpoint text, p_source_watermark text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.purge_cache(p_tenant_id uuid, p_endpoint text, p_source_watermark text) IS 'Operator: deletes cache entries by tenant, endpoint and/or source watermark; returns how many.';

--
-- Name: purge_expired(integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.purge_expired(p_limit integer DEFAULT 10000) RETURNS TABLE(traces bigint, outputs bigint, cache_entries bigint, claim_keys bigint, breaker_transitions bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  t bigint; o bigint; c bigint; k bigint; b bigint;
  v_now timestamptz := llm_private.now();
  v_kept_from timestamptz := llm_private.ledger_kept_from();
begin
  perform llm_private.require_range('p_limit', p_limit, 1, 1000000);
  delete from llm_private.reasoning_traces x where x.ctid = any (array(
    select y.ctid from llm_private.reasoning_traces y where y.expires_at <= v_now limit p_limit));
  get diagnostics t = row_count;
  delete from llm_private.call_outputs x where x.ctid = any (array(
    select y.ctid from llm_private.call_outputs y where y.expires_at <= v_now limit p_limit));
  get diagnostics o = row_count;
  delete from llm_private.cache_entries x where x.ctid = any (array(
    select y.ctid from llm_private.cache_entries y where y.expires_at <= v_now limit p_limit));
  get diagnostics c = row_count;
  -- Claim key rows seen committed (inserted by hand, or by a claim that found one committed meanwhile): they order
  -- nothing any more. A row a claim holds right now (taken over by its ON CONFLICT DO UPDATE) is skipped, not waited for.
  delete from llm_private.claim_mutexes x where x.ctid = any (array(
    select y.ctid from llm_private.claim_mutexes y limit p_limit for update skip locked));
  get diagnostics k = row_count;
  -- The breaker's history is kept as long as the ledger whose refusals it explains (its guard refuses younger rows).
  delete from llm_private.breaker_transitions x where x.id = any (array(
    select y.id from llm_private.breaker_transitions y where y.changed_at < v_kept_from order by y.changed_at limit p_limit));
  get diagnostics b = row_count;
  return query select t, o, c, k, b;
end
$$;

ALTER FUNCTION llm.purge_expired(p_limit integer) OWNER TO llm_owner;

--
-- Name: FUNCTION purge_expired(p_limit integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.purge_expired(p_limit integer) IS 'Operator (cron, hourly): deletes reasoning traces, final outputs and cache entries past their retention, the claim key rows left committed (llm_private.claim_mutexes), and breaker transitions older than the ledger''s retention (settings.ledger_retention_months, whole UTC months). At most p_limit of each. The ledger is never purged row by row: whole months are dropped (llm_maint.drop_expired_partitions).';

--
-- Name: record_worker_heartbeat(text, text[], text, integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.record_worker_heartbeat(p_worker_id text, p_lock_ids text[], p_host text DEFAULT NULL::text, p_pid integer DEFAULT NULL::integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  insert into llm_private.worker_heartbeats as h (worker_id, lock_ids, host, pid, started_at, seen_at)
  values (p_worker_id, coalesce(p_lock_ids, '{}'), left(p_host, 200), p_pid, clock_timestamp(), clock_timestamp())
  on conflict (worker_id) do update set lock_ids = excluded.lock_ids, host = excluded.host, pid = excluded.pid, seen_at = excluded.seen_at;
end
$$;

ALTER FUNCTION llm.record_worker_heartbeat(p_worker_id text, p_lock_ids text[], p_host text, p_pid integer) OWNER TO llm_owner;

--
-- Name: FUNCTION record_worker_heartbeat(p_worker_id text, p_lock_ids text[], p_host text, p_pid integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.record_worker_heartbeat(p_worker_id text, p_lock_ids text[], p_host text, p_pid integer) IS 'The worker''s login, every 10 s: this process (its graphile-worker pool id) is alive and locks jobs as p_lock_ids (graphile_worker.jobs.locked_by).';

--
-- Name: release_call(bigint, integer, text, text, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.release_call(p_request_pk bigint, p_attempt_no integer, p_reason text, p_final_failure text DEFAULT NULL::text, p_reserved_expiry timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS TABLE(state text, released_micros bigint, request_state text)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
#variable_conflict use_column
declare
  v_failure llm_private.reason := llm_private.require_failure_reason(p_final_failure);
  q llm_private.requests;
  a llm_private.attempts;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  if p_reason is null or length(p_reason) not between 1 and 200 then
    raise exception using errcode = '22023', message = 'a release needs a reason of 1 to 200 characters';
  end if;
  select * into q from llm_private.requests x
   where x.tenant_id = llm_private.current_tenant_id() and x.user_id = llm_private.current_user_id() and x.id = p_request_pk
   for update;
  select * into a from llm_private.attempts x where x.tenant_id = q.tenant_id and x.request_pk = q.id and x.attempt_no = p_attempt_no;
  if q.id is null or a.attempt_no is null then
    raise exception using errcode = 'P0002', message = 'attempt not found',
      detail = format('attempt %s/%s is not visible in this tenant and user context', p_request_pk, p_attempt_no);
  end if;
  if p_reserved_expiry is not null and a.expires_at - p_reserved_expiry not between interval '-1 millisecond' and interval '1 millisecond' then
    perform llm_private.stale_reservation(a, p_reserved_expiry);
  end if;
  if a.state = 'held' then
    update llm_private.attempts x set state = 'released'
     where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk and x.attempt_no = a.attempt_no;
  end if;
  if v_failure is not null then
    perform llm_private.finish_failed(q.tenant_id, q.id, v_failure);
  end if;
  return query select x.state::text, case when a.state = 'held' then a.held_micros else 0::bigint end,
    (select case when r.state = 'queued' then 'running' else r.state::text end from llm_private.requests r
      where r.tenant_id = q.tenant_id and r.id = q.id)
    from llm_private.attempts x where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk and x.attempt_no = a.attempt_no;
end
$$;

ALTER FUNCTION llm.release_call(p_request_pk bigint, p_attempt_no integer, p_reason text, p_final_failure text, p_reserved_expiry timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION release_call(p_request_pk bigint, p_attempt_no integer, p_reason text, p_final_failure text, p_reserved_expiry timestamp with time zone); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.release_call(p_request_pk bigint, p_attempt_no integer, p_reason text, p_final_failure text, p_reserved_expiry timestamp with time zone) IS 'The worker sent no provider request for a held attempt (e.g. the provider is not configured here): gives the hold back, nothing charged. A later settle of the same attempt still charges it (late). p_final_failure ends the request failed. p_reserved_expiry: as for llm.settle_call (LG008).';

--
-- Name: release_dead_worker_locks(integer, integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.release_dead_worker_locks(p_locked_for_ms integer, p_heartbeat_within_ms integer DEFAULT 60000) RETURNS TABLE(locked_by text, jobs integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_ids text[];
  v_jobs integer[];
begin
  if p_locked_for_ms is null or p_locked_for_ms < 1000 or p_heartbeat_within_ms is null or p_heartbeat_within_ms < 1000 then
    raise exception using errcode = '22023', message = 'p_locked_for_ms and p_heartbeat_within_ms are 1000 ms or more',
      detail = format('p_locked_for_ms = %s, p_heartbeat_within_ms = %s', p_locked_for_ms, p_heartbeat_within_ms),
      hint = 'p_locked_for_ms: longer than a governed job can run (the worker passes 4 x its call timeout + its Retry-After bound + 1 minute).';
  end if;
  delete from llm_private.worker_heartbeats h where h.seen_at < clock_timestamp() - interval '1 day';
  with named as (
    select x.id, bool_or(h.seen_at > clock_timestamp() - make_interval(secs => p_heartbeat_within_ms / 1000.0)) as live
      from llm_private.worker_heartbeats h cross join lateral unnest(h.lock_ids) x(id)
     where x.id is not null
     group by x.id
  ), locked as (
    select j.locked_by as id, j.locked_at,
           llm_private.job_is_ours(j.id, j.task_identifier, j.key) as ours
      from graphile_worker.jobs j
     where j.locked_by is not null
  )
  select array_agg(d.id order by d.id), array_agg(d.n order by d.id) into v_ids, v_jobs
    from (select l.id, count(*)::int as n from locked l
           -- Dead: named by a heartbeat, none of them recent. An id no heartbeat ever named is left to graphile-worker's own
           -- 4 hours: a worker of a release before heartbeats (alive during a rolling upgrade: drill 93 saw an old worker's
           -- 199 s call released at 189 s by new workers with a shorter bound, and sent twice), or one killed before its first.
           where exists (select 1 from named v where v.id = l.id and not v.live)
           group by l.id
          having bool_and(l.ours) and max(l.locked_at) < clock_timestamp() - make_interval(secs => p_locked_for_ms / 1000.0)) d;
  if v_ids is not null then
    perform graphile_worker.force_unlock_workers(v_ids);
  end if;
  return query select u.id, u.n from unnest(v_ids, v_jobs) u(id, n);
end
$$;

ALTER FUNCTION llm.release_dead_worker_locks(p_locked_for_ms integer, p_heartbeat_within_ms integer) OWNER TO llm_owner;

--
-- Name: FUNCTION release_dead_worker_locks(p_locked_for_ms integer, p_heartbeat_within_ms integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.release_dead_worker_locks(p_locked_for_ms integer, p_heartbeat_within_ms integer) IS 'The worker''s login, every minute (llm__release_dead_locks): releases (graphile_worker.force_unlock_workers) the locks of ids that a worker heartbeat named but none in the last p_heartbeat_within_ms, and whose jobs, all ours (llm_private.job_is_ours: a request''s job, by its key and the request''s job_id, or a maintenance job llm__*; never by its task''s name alone), are locked longer than p_locked_for_ms (an id no heartbeat ever named, from a release before heartbeats, and an id that also locks another application''s job, even one named like an endpoint, are left to graphile-worker''s own timeout); returns each id released and its jobs. Deletes heartbeats unseen for a day.';

--
-- Name: repair_usage_drift(text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.repair_usage_drift(p_reason text) RETURNS TABLE(id bigint, tenant_id uuid, meter_name text, user_id uuid, budget_scope text, period_start timestamp with time zone, shard smallint, kind text, moved_by bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
#variable_conflict use_column
declare
  v_ids bigint[] := '{}';
  v_pass bigint[];
begin
  perform llm_private.require_read_committed('a usage repair runs', 'it would read the drift of its own snapshot',
    'select * from llm.repair_usage_drift(''why'')');
  if p_reason is null or length(btrim(p_reason)) = 0 or length(p_reason) > 500 then
    raise exception using errcode = '22023', message = 'a usage repair says why (1 to 500 characters)',
      hint = 'The incident or the finding that explains the drift, e.g. ''INC-6: counter moved by hand on 2026-11-27''.';
  end if;
  -- The repairs' lock (as their insert trigger takes it), before this function reads the drift: a repair running meanwhile
  -- commits first, and this one reads what it left.
  lock table llm_private.usage_repairs in share row exclusive mode;
  -- A key whose held and spent both drift shows held first, its spent at the next pass; a missing row is created by one
  -- pass and its amounts moved by the next ones. Each pass reads the view twice (here, and its insert trigger to check).
  for pass in 1 .. 3 loop
    with ins as (
      insert into llm_private.usage_repairs as x (tenant_id, meter_id, user_id, budget_scope, period_start, shard, kind, moved_by,
                                                   reason, repaired_at, repaired_by)
      select d.tenant_id, d.meter_id, d.user_id, d.budget_scope, d.period_start, d.shard, d.kind, d.moved_by,
             p_reason, llm_private.now(), current_user
        from llm_private.drift_keys() d
       where d.kind <> 'missing_usage_row' or (llm_private.repair_limit(d.meter_id, d.tenant_id, d.user_id, d.period_start)).id is not null
      returning x.id)
    select coalesce(array_agg(ins.id), '{}') into v_pass from ins;
    exit when cardinality(v_pass) = 0;
    v_ids := v_ids || v_pass;
  end loop;
  return query
    select x.id, nullif(x.tenant_id, llm_private.nil_uuid()), m.name, nullif(x.user_id, llm_private.nil_uuid()), nullif(x.budget_scope, ''),
           x.period_start, x.shard, x.kind, x.moved_by
      from llm_private.usage_repairs x join llm_private.meters m on m.id = x.meter_id
     where x.id = any (v_ids)
     order by x.id;
end
$$;

ALTER FUNCTION llm.repair_usage_drift(p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION repair_usage_drift(p_reason text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.repair_usage_drift(p_reason text) IS 'Operator, once the drift is explained: moves every usage counter llm.reconciliation_drift shows back to its ledger (held or spent by the difference; a missing row created under the limit in effect), recording each move in llm.usage_repairs with p_reason. Safe while calls run (they move counter and ledger together); one repair at a time. Reads the view up to six times (~13 s each at 10^7 calls in two months). Returns the moves it made; what is left (a missing row no limit applies to) stays in llm.reconciliation_drift. Never llm.adjust_usage for drift: it moves the ledger too.';

--
-- Name: request_for_call(bigint); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.request_for_call(p_request_pk bigint) RETURNS TABLE(request_pk bigint, request_id text, endpoint text, state text, model_ref text, messages jsonb, max_output_tokens integer, response_format text, source_watermark text, budget_scope text, correlation_id text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

ALTER FUNCTION llm.request_for_call(p_request_pk bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION request_for_call(p_request_pk bigint); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.request_for_call(p_request_pk bigint) IS 'The worker (as llm_money) reads what a job must call: the request''s inputs as enqueued. A job payload is never trusted for them.';

--
-- Name: reserve_call(bigint, integer, integer, integer, text, text, real[]); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.reserve_call(p_request_pk bigint, p_job_attempt integer, p_input_tokens integer, p_call_timeout_ms integer, p_trace_id text DEFAULT NULL::text, p_purpose text DEFAULT 'chat'::text, p_embedding real[] DEFAULT NULL::real[]) RETURNS TABLE(decision text, reason text, attempt_no integer, provider text, model text, max_output_tokens integer, held_micros bigint, worst_case_micros bigint, limit_id integer, limit_name text, limit_cap bigint, limit_used bigint, expires_at timestamp with time zone, cached_output text, retry_after_ms integer, cache_key text, limit_scope text, limit_window text)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

ALTER FUNCTION llm.reserve_call(p_request_pk bigint, p_job_attempt integer, p_input_tokens integer, p_call_timeout_ms integer, p_trace_id text, p_purpose text, p_embedding real[]) OWNER TO llm_owner;

--
-- Name: FUNCTION reserve_call(p_request_pk bigint, p_job_attempt integer, p_input_tokens integer, p_call_timeout_ms integer, p_trace_id text, p_purpose text, p_embedding real[]); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.reserve_call(p_request_pk bigint, p_job_attempt integer, p_input_tokens integer, p_call_timeout_ms integer, p_trace_id text, p_purpose text, p_embedding real[]) IS 'Before a provider call (the worker, as llm_money, in the job''s tenant+user context): decides and holds. decision allow | cap | fallback: call provider:model with max_output_tokens, then llm.settle_call (or llm.release_call if no request was sent); block: refused (reason names the limit, with limit_id, limit_scope, limit_window, limit_cap and limit_used; refused by a limit, max_output_tokens and worst_case_micros are what the call asked, held_micros 0; the same figures for the limit that capped or moved a call; for a call allowed as asked (allow / ok), the tightest hard limit it was compared with and fitted (the least room left after its hold, in calls like this one), what that limit had used when compared (on an escrow-sharded meter, the call''s shard''s held + spent, compared with the shard''s share of the cap) and its cap: limit_used + what it holds there <= limit_cap; NULL when no hard limit applied; limit_name cost_ceiling (scope and window request, limit_id NULL) for the payload''s cost ceiling; with retry_after_ms, the request stays open: every model of its chain was behind an open breaker before the job''s last attempt: the cooldown in ms; the worker leaves the job to graphile-worker''s backoff); cached: cached_output is the answer, nothing to call; replay: in_flight (this job attempt already holds attempt_no) or request_final; wait: an identical request fills the cache, LISTEN llm_cache_filled for the fill''s token (returned in cache_key; not the key itself) or ask again after retry_after_ms. p_purpose embedding reserves the embedding call of the semantic cache (at the endpoint''s embedding model''s price); p_embedding (chat only, after that call settled ok) is the question''s vector: when the exact key misses and the endpoint has a threshold, the database looks up the nearest entry of the request''s scope, and a hit is decision cached / semantic_hit, free (llm.calls records similarity, cache_source_pk, semantic_candidates and semantic_bound_hit).';

--
-- Name: reset_breaker(text, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.reset_breaker(p_provider text, p_model text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  update llm_private.provider_breakers set state = 'closed', consecutive_failures = 0, open_until = null, probe_started_at = null,
    updated_at = llm_private.now()
   where provider = p_provider and model = p_model;
  return found;
end
$$;

ALTER FUNCTION llm.reset_breaker(p_provider text, p_model text) OWNER TO llm_owner;

--
-- Name: FUNCTION reset_breaker(p_provider text, p_model text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.reset_breaker(p_provider text, p_model text) IS 'Operator: closes a provider+model breaker by hand. False when it has no row. A breaker that was not closed records the change (llm.breaker_transitions: by_hand, changed_by).';

--
-- Name: schedule_shutoff(text, uuid, uuid, timestamp with time zone, timestamp with time zone, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.schedule_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_reason text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_id bigint;
begin
  insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason)
  values (llm_private.require_shutoff_scope(p_scope), p_tenant_id, p_user_id, 'scheduled', p_starts_at, p_ends_at, p_reason)
  returning id into v_id;
  return v_id;
end
$$;

ALTER FUNCTION llm.schedule_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION schedule_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_reason text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.schedule_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_reason text) IS 'Operator: schedules a shutoff between two times (for example a maintenance hour) at global, tenant or user scope. Returns the window id.';

--
-- Name: semantic_cache_path(integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.semantic_cache_path(p_dims integer) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select case when llm_private.semantic_hnsw_index(p_dims) is not null then 'pgvector' else 'portable' end
$$;

ALTER FUNCTION llm.semantic_cache_path(p_dims integer) OWNER TO llm_owner;

--
-- Name: FUNCTION semantic_cache_path(p_dims integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.semantic_cache_path(p_dims integer) IS 'Which path a semantic lookup of p_dims-dimensional embeddings takes here: pgvector (HNSW index present) or portable. The worker logs it once at start.';

--
-- Name: set_breaker_settings(integer, integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog'
    AS $$
  update llm_private.settings set breaker_failure_threshold = p_failure_threshold, breaker_cooldown_ms = p_cooldown_ms
$$;

ALTER FUNCTION llm.set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer) OWNER TO llm_owner;

--
-- Name: FUNCTION set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer) IS 'Operator: consecutive failures that open a breaker, and its cooldown. One policy for every worker, so it lives in the database.';

--
-- Name: set_endpoint_cache(uuid, text, boolean, real, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real DEFAULT NULL::real, p_embedding_model text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  insert into llm_private.endpoint_settings (tenant_id, endpoint, cache_shared, semantic_threshold, embedding_model)
  values (p_tenant_id, p_endpoint::llm_private.endpoint, p_shared, p_semantic_threshold, p_embedding_model)
  on conflict (tenant_id, endpoint) do update set cache_shared = excluded.cache_shared,
    semantic_threshold = excluded.semantic_threshold, embedding_model = excluded.embedding_model;
end
$$;

ALTER FUNCTION llm.set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real, p_embedding_model text) OWNER TO llm_owner;

--
-- Name: FUNCTION set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real, p_embedding_model text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real, p_embedding_model text) IS 'Operator: whether a tenant (NULL: the default for every tenant) shares an endpoint''s cache among its users, and its semantic cache threshold and embedding model (NULL threshold: exact cache only).';

--
-- Name: set_fallbacks(text, text, text[]); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.set_fallbacks(p_provider text, p_model text, p_chain text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  r record;
begin
  if cardinality(p_chain) > 10 then
    raise exception using errcode = '22023', message = 'a fallback chain has at most 10 models';
  end if;
  delete from llm_private.model_fallbacks f where f.provider = p_provider and f.model = p_model;
  for r in select c, n from unnest(p_chain) with ordinality u(c, n) loop
    insert into llm_private.model_fallbacks (provider, model, position, fallback_provider, fallback_model)
    select p_provider, p_model, r.n, x.provider, x.model from llm_private.split_model_ref(r.c) x;
  end loop;
end
$$;

ALTER FUNCTION llm.set_fallbacks(p_provider text, p_model text, p_chain text[]) OWNER TO llm_owner;

--
-- Name: FUNCTION set_fallbacks(p_provider text, p_model text, p_chain text[]); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.set_fallbacks(p_provider text, p_model text, p_chain text[]) IS 'Operator: the ordered fallback chain of a model, as provider:model references (replaces the previous chain).';

--
-- Name: set_limit(text, bigint, uuid, uuid, text, text, timestamp with time zone, timestamp with time zone, smallint[], boolean, smallint, text, integer, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.set_limit(p_meter text, p_cap bigint, p_tenant_id uuid DEFAULT NULL::uuid, p_user_id uuid DEFAULT NULL::uuid, p_kind text DEFAULT 'hard'::text, p_action text DEFAULT 'block'::text, p_valid_from timestamp with time zone DEFAULT NULL::timestamp with time zone, p_valid_until timestamp with time zone DEFAULT NULL::timestamp with time zone, p_alert_pcts smallint[] DEFAULT '{80,95,100}'::smallint[], p_trips_shutoff boolean DEFAULT false, p_pressure_pct smallint DEFAULT NULL::smallint, p_pressure_model text DEFAULT NULL::text, p_min_output_tokens integer DEFAULT 16, p_note text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_meter smallint;
  v_id integer;
  v_now timestamptz := llm_private.now();
  v_from timestamptz;
  v_until timestamptz;
begin
  select m.id into v_meter from llm_private.meters m where m.name = p_meter;
  if v_meter is null then
    raise exception using errcode = 'P0002', message = 'unknown meter', detail = format('meter %s', p_meter),
      hint = 'See llm.limits for the meters, or create one with llm.define_meter.';
  end if;
  -- An unknown kind or action: 22023 naming what to pass (a raw 22P02 from the cast said only "invalid input value"), as
  -- llm.define_meter does for its scope, window and unit (review 91).
  if p_kind is null or p_kind not in (select e::text from unnest(enum_range(null::llm_private.limit_kind)) e) then
    raise exception using errcode = '22023', message = format('unknown limit kind %L', p_kind),
      hint = 'hard (refuses, or shapes, a call that does not fit) or soft (only counts and alerts).';
  end if;
  if p_action is null or p_action not in (select e::text from unnest(enum_range(null::llm_private.limit_action)) e) then
    raise exception using errcode = '22023', message = format('unknown limit action %L', p_action),
      hint = 'block; or, for a hard micro-USD limit per request or budget scope, cap (lower max output tokens to fit) or fallback (a model of the fallback chain that fits).';
  end if;
  if p_valid_until is not null and p_valid_until <= greatest(coalesce(p_valid_from, v_now), v_now) then
    raise exception using errcode = '22023', message = 'a limit ends after it starts',
      detail = format('p_valid_from = %s, p_valid_until = %s, now = %s', coalesce(p_valid_from::text, 'now'), p_valid_until, v_now),
      hint = 'p_valid_until later than p_valid_from (and than now); to end a limit now, llm.end_limit(limit_id).';
  end if;
  if p_valid_from < v_now - interval '1 minute' then
    raise exception using errcode = '22023', message = 'a limit starts now or later',
      detail = format('p_valid_from = %s, now = %s', p_valid_from, v_now),
      hint = 'Reserves already decided under the limits of their time; to correct spend use llm.adjust_usage.';
  end if;
  v_from := greatest(coalesce(p_valid_from, v_now), v_now);
  if p_valid_until is null then
    -- One change of a meter's permanent limits at a time (llm.end_limit takes the same lock: the meter's row): two operators'
    -- set_limit at once each ended only what its snapshot saw, and both new limits stayed open-ended, the first coming back
    -- into effect when the second was ended (helper 92). Reserve never locks a meter's row (nor does the foreign key's
    -- KEY SHARE wait for this lock).
    perform 1 from llm_private.meters m where m.id = v_meter for no key update;
    -- A new permanent limit replaces the subject's permanent one in effect when it starts (until then the old one
    -- applies; temporary ones stand), also one that a limit scheduled later was already to replace, and lasts until the
    -- next permanent one scheduled after it starts, if any: the subject's permanent limits are one timeline. A limit set
    -- to apply at once ended only permanent limits without an end, and a 20 000 set at 10:30 waited behind a 100 000 that a
    -- 50 000 scheduled for 11:00 was to replace (review 91).
    update llm_private.limits l set valid_until = v_from
     where l.meter_id = v_meter and l.tenant_id is not distinct from p_tenant_id and l.user_id is not distinct from p_user_id
       and not l.temporary and l.valid_from <= v_from and l.valid_until > v_from;
    select min(l.valid_from) into v_until from llm_private.limits l
     where l.meter_id = v_meter and l.tenant_id is not distinct from p_tenant_id and l.user_id is not distinct from p_user_id
       and not l.temporary and l.valid_from > v_from and l.valid_until > l.valid_from;
  end if;
  insert into llm_private.limits (meter_id, tenant_id, user_id, cap, kind, action, min_output_tokens, trips_shutoff, alert_pcts,
    pressure_pct, pressure_model, valid_from, valid_until, temporary, note)
  values (v_meter, p_tenant_id, p_user_id, p_cap, p_kind::llm_private.limit_kind, p_action::llm_private.limit_action, p_min_output_tokens,
    p_trips_shutoff, p_alert_pcts, p_pressure_pct, p_pressure_model, v_from, coalesce(p_valid_until, v_until, 'infinity'),
    p_valid_until is not null, p_note)
  returning id into v_id;
  return v_id;
end
$$;

ALTER FUNCTION llm.set_limit(p_meter text, p_cap bigint, p_tenant_id uuid, p_user_id uuid, p_kind text, p_action text, p_valid_from timestamp with time zone, p_valid_until timestamp with time zone, p_alert_pcts smallint[], p_trips_shutoff boolean, p_pressure_pct smallint, p_pressure_model text, p_min_output_tokens integer, p_note text) OWNER TO llm_owner;

--
-- Name: FUNCTION set_limit(p_meter text, p_cap bigint, p_tenant_id uuid, p_user_id uuid, p_kind text, p_action text, p_valid_from timestamp with time zone, p_valid_until timestamp with time zone, p_alert_pcts smallint[], p_trips_shutoff boolean, p_pressure_pct smallint, p_pressure_model text, p_min_output_tokens integer, p_note text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.set_limit(p_meter text, p_cap bigint, p_tenant_id uuid, p_user_id uuid, p_kind text, p_action text, p_valid_from timestamp with time zone, p_valid_until timestamp with time zone, p_alert_pcts smallint[], p_trips_shutoff boolean, p_pressure_pct smallint, p_pressure_model text, p_min_output_tokens integer, p_note text) IS 'Operator: caps a meter for everyone (tenant and user NULL), a tenant or a user. hard refuses (or shapes: action cap | fallback for request and budget scope limits), soft only alerts. With p_valid_until it is temporary (e.g. an increase until Friday) and ends by itself; without, it replaces the subject''s permanent limit from p_valid_from (default now; never in the past). Alerts at p_alert_pcts of the cap; p_trips_shutoff opens a shutoff window when spent crosses the cap (a cap of 0: both at the first charge); p_pressure_pct switches to p_pressure_model (or the fallback chain) above that share (held + spent above 0: at a cap of 0, from the first hold or charge). Returns the limit id.';

--
-- Name: set_model_price(text, text, bigint, bigint, bigint, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.set_model_price(p_provider text, p_model text, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_effective_from timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_id integer;
begin
  insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros)
  values (p_provider, p_model, coalesce(p_effective_from, llm_private.now()), p_input_per_mtok_micros, p_cached_input_per_mtok_micros,
    p_output_per_mtok_micros)
  returning id into v_id;
  return v_id;
end
$$;

ALTER FUNCTION llm.set_model_price(p_provider text, p_model text, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_effective_from timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION set_model_price(p_provider text, p_model text, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_effective_from timestamp with time zone); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.set_model_price(p_provider text, p_model text, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_effective_from timestamp with time zone) IS 'Operator: a new price (micro-USD per million tokens: input, cached input, output) from p_effective_from (default now). Append-only: calls already reserved keep the price they pinned.';

--
-- Name: set_setting(text, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.set_setting(p_name text, p_value text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $_$
begin
  if p_name not in ('hold_margin_ms', 'max_attempts_per_request', 'enqueue_max_attempts', 'breaker_failure_threshold', 'breaker_cooldown_ms',
      'cache_ttl_ms', 'cache_fill_wait_ms', 'output_retention_ms', 'trace_retention_ms', 'ledger_retention_months', 'partitions_ahead_months',
      'idempotency_months', 'semantic_max_candidates', 'settle_commit', 'queue_share_jobs', 'breaker_single_tenant_opens',
      'reconciliation_work_mem_mb') then
    raise exception using errcode = '22023', message = 'unknown setting', detail = format('setting %s', p_name),
      hint = 'See the columns of llm_private.settings (comments say what each does).';
  end if;
  if p_name = 'settle_commit' then
    update llm_private.settings set settle_commit = p_value;
    return;
  end if;
  if p_name = 'breaker_single_tenant_opens' then
    update llm_private.settings set breaker_single_tenant_opens = p_value::boolean;
    return;
  end if;
  execute format('update llm_private.settings set %I = $1::bigint', p_name) using p_value;
end
$_$;

ALTER FUNCTION llm.set_setting(p_name text, p_value text) OWNER TO llm_owner;

--
-- Name: FUNCTION set_setting(p_name text, p_value text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.set_setting(p_name text, p_value text) IS 'Operator: changes one global setting (see the comments on llm_private.settings); the value''s range is checked by the table.';

--
-- Name: set_tenant_data_use(uuid, boolean, boolean); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  update llm_private.tenants set distillation_opt_in = p_distillation_opt_in, traces_distillable = p_traces_distillable
   where id = p_tenant_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'unknown tenant', detail = format('tenant %s', p_tenant_id);
  end if;
end
$$;

ALTER FUNCTION llm.set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean) OWNER TO llm_owner;

--
-- Name: FUNCTION set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean) IS 'Operator: records a tenant''s consent to use its final outputs, and separately its reasoning traces, for distillation. Only operators can: consent is never set by the application or a worker.';

--
-- Name: settle_call(bigint, integer, text, integer, integer, integer, integer, text, text, boolean, boolean, text, real[], text, boolean, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.settle_call(p_request_pk bigint, p_attempt_no integer, p_status text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_output text DEFAULT NULL::text, p_reasoning text DEFAULT NULL::text, p_output_valid boolean DEFAULT NULL::boolean, p_pii_flagged boolean DEFAULT NULL::boolean, p_final_failure text DEFAULT NULL::text, p_embedding real[] DEFAULT NULL::real[], p_answered_model text DEFAULT NULL::text, p_answered_same boolean DEFAULT false, p_reserved_expiry timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS TABLE(state text, cost_micros bigint, held_micros bigint, released_micros bigint, overrun_micros bigint, usage_unknown boolean, late boolean, replayed boolean, request_state text)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
#variable_conflict use_column
declare
  v_status llm_private.provider_status := llm_private.require_status(p_status);
  v_failure llm_private.reason := llm_private.require_failure_reason(p_final_failure);
  q llm_private.requests;
  a llm_private.attempts;
  v_prev llm_private.attempt_state;
  -- Texts above what call_outputs and reasoning_traces hold (1 MiB) are not stored: the money is settled all the same
  -- (a failed insert lost the settle, and with it usage above the hold), and such an output is not valid.
  v_output text := case when octet_length(p_output) <= 1048576 then p_output end;
  v_reasoning text := case when octet_length(p_reasoning) <= 1048576 then p_reasoning end;
  -- Another model's name as the answer gave it (the settle trigger stores ? for what is no model name).
  v_answered text := p_answered_model;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  if p_input_tokens not between 0 and 10000000 then perform llm_private.require_range('p_input_tokens', p_input_tokens, 0, 10000000); end if;
  if p_cached_input_tokens not between 0 and 10000000 then perform llm_private.require_range('p_cached_input_tokens', p_cached_input_tokens, 0, 10000000); end if;
  if p_output_tokens not between 0 and 10000000 then perform llm_private.require_range('p_output_tokens', p_output_tokens, 0, 10000000); end if;
  if p_latency_ms is null or p_latency_ms not between 0 and 86400000 then perform llm_private.require_range('p_latency_ms', p_latency_ms, 0, 86400000); end if;
  if p_embedding is not null then
    perform llm_private.require_embedding(p_embedding);
  end if;
  select * into q from llm_private.requests x
   where x.tenant_id = llm_private.current_tenant_id() and x.user_id = llm_private.current_user_id() and x.id = p_request_pk
   for update;
  select * into a from llm_private.attempts x where x.tenant_id = q.tenant_id and x.request_pk = q.id and x.attempt_no = p_attempt_no;
  if q.id is null or a.attempt_no is null then
    raise exception using errcode = 'P0002', message = 'attempt not found',
      detail = format('attempt %s/%s is not visible in this tenant and user context', p_request_pk, p_attempt_no);
  end if;
  if p_reserved_expiry is not null and a.expires_at - p_reserved_expiry not between interval '-1 millisecond' and interval '1 millisecond' then
    perform llm_private.stale_reservation(a, p_reserved_expiry);
  end if;
  if a.state in ('settled', 'refused', 'cached') then
    return query select a.state::text, coalesce(a.charged_micros, 0), a.held_micros, 0::bigint,
      greatest(coalesce(a.charged_micros, 0) - a.held_micros, 0), a.usage_unknown, a.late, true, q.state::text;
    return;
  end if;
  if v_answered is not null and p_answered_same then
    -- The worker's configuration takes this name for the model asked for (a dated snapshot, a deployment's alias): noted
    -- only when one of its names is priced apart here (gpt-4o-2024-05-13 costs more than gpt-4o; review of the fixes).
    select case when exists (select 1 from unnest(llm_private.answered_model_names(v_answered)) n(model)
                              where n.model <> pr.model and (llm_private.price_in_effect(pr.provider, n.model, a.reserved_at)).id is not null)
                then v_answered end
      into v_answered
      from llm_private.model_prices pr where pr.id = a.price_id;
  end if;
  v_prev := a.state;
  update llm_private.attempts x
     set state = 'settled', input_tokens = p_input_tokens, cached_input_tokens = p_cached_input_tokens, output_tokens = p_output_tokens,
         latency_ms = p_latency_ms, provider_status = v_status,
         output_valid = case when p_output is null then null when v_output is null then false else p_output_valid end,
         pii_flagged = p_pii_flagged, answered_model = v_answered
   where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk and x.attempt_no = a.attempt_no
  returning x.* into a;
  -- The final output and the reasoning go to their own tables, with their own retention.
  if v_output is not null and v_status = 'ok' and a.purpose = 'chat' then
    insert into llm_private.call_outputs (tenant_id, request_pk, attempt_no, user_id, output, created_at, expires_at)
    values (a.tenant_id, a.request_pk, a.attempt_no, a.user_id, v_output, llm_private.now(), llm_private.now());
    if v_reasoning is not null then
      insert into llm_private.reasoning_traces (tenant_id, request_pk, attempt_no, user_id, trace, created_at, expires_at)
      values (a.tenant_id, a.request_pk, a.attempt_no, a.user_id, v_reasoning, llm_private.now(), llm_private.now());
    end if;
    -- A shared cache (the tenant's: owner nil) takes only an answer known to be free of personal data: a flagged one was
    -- served to a colleague by a semantic hit (tenth review). A user's own cache serves the user's own answers.
    if a.decision = 'allow' and a.output_valid and not a.usage_unknown
       and (a.answered_model is null or exists (select 1 from llm_private.model_prices pr
                                                 where pr.id = a.price_id and llm_private.is_asked_model(pr.model, a.answered_model)))
       and (a.pii_flagged is false or llm_private.cache_owner(a.tenant_id, a.user_id, q.endpoint) <> llm_private.nil_uuid())
       and (select x.cache_key from llm_private.request_inputs x where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk) is not null
       and (select x.model_ref from llm_private.request_inputs x where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk)
           = (select pr.provider || ':' || pr.model from llm_private.model_prices pr where pr.id = a.price_id) then
      insert into llm_private.cache_entries (tenant_id, owner_user_id, cache_key, endpoint, provider, model, system_hash, response_format,
        source_watermark, output, source_request_pk, source_attempt_no, source_cost_micros, embedding, created_at, expires_at)
      values (a.tenant_id, null, null, null, null, null, null, null, null, v_output, a.request_pk, a.attempt_no, null, p_embedding, null, null)
      on conflict (tenant_id, owner_user_id, cache_key) do update
        set output = excluded.output, source_request_pk = excluded.source_request_pk, source_attempt_no = excluded.source_attempt_no,
            embedding = excluded.embedding;
    end if;
  end if;
  if v_failure is not null then
    perform llm_private.finish_failed(q.tenant_id, q.id, v_failure);
  end if;
  -- The commit need not wait for its WAL flush when a lost settle cannot under-count: the attempt then stays held (its
  -- reserve committed durably) or expired, and the expiry charges the hold in full, which is at least this settle's charge
  -- in every unit. An overrun (a charge above the hold) and a settle after a release (which charged nothing) wait for their
  -- flush. settings.settle_commit = 'durable' makes every one wait. What the expiry charges is the hold without its least
  -- charge (held_amount with holds_least_charge false: the worst case, the estimate, the max output), so a charge of 1 input
  -- token on an estimate of 0 waits for its flush, though the hold was 1 (an expiry would charge 0 of them).
  if v_prev in ('held', 'expired') and (select s.settle_commit = 'deferred' from llm_private.settings s)
     and not exists (select 1 from unnest(enum_range(null::llm_private.limit_unit)) u
                      where llm_private.charged_amount(u, a)
                            > llm_private.held_amount(u, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, false)) then
    perform set_config('synchronous_commit', 'off', true);
  end if;
  return query select 'settled'::text, a.charged_micros, a.held_micros,
    case when v_prev = 'held' then greatest(a.held_micros - a.charged_micros, 0) else 0::bigint end,
    greatest(a.charged_micros - a.held_micros, 0), a.usage_unknown, a.late, false,
    (select case when x.state = 'queued' then 'running' else x.state::text end from llm_private.requests x
      where x.tenant_id = q.tenant_id and x.id = q.id);
end
$$;

ALTER FUNCTION llm.settle_call(p_request_pk bigint, p_attempt_no integer, p_status text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_output text, p_reasoning text, p_output_valid boolean, p_pii_flagged boolean, p_final_failure text, p_embedding real[], p_answered_model text, p_answered_same boolean, p_reserved_expiry timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION settle_call(p_request_pk bigint, p_attempt_no integer, p_status text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_output text, p_reasoning text, p_output_valid boolean, p_pii_flagged boolean, p_final_failure text, p_embedding real[], p_answered_model text, p_answered_same boolean, p_reserved_expiry timestamp with time zone); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.settle_call(p_request_pk bigint, p_attempt_no integer, p_status text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_output text, p_reasoning text, p_output_valid boolean, p_pii_flagged boolean, p_final_failure text, p_embedding real[], p_answered_model text, p_answered_same boolean, p_reserved_expiry timestamp with time zone) IS 'After a provider call (the worker, as llm_money): records the outcome of attempt p_attempt_no. Cost = tokens at the price pinned at reserve (input excludes cached input); NULL tokens mean the usage is unknown and the full hold is charged (flagged usage_unknown); p_answered_model: the model the provider said answered, when its name is not the one asked for (p_answered_same: the worker''s configuration takes it for the model asked for, a dated snapshot or an alias; it is then kept only when one of its names is priced apart): its tokens are charged at the dearest price in effect at reserve among the asked model and the answering model''s names for the same provider; when the answering model has no price, the cost is unknown (usage_unknown): the full hold, or the tokens at the asked price when that is more; another model''s answer fills no cache and is not eligible for distillation (a snapshot of the asked model priced apart is judged as the asked model''s); a 429, 500 or 503 the provider answered itself is settled with zeros (a gateway''s 502 or 504, its timeout of the upstream call (408, 520, 524, 598, 599), and any 5xx of a provider configured as a gateway leave the outcome unknown: NULL tokens; the worker decides, src/provider/errors.ts kindForStatus). Stores the final output and the reasoning trace apart, fills the cache with a complete valid answer of the requested model (p_embedding: its question''s embedding, for the semantic cache), records the breaker outcome, decides distillation eligibility. p_final_failure (provider_client_error, attempts_exhausted, ...): no retry will follow, the request ends failed. Idempotent: settling again returns the first result with replayed = true. p_reserved_expiry: the expires_at reserve returned; an attempt that is not that reservation is refused (LG008: the database lost it to a restore or failover and issued its ids again), nothing recorded. Its transaction commits without waiting for the WAL flush (synchronous_commit = off) when the charge is within the hold in every unit (the hold as an expiry charges it: without the least charge held on the meters, llm_private.held_amount) and settings.settle_commit is deferred: a crash that loses it leaves the hold, which the expiry charges in full.';

--
-- Name: sign_context(text, uuid, uuid, integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer DEFAULT 300) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm.sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer) OWNER TO llm_owner;

--
-- Name: FUNCTION sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer) IS 'Makes an application context token for a tenant and user, valid p_ttl_s seconds, signed with the context secret you pass (the same secret as LLM_CONTEXT_SECRET). Harmless to expose: without the secret it signs nothing the database accepts. Applications usually sign in their own code (src/db/context.ts signContext).';

--
-- Name: trip_shutoff(text, uuid, uuid, timestamp with time zone, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamp with time zone, p_reason text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_id bigint;
begin
  insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason)
  values (llm_private.require_shutoff_scope(p_scope), p_tenant_id, p_user_id, 'manual', llm_private.now(), p_until, p_reason)
  returning id into v_id;
  return v_id;
end
$$;

ALTER FUNCTION llm.trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamp with time zone, p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamp with time zone, p_reason text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamp with time zone, p_reason text) IS 'Operator: stops calls now at global (tenant and user NULL), tenant (user NULL) or user scope until p_until (finite, at most 92 days). Returns the window id.';

--
-- Name: upsert_tenant(uuid, text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.upsert_tenant(p_tenant_id uuid, p_name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  insert into llm_private.tenants (id, name) values (p_tenant_id, p_name)
  on conflict (id) do update set name = excluded.name;
end
$$;

ALTER FUNCTION llm.upsert_tenant(p_tenant_id uuid, p_name text) OWNER TO llm_owner;

--
-- Name: FUNCTION upsert_tenant(p_tenant_id uuid, p_name text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.upsert_tenant(p_tenant_id uuid, p_name text) IS 'Operator: creates a tenant (or renames it). Its caps are limits: the defaults apply until llm.set_limit sets its own.';

--
-- Name: use_context(text); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.use_context(p_token text) RETURNS TABLE(tenant_id uuid, user_id uuid)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm.use_context(p_token text) OWNER TO llm_owner;

--
-- Name: FUNCTION use_context(p_token text); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.use_context(p_token text) IS 'The application''s first call in each transaction: verifies the signed context token (42501 when invalid or expired) and sets it for this transaction only. Returns the tenant and user it names.';

--
-- Name: validate_payload(jsonb); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.validate_payload(p_payload jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$ select llm_private.payload_errors(p_payload) $$;

ALTER FUNCTION llm.validate_payload(p_payload jsonb) OWNER TO llm_owner;

--
-- Name: FUNCTION validate_payload(p_payload jsonb); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.validate_payload(p_payload jsonb) IS 'The problems with an enqueue payload, or an empty array when llm.enqueue_call would accept it.';

--
-- Name: held_amount(llm_private.limit_unit, bigint, integer, integer, llm_private.purpose, boolean); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  -- (The least charge as an int4 of the boolean, 1 or 0: one expression, so that the function is inlined.)
  select case p_unit
    when 'micros' then greatest(p_held_micros, p_holds_least_charge::pg_catalog.int4)
    when 'tokens' then greatest(p_input_tokens_estimate::pg_catalog.int8 + p_max_output_tokens, p_holds_least_charge::pg_catalog.int4)
    when 'input_tokens' then greatest(p_input_tokens_estimate::pg_catalog.int8, p_holds_least_charge::pg_catalog.int4)
    when 'output_tokens' then greatest(p_max_output_tokens::pg_catalog.int8, (p_holds_least_charge and p_purpose = 'chat')::pg_catalog.int4)
    when 'calls' then case when p_purpose = 'chat' then 1::pg_catalog.int8 else 0::pg_catalog.int8 end
    else 0::pg_catalog.int8 end
$$;

ALTER FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) OWNER TO llm_owner;

--
-- Name: FUNCTION held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) IS 'What a held attempt holds on a meter of this unit, from its columns (held_micros, input_tokens_estimate, max_output_tokens, purpose, holds_least_charge): the amount, and with holds_least_charge at least 1 of each unit the call can be charged in (the least charge, the room a hard limit checked: not an embedding call''s output tokens or calls). held_micros (the worst case, which an expiry charges) is not floored.';

--
-- Name: new_request_id(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.new_request_id() RETURNS bigint
    LANGUAGE sql
    AS $$
  select (llm_private.month_index(llm_private.now())::pg_catalog.int8 operator(pg_catalog.<<) 40)
       operator(pg_catalog.|) (pg_catalog.nextval('llm_private.request_id_seq') operator(pg_catalog.&) 1099511627775)
$$;

ALTER FUNCTION llm_private.new_request_id() OWNER TO llm_owner;

--
-- Name: FUNCTION new_request_id(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.new_request_id() IS 'A request id: its UTC month (month_index) in the high bits, a sequence in the low 40, so that the id routes to its month''s partition and a lookup by id prunes to one partition.';

--
-- Name: now(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.now() RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  c llm_private.clock;
begin
  select * into c from llm_private.clock where id;
  return coalesce(c.frozen_at, clock_timestamp() + make_interval(secs => coalesce(c.offset_ms, 0) / 1000.0));
end
$$;

ALTER FUNCTION llm_private.now() OWNER TO llm_owner;

--
-- Name: FUNCTION now(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.now() IS 'The time every money and window rule uses: the current time (clock_timestamp, so a long transaction cannot keep using its start), unless the owner froze or shifted llm_private.clock.';

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: model_prices; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.model_prices (
    id integer NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    effective_from timestamp with time zone NOT NULL,
    input_per_mtok_micros bigint NOT NULL,
    cached_input_per_mtok_micros bigint NOT NULL,
    output_per_mtok_micros bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    CONSTRAINT model_prices_cached_input_per_mtok_micros_check CHECK (((cached_input_per_mtok_micros >= 0) AND (cached_input_per_mtok_micros <= '1000000000000'::bigint))),
    CONSTRAINT model_prices_input_per_mtok_micros_check CHECK (((input_per_mtok_micros >= 0) AND (input_per_mtok_micros <= '1000000000000'::bigint))),
    CONSTRAINT model_prices_output_per_mtok_micros_check CHECK (((output_per_mtok_micros >= 0) AND (output_per_mtok_micros <= '1000000000000'::bigint)))
);

ALTER TABLE ONLY llm_private.model_prices FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.model_prices OWNER TO llm_owner;

--
-- Name: TABLE model_prices; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.model_prices IS 'Prices per million tokens in micro-USD, effective from an instant. Append-only: a new price is a new row, and every attempt pins the row it was reserved at.';

--
-- Name: worst_case_micros(llm_private.model_prices, integer, integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select greatest(llm_private.call_cost_micros(p, p_input_tokens, 0, p_output_tokens),
                  llm_private.call_cost_micros(p, 0, p_input_tokens, p_output_tokens))
$$;

ALTER FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) OWNER TO llm_owner;

--
-- Name: FUNCTION worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) IS 'What a reserve holds: every input token at the dearer of the two input prices (a cached price above the uncached one was charged past the hold; tenth review) and every allowed output token, rounded up once. No settle within these tokens costs more (call_cost_micros).';

--
-- Name: attempts; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.attempts (
    tenant_id uuid NOT NULL,
    request_pk bigint NOT NULL,
    attempt_no smallint NOT NULL,
    user_id uuid NOT NULL,
    purpose llm_private.purpose DEFAULT 'chat'::llm_private.purpose NOT NULL,
    job_attempt smallint NOT NULL,
    state llm_private.attempt_state NOT NULL,
    decision llm_private.decision NOT NULL,
    reason llm_private.reason NOT NULL,
    price_id integer,
    input_tokens_estimate integer NOT NULL,
    max_output_tokens integer NOT NULL,
    held_micros bigint DEFAULT 0 NOT NULL,
    reserved_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    input_tokens integer,
    cached_input_tokens integer,
    output_tokens integer,
    cost_micros bigint,
    charged_micros bigint DEFAULT 0 NOT NULL,
    latency_ms integer,
    provider_status llm_private.provider_status,
    usage_unknown boolean DEFAULT false NOT NULL,
    late boolean DEFAULT false NOT NULL,
    output_valid boolean,
    pii_flagged boolean,
    meter_ids smallint[] DEFAULT '{}'::smallint[] NOT NULL,
    limit_id integer,
    limit_cap bigint,
    limit_used bigint,
    cache_key text,
    cache_source_pk bigint,
    similarity real,
    trace_id text,
    distillation_eligible boolean,
    distillation_reason llm_private.distill_reason,
    fills_cache boolean DEFAULT false NOT NULL,
    semantic_candidates integer,
    semantic_bound_hit boolean,
    answered_model text,
    holds_least_charge boolean DEFAULT false NOT NULL
)
PARTITION BY RANGE (request_pk);

ALTER TABLE ONLY llm_private.attempts FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.attempts OWNER TO llm_owner;

--
-- Name: TABLE attempts; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.attempts IS 'Every reserve''s decision and what became of it (the ledger). INSERT = reserve, UPDATE = settle | release | expiry; the triggers in sql/api/*attempts* derive decisions, holds, costs, charges and consent, and move usage. No DELETE.';

--
-- Name: COLUMN attempts.job_attempt; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.job_attempt IS 'graphile-worker''s attempt number of the job that reserved (0 for calls outside a job): reserve is idempotent per (request, job attempt, purpose).';

--
-- Name: COLUMN attempts.held_micros; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.held_micros IS 'The worst case held while state = held (input estimate at the uncached price + every allowed output token).';

--
-- Name: COLUMN attempts.charged_micros; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.charged_micros IS 'What the attempt counts as spent: the real cost once settled, the full hold when expired (unknown outcome), 0 when released or refused.';

--
-- Name: COLUMN attempts.usage_unknown; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.usage_unknown IS 'The provider''s usage is unknown (timeout after sending, dropped connection, malformed body, expiry): charged the full hold.';

--
-- Name: COLUMN attempts.late; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.late IS 'Settled after it had expired or been released: the conservative charge was replaced by the real cost, once.';

--
-- Name: COLUMN attempts.meter_ids; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.meter_ids IS 'The meters this attempt counts on (its footprint, fixed at reserve): usage moves on exactly these at settle, release and expiry.';

--
-- Name: COLUMN attempts.limit_id; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.limit_id IS 'For a refusal, a cap or a fallback by a limit: the limit that decided; limit_cap and limit_used are the figures compared.';

--
-- Name: COLUMN attempts.cache_key; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.cache_key IS 'For a cache hit: the key of the entry served.';

--
-- Name: COLUMN attempts.cache_source_pk; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.cache_source_pk IS 'For a cache hit: the request whose answer was served.';

--
-- Name: COLUMN attempts.similarity; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.similarity IS 'For a semantic hit: the cosine similarity of the question''s embedding to the entry served.';

--
-- Name: COLUMN attempts.fills_cache; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.fills_cache IS 'The attempt registered the cache fill of its request''s key (single flight): its end wakes the waiters.';

--
-- Name: COLUMN attempts.semantic_candidates; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.semantic_candidates IS 'A chat reserve that ran a semantic lookup (llm.reserve_call with p_embedding, exact miss, the endpoint''s threshold set): how many cache entries of the scope it compared. NULL when no lookup ran.';

--
-- Name: COLUMN attempts.semantic_bound_hit; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.semantic_bound_hit IS 'The semantic lookup stopped at its candidate bound (settings.semantic_max_candidates, portable path): the scope held more entries, and an older match may not have been reached. NULL when no lookup ran.';

--
-- Name: COLUMN attempts.answered_model; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.answered_model IS 'Set by the settle when the provider answered with another model than the one asked for, or with a name of it priced apart (its name as the answer gave it; ? when that was not a model name); NULL otherwise. Such a call is charged its tokens at the dearest price in effect at its reserve among the asked model and the answering model''s names for the same provider; when the answering model has no price there, its cost is unknown (usage_unknown): the full hold, or its tokens at the asked price when that is more. Another model''s answer fills no cache and is not eligible for distillation.';

--
-- Name: COLUMN attempts.holds_least_charge; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.attempts.holds_least_charge IS 'The attempt holds at least 1 of each unit it can be charged in on each meter of its footprint (the least charge a hard limit keeps room for: llm_private.held_amount), its worst case of 0 micro-USD or its estimate of 0 input tokens included; set by the reserve (every attempt reserved since API generation 49). False: reserved before, it held its amounts as they were.';

--
-- Name: limits; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.limits (
    id integer NOT NULL,
    meter_id smallint NOT NULL,
    tenant_id uuid,
    user_id uuid,
    cap bigint NOT NULL,
    kind llm_private.limit_kind DEFAULT 'hard'::llm_private.limit_kind NOT NULL,
    action llm_private.limit_action DEFAULT 'block'::llm_private.limit_action NOT NULL,
    min_output_tokens integer DEFAULT 16 NOT NULL,
    trips_shutoff boolean DEFAULT false NOT NULL,
    alert_pcts smallint[] DEFAULT '{80,95,100}'::smallint[] NOT NULL,
    pressure_pct smallint,
    pressure_model text,
    valid_from timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL,
    valid_until timestamp with time zone DEFAULT 'infinity'::timestamp with time zone NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    temporary boolean NOT NULL,
    CONSTRAINT limits_alert_pcts_check CHECK (((cardinality(alert_pcts) <= 10) AND (0 < ALL (alert_pcts)) AND (1000 >= ALL (alert_pcts)))),
    CONSTRAINT limits_cap_check CHECK (((cap >= 0) AND (cap <= '1000000000000000'::bigint))),
    CONSTRAINT limits_check CHECK (((user_id IS NULL) OR (tenant_id IS NOT NULL))),
    CONSTRAINT limits_check1 CHECK ((valid_from <= valid_until)),
    CONSTRAINT limits_check2 CHECK (((pressure_model IS NULL) OR (pressure_pct IS NOT NULL))),
    CONSTRAINT limits_min_output_tokens_check CHECK (((min_output_tokens >= 1) AND (min_output_tokens <= 100000))),
    CONSTRAINT limits_note_check CHECK ((length(note) <= 500)),
    CONSTRAINT limits_pressure_model_check CHECK ((pressure_model ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'::text)),
    CONSTRAINT limits_pressure_pct_check CHECK (((pressure_pct >= 1) AND (pressure_pct <= 100)))
);

ALTER TABLE ONLY llm_private.limits FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.limits OWNER TO llm_owner;

--
-- Name: TABLE limits; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.limits IS 'Caps on meters. For each meter, the most specific limit valid now applies to a call: a user''s over a tenant''s over everyone''s, and among those a temporary one (temporary: set with an end of its own) over a permanent one; then, among temporary ones the newest, among permanent ones the latest to start (a later one replaces it), then the newest. Rows are never updated in place except to end them (valid_until).';

--
-- Name: COLUMN limits.kind; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.limits.kind IS 'hard: refuse (or shape) a call that does not fit; soft: never refuse, only alert.';

--
-- Name: COLUMN limits.action; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.limits.action IS 'For hard micro-USD limits of scope request or budget_scope: block, cap (lower max output tokens to fit, at least min_output_tokens), or fallback (a cheaper model of the chain that fits).';

--
-- Name: COLUMN limits.trips_shutoff; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.limits.trips_shutoff IS 'When spent crosses the cap at settle, open a shutoff window for the limit''s subject until the period ends.';

--
-- Name: COLUMN limits.alert_pcts; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.limits.alert_pcts IS 'Percentages of the cap whose crossing records an alert once per period (and pg_notify on llm_limit_alert).';

--
-- Name: COLUMN limits.pressure_pct; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.limits.pressure_pct IS 'Budget pressure: above this share of the cap, reserve prefers pressure_model (or the first model of the fallback chain): decision fallback / budget_pressure.';

--
-- Name: COLUMN limits.temporary; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.limits.temporary IS 'Set with an end of its own (llm.set_limit''s p_valid_until): ranks before the subject''s permanent limits while it lasts. A permanent limit may end too, when a later one replaces it (valid_until = the next one''s valid_from). Derived at insert from valid_until when not given.';

--
-- Name: meters; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.meters (
    id smallint NOT NULL,
    name text NOT NULL,
    tenant_id uuid,
    scope llm_private.limit_scope NOT NULL,
    "window" llm_private.limit_window NOT NULL,
    unit llm_private.limit_unit NOT NULL,
    provider text,
    model text,
    endpoint llm_private.endpoint,
    shards smallint DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    disabled_at timestamp with time zone,
    CONSTRAINT meters_budget_scope_window CHECK (
CASE
    WHEN (scope = 'budget_scope'::llm_private.limit_scope) THEN ("window" <> ALL (ARRAY['request'::llm_private.limit_window, 'none'::llm_private.limit_window]))
    ELSE ("window" <> 'budget_scope'::llm_private.limit_window)
END),
    CONSTRAINT meters_check CHECK (((scope = 'request'::llm_private.limit_scope) = ("window" = 'request'::llm_private.limit_window))),
    CONSTRAINT meters_check2 CHECK (((unit <> 'elapsed_ms'::llm_private.limit_unit) OR ("window" = 'budget_scope'::llm_private.limit_window))),
    CONSTRAINT meters_check3 CHECK (((shards = 1) OR (scope = ANY (ARRAY['global'::llm_private.limit_scope, 'tenant'::llm_private.limit_scope])))),
    CONSTRAINT meters_check4 CHECK (((model IS NULL) OR (provider IS NOT NULL))),
    CONSTRAINT meters_model_check CHECK (((length(model) >= 1) AND (length(model) <= 200))),
    CONSTRAINT meters_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,59}$'::text)),
    CONSTRAINT meters_provider_check CHECK ((provider ~ '^[a-z0-9_-]{1,40}$'::text)),
    CONSTRAINT meters_request_window_micros CHECK ((("window" <> 'request'::llm_private.limit_window) OR (unit = 'micros'::llm_private.limit_unit))),
    CONSTRAINT meters_shards_check CHECK (((shards >= 1) AND (shards <= 64)))
);

ALTER TABLE ONLY llm_private.meters FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.meters OWNER TO llm_owner;

--
-- Name: TABLE meters; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.meters IS 'What the limit engine counts: a scope (whose calls), a window (over which period, UTC), a unit, optional filters (provider, model, endpoint) and, for shared scopes, escrow shards. A meter applies to a call when its filters match and a limit row exists for the call''s subject.';

--
-- Name: COLUMN meters.tenant_id; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.meters.tenant_id IS 'A meter of one tenant only; NULL = every tenant.';

--
-- Name: COLUMN meters.shards; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.meters.shards IS 'Escrow: the cap is split into this many quotas (rebalanced on demand, never over the cap in total) so that no single row is written by every call of a tenant or of everyone.';

--
-- Name: COLUMN meters.disabled_at; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.meters.disabled_at IS 'From this instant new calls no longer count on the meter (meters are never deleted: attempts refer to them).';

--
-- Name: CONSTRAINT meters_budget_scope_window ON meters; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON CONSTRAINT meters_budget_scope_window ON llm_private.meters IS 'Window budget_scope (the scope''s life) belongs to scope budget_scope; a budget-scope meter counts over its life or a clock window (minute .. quarter, UTC), not none.';

--
-- Name: CONSTRAINT meters_request_window_micros ON meters; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON CONSTRAINT meters_request_window_micros ON llm_private.meters IS 'A per-request meter counts micro-USD only (tokens and calls per request are bounded by max_output_tokens and max_attempts_per_request).';

--
-- Name: requests; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.requests (
    tenant_id uuid NOT NULL,
    id bigint DEFAULT llm_private.new_request_id() NOT NULL,
    user_id uuid NOT NULL,
    request_id text NOT NULL,
    endpoint llm_private.endpoint NOT NULL,
    state llm_private.request_state DEFAULT 'queued'::llm_private.request_state NOT NULL,
    reason llm_private.reason,
    fingerprint bytea NOT NULL,
    budget_scope text,
    job_id bigint,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
)
PARTITION BY RANGE (id);

ALTER TABLE ONLY llm_private.requests FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.requests OWNER TO llm_owner;

--
-- Name: TABLE requests; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.requests IS 'Request claims: one per (tenant, request_id, endpoint), made at enqueue; state queued -> running -> done | refused | failed | cancelled. Partitioned by the month in its id.';

--
-- Name: COLUMN requests.fingerprint; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.requests.fingerprint IS 'sha256 of the user and every parameter of the payload (messages, model, limits, watermark, format, scope), length-prefixed: the same key with another fingerprint is refused at enqueue.';

--
-- Name: COLUMN requests.job_id; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.requests.job_id IS 'The graphile-worker job that runs it, set once by llm_queue.add_request_job.';

--
-- Name: calls; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.calls WITH (security_invoker='true') AS
 SELECT a.tenant_id,
    a.user_id,
    q.request_id,
    (q.endpoint)::text AS endpoint,
    a.request_pk,
    a.attempt_no,
    (a.purpose)::text AS purpose,
    a.job_attempt,
    (a.decision)::text AS decision,
        CASE
            WHEN (a.reason = 'limit'::llm_private.reason) THEN COALESCE(m.name, 'cost_ceiling'::text)
            ELSE (a.reason)::text
        END AS reason,
    (a.state)::text AS state,
    ((pr.provider || ':'::text) || pr.model) AS model_ref,
    a.answered_model,
    a.input_tokens_estimate,
    a.max_output_tokens,
    a.held_micros,
    a.cost_micros,
    a.charged_micros,
    GREATEST((COALESCE(a.cost_micros, (0)::bigint) - a.held_micros), (0)::bigint) AS overrun_micros,
    a.usage_unknown,
    a.late,
    a.input_tokens,
    a.cached_input_tokens,
    a.output_tokens,
    a.latency_ms,
    (a.provider_status)::text AS provider_status,
    a.limit_id,
    a.limit_cap,
    a.limit_used,
    lx.unit AS limit_unit,
        CASE
            WHEN (lx.unit <> 'elapsed_ms'::text) THEN GREATEST(llm_private.held_amount((lx.unit)::llm_private.limit_unit, wc.worst_case_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, (a.holds_least_charge AND COALESCE((m."window" <> 'request'::llm_private.limit_window), false))), (
            CASE
                WHEN (a.state = 'refused'::llm_private.attempt_state) THEN 1
                ELSE 0
            END)::bigint)
            ELSE NULL::bigint
        END AS limit_asked,
    wc.worst_case_micros,
    a.cache_source_pk,
    a.similarity,
    a.semantic_candidates,
    a.semantic_bound_hit,
    a.distillation_eligible,
    (a.distillation_reason)::text AS distillation_reason,
    a.reserved_at,
    a.expires_at,
    a.ended_at AS settled_at,
    a.trace_id,
    q.budget_scope,
    ( SELECT array_agg(mm.name ORDER BY mm.id) AS array_agg
           FROM llm_private.meters mm
          WHERE (mm.id = ANY (a.meter_ids))) AS meters
   FROM ((((((llm_private.attempts a
     JOIN llm_private.requests q ON (((q.tenant_id = a.tenant_id) AND (q.id = a.request_pk))))
     LEFT JOIN llm_private.model_prices pr ON ((pr.id = a.price_id)))
     LEFT JOIN llm_private.limits li ON ((li.id = a.limit_id)))
     LEFT JOIN llm_private.meters m ON ((m.id = li.meter_id)))
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN ((a.state = 'refused'::llm_private.attempt_state) AND (pr.id IS NOT NULL)) THEN llm_private.worst_case_micros(pr.*, a.input_tokens_estimate, a.max_output_tokens)
                    ELSE a.held_micros
                END AS worst_case_micros) wc)
     CROSS JOIN LATERAL ( SELECT COALESCE((m.unit)::text,
                CASE
                    WHEN ((a.limit_id IS NULL) AND (a.limit_cap IS NOT NULL)) THEN 'micros'::text
                    ELSE NULL::text
                END) AS unit) lx);

ALTER TABLE llm.calls OWNER TO llm_owner;

--
-- Name: VIEW calls; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.calls IS 'Every attempt (reserve): its decision and the figures compared, the hold, and what it was charged (overrun = cost above the hold; usage_unknown = the cost is not known: charged the full hold, or, for another model''s answer without a price here, its tokens at model_ref''s price when that is more; late = corrected after expiry or release; answered_model = the name the provider answered with when it was not model_ref''s and it is another model, or a snapshot priced apart: charged at the dearest of the prices). purpose embedding = the semantic cache''s embedding call; a semantic hit has similarity and cache_source_pk; semantic_candidates and semantic_bound_hit say what the lookup compared (bound_hit: the scope held more entries than the bound). meters = the meters the call was held and charged on (its footprint, in meter id order: every applicable meter it can be charged on, those it held 0 on included; NULL when it held nothing: refused, cached), i.e. the limits it was checked against and fitted. max_output_tokens = the max output granted, or for a call refused by a limit the max output it asked (held_micros and charged_micros stay 0); worst_case_micros = what was held, or for that refusal what it would have held. held_micros is the worst case, which an expiry charges in full; on its meters the call holds at least 1 of each unit it can be charged in (the least charge a hard limit keeps room for: llm_private.held_amount), so a call of a worst case of 0 holds 1 micro-USD on each micro-USD meter of its footprint while it is open (llm.limit_usage), and one estimated at 0 input tokens 1 input token. limit_id, limit_cap, limit_used = the limit recorded and the figures compared: for a refusal by a limit, the limit that refused it; for cap or fallback, the limit that capped or moved the call; for a call allowed as asked (decision allow, reason ok), the tightest hard limit it was compared with and fitted: the least room left after its hold, counted in calls like this one (room / what it asked), so that units compare (limit_id NULL with a cap: the payload''s cost ceiling, reason cost_ceiling when it decided; all three NULL when no hard limit applied); limit_used = what that limit had used when compared (held + spent; on an escrow-sharded meter, the call''s shard''s held + spent, which the reserve compared with that shard''s share of limit_cap). limit_unit = the unit of that limit (micros, tokens, input_tokens, output_tokens, calls, elapsed_ms); limit_asked = what the call asked of it in that unit (the worst case in micros, input estimate + max output in tokens, the input estimate in input_tokens, the max output in output_tokens, 1 call; NULL for elapsed_ms; for a refusal at least 1, the room a hard limit keeps for the least charge above 0), the amount compared: limit_used + limit_asked > limit_cap refused it; for an admitted call, what it held on that limit''s meter (the least charge included; per request or under the payload''s cost ceiling, which no meter holds, the worst case compared): limit_used + limit_asked <= limit_cap. A limit on an allowed call is why it was allowed, never a refusal: state and decision say which.';

--
-- Name: open_holds; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.open_holds WITH (security_invoker='true') AS
 SELECT c.tenant_id,
    c.user_id,
    c.request_id,
    c.endpoint,
    c.attempt_no,
    c.model_ref,
    c.held_micros,
    c.reserved_at,
    c.expires_at,
    (c.expires_at <= llm_private.now()) AS overdue
   FROM llm.calls c
  WHERE (c.state = 'held'::text);

ALTER TABLE llm.open_holds OWNER TO llm_owner;

--
-- Name: VIEW open_holds; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.open_holds IS 'Holds not yet settled, released or expired; overdue = past their expiry (the sweep charges them). held_micros = the worst case held, which the sweep charges; on its meters a hold is at least 1 of each unit the call can be charged in (llm_private.held_amount: a worst case of 0 holds 1 micro-USD on each micro-USD meter of its footprint, given back at its end, never charged as such).';

--
-- Name: watched_open_holds(uuid, integer); Type: FUNCTION; Schema: llm; Owner: llm_owner
--

CREATE FUNCTION llm.watched_open_holds(p_tenant_id uuid DEFAULT NULL::uuid, p_limit integer DEFAULT 200) RETURNS SETOF llm.open_holds
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $_$
declare
  v_from timestamptz := llm_private.watched_holds_from();
begin
  -- Raised here: the readers may not run llm_private.require_range (a 42501 said nothing of the argument; review of 26095c3).
  if p_limit is null or p_limit not between 1 and 10000 then
    raise exception using errcode = '22023', message = 'p_limit is 1 .. 10000', detail = format('p_limit = %s', p_limit);
  end if;
  -- Parameters of a one-shot plan, as in llm.open_hold_counts: planned with their values, so the BRIN is chosen.
  return query execute
    'select h.* from llm.open_holds h where h.expires_at > $1 and ($2::uuid is null or h.tenant_id = $2)
      order by h.expires_at, h.request_id, h.attempt_no limit $3' using v_from, p_tenant_id, p_limit;
end
$_$;

ALTER FUNCTION llm.watched_open_holds(p_tenant_id uuid, p_limit integer) OWNER TO llm_owner;

--
-- Name: FUNCTION watched_open_holds(p_tenant_id uuid, p_limit integer); Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON FUNCTION llm.watched_open_holds(p_tenant_id uuid, p_limit integer) IS 'For the dashboard and Grafana: the rows of llm.open_holds (of one tenant, or all) that the expiry sweep watches, expiring after its watermark less an hour, soonest first, at most p_limit (1..10 000), read through the expires_at BRIN instead of every attempt. llm.open_holds lists every one (also a hold committed after the sweep had passed its expiry).';

--
-- Name: drop_expired_partitions(); Type: FUNCTION; Schema: llm_maint; Owner: llm_owner
--

CREATE FUNCTION llm_maint.drop_expired_partitions() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  p record;
  n integer := 0;
  v_now timestamptz := llm_private.now();
  keep_from integer := llm_private.month_index(v_now) - (select s.ledger_retention_months from llm_private.settings s) + 1;
  v_suffix text;
  v_open boolean;
  v_moved bigint;
  v_deadline timestamptz;
  v_lock_timeout text;
  v_forgotten integer;
begin
  -- Every ledger table at once, before any partition. Taken as it came to each partition (attempts_m before requests_m),
  -- an application query reading requests then attempts deadlocked the run (eleventh review); taken in one order, the
  -- expiry sweep (attempts, then requests) and a credit (adjustments, then usage) still did; taken NOWAIT, a steady stream
  -- of readers kept it out until its lock_timeout (twelfth and thirteenth reviews). So one statement for the six, queued
  -- (new readers line up behind it), but each wait bounded to a tenth of deadlock_timeout: a wait that could close a
  -- cycle gives up before the deadlock detector looks, releases what the try took, and the loop tries again, until the
  -- session's lock_timeout (10 s by default from npm run maintain-partitions; 60 s when it is 0) gives 55P03 and the run
  -- comes again the next day. Only when there is something to drop: this stops every tenant until it commits.
  if exists (select 1 from pg_inherits i
               join pg_class c on c.oid = i.inhrelid
               join pg_class parent on parent.oid = i.inhparent
               join pg_namespace ns on ns.oid = parent.relnamespace
              where ns.nspname = 'llm_private' and parent.relname = any (llm_private.partitioned_tables())
                and c.relname ~ '_m[0-9]{6}$'
                and (substr(right(c.relname, 6), 1, 4)::int - 2000) * 12 + substr(right(c.relname, 6), 5, 2)::int - 1 < keep_from) then
    v_lock_timeout := current_setting('lock_timeout');
    v_deadline := clock_timestamp() + coalesce(nullif(v_lock_timeout, '0')::interval, interval '60 seconds');
    perform set_config('lock_timeout',
      greatest(10, (extract(epoch from current_setting('deadlock_timeout')::interval) * 100)::int)::text || 'ms', true);
    loop
      begin
        lock table llm_private.requests, llm_private.request_inputs, llm_private.attempts, llm_private.usage, llm_private.alerts,
          llm_private.adjustments, llm_private.budget_scopes in access exclusive mode;
        exit;
      exception when lock_not_available then
        if clock_timestamp() >= v_deadline then
          raise exception using errcode = '55P03', message = 'llm_maint: the ledger tables stayed busy; nothing was dropped',
            detail = format('lock_timeout %s', v_lock_timeout), hint = 'Retention runs again at the next maintain-partitions.';
        end if;
        perform pg_sleep(0.01);
      end;
    end loop;
    perform set_config('lock_timeout', v_lock_timeout, true);
    -- Budget scopes not reserved in any month the retention keeps are forgotten first, so that their usage and alert rows
    -- in the months dropped below are not moved to DEFAULT (llm_maint.forget_unused_budget_scopes).
    v_forgotten := llm_maint.forget_unused_budget_scopes(llm_private.month_start(keep_from));
    if v_forgotten > 0 then
      raise notice 'llm_maint: % budget scopes not reserved since before % forgotten', v_forgotten, llm_private.month_start(keep_from);
    end if;
  end if;
  for p in select c.relname, parent.relname as parent_name
             from pg_inherits i
             join pg_class c on c.oid = i.inhrelid
             join pg_class parent on parent.oid = i.inhparent
             join pg_namespace ns on ns.oid = parent.relnamespace
            where ns.nspname = 'llm_private' and parent.relname = any (llm_private.partitioned_tables())
              and c.relname ~ '_m[0-9]{6}$'
            order by c.relname loop
    continue when (substr(right(p.relname, 6), 1, 4)::int - 2000) * 12 + substr(right(p.relname, 6), 5, 2)::int - 1 >= keep_from;
    v_suffix := right(p.relname, 8);
    if p.parent_name in ('requests', 'request_inputs', 'attempts') then
      -- The month's requests, inputs and attempts go together, and only when nothing of them is open: a request still
      -- queued or running, an attempt still holding money (llm.fail_lost_requests and llm.expire_holds end them).
      -- (The owner reads a partition only with its FORCE off: no policy names the owner. The flag is back before anyone
      -- else can look: ALTER TABLE holds the partition exclusively until this transaction ends.)
      v_open := false;
      if to_regclass('llm_private.requests' || v_suffix) is not null then
        execute format('alter table llm_private.%I no force row level security', 'requests' || v_suffix);
        execute format('select exists (select 1 from llm_private.%I where state in (''queued'', ''running''))', 'requests' || v_suffix)
          into v_open;
        execute format('alter table llm_private.%I force row level security', 'requests' || v_suffix);
      end if;
      if not v_open and to_regclass('llm_private.attempts' || v_suffix) is not null then
        execute format('alter table llm_private.%I no force row level security', 'attempts' || v_suffix);
        execute format('select exists (select 1 from llm_private.%I where state = ''held'')', 'attempts' || v_suffix) into v_open;
        execute format('alter table llm_private.%I force row level security', 'attempts' || v_suffix);
      end if;
      if v_open then
        raise warning 'llm_maint: llm_private.% kept: month % has a request still open or an attempt still holding money',
          p.relname, v_suffix;
        continue;
      end if;
      execute format('alter table llm_private.%I detach partition llm_private.%I', p.parent_name, p.relname);
    elsif p.parent_name in ('usage', 'alerts') then
      -- Rows still in use outlive their month: a hold not ended, a period not over (a quarter begun up to two months back,
      -- a budget scope's or a lifetime's, which never ends). Once the month is detached its range routes to DEFAULT, where
      -- they move as they are: the guards (which re-derive a new row) and FORCE (no policy names the owner) are off for
      -- this move only, and nobody else sees the table meanwhile: the detach holds it exclusively until this transaction
      -- ends.
      execute format('alter table llm_private.%I detach partition llm_private.%I', p.parent_name, p.relname);
      execute format('alter table llm_private.%I no force row level security', p.relname);
      if p.parent_name = 'usage' then
        alter table llm_private.usage disable trigger _100_guard, no force row level security;
        alter table llm_private.budget_scopes no force row level security;
        execute format('insert into llm_private.usage select u.* from llm_private.%I u join llm_private.meters m on m.id = u.meter_id
                         where (u.held > 0 or llm_private.period_end(m."window", u.period_start) > $1)
                           and (m.scope <> ''budget_scope'' or exists (select 1 from llm_private.budget_scopes b
                                                                        where b.tenant_id = u.tenant_id and b.scope_key = u.budget_scope))',
                       p.relname) using v_now;
        get diagnostics v_moved = row_count;
        alter table llm_private.usage enable trigger _100_guard, force row level security;
        alter table llm_private.budget_scopes force row level security;
      else
        alter table llm_private.alerts disable trigger _100_guard, no force row level security;
        alter table llm_private.budget_scopes no force row level security;
        execute format('insert into llm_private.alerts select a.* from llm_private.%I a join llm_private.meters m on m.id = a.meter_id
                         where llm_private.period_end(m."window", a.period_start) > $1
                           and (m.scope <> ''budget_scope'' or exists (select 1 from llm_private.budget_scopes b
                                                                        where b.tenant_id = a.tenant_id and b.scope_key = a.budget_scope))',
                       p.relname) using v_now;
        get diagnostics v_moved = row_count;
        alter table llm_private.alerts enable trigger _100_guard, force row level security;
        alter table llm_private.budget_scopes force row level security;
      end if;
      if v_moved > 0 then
        raise notice 'llm_maint: % rows of llm_private.% still in use moved to llm_private.%_default', v_moved, p.relname, p.parent_name;
      end if;
    else
      execute format('alter table llm_private.%I detach partition llm_private.%I', p.parent_name, p.relname);
    end if;
    execute format('drop table llm_private.%I', p.relname);
    n := n + 1;
  end loop;
  return n;
end
$_$;

ALTER FUNCTION llm_maint.drop_expired_partitions() OWNER TO llm_owner;

--
-- Name: FUNCTION drop_expired_partitions(); Type: COMMENT; Schema: llm_maint; Owner: llm_owner
--

COMMENT ON FUNCTION llm_maint.drop_expired_partitions() IS 'Owner only (SECURITY INVOKER; npm run maintain-partitions runs it as llm_owner): retention by whole months: detaches and drops ledger partitions older than settings.ledger_retention_months (no DELETE sweeps). It first takes the six ledger tables and the budget scopes at once, queued but each wait bounded below deadlock_timeout, retrying until lock_timeout (then 55P03). Usage and alert rows still in use (a hold, a period not over: a quarter, a budget scope, a lifetime) move to the DEFAULT partition first; a month of requests, inputs and attempts with a request open or an attempt holding money is kept whole (a warning). Budget scopes not reserved in any month kept are forgotten first (llm_maint.forget_unused_budget_scopes), and their rows of the months dropped are not moved. Returns how many partitions it dropped.';

--
-- Name: ensure_partitions(); Type: FUNCTION; Schema: llm_maint; Owner: llm_owner
--

CREATE FUNCTION llm_maint.ensure_partitions() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t text;
  n integer := 0;
  cur integer := llm_private.month_index(llm_private.now());
  ahead integer := (select s.partitions_ahead_months from llm_private.settings s);
begin
  foreach t in array llm_private.partitioned_tables() loop
    for m in cur .. cur + ahead loop
      begin
        if llm_private.create_month_partition(t, m) then
          n := n + 1;
        end if;
      exception when check_violation then
        -- Rows of that month already sit in the default partition (the horizon was passed while
        -- maintenance did not run): they stay there and stay correct; say so.
        raise warning 'llm_maint: %.% month % has rows in the default partition; partition not created', 'llm_private', t, m;
      end;
    end loop;
  end loop;
  return n;
end
$$;

ALTER FUNCTION llm_maint.ensure_partitions() OWNER TO llm_owner;

--
-- Name: FUNCTION ensure_partitions(); Type: COMMENT; Schema: llm_maint; Owner: llm_owner
--

COMMENT ON FUNCTION llm_maint.ensure_partitions() IS 'Owner only (SECURITY INVOKER; npm run migrate and npm run maintain-partitions run it as llm_owner): creates the ledger''s monthly partitions from this month to settings.partitions_ahead_months ahead; returns how many it created.';

--
-- Name: forget_unused_budget_scopes(timestamp with time zone); Type: FUNCTION; Schema: llm_maint; Owner: llm_owner
--

CREATE FUNCTION llm_maint.forget_unused_budget_scopes(p_keep_from timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_tenants uuid[];
  v_keys text[];
begin
  -- Under READ COMMITTED only: with an older snapshot (REPEATABLE READ, SERIALIZABLE: taken before its caller's lock) it
  -- could miss a reserve committed just before the lock and forget a scope whose usage holds money (review of c99c829).
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception using errcode = '55000', message = 'llm_maint: retention runs under READ COMMITTED',
      detail = format('transaction_isolation is %s', current_setting('transaction_isolation')),
      hint = 'npm run maintain-partitions runs it so; in psql, start the transaction without an isolation level.';
  end if;
  -- Its caller holds the ledger tables and budget_scopes exclusively: no reserve or settle can reach a scope meanwhile.
  if not exists (select 1 from pg_locks l
                  where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.mode = 'AccessExclusiveLock' and l.granted
                    and l.relation = 'llm_private.budget_scopes'::regclass) then
    raise exception using errcode = '55000', message = 'llm_maint.forget_unused_budget_scopes runs inside llm_maint.drop_expired_partitions',
      hint = 'npm run maintain-partitions runs it when a month leaves the retention.';
  end if;
  -- The owner reads these tables only with FORCE off (no policy names it); ALTER TABLE holds each until the transaction
  -- ends, and FORCE is back before it does.
  alter table llm_private.budget_scopes no force row level security;
  alter table llm_private.usage no force row level security;
  alter table llm_private.usage_default no force row level security;
  alter table llm_private.alerts_default no force row level security;
  -- A scope whose usage still holds money is kept (an attempt of it is held; the expiry sweep ends it).
  select coalesce(array_agg(b.tenant_id), '{}'), coalesce(array_agg(b.scope_key), '{}') into v_tenants, v_keys
    from llm_private.budget_scopes b
   where b.last_reserve_month < p_keep_from
     and not exists (select 1 from llm_private.meters m
                       join llm_private.usage u on u.meter_id = m.id
                      where m.scope = 'budget_scope' and u.tenant_id = b.tenant_id and u.user_id = llm_private.nil_uuid()
                        and u.budget_scope = b.scope_key and u.period_start < p_keep_from and u.held > 0);
  delete from llm_private.budget_scopes b using unnest(v_tenants, v_keys) f(tenant_id, scope_key)
   where b.tenant_id = f.tenant_id and b.scope_key = f.scope_key;
  -- Their usage and alerts can only be in months before p_keep_from (a scope's period starts at its first reserve, any
  -- other at or before its reserve): those moved to DEFAULT by earlier runs go here; the rows in the months this run drops
  -- are not moved (drop_expired_partitions moves a budget scope's rows only while the scope exists) and go with them.
  alter table llm_private.usage_default disable trigger _100_no_delete;
  delete from llm_private.usage_default u using unnest(v_tenants, v_keys) f(tenant_id, scope_key), llm_private.meters m
   where m.scope = 'budget_scope' and u.meter_id = m.id and u.tenant_id = f.tenant_id and u.user_id = llm_private.nil_uuid()
     and u.budget_scope = f.scope_key and u.period_start < p_keep_from;
  alter table llm_private.usage_default enable trigger _100_no_delete;
  delete from llm_private.alerts_default a using unnest(v_tenants, v_keys) f(tenant_id, scope_key), llm_private.meters m
   where m.scope = 'budget_scope' and a.meter_id = m.id and a.tenant_id = f.tenant_id and a.user_id = llm_private.nil_uuid()
     and a.budget_scope = f.scope_key and a.period_start < p_keep_from;
  alter table llm_private.budget_scopes force row level security;
  alter table llm_private.usage force row level security;
  alter table llm_private.usage_default force row level security;
  alter table llm_private.alerts_default force row level security;
  return cardinality(v_keys);
end
$$;

ALTER FUNCTION llm_maint.forget_unused_budget_scopes(p_keep_from timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION forget_unused_budget_scopes(p_keep_from timestamp with time zone); Type: COMMENT; Schema: llm_maint; Owner: llm_owner
--

COMMENT ON FUNCTION llm_maint.forget_unused_budget_scopes(p_keep_from timestamp with time zone) IS 'Owner only, inside llm_maint.drop_expired_partitions (which holds the ledger tables and budget scopes): forgets every budget scope not reserved since before p_keep_from (the first month the retention keeps) and holding nothing: its row, and its usage and alerts in the DEFAULT partitions (those in the months being dropped are not moved there). A request that names it again starts a new scope. Returns how many.';

--
-- Name: summarize_ended_months(); Type: FUNCTION; Schema: llm_maint; Owner: llm_owner
--

CREATE FUNCTION llm_maint.summarize_ended_months() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '200ms'
    AS $_$
declare
  p record;
  i record;
  n integer := 0;
  cur integer := llm_private.month_index(llm_private.now());
begin
  for p in select ns.nspname as nsp, c.relname as rel
             from pg_inherits h
             join pg_class c on c.oid = h.inhrelid
             join pg_namespace ns on ns.oid = c.relnamespace
             join pg_class parent on parent.oid = h.inhparent
             join pg_namespace pns on pns.oid = parent.relnamespace
            where pns.nspname = 'llm_private' and parent.relname = any (llm_private.partitioned_tables())
              and (c.relname ~ '_default$'
                   or (c.relname ~ '_m[0-9]{6}$'
                       and (substr(right(c.relname, 6), 1, 4)::int - 2000) * 12 + substr(right(c.relname, 6), 5, 2)::int - 1 < cur))
            order by c.relname
  loop
    begin
      -- By name, after the list was read: a partition that retention dropped meanwhile is gone (42P01) and skipped (its
      -- index, summarised from the list, failed the whole run: review of this migration); locked, it stays to the end.
      execute format('lock table only %I.%I in share update exclusive mode', p.nsp, p.rel);
      for i in select ix.indexrelid::regclass as idx
                 from pg_index ix join pg_class ic on ic.oid = ix.indexrelid join pg_am am on am.oid = ic.relam
                where ix.indrelid = format('%I.%I', p.nsp, p.rel)::regclass and am.amname = 'brin'
                order by ic.relname
      loop
        n := n + brin_summarize_new_values(i.idx);
      end loop;
    exception when lock_not_available or undefined_table then
      null;
    end;
  end loop;
  return n;
end
$_$;

ALTER FUNCTION llm_maint.summarize_ended_months() OWNER TO llm_owner;

--
-- Name: FUNCTION summarize_ended_months(); Type: COMMENT; Schema: llm_maint; Owner: llm_owner
--

COMMENT ON FUNCTION llm_maint.summarize_ended_months() IS 'Summarises the BRIN indexes of the ledger''s partitions of months that have ended and of its DEFAULT partitions, their last partial block range included (VACUUM leaves it), so that a filter on another month reads none of their blocks. Owner only (npm run maintain-partitions, daily; npm run migrate); a partition a vacuum holds, or that retention dropped meanwhile, is skipped until the next run. Returns the block ranges summarised.';

--
-- Name: acting_role(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.acting_role() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select case when current_user = session_user then current_user::text
              else pg_catalog.format('%s (login %s)', current_user, session_user) end
$$;

ALTER FUNCTION llm_private.acting_role() OWNER TO llm_owner;

--
-- Name: FUNCTION acting_role(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.acting_role() IS 'The role acting, with the login when it differs (llm_operator (login alice)): the author an operator''s record keeps.';

--
-- Name: shutoff_windows; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.shutoff_windows (
    id bigint NOT NULL,
    scope llm_private.limit_scope NOT NULL,
    tenant_id uuid,
    user_id uuid,
    kind llm_private.window_kind NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    reason text NOT NULL,
    limit_id integer,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    cancelled_at timestamp with time zone,
    cancelled_by text,
    trip_period timestamp with time zone,
    cancel_reason text,
    CONSTRAINT shutoff_windows_cancel_reason_check CHECK ((((cancelled_at IS NULL) = (cancel_reason IS NULL)) AND ((cancel_reason IS NULL) OR (((length(cancel_reason) >= 1) AND (length(cancel_reason) <= 200)) AND (cancel_reason ~ '[^[:space:][:cntrl:]\u00a0\u200b\u2060\ufeff]'::text))))),
    CONSTRAINT shutoff_windows_check CHECK (((scope = 'global'::llm_private.limit_scope) = (tenant_id IS NULL))),
    CONSTRAINT shutoff_windows_check1 CHECK (((scope = 'user'::llm_private.limit_scope) = (user_id IS NOT NULL))),
    CONSTRAINT shutoff_windows_check2 CHECK (((starts_at < ends_at) AND (ends_at < 'infinity'::timestamp with time zone) AND ((ends_at - starts_at) <= '92 days'::interval))),
    CONSTRAINT shutoff_windows_check3 CHECK (((kind = 'tripped'::llm_private.window_kind) = (limit_id IS NOT NULL))),
    CONSTRAINT shutoff_windows_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 200))),
    CONSTRAINT shutoff_windows_scope_check CHECK ((scope = ANY (ARRAY['global'::llm_private.limit_scope, 'tenant'::llm_private.limit_scope, 'user'::llm_private.limit_scope])))
);

ALTER TABLE ONLY llm_private.shutoff_windows FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.shutoff_windows OWNER TO llm_owner;

--
-- Name: TABLE shutoff_windows; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.shutoff_windows IS 'Emergency shutoffs at global, tenant or user scope: opened by hand, scheduled in advance, or tripped when spent crosses a limit with trips_shutoff. Every window ends by time alone (finite, at most 92 days); an operator may cancel one.';

--
-- Name: COLUMN shutoff_windows.trip_period; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.shutoff_windows.trip_period IS 'A tripped window''s period: the start of its limit''s period when it tripped (-infinity for a lifetime meter), set by the guard; unique with its limit and subject. NULL for manual and scheduled windows.';

--
-- Name: COLUMN shutoff_windows.cancel_reason; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.shutoff_windows.cancel_reason IS 'Why an operator cancelled the window (llm.cancel_shutoff, 1..200 characters, not blank); NULL while it is not cancelled. Windows cancelled before 2026-11-27 say ''not recorded (cancelled before 2026-11-27)''.';

--
-- Name: CONSTRAINT shutoff_windows_cancel_reason_check ON shutoff_windows; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON CONSTRAINT shutoff_windows_cancel_reason_check ON llm_private.shutoff_windows IS 'A cancelled window has a reason (1..200 characters, not only white space or invisible characters); a window not cancelled has none.';

--
-- Name: active_shutoff(uuid, uuid, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamp with time zone) RETURNS llm_private.shutoff_windows
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  w llm_private.shutoff_windows;
begin
  select * into w from llm_private.shutoff_windows x
   where x.ends_at > p_at and x.starts_at <= p_at and x.cancelled_at is null
     and (x.tenant_id is null or (x.tenant_id = p_tenant_id and (x.user_id is null or x.user_id = p_user_id)))
   order by x.kind, x.ends_at desc
   limit 1;
  return w;
end
$$;

ALTER FUNCTION llm_private.active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamp with time zone) IS 'The shutoff window (manual first) that stops a tenant''s user''s calls now, if any.';

--
-- Name: answered_cost_micros(text, text, timestamp with time zone, integer, integer, integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.answered_cost_micros(p_provider text, p_answered text, p_at timestamp with time zone, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select max(llm_private.call_cost_micros(x, p_input_tokens, p_cached_input_tokens, p_output_tokens))
    from unnest(llm_private.answered_model_names(p_answered)) n(model)
   cross join lateral llm_private.price_in_effect(p_provider, n.model, p_at) x
   where x.id is not null
$$;

ALTER FUNCTION llm_private.answered_cost_micros(p_provider text, p_answered text, p_at timestamp with time zone, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) OWNER TO llm_owner;

--
-- Name: FUNCTION answered_cost_micros(p_provider text, p_answered text, p_at timestamp with time zone, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.answered_cost_micros(p_provider text, p_answered text, p_at timestamp with time zone, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) IS 'A call answered by another model: its tokens at the dearest price in effect at p_at among that model''s names (llm_private.answered_model_names) for the same provider; NULL when none is priced (the cost is unknown).';

--
-- Name: answered_model_names(text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.answered_model_names(p_answered text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $_$
  with named(n) as (
    select p_answered
    union select regexp_replace(p_answered, '^[A-Za-z0-9._-]{1,100}/', '')
  ), untagged(n) as (
    select n from named
    union select regexp_replace(n, ':latest$', '') from named
  ), snapshot(n) as (
    select n from untagged
    union select regexp_replace(n, '-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}|[0-9]{8})$', '') from untagged
    union select regexp_replace(n, '-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}|[0-9]{8})$', '-latest') from untagged
  )
  select array_agg(n order by n) from snapshot where n <> ''
$_$;

ALTER FUNCTION llm_private.answered_model_names(p_answered text) OWNER TO llm_owner;

--
-- Name: FUNCTION answered_model_names(p_answered text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.answered_model_names(p_answered text) IS 'The model names an answer of another model (attempts.answered_model) may be priced under: the name, without an organisation prefix, without :latest, without a dated snapshot suffix or with -latest in its place.';

--
-- Name: app_context(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) RETURNS record
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog'
    AS $_$
declare
  tok text := current_setting('app.context', true);
  parts text[];
  body bytea;
  k record;
begin
  if tok is null or length(tok) > 300 or current_setting('app.context_tx', true) is distinct from llm_private.tx_stamp()::text then
    return;
  end if;
  parts := string_to_array(tok, '.');
  if cardinality(parts) <> 5 or parts[1] <> 'v1'
     or parts[2] !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or parts[3] !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or parts[4] !~ '^[0-9]{1,12}$' or parts[5] !~ '^[0-9a-f]{64}$' then
    return;
  end if;
  if parts[4]::bigint <= date_part('epoch', clock_timestamp()) then
    return;                                                          -- expired (real time: tokens are minted by real clocks)
  end if;
  body := convert_to(array_to_string(parts[1:4], '.'), 'UTF8');
  for k in select c.ipad, c.opad from llm_private.context_keys c where c.retired_at is null loop
    if encode(llm_private.hmac_sha256(k.ipad, k.opad, body), 'hex') = parts[5] then
      tenant_id := parts[2]::uuid;
      user_id := parts[3]::uuid;
      return;
    end if;
  end loop;
end
$_$;

ALTER FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) OWNER TO llm_owner;

--
-- Name: FUNCTION app_context(OUT tenant_id uuid, OUT user_id uuid); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) IS 'SECURITY DEFINER (owner), the context verifier: the tenant and user of the application''s signed token (app.context) when it is well formed, unexpired, signed by a live key and set in this transaction; NULLs otherwise. Reads the key table, nothing else.';

--
-- Name: app_tenant_id(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.app_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ select (llm_private.app_context()).tenant_id $$;

ALTER FUNCTION llm_private.app_tenant_id() OWNER TO llm_owner;

--
-- Name: FUNCTION app_tenant_id(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.app_tenant_id() IS 'The application''s verified tenant (signed context), or NULL. Used by policies TO llm_app.';

--
-- Name: app_user_id(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.app_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ select (llm_private.app_context()).user_id $$;

ALTER FUNCTION llm_private.app_user_id() OWNER TO llm_owner;

--
-- Name: FUNCTION app_user_id(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.app_user_id() IS 'The application''s verified user (signed context), or NULL. Used by policies TO llm_app.';

--
-- Name: applicable_limits(uuid, uuid, llm_private.endpoint, text, text, boolean, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) RETURNS SETOF llm_private.applicable_limit
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  return query
  select m.id, m.name, m.scope, m."window", m.unit, m.shards, l.id, l.cap, l.kind, l.action, l.min_output_tokens, l.trips_shutoff,
         l.alert_pcts, l.pressure_pct, l.pressure_model
    from llm_private.meters m
    cross join lateral (
      select x.* from llm_private.limits x
       where x.meter_id = m.id
         -- everyone's, the tenant's, the user's (a user's limit names its tenant: a CHECK): three exact ranges of
         -- limits_meter_idx. Written (tenant null or ours) and (user null or ours), the tenant's range was read whole:
         -- every per-user limit of the tenant's, on each of its reserves (review at scale: 1 200 of them).
         and ((x.tenant_id is null and x.user_id is null)
              or (x.tenant_id = p_tenant_id and x.user_id is null)
              or (x.tenant_id = p_tenant_id and x.user_id = p_user_id))
         and x.valid_from <= p_at and x.valid_until > p_at
       -- temporary before permanent; among temporary ones the newest, among permanent ones the latest to start (review 91)
       order by (x.user_id is not null) desc, (x.tenant_id is not null) desc, x.temporary desc,
                (case when x.temporary then '-infinity'::timestamptz else x.valid_from end) desc, x.id desc
       limit 1) l
   where (m.disabled_at is null or m.disabled_at > p_at)
     and (m.tenant_id is null or m.tenant_id = p_tenant_id)
     and (m.endpoint is null or m.endpoint = p_endpoint)
     and (m.provider is null or m.provider = p_provider)
     and (m.model is null or m.model = p_model)
     and (m.scope <> 'budget_scope' or p_has_scope)
   order by m.id;
end
$$;

ALTER FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) IS 'Every meter that applies to a call (filters match, a limit exists for the subject) with its effective limit: a user''s over a tenant''s over everyone''s, temporary over permanent; then the newest temporary, the latest permanent to start. In meter id order.';

--
-- Name: breaker_admission(text, text, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.breaker_admission(p_provider text, p_model text, p_at timestamp with time zone) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  b llm_private.provider_breakers;
  cooldown interval;
begin
  select * into b from llm_private.provider_breakers x where x.provider = p_provider and x.model = p_model;
  if not found or b.state = 'closed' then
    return 'closed';
  end if;
  if b.state = 'open' and b.open_until > p_at then
    return 'refused';
  end if;
  cooldown := make_interval(secs => (select s.breaker_cooldown_ms from llm_private.settings s) / 1000.0);
  if b.state = 'half_open' and b.probe_started_at > p_at - cooldown then
    return 'refused';                                     -- a probe is in flight
  end if;
  perform 1 from llm_private.provider_breakers x where x.provider = p_provider and x.model = p_model
     and ((x.state = 'open' and x.open_until <= p_at) or (x.state = 'half_open' and x.probe_started_at <= p_at - cooldown))
     for update skip locked;
  if not found then
    return 'refused';
  end if;
  update llm_private.provider_breakers x set state = 'half_open', probe_started_at = p_at, updated_at = p_at
   where x.provider = p_provider and x.model = p_model;
  return 'probe';
end
$$;

ALTER FUNCTION llm_private.breaker_admission(p_provider text, p_model text, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION breaker_admission(p_provider text, p_model text, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.breaker_admission(p_provider text, p_model text, p_at timestamp with time zone) IS 'Whether calls to this provider+model may go ahead: closed (yes), probe (yes: this caller claimed the single half-open probe, which it must give back with breaker_unclaim if it does not call), refused.';

--
-- Name: breaker_probe_back(text, text, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamp with time zone, p_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  update llm_private.provider_breakers x set state = 'open', open_until = p_at, probe_started_at = null, updated_at = p_at
   where x.provider = p_provider and x.model = p_model and x.state = 'half_open' and x.probe_started_at = p_reserved_at;
end
$$;

ALTER FUNCTION llm_private.breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamp with time zone, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamp with time zone, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamp with time zone, p_at timestamp with time zone) IS 'Gives back the half-open probe of the call reserved at p_reserved_at when it ended without an outcome of the provider''s (released, client_error, aborted): the breaker is open with its cooldown over, so the next caller probes.';

--
-- Name: breaker_unclaim(text[], text, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.breaker_unclaim(p_claims text[], p_keep text, p_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  c text;
begin
  foreach c in array p_claims loop
    continue when c = p_keep;
    perform llm_private.breaker_probe_back(split_part(c, ':', 1), substr(c, length(split_part(c, ':', 1)) + 2), p_at, p_at);
  end loop;
end
$$;

ALTER FUNCTION llm_private.breaker_unclaim(p_claims text[], p_keep text, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION breaker_unclaim(p_claims text[], p_keep text, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.breaker_unclaim(p_claims text[], p_keep text, p_at timestamp with time zone) IS 'Gives back the half-open probes a reserve claimed (provider:model, at p_at) except the one it calls (p_keep; NULL: all).';

--
-- Name: budget_scope_deadline(uuid, uuid, llm_private.endpoint, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select p_started_at + llm_private.budget_scope_span(p_tenant_id, p_user_id, p_endpoint)
$$;

ALTER FUNCTION llm_private.budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone) IS 'When a budget scope started at p_started_at by this tenant, user and endpoint passes its deadline: p_started_at plus llm_private.budget_scope_span (the smallest hard elapsed_ms limit applicable now); NULL without one. The views add the span themselves, so that it is computed once per tenant, user and endpoint.';

--
-- Name: budget_scope_span(uuid, uuid, llm_private.endpoint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) RETURNS interval
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select make_interval(secs => min(l.cap) / 1000.0)
    from llm_private.applicable_limits(p_tenant_id, p_user_id, p_endpoint, null, null, true, llm_private.now()) l
   where l.unit = 'elapsed_ms' and l.kind = 'hard'
$$;

ALTER FUNCTION llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) OWNER TO llm_owner;

--
-- Name: FUNCTION budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) IS 'How long a budget scope whose first request is this tenant''s, user''s and endpoint''s lasts: the smallest hard elapsed_ms limit applicable now (in seconds, never days: no TimeZone moves it); NULL without one. Depends on these three only, so that a reader of many scopes computes it once per distinct three (llm_private.limit_usage_rows).';

--
-- Name: cache_owner(uuid, uuid, llm_private.endpoint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  return (llm_private.cache_policy(p_tenant_id, p_user_id, p_endpoint::text)).owner_user_id;
end
$$;

ALTER FUNCTION llm_private.cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) OWNER TO llm_owner;

--
-- Name: FUNCTION cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) IS 'Whose cache a request reads and fills: the nil uuid (the tenant''s shared cache) when the tenant shares the endpoint''s cache, else the user''s own (llm_private.cache_policy, sql/api/076-semantic-cache.sql).';

--
-- Name: cache_policy(uuid, uuid, text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text, OUT owner_user_id uuid, OUT shared boolean, OUT semantic_threshold real, OUT embedding_model text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  -- Typed like the column (the endpoint enum), so that the comparison needs no cast.
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
begin
  -- The tenant's own row replaces the endpoint's default row (tenant_id NULL) whole.
  select x.cache_shared, x.semantic_threshold, x.embedding_model into shared, semantic_threshold, embedding_model
    from llm_private.endpoint_settings x
   where (x.tenant_id = p_tenant_id or x.tenant_id is null) and x.endpoint = v_endpoint
   order by x.tenant_id nulls last limit 1;
  shared := coalesce(shared, false);
  owner_user_id := case when shared then '00000000-0000-0000-0000-000000000000'::uuid else p_user_id end;
end
$$;

ALTER FUNCTION llm_private.cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text, OUT owner_user_id uuid, OUT shared boolean, OUT semantic_threshold real, OUT embedding_model text) OWNER TO llm_owner;

--
-- Name: FUNCTION cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text, OUT owner_user_id uuid, OUT shared boolean, OUT semantic_threshold real, OUT embedding_model text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text, OUT owner_user_id uuid, OUT shared boolean, OUT semantic_threshold real, OUT embedding_model text) IS 'The cache scope and semantic settings of a (tenant, user, endpoint), from llm_private.endpoint_settings (the tenant''s row, else the endpoint''s default row): owner_user_id is the user, or the nil uuid when the tenant shares the endpoint''s cache; semantic_threshold NULL = semantic cache off; embedding_model = provider:model of the embedding call.';

--
-- Name: call_cost_micros(llm_private.model_prices, integer, integer, integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select pg_catalog.div(p_input_tokens::pg_catalog.numeric * p.input_per_mtok_micros
                        + p_cached_input_tokens::pg_catalog.numeric * p.cached_input_per_mtok_micros
                        + p_output_tokens::pg_catalog.numeric * p.output_per_mtok_micros + 999999, 1000000)::pg_catalog.int8
$$;

ALTER FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) OWNER TO llm_owner;

--
-- Name: FUNCTION call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) IS 'The cost of a call at a price row: uncached input, cached input and output tokens at their prices, summed, rounded up once.';

--
-- Name: charged_amount(llm_private.limit_unit, llm_private.attempts); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select llm_private.charged_amount(p_unit, a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens,
    a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)
$$;

ALTER FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) OWNER TO llm_owner;

--
-- Name: FUNCTION charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) IS 'What a settled or expired attempt counts as spent on a meter of this unit (0 while held, and when released, refused or cached).';

--
-- Name: charged_amount(llm_private.limit_unit, llm_private.attempt_state, bigint, boolean, integer, integer, integer, integer, integer, llm_private.purpose); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select case when p_state in ('held', 'released', 'refused', 'cached') then 0::pg_catalog.int8
    else case p_unit
      when 'micros' then p_charged_micros
      -- Unknown usage: the tokens held, or the tokens reported when there are more (another model's answer, unpriced).
      when 'tokens' then case when p_usage_unknown then greatest(p_input_tokens_estimate::pg_catalog.int8 + p_max_output_tokens,
                                                                          coalesce(p_input_tokens, 0)::pg_catalog.int8 + coalesce(p_cached_input_tokens, 0) + coalesce(p_output_tokens, 0))
                              else coalesce(p_input_tokens, 0)::pg_catalog.int8 + coalesce(p_cached_input_tokens, 0) + coalesce(p_output_tokens, 0) end
      when 'input_tokens' then case when p_usage_unknown then greatest(p_input_tokens_estimate::pg_catalog.int8,
                                                                        coalesce(p_input_tokens, 0)::pg_catalog.int8 + coalesce(p_cached_input_tokens, 0))
                                    else coalesce(p_input_tokens, 0)::pg_catalog.int8 + coalesce(p_cached_input_tokens, 0) end
      when 'output_tokens' then case when p_usage_unknown then greatest(p_max_output_tokens::pg_catalog.int8, coalesce(p_output_tokens, 0)::pg_catalog.int8)
                                     else coalesce(p_output_tokens, 0)::pg_catalog.int8 end
      when 'calls' then case when p_purpose = 'chat' then 1::pg_catalog.int8 else 0::pg_catalog.int8 end
      else 0::pg_catalog.int8 end end
$$;

ALTER FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) OWNER TO llm_owner;

--
-- Name: FUNCTION charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) IS 'What a settled or expired attempt counts as spent on a meter of this unit, from its columns (0 while held, and when released, refused or cached).';

--
-- Name: claim_window_start(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.claim_window_start() RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select (llm_private.month_index(llm_private.now()) - (select s.idempotency_months from llm_private.settings s) + 1)::bigint << 40
$$;

ALTER FUNCTION llm_private.claim_window_start() OWNER TO llm_owner;

--
-- Name: FUNCTION claim_window_start(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.claim_window_start() IS 'The smallest request pk of the idempotency window (settings.idempotency_months calendar months, this one included): a claim of a key is found again from here.';

--
-- Name: closed_through(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.closed_through() RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  -- Finite closes only: a row of 'infinity' (refused by the trigger since review 87, where its month was NULL and every
  -- check passed) would make the newest close NULL and open every month again.
  select llm_private.month_start(llm_private.month_index(max(c.month_start)) + 1) from llm_private.month_closes c
   where c.month_start > '-infinity' and c.month_start < 'infinity'
$$;

ALTER FUNCTION llm_private.closed_through() OWNER TO llm_owner;

--
-- Name: FUNCTION closed_through(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.closed_through() IS 'The first instant after every closed month (the end of the newest month llm.close_month closed), or NULL: an adjustment must be dated at or after it.';

--
-- Name: cost_micros(bigint, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ select pg_catalog.div(p_tokens::pg_catalog.numeric * p_per_mtok_micros + 999999, 1000000)::pg_catalog.int8 $$;

ALTER FUNCTION llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION cost_micros(p_tokens bigint, p_per_mtok_micros bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) IS 'Cost in micro-USD of a number of tokens at a price per million tokens, rounded up. Inlinable.';

--
-- Name: create_month_partition(text, integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.create_month_partition(p_table text, p_month integer) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET "TimeZone" TO 'UTC'
    SET "DateStyle" TO 'ISO, YMD'
    AS $$
declare
  part text := format('%s_m%s', p_table, to_char(llm_private.month_start(p_month) at time zone 'UTC', 'YYYYMM'));
  bounds text;
begin
  if p_table <> all (llm_private.partitioned_tables()) or p_month not between 0 and 2400 then
    raise exception using errcode = '22023', message = 'not a partitioned ledger table or month', detail = format('%s %s', p_table, p_month);
  end if;
  if to_regclass('llm_private.' || part) is not null then
    return false;
  end if;
  bounds := case when p_table in ('requests', 'request_inputs', 'attempts')
                 then format('from (%s) to (%s)', p_month::bigint << 40, (p_month + 1)::bigint << 40)
                 else format('from (%L) to (%L)', llm_private.month_start(p_month), llm_private.month_start(p_month + 1)) end;
  execute format('create table llm_private.%I partition of llm_private.%I for values %s', part, p_table, bounds);
  execute format('alter table llm_private.%I enable row level security', part);
  execute format('alter table llm_private.%I force row level security', part);
  perform llm_private.guard_partition_truncate(format('llm_private.%I', part)::regclass);
  execute format('comment on table llm_private.%I is %L', part, format('Partition of llm_private.%s for %s (UTC).', p_table,
    to_char(llm_private.month_start(p_month) at time zone 'UTC', 'YYYY-MM')));
  return true;
end
$$;

ALTER FUNCTION llm_private.create_month_partition(p_table text, p_month integer) OWNER TO llm_owner;

--
-- Name: FUNCTION create_month_partition(p_table text, p_month integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.create_month_partition(p_table text, p_month integer) IS 'Creates one month''s partition of a ledger table (FORCE RLS, no grants: access goes through the parent''s policies; its parent''s TRUNCATE triggers, llm_private.guard_partition_truncate). Owner only; called by migrations and llm_maint.ensure_partitions().';

--
-- Name: current_tenant_id(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.current_tenant_id() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
begin
  if pg_catalog.current_setting('app.context_tx', true) operator(pg_catalog.=) llm_private.tx_stamp()::pg_catalog.text
     and pg_catalog.current_setting('app.current_tenant_id', true) operator(pg_catalog.<>) '' then
    return pg_catalog.current_setting('app.current_tenant_id', true)::pg_catalog.uuid;
  end if;
  return null;
end
$$;

ALTER FUNCTION llm_private.current_tenant_id() OWNER TO llm_owner;

--
-- Name: FUNCTION current_tenant_id(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.current_tenant_id() IS 'The worker''s tenant context (app.current_tenant_id) when set in this transaction (app.context_tx), else NULL; '''' is no context, a value that is not a uuid raises 22P02. Used by policies TO llm_money; PL/pgSQL so that a policy holds one call, not its expansion, for every partition an UPDATE opens; no SET clause (every name qualified) because policies call it per row.';

--
-- Name: current_user_id(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.current_user_id() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
begin
  if pg_catalog.current_setting('app.context_tx', true) operator(pg_catalog.=) llm_private.tx_stamp()::pg_catalog.text
     and pg_catalog.current_setting('app.current_user_id', true) operator(pg_catalog.<>) '' then
    return pg_catalog.current_setting('app.current_user_id', true)::pg_catalog.uuid;
  end if;
  return null;
end
$$;

ALTER FUNCTION llm_private.current_user_id() OWNER TO llm_owner;

--
-- Name: FUNCTION current_user_id(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.current_user_id() IS 'The worker''s user context (app.current_user_id) when set in this transaction, else NULL; '''' is no context, a value that is not a uuid raises 22P02. Used by policies TO llm_money; PL/pgSQL, no SET clause (see current_tenant_id).';

--
-- Name: declared_role_settings(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.declared_role_settings() RETURNS TABLE(role_name text, parameter text, value text)
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
  values ('llm_app', 'statement_timeout', '30s'), ('llm_app', 'idle_in_transaction_session_timeout', '60s'),
         ('llm_app', 'track_activities', 'off'),
         ('llm_app', 'log_min_error_statement', 'panic'), ('llm_app', 'log_min_duration_statement', '-1'),
         ('llm_worker', 'statement_timeout', '30s'),
         ('llm_worker', 'log_min_error_statement', 'panic'), ('llm_worker', 'log_min_duration_statement', '-1'),
         ('llm_worker', 'track_activities', 'off'),
         ('llm_auditor', 'statement_timeout', '60s'), ('llm_auditor', 'default_transaction_read_only', 'on'),
         ('llm_auditor', 'idle_in_transaction_session_timeout', '60s'), ('llm_auditor', 'jit', 'off'),
         ('llm_viewer', 'statement_timeout', '60s'), ('llm_viewer', 'default_transaction_read_only', 'on'),
         ('llm_viewer', 'idle_in_transaction_session_timeout', '60s'), ('llm_viewer', 'jit', 'off'),
         ('llm_operator', 'jit', 'off'),
         ('llm_exporter', 'default_transaction_read_only', 'on'), ('llm_exporter', 'idle_in_transaction_session_timeout', '60s'),
         ('llm_app', 'temp_file_limit', '256MB'), ('llm_worker', 'temp_file_limit', '2GB'), ('llm_operator', 'temp_file_limit', '2GB'),
         ('llm_auditor', 'temp_file_limit', '2GB'), ('llm_viewer', 'temp_file_limit', '2GB'), ('llm_exporter', 'temp_file_limit', '2GB')
$$;

ALTER FUNCTION llm_private.declared_role_settings() OWNER TO llm_owner;

--
-- Name: FUNCTION declared_role_settings(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.declared_role_settings() IS 'The runtime roles'' role-wide session defaults exactly as sql/bootstrap/roles.sql sets them at every migrate (none in any one database). test/sql/role_settings.sql checks that a migrate leaves exactly these.';

--
-- Name: distillation_gate(uuid, llm_private.decision, llm_private.provider_status, boolean, boolean, text, text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.distillation_gate(p_tenant_id uuid, p_decision llm_private.decision, p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text, OUT eligible boolean, OUT reason llm_private.distill_reason) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  -- Facts about the call first (no lookups), then the tenant's consent and the model's terms.
  reason := case
    when p_status is distinct from 'ok' then 'call_failed'
    when p_decision = 'cap' then 'capped_output'
    when p_output_valid is null then 'no_output'
    when not p_output_valid then 'invalid_output'
    when coalesce(p_pii_flagged, true) then 'pii_flagged'
  end;
  if reason is null and not coalesce((select t.distillation_opt_in from llm_private.tenants t where t.id = p_tenant_id), false) then
    reason := 'tenant_not_opted_in';
  end if;
  if reason is null and not coalesce((select m.training_allowed from llm_private.models m
                                       where m.provider = p_provider and m.model = p_model), false) then
    reason := 'model_terms_forbid';
  end if;
  reason := coalesce(reason, 'eligible');
  eligible := reason = 'eligible';
end
$$;

ALTER FUNCTION llm_private.distillation_gate(p_tenant_id uuid, p_decision llm_private.decision, p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text, OUT eligible boolean, OUT reason llm_private.distill_reason) OWNER TO llm_owner;

--
-- Name: FUNCTION distillation_gate(p_tenant_id uuid, p_decision llm_private.decision, p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text, OUT eligible boolean, OUT reason llm_private.distill_reason); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.distillation_gate(p_tenant_id uuid, p_decision llm_private.decision, p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text, OUT eligible boolean, OUT reason llm_private.distill_reason) IS 'The distillation-eligibility decision of a settled call and its reason (the first rule that fails). Called by the settle trigger only.';

--
-- Name: drift_keys(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.drift_keys() RETURNS TABLE(tenant_id uuid, meter_id smallint, user_id uuid, budget_scope text, period_start timestamp with time zone, shard smallint, kind text, moved_by bigint)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select coalesce(v.tenant_id, llm_private.nil_uuid()), m.id, coalesce(v.user_id, llm_private.nil_uuid()), coalesce(v.budget_scope, ''),
         v.period_start, v.shard, v.kind, case when v.kind = 'missing_usage_row' then 0 else v.ledger_value - v.usage_value end
    from llm.reconciliation_drift v join llm_private.meters m on m.name = v.meter_name
$$;

ALTER FUNCTION llm_private.drift_keys() OWNER TO llm_owner;

--
-- Name: FUNCTION drift_keys(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.drift_keys() IS 'llm.reconciliation_drift as usage keys (nil tenant and user, empty scope, the meter''s id) with the amount each counter moves by (moved_by; 0 for a missing row): what llm.repair_usage_drift inserts and what its insert trigger checks rows against.';

--
-- Name: embedding_attempt_model(uuid, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.embedding_attempt_model(p_tenant_id uuid, p_request_pk bigint) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  return (select pr.provider || ':' || pr.model
            from llm_private.attempts a join llm_private.model_prices pr on pr.id = a.price_id
           where a.tenant_id = p_tenant_id and a.request_pk = p_request_pk and a.purpose = 'embedding'
             and a.state = 'settled' and a.provider_status = 'ok'
           order by a.attempt_no desc limit 1);
end
$$;

ALTER FUNCTION llm_private.embedding_attempt_model(p_tenant_id uuid, p_request_pk bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION embedding_attempt_model(p_tenant_id uuid, p_request_pk bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.embedding_attempt_model(p_tenant_id uuid, p_request_pk bigint) IS 'provider:model of the request''s latest embedding call that settled ok, or NULL: the model of the vector its chat reserve looks up with and its cache entry stores (an embedding without a governed embedding call is never used).';

--
-- Name: embedding_tokens_floor(jsonb); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.embedding_tokens_floor(p_messages jsonb) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
  -- One pass over the messages (none when they are not an array): the shape, and the single user message's text.
  select case when a.users = 1 and a.known_roles and (p_messages->-1)->>'role' = 'user' and t.text <> ''
              then llm_private.input_tokens_floor(jsonb_build_array(jsonb_build_object('content', t.text))) end
    from (select count(*) filter (where m->>'role' = 'user') as users,
                 coalesce(bool_and(coalesce(m->>'role' in ('user', 'system', 'developer'), false)), false) as known_roles,
                 max(m->>'content') filter (where m->>'role' = 'user') as question
            from jsonb_array_elements(case when jsonb_typeof(p_messages) = 'array' then p_messages end) m) a
   cross join lateral (select btrim(replace(a.question, E'\r\n', E'\n'), E' \t\n') as text) t
$$;

ALTER FUNCTION llm_private.embedding_tokens_floor(p_messages jsonb) OWNER TO llm_owner;

--
-- Name: FUNCTION embedding_tokens_floor(p_messages jsonb); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.embedding_tokens_floor(p_messages jsonb) IS 'The fewest input tokens an embedding call of the semantic cache can take: llm_private.input_tokens_floor of the one text the worker embeds (src/semantic.ts semanticText: the single user message of a request whose other messages are system or developer ones and whose last message is that one, CRLF as LF, trimmed of spaces, tabs and newlines). NULL when the request has no such text (its shape, or a text empty once trimmed): the reserve then refuses the embedding call. The worker also skips a text over 16 000 UTF-16 units, which is floored here like any other (a stricter hold for a call it does not make).';

--
-- Name: end_cache_fill(uuid, bigint, smallint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint) OWNER TO llm_owner;

--
-- Name: FUNCTION end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint) IS 'Ends an attempt''s cache fill and notifies llm_cache_filled with its random token (cache_fills.token).';

--
-- Name: fingerprint(uuid, jsonb); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.fingerprint(p_user_id uuid, p jsonb) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
  -- A JSON array: every field has an unambiguous boundary (no "ab"+"c" = "a"+"bc").
  select sha256(convert_to(jsonb_build_array(p_user_id, p->>'endpoint', p->>'model', p->'messages', (p->>'max_output_tokens')::numeric,
    coalesce(p->>'response_format', 'text'), p->>'source_watermark', (p->>'cost_ceiling_micros')::numeric, p->>'budget_scope')::text, 'UTF8'))
$$;

ALTER FUNCTION llm_private.fingerprint(p_user_id uuid, p jsonb) OWNER TO llm_owner;

--
-- Name: FUNCTION fingerprint(p_user_id uuid, p jsonb); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.fingerprint(p_user_id uuid, p jsonb) IS 'sha256 of the user and every parameter of a call (messages, model, max output, format, watermark, ceiling, budget scope; not correlation_id, which only traces).';

--
-- Name: finish_failed(uuid, bigint, llm_private.reason); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  update llm_private.requests q set state = 'failed', reason = p_reason, finished_at = llm_private.now()
   where q.tenant_id = p_tenant_id and q.id = p_request_pk and q.state in ('queued', 'running');
end
$$;

ALTER FUNCTION llm_private.finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason) OWNER TO llm_owner;

--
-- Name: FUNCTION finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason) IS 'Ends a request that is still open as failed, with its reason.';

--
-- Name: from_worker_login_as_operator(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.from_worker_login_as_operator() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  return session_user::text = 'llm_worker' and current_user::text = 'llm_operator';
end
$$;

ALTER FUNCTION llm_private.from_worker_login_as_operator() OWNER TO llm_owner;

--
-- Name: FUNCTION from_worker_login_as_operator(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.from_worker_login_as_operator() IS 'True when the worker''s login acts as llm_operator (its sweeps): the operator''s other changes refuse it. PL/pgSQL, whose plan lives for the session: as an SQL function with a SET clause (not inlined) it was planned again in every transaction, on every settle''s request update (-0.7 % instructions per pair, bench/PROFILE.md §21).';

--
-- Name: guard_partition_truncate(regclass); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.guard_partition_truncate(p_partition regclass) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  t record;
  n integer := 0;
begin
  -- Each non-internal TRUNCATE trigger of the partition's parent, by the same name and function. CREATE OR REPLACE: the
  -- API replay (sql/api/100-requests.sql calls this for every partition) drops a trigger running a function of sql/api
  -- that it did not write again as stale (src/db/migrate.ts dropStaleTriggers).
  for t in select pt.tgname, pt.tgfoid::regproc as fn
             from pg_inherits i join pg_trigger pt on pt.tgrelid = i.inhparent
            where i.inhrelid = p_partition and not pt.tgisinternal and (pt.tgtype::int & 32) <> 0 loop
    execute format('create or replace trigger %I before truncate on %s for each statement execute function %s()', t.tgname, p_partition, t.fn);
    n := n + 1;
  end loop;
  return n;
end
$$;

ALTER FUNCTION llm_private.guard_partition_truncate(p_partition regclass) OWNER TO llm_owner;

--
-- Name: FUNCTION guard_partition_truncate(p_partition regclass); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.guard_partition_truncate(p_partition regclass) IS 'Gives a ledger partition the BEFORE TRUNCATE triggers of its parent, created or replaced (statement triggers are neither cloned to partitions nor fired for a partition truncated by name). Returns how many. Owner only; called by llm_private.create_month_partition and by the API replay for every partition (sql/api/105-operator.sql).';

--
-- Name: held_amount(llm_private.limit_unit, llm_private.attempts); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select llm_private.held_amount(p_unit, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge)
$$;

ALTER FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) OWNER TO llm_owner;

--
-- Name: FUNCTION held_amount(p_unit llm_private.limit_unit, a llm_private.attempts); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) IS 'What a held attempt holds on a meter of this unit (at least 1 of each unit it can be charged in, for an attempt that holds the least charge).';

--
-- Name: hmac_pads(bytea); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.hmac_pads(p_key bytea, OUT ipad bytea, OUT opad bytea) RETURNS record
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  k bytea := case when octet_length(p_key) > 64 then sha256(p_key) else p_key end;
begin
  k := k || decode(repeat('00', 64 - octet_length(k)), 'hex');
  ipad := k; opad := k;
  for i in 0 .. 63 loop
    ipad := set_byte(ipad, i, get_byte(k, i) # 54);
    opad := set_byte(opad, i, get_byte(k, i) # 92);
  end loop;
end
$$;

ALTER FUNCTION llm_private.hmac_pads(p_key bytea, OUT ipad bytea, OUT opad bytea) OWNER TO llm_owner;

--
-- Name: FUNCTION hmac_pads(p_key bytea, OUT ipad bytea, OUT opad bytea); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.hmac_pads(p_key bytea, OUT ipad bytea, OUT opad bytea) IS 'The inner and outer padded keys of HMAC-SHA256 (key XOR 0x36.., key XOR 0x5c..).';

--
-- Name: hmac_sha256(bytea, bytea, bytea); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select pg_catalog.sha256(p_opad operator(pg_catalog.||) pg_catalog.sha256(p_ipad operator(pg_catalog.||) p_message)) $$;

ALTER FUNCTION llm_private.hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea) OWNER TO llm_owner;

--
-- Name: FUNCTION hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea) IS 'HMAC-SHA256 of a message from the padded keys (llm_private.hmac_pads).';

--
-- Name: input_tokens_floor(jsonb); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.input_tokens_floor(p_messages jsonb) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.input_tokens_floor(p_messages jsonb) OWNER TO llm_owner;

--
-- Name: FUNCTION input_tokens_floor(p_messages jsonb); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.input_tokens_floor(p_messages jsonb) IS 'The fewest input tokens a chat call''s messages can take by our rule: the characters of their contents, less every block of 8 of one space, tab, newline, ideographic space or separator character (- = _ * # ~ . / + ! : ; % ^, box-drawing rules, em dash, ellipsis: o200k and cl100k cover 16 to 128 of those in a token), divided by 12. Characters, not bytes: o200k takes up to 12 bytes a token in Hindi or Bengali. 12, not 8: dense formal English took up to 9.4 characters a token in o200k (review of b059cd4). Every other character counts, punctuation and emoji included (random punctuation takes ~1.5 bytes a token). Above the real count only for text whose tokens average more than 12 characters (runs of a letter or of a character not listed); below it, and weak, for a tokenizer that spells runs character by character, or spells a script byte by byte (cl100k: Georgian). Plain replace(), linear whatever the text (~3 ms for 256 kB); independent of the locale and of standard_conforming_strings.';

--
-- Name: is_asked_model(text, text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.is_asked_model(p_asked text, p_answered text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $_$
  -- Case aside, and :latest aside on either side (review of the final replay: llama3:latest answered llama3 was refused).
  with n as (select lower(regexp_replace(p_asked, ':latest$', '')) as asked, lower(regexp_replace(p_answered, ':latest$', '')) as ans)
  select n.ans = n.asked
      or n.ans = n.asked || '-latest'
      -- asked under an organisation prefix (openai/gpt-4o), answered bare; never the other way
      or (strpos(n.ans, '/') = 0 and strpos(n.asked, '/') > 0 and n.ans = regexp_replace(n.asked, '^[^/]*/', ''))
      or (left(n.ans, length(n.asked)) = n.asked
          and substr(n.ans, length(n.asked) + 1) ~ '^-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}|[0-9]{8})$')
      or (n.asked ~ '-latest$' and left(n.ans, length(n.asked) - 7) = left(n.asked, length(n.asked) - 7)
          and substr(n.ans, length(n.asked) - 6) ~ '^-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}|[0-9]{8})$')
    from n
$_$;

ALTER FUNCTION llm_private.is_asked_model(p_asked text, p_answered text) OWNER TO llm_owner;

--
-- Name: FUNCTION is_asked_model(p_asked text, p_answered text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.is_asked_model(p_asked text, p_answered text) IS 'Whether an answer''s model name is the asked model''s own, case aside: the name, with or without :latest or -latest, or a dated snapshot (name-2024-08-06, name-0613, name-20241022; name-latest as name-<date>); the bare name of an asked org/name; never a name under another organisation prefix.';

--
-- Name: job_is_ours(bigint, text, text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.job_is_ours(p_job_id bigint, p_task_identifier text, p_key text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $_$
begin
  if p_task_identifier like 'llm\_\_%' then
    return true;
  end if;
  -- The key as the wrapper writes it (format('llm:%s:%s', tenant uuid, request pk)) before any cast: another
  -- application's key is any text.
  if p_job_id is null or p_key is null
     or p_key !~ '^llm:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[1-9][0-9]{0,17}$' then
    return false;
  end if;
  return exists (select 1 from llm_private.requests q
                  where q.tenant_id = split_part(p_key, ':', 2)::uuid and q.id = split_part(p_key, ':', 3)::bigint
                    and q.job_id = p_job_id and q.endpoint::text = p_task_identifier);
end
$_$;

ALTER FUNCTION llm_private.job_is_ours(p_job_id bigint, p_task_identifier text, p_key text) OWNER TO llm_owner;

--
-- Name: FUNCTION job_is_ours(p_job_id bigint, p_task_identifier text, p_key text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.job_is_ours(p_job_id bigint, p_task_identifier text, p_key text) IS 'True when a graphile-worker job (its id, task identifier and key, from graphile_worker.jobs) is ours: a maintenance job (task llm__*), or the job llm_queue.add_request_job added for a request (its key names the request, whose job_id is this job''s id, and its task is the request''s endpoint). Another application''s job is not, whatever its task''s name. Reads llm_private.requests under the caller''s policies (the worker''s login reads every request).';

--
-- Name: ledger_kept_from(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.ledger_kept_from() RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select llm_private.month_start(llm_private.month_index(llm_private.now()) - s.ledger_retention_months + 1) from llm_private.settings s
$$;

ALTER FUNCTION llm_private.ledger_kept_from() OWNER TO llm_owner;

--
-- Name: FUNCTION ledger_kept_from(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.ledger_kept_from() IS 'The start (UTC) of the oldest month the ledger keeps (settings.ledger_retention_months, this month included): what is older is dropped (ledger partitions) or purged (breaker transitions).';

--
-- Name: limit_in_effect(smallint, uuid, uuid, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) RETURNS llm_private.limits
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select e.* from llm_private.limits_in_effect(p_meter_id, k_tenant, k_user, p_at) e
$$;

ALTER FUNCTION llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) IS 'The limit in effect at p_at on a usage subject (meter, tenant or nil, user or nil), ranked as llm_private.applicable_limits ranks (user over tenant over everyone, temporary over permanent, then the newest temporary or the permanent one that started last); NULL when none applies (the meter then does not apply to the subject).';

--
-- Name: limits_in_effect(smallint, uuid, uuid, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) RETURNS SETOF llm_private.limits
    LANGUAGE sql STABLE
    AS $$
  select x.* from llm_private.limits x join llm_private.meters m on m.id operator(pg_catalog.=) x.meter_id
   where x.meter_id operator(pg_catalog.=) p_meter_id
     -- (three exact ranges of limits_meter_idx, as in applicable_limits)
     and ((x.tenant_id is null and x.user_id is null) or (x.tenant_id operator(pg_catalog.=) k_tenant and x.user_id is null)
          or (x.tenant_id operator(pg_catalog.=) k_tenant and x.user_id operator(pg_catalog.=) k_user))
     and x.valid_from operator(pg_catalog.<=) p_at and x.valid_until operator(pg_catalog.>) p_at
     and (m.disabled_at is null or m.disabled_at operator(pg_catalog.>) p_at)
   order by (x.user_id is not null) desc, (x.tenant_id is not null) desc, x.temporary desc,
            (case when x.temporary then '-infinity'::pg_catalog.timestamptz else x.valid_from end) desc, x.id desc
   limit 1
$$;

ALTER FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) IS 'llm_private.limit_in_effect as a set of at most one row, inlined into the views that read it for many subjects (llm.limit_usage).';

--
-- Name: cache_entries; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.cache_entries (
    tenant_id uuid NOT NULL,
    owner_user_id uuid NOT NULL,
    cache_key text NOT NULL,
    endpoint llm_private.endpoint NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    system_hash text NOT NULL,
    response_format text NOT NULL,
    source_watermark text NOT NULL,
    output text NOT NULL,
    source_request_pk bigint NOT NULL,
    source_attempt_no smallint NOT NULL,
    source_cost_micros bigint NOT NULL,
    embedding real[],
    embedding_model text,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    max_output_tokens integer,
    CONSTRAINT cache_entries_cache_key_check CHECK ((length(cache_key) = 64)),
    CONSTRAINT cache_entries_embedding_check CHECK (((cardinality(embedding) >= 1) AND (cardinality(embedding) <= 4096))),
    CONSTRAINT cache_entries_max_output_tokens_check CHECK (((max_output_tokens >= 0) AND (max_output_tokens <= 1000000))),
    CONSTRAINT cache_entries_output_check CHECK ((octet_length(output) <= 1048576)),
    CONSTRAINT cache_entries_response_format_check CHECK ((response_format = ANY (ARRAY['text'::text, 'json'::text]))),
    CONSTRAINT cache_entries_semantic_check CHECK ((((embedding IS NULL) = (embedding_model IS NULL)) AND ((embedding_model IS NULL) OR (embedding_model ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'::text)) AND ((embedding IS NULL) OR ((array_ndims(embedding) = 1) AND (array_position(embedding, NULL::real) IS NULL) AND (NOT (('NaN'::real = ANY (embedding)) OR ('Infinity'::real = ANY (embedding)) OR ('-Infinity'::real = ANY (embedding)))) AND ((0)::real <> ANY (embedding)))))),
    CONSTRAINT cache_entries_source_cost_micros_check CHECK ((source_cost_micros >= 0)),
    CONSTRAINT cache_entries_system_hash_check CHECK ((length(system_hash) = 64))
);

ALTER TABLE ONLY llm_private.cache_entries FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.cache_entries OWNER TO llm_owner;

--
-- Name: TABLE cache_entries; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.cache_entries IS 'The Postgres cache: key = sha256(normalized request + source watermark). Scoped to its user (owner_user_id) unless the tenant shares the endpoint''s cache (owner = nil uuid). Only complete, valid answers of the requested model are stored.';

--
-- Name: COLUMN cache_entries.system_hash; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.cache_entries.system_hash IS 'llm_private.system_hash(messages) of the source request: another system prompt never matches, exactly or semantically.';

--
-- Name: COLUMN cache_entries.response_format; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.cache_entries.response_format IS 'text or json: a JSON request is never served a text entry, nor the reverse.';

--
-- Name: COLUMN cache_entries.source_watermark; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.cache_entries.source_watermark IS 'The source request''s source_watermark: part of the key and of the semantic scope, so that an entry of an older revision of the data is never served.';

--
-- Name: COLUMN cache_entries.source_request_pk; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.cache_entries.source_request_pk IS 'The request whose answer this entry is (llm.request_results shows it as reused_request_id).';

--
-- Name: COLUMN cache_entries.embedding; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.cache_entries.embedding IS 'The question''s embedding, for the semantic cache (NULL: exact cache only).';

--
-- Name: COLUMN cache_entries.embedding_model; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.cache_entries.embedding_model IS 'provider:model of the embedding call that produced embedding (the source request''s settled embedding attempt); vectors of different models are never compared. NULL exactly when embedding is NULL.';

--
-- Name: COLUMN cache_entries.max_output_tokens; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.cache_entries.max_output_tokens IS 'The max_output_tokens of the request whose answer this is: a semantic hit is served only to a request with at least this cap.';

--
-- Name: live_cache_entry(uuid, uuid, text, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamp with time zone) RETURNS llm_private.cache_entries
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  e llm_private.cache_entries;
begin
  select * into e from llm_private.cache_entries c
   where c.tenant_id = p_tenant_id and c.owner_user_id = p_owner and c.cache_key = p_cache_key and c.expires_at > p_at;
  return e;
end
$$;

ALTER FUNCTION llm_private.live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamp with time zone) IS 'The unexpired cache entry of a key in a scope, if any.';

--
-- Name: lock_claim(uuid, text, text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text) OWNER TO llm_owner;

--
-- Name: FUNCTION lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text) IS 'Orders the claims of (tenant, endpoint, request_id) until this transaction ends: writes the key''s llm_private.claim_mutexes row, at whose primary key a concurrent claim of the key waits (no advisory lock: the application cannot fill the shared lock table). Another tenant''s key is refused by row-level security (42501).';

--
-- Name: lock_salt(uuid); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.lock_salt(p_tenant_id uuid) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  return coalesce((select t.lock_salt from llm_private.tenants t where t.id = p_tenant_id), 0);
end
$$;

ALTER FUNCTION llm_private.lock_salt(p_tenant_id uuid) OWNER TO llm_owner;

--
-- Name: FUNCTION lock_salt(p_tenant_id uuid); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.lock_salt(p_tenant_id uuid) IS 'The seed of a tenant''s advisory lock keys (tenants.lock_salt; 0 where the caller cannot see the tenant): another tenant cannot compute them.';

--
-- Name: max_output_within(llm_private.model_prices, integer, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  left_micros bigint := p_budget_micros - llm_private.cost_micros(p_input_tokens,
                                                                   greatest(p.input_per_mtok_micros, p.cached_input_per_mtok_micros));
begin
  -- Largest m with ceil(m * out / 1e6) <= budget - input cost (then worst_case_micros(p, in, m) <= budget as well: it rounds
  -- the sum once); NULL when even the input does not fit.
  if left_micros < 0 then
    return null;
  elsif p.output_per_mtok_micros = 0 then
    return 1000000;
  end if;
  return least(1000000, div(left_micros::numeric * 1000000, p.output_per_mtok_micros))::integer;
end
$$;

ALTER FUNCTION llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint) IS 'The most output tokens whose worst case fits a budget at a price, or NULL when the input alone does not fit.';

--
-- Name: month_index(timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.month_index(p_at timestamp with time zone) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select ((pg_catalog.date_part('year', pg_catalog.timezone('UTC', p_at)) - 2000) * 12
        + pg_catalog.date_part('month', pg_catalog.timezone('UTC', p_at)) - 1)::pg_catalog.int4
$$;

ALTER FUNCTION llm_private.month_index(p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION month_index(p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.month_index(p_at timestamp with time zone) IS 'Months since 2000-01 in UTC: the month part of request ids and the partition of every ledger row.';

--
-- Name: month_start(integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.month_start(p_month_index integer) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select pg_catalog.make_timestamptz(2000 + p_month_index / 12, p_month_index % 12 + 1, 1, 0, 0, 0, 'UTC')
$$;

ALTER FUNCTION llm_private.month_start(p_month_index integer) OWNER TO llm_owner;

--
-- Name: FUNCTION month_start(p_month_index integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.month_start(p_month_index integer) IS 'The first instant (UTC) of a month index.';

--
-- Name: nil_uuid(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.nil_uuid() RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid $$;

ALTER FUNCTION llm_private.nil_uuid() OWNER TO llm_owner;

--
-- Name: FUNCTION nil_uuid(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.nil_uuid() IS 'The nil uuid: "no user" / "every tenant" in usage keys, "shared" as a cache owner.';

--
-- Name: oldest_reservable_request_pk(timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select (llm_private.month_index(p_at) operator(pg_catalog.-) 1)::bigint operator(pg_catalog.<<) 40
$$;

ALTER FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION oldest_reservable_request_pk(p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) IS 'The smallest request id a reserve at p_at may send: the first of the previous UTC month (request ids carry their month in the bits above 40). Below it: block / request_stale. The reconciliation reads the attempts of requests from this bound at last month''s start.';

--
-- Name: partitioned_tables(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.partitioned_tables() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$ select array['requests', 'request_inputs', 'attempts', 'usage', 'alerts', 'adjustments'] $$;

ALTER FUNCTION llm_private.partitioned_tables() OWNER TO llm_owner;

--
-- Name: FUNCTION partitioned_tables(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.partitioned_tables() IS 'The ledger tables partitioned by month.';

--
-- Name: payload_errors(jsonb); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.payload_errors(p jsonb) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $_$
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
$_$;

ALTER FUNCTION llm_private.payload_errors(p jsonb) OWNER TO llm_owner;

--
-- Name: FUNCTION payload_errors(p jsonb); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.payload_errors(p jsonb) IS 'Validates an enqueue payload (shape and limits); returns the list of problems, empty when valid. Mirrors src/payload.ts.';

--
-- Name: period_end(llm_private.limit_window, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select case p_window
    when 'minute' then p_start + '1 minute'::pg_catalog.interval
    when 'hour' then p_start + '1 hour'::pg_catalog.interval
    when 'day' then pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', p_start) + '1 day'::pg_catalog.interval)
    when 'week' then pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', p_start) + '7 days'::pg_catalog.interval)
    when 'month' then pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', p_start) + '1 month'::pg_catalog.interval)
    when 'quarter' then pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', p_start) + '3 months'::pg_catalog.interval)
    else 'infinity'::pg_catalog.timestamptz
  end
$$;

ALTER FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION period_end(p_window llm_private.limit_window, p_start timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) IS 'The end (UTC, exclusive) of the period that starts at p_start.';

--
-- Name: period_start(llm_private.limit_window, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select case p_window
    when 'minute' then pg_catalog.date_trunc('minute', p_at, 'UTC')
    when 'hour' then pg_catalog.date_trunc('hour', p_at, 'UTC')
    when 'day' then pg_catalog.date_trunc('day', p_at, 'UTC')
    when 'week' then pg_catalog.date_trunc('week', p_at, 'UTC')
    when 'month' then pg_catalog.date_trunc('month', p_at, 'UTC')
    when 'quarter' then pg_catalog.date_trunc('quarter', p_at, 'UTC')
    when 'none' then '-infinity'::pg_catalog.timestamptz
  end
$$;

ALTER FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION period_start(p_window llm_private.limit_window, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) IS 'The start (UTC) of the clock period of a window containing an instant; -infinity for window none; NULL for request and budget_scope windows (their start is the budget scope''s).';

--
-- Name: price_in_effect(text, text, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.price_in_effect(p_provider text, p_model text, p_at timestamp with time zone) RETURNS llm_private.model_prices
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  p llm_private.model_prices;
begin
  select * into p from llm_private.model_prices x
   where x.provider = p_provider and x.model = p_model and x.effective_from <= p_at
   order by x.effective_from desc limit 1;
  return p;
end
$$;

ALTER FUNCTION llm_private.price_in_effect(p_provider text, p_model text, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION price_in_effect(p_provider text, p_model text, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.price_in_effect(p_provider text, p_model text, p_at timestamp with time zone) IS 'The price row in effect for a model at an instant (all NULL when none: unknown model, refused, never free).';

--
-- Name: record_breaker_outcome(text, text, llm_private.provider_status, uuid, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status, p_tenant_id uuid, p_reserved_at timestamp with time zone, p_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  st llm_private.settings;
  b llm_private.provider_breakers;
  v_many boolean;
  v_opens boolean;
  v_probe boolean;
begin
  -- Neither says anything about the provider's health: our request was wrong, or our worker aborted it (stopping). If it
  -- was the probe, the probe is given back (the next caller probes at once): kept, one tenant's bad requests held every
  -- tenant out for another cooldown, each time (third review of the fixes).
  if p_status in ('client_error', 'aborted') then
    perform llm_private.breaker_probe_back(p_provider, p_model, p_reserved_at, p_at);
    return;
  end if;
  -- A success clears a closed breaker's streak, or, from the probe, closes the breaker; a call sent before it opened that
  -- succeeds meanwhile decides nothing (only the probe does: it had ended every cooldown early).
  if p_status = 'ok' then
    update llm_private.provider_breakers x
       set state = 'closed', consecutive_failures = 0, probe_started_at = null, open_until = null, last_success_at = p_at, updated_at = p_at,
           streak_tenant_id = null, streak_tenants_many = false
     where x.provider = p_provider and x.model = p_model
       and ((x.state = 'closed' and x.consecutive_failures <> 0) or (x.state = 'half_open' and x.probe_started_at = p_reserved_at));
    return;
  end if;
  select * into st from llm_private.settings;
  insert into llm_private.provider_breakers (provider, model) values (p_provider, p_model) on conflict do nothing;
  select * into b from llm_private.provider_breakers x where x.provider = p_provider and x.model = p_model for update;
  -- A tenant decides how long its own calls take (max_output_tokens against the call timeout) and what it sends, so its
  -- failures alone must not stop every tenant's calls to the model (review of the provider boundary):
  --   closed:    a streak opens the breaker at the threshold only when a second tenant failed in it;
  --   open:      a failure (a call sent before it opened) is counted and moves nothing; only the probe decides;
  --   half_open: only the probe's own outcome decides (the attempt reserved when the probe was claimed: a call sent before
  --              the breaker opened had closed it); a failed probe reopens it, unless the same tenant failed the previous
  --              probe too: then it closes, and that failure begins a new streak (one tenant's slow probes had kept it
  --              open for as long as it liked; review of the fixes). streak_tenant_id holds, while open, the tenant of the
  --              last failed probe (NULL: opened by a streak).
  v_probe := b.state = 'half_open' and b.probe_started_at = p_reserved_at;
  if b.state = 'open' or (b.state = 'half_open' and not v_probe) then
    update llm_private.provider_breakers x set consecutive_failures = least(b.consecutive_failures + 1, 1000000), last_failure_at = p_at,
           updated_at = p_at
     where x.provider = p_provider and x.model = p_model;
    return;
  end if;
  if v_probe then
    v_opens := st.breaker_single_tenant_opens or b.streak_tenant_id is null or b.streak_tenant_id <> p_tenant_id;
    update llm_private.provider_breakers x
       set consecutive_failures = case when v_opens then least(b.consecutive_failures + 1, 1000000) else 1 end,
           streak_tenant_id = p_tenant_id, streak_tenants_many = false,
           last_failure_at = p_at, updated_at = p_at, probe_started_at = null,
           state = case when v_opens then 'open' else 'closed' end,
           open_until = case when v_opens then p_at + make_interval(secs => st.breaker_cooldown_ms / 1000.0) end,
           opened_count = b.opened_count + case when v_opens then 1 else 0 end
     where x.provider = p_provider and x.model = p_model;
    return;
  end if;
  v_many := b.consecutive_failures > 0 and (b.streak_tenants_many or b.streak_tenant_id is distinct from p_tenant_id);
  v_opens := b.consecutive_failures + 1 >= st.breaker_failure_threshold and (v_many or st.breaker_single_tenant_opens);
  update llm_private.provider_breakers x
     set consecutive_failures = least(b.consecutive_failures + 1, 1000000),
         streak_tenant_id = case when v_opens then null when b.consecutive_failures = 0 then p_tenant_id else b.streak_tenant_id end,
         streak_tenants_many = v_many and not v_opens,
         last_failure_at = p_at,
         updated_at = p_at,
         state = case when v_opens then 'open' else 'closed' end,
         open_until = case when v_opens then p_at + make_interval(secs => st.breaker_cooldown_ms / 1000.0) end,
         opened_count = b.opened_count + case when v_opens then 1 else 0 end
   where x.provider = p_provider and x.model = p_model;
end
$$;

ALTER FUNCTION llm_private.record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status, p_tenant_id uuid, p_reserved_at timestamp with time zone, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status, p_tenant_id uuid, p_reserved_at timestamp with time zone, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status, p_tenant_id uuid, p_reserved_at timestamp with time zone, p_at timestamp with time zone) IS 'Records one provider outcome of a tenant''s call (reserved at p_reserved_at). While closed: ok clears the streak (writing only when there is one); a provider-side failure counts, and opens the breaker at the threshold when the streak holds failures of two tenants or more (or of one, where settings.breaker_single_tenant_opens). While open: a failure is counted and nothing moves. In half_open only the probe''s own outcome decides: ok closes it; a failure reopens it, unless the same tenant failed the previous probe too (then it closes, a new streak). client_error and aborted say nothing about the provider: a probe ending so is given back.';

--
-- Name: repair_limit(smallint, uuid, uuid, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.repair_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, p_period_start timestamp with time zone) RETURNS llm_private.limits
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  l llm_private.limits;
begin
  l := llm_private.limit_in_effect(p_meter_id, k_tenant, k_user, p_period_start);
  if l.id is null then
    l := llm_private.limit_in_effect(p_meter_id, k_tenant, k_user, llm_private.now());
  end if;
  return l;
end
$$;

ALTER FUNCTION llm_private.repair_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, p_period_start timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION repair_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, p_period_start timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.repair_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, p_period_start timestamp with time zone) IS 'For llm.repair_usage_drift: the limit a missing usage row is created under (in effect at the period''s start, else now); NULL when none applies to the key.';

--
-- Name: request_ranges(llm_private.requests); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.request_ranges(r llm_private.requests) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.request_ranges(r llm_private.requests) OWNER TO llm_owner;

--
-- Name: FUNCTION request_ranges(r llm_private.requests); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.request_ranges(r llm_private.requests) IS 'Raises 23514 naming the rule a request row breaks (request_id and budget_scope 1..200 characters, a fingerprint of 32 bytes, finished_at set exactly when the state is final); called by the requests guard trigger. The CHECK constraints it replaces were compiled per statement.';

--
-- Name: request_used_micros(uuid, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.request_used_micros(p_tenant_id uuid, p_request_pk bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  -- Live holds of earlier attempts count: a retry never frees the headroom of an attempt that may still run.
  return (select coalesce(sum(a.charged_micros + case when a.state = 'held' then a.held_micros else 0 end), 0)::bigint
            from llm_private.attempts a where a.tenant_id = p_tenant_id and a.request_pk = p_request_pk);
end
$$;

ALTER FUNCTION llm_private.request_used_micros(p_tenant_id uuid, p_request_pk bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION request_used_micros(p_tenant_id uuid, p_request_pk bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.request_used_micros(p_tenant_id uuid, p_request_pk bigint) IS 'What a request has used: the charges of its attempts plus the holds of those still live.';

--
-- Name: require_cancel_reason(text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_cancel_reason(p_reason text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  -- Something to read: not only white space, control or invisible characters (tabs, newlines, no-break and zero-width
  -- spaces passed as not blank: review of 6de7f09). The table's CHECK says the same.
  if p_reason is null or p_reason !~ '[^[:space:][:cntrl:]\u00a0\u200b\u2060\ufeff]' or length(p_reason) > 200 then
    raise exception using errcode = '22023', message = 'a shutoff window is cancelled with a reason',
      detail = format('reason: %s', coalesce(length(p_reason) || ' characters', 'none')),
      hint = 'Say why in 1..200 characters: llm.cancel_shutoff(window_id, reason).';
  end if;
  return p_reason;
end
$$;

ALTER FUNCTION llm_private.require_cancel_reason(p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION require_cancel_reason(p_reason text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_cancel_reason(p_reason text) IS 'Returns a cancel''s reason, raising 22023 when it is missing, blank or longer than 200 characters.';

--
-- Name: require_embedding(real[]); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_embedding(p_embedding real[]) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_norm double precision;
begin
  if p_embedding is null or array_ndims(p_embedding) <> 1 or cardinality(p_embedding) not between 1 and 4096
     or array_position(p_embedding, null) is not null
     or 'NaN'::real = any (p_embedding) or 'Infinity'::real = any (p_embedding) or '-Infinity'::real = any (p_embedding) then
    raise exception using errcode = '22023', message = 'an embedding is 1 to 4096 finite numbers',
      hint = 'NaN would compare above every threshold; pgvector refuses it too.';
  end if;
  select sqrt(sum(x::float8 * x::float8)) into v_norm from unnest(p_embedding) x;
  if v_norm = 0 then
    raise exception using errcode = '22023', message = 'the zero vector is not an embedding (no direction, no cosine)';
  end if;
  return v_norm;
end
$$;

ALTER FUNCTION llm_private.require_embedding(p_embedding real[]) OWNER TO llm_owner;

--
-- Name: FUNCTION require_embedding(p_embedding real[]); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_embedding(p_embedding real[]) IS 'Validates an embedding (one dimension, 1..4096 finite numbers, not all zero: 22023 otherwise) and returns its L2 norm. The CHECK cache_entries_semantic_check says the same of stored ones.';

--
-- Name: require_failure_reason(text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_failure_reason(p_reason text) RETURNS llm_private.reason
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if p_reason is not null and p_reason not in ('provider_client_error', 'attempts_exhausted', 'provider_not_configured', 'invalid_output',
       'worker_error', 'job_lost') then
    raise exception using errcode = '22023', message = 'unknown failure reason', detail = format('reason = %s', p_reason),
      hint = 'One of provider_client_error, attempts_exhausted, provider_not_configured, invalid_output, worker_error, job_lost.';
  end if;
  return p_reason::llm_private.reason;
end
$$;

ALTER FUNCTION llm_private.require_failure_reason(p_reason text) OWNER TO llm_owner;

--
-- Name: FUNCTION require_failure_reason(p_reason text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_failure_reason(p_reason text) IS 'Casts a request failure reason (NULL passes), raising 22023 otherwise.';

--
-- Name: require_money_context(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_money_context() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then
    raise exception using errcode = '42501', message = 'no request context',
      hint = 'Set app.current_tenant_id, app.current_user_id and app.context_tx in this transaction (src/db/context.ts withMoney).';
  end if;
end
$$;

ALTER FUNCTION llm_private.require_money_context() OWNER TO llm_owner;

--
-- Name: FUNCTION require_money_context(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_money_context() IS 'Raises 42501 unless the transaction set a tenant+user context for the money path.';

--
-- Name: require_range(text, bigint, bigint, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_range(p_name text, p_value bigint, p_min bigint, p_max bigint) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if p_value is null or p_value < p_min or p_value > p_max then
    raise exception using errcode = '22023', message = format('%s is out of range', p_name),
      detail = format('%s = %s', p_name, coalesce(p_value::text, 'NULL')),
      hint = format('%s must be between %s and %s.', p_name, p_min, p_max);
  end if;
end
$$;

ALTER FUNCTION llm_private.require_range(p_name text, p_value bigint, p_min bigint, p_max bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION require_range(p_name text, p_value bigint, p_min bigint, p_max bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_range(p_name text, p_value bigint, p_min bigint, p_max bigint) IS 'Raises 22023 naming the argument when a number is NULL or outside [min, max].';

--
-- Name: require_read_committed(text, text, text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_read_committed(p_what text, p_risk text, p_call text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception using errcode = '25000', message = format('%s in a READ COMMITTED transaction', p_what),
      detail = format('this transaction is %s: %s', current_setting('transaction_isolation'), p_risk),
      hint = format('%s in a READ COMMITTED transaction (the default).', p_call);
  end if;
end
$$;

ALTER FUNCTION llm_private.require_read_committed(p_what text, p_risk text, p_call text) OWNER TO llm_owner;

--
-- Name: FUNCTION require_read_committed(p_what text, p_risk text, p_call text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_read_committed(p_what text, p_risk text, p_call text) IS 'Raises 25000 (message: p_what, detail: the isolation and p_risk, hint: p_call) unless the transaction is READ COMMITTED.';

--
-- Name: require_shutoff_scope(text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_shutoff_scope(p_scope text) RETURNS llm_private.limit_scope
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if p_scope is null or p_scope not in ('global', 'tenant', 'user') then
    raise exception using errcode = '22023', message = format('a shutoff window''s scope is global, tenant or user, not %L', p_scope),
      hint = 'global (tenant and user NULL), tenant (its id, user NULL) or user (its tenant and its id).';
  end if;
  return p_scope::llm_private.limit_scope;
end
$$;

ALTER FUNCTION llm_private.require_shutoff_scope(p_scope text) OWNER TO llm_owner;

--
-- Name: FUNCTION require_shutoff_scope(p_scope text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_shutoff_scope(p_scope text) IS 'The scope of an operator''s shutoff window, or 22023 naming the three there are.';

--
-- Name: require_shutoff_subject(llm_private.limit_scope, uuid, uuid, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_shutoff_subject(p_scope llm_private.limit_scope, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if (p_scope = 'global') <> (p_tenant_id is null) or (p_scope = 'user') <> (p_user_id is not null) then
    raise exception using errcode = '22023', message = format('a %s window names %s', p_scope,
        case p_scope when 'global' then 'no tenant and no user' when 'tenant' then 'its tenant and no user' else 'its tenant and its user' end),
      detail = format('tenant %s, user %s', coalesce(p_tenant_id::text, 'NULL'), coalesce(p_user_id::text, 'NULL')),
      hint = 'global: llm.trip_shutoff(''global'', NULL, NULL, ...); tenant: (''tenant'', tenant_id, NULL, ...); user: (''user'', tenant_id, user_id, ...).';
  end if;
  if p_tenant_id is not null and not exists (select 1 from llm_private.tenants t where t.id = p_tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant: the window would stop nobody',
      detail = format('tenant %s', p_tenant_id),
      hint = 'Check the id (select id, name from llm.tenants).';
  end if;
  if p_user_id is not null
     and not exists (select 1 from llm_private.users u where u.tenant_id = p_tenant_id and u.id = p_user_id)
     and exists (select 1 from llm_private.users u where u.id = p_user_id) then
    raise exception using errcode = '22023', message = 'the user belongs to another tenant: the window would stop nobody',
      detail = format('user %s is not a user of tenant %s', p_user_id, p_tenant_id),
      hint = 'Name the user''s own tenant (llm.monthly_spend lists each user with its tenant).';
  end if;
  if p_ends_at is null or p_starts_at is null or p_ends_at <= p_starts_at then
    raise exception using errcode = '22023', message = 'a shutoff window ends after it starts',
      detail = format('starts %s, ends %s', coalesce(p_starts_at::text, 'NULL'), coalesce(p_ends_at::text, 'NULL')),
      hint = 'A finite end after the start, at most 92 days later; to end a window early, llm.cancel_shutoff(window_id, reason).';
  end if;
end
$$;

ALTER FUNCTION llm_private.require_shutoff_subject(p_scope llm_private.limit_scope, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION require_shutoff_subject(p_scope llm_private.limit_scope, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_shutoff_subject(p_scope llm_private.limit_scope, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) IS 'An operator''s window (manual or scheduled) names a subject it can stop: the scope''s shape, a tenant that exists, a user of that tenant (one not seen yet is allowed: a window ahead of a first call), an end after the start; 22023 or 23503 with a hint otherwise.';

--
-- Name: require_status(text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.require_status(p_status text) RETURNS llm_private.provider_status
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if p_status is null or p_status not in ('ok', 'error', 'timeout', 'rate_limited', 'malformed', 'network', 'client_error', 'aborted') then
    raise exception using errcode = '22023', message = 'unknown provider status',
      detail = format('p_status = %s', coalesce(p_status, 'NULL')),
      hint = 'One of ok, error, timeout, rate_limited, malformed, network, client_error, aborted.';
  end if;
  return p_status::llm_private.provider_status;
end
$$;

ALTER FUNCTION llm_private.require_status(p_status text) OWNER TO llm_owner;

--
-- Name: FUNCTION require_status(p_status text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.require_status(p_status text) IS 'Casts a provider status, raising 22023 with the allowed values otherwise.';

--
-- Name: reserved_in_scope(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select p_reserved_at operator(pg_catalog.>=) llm_private.month_start(llm_private.month_index(p_scope_started_at) operator(pg_catalog.-) 1)
$$;

ALTER FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) IS 'Whether an attempt reserved at p_reserved_at counts under the budget scope row started at p_scope_started_at (and not under one of its name that retention forgot): reserved on or after the UTC month before the start.';

--
-- Name: role_settings_live(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.role_settings_live() RETURNS TABLE(role_name text, scope text, parameter text, value text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  return query
  select r.rolname::text, case when s.setdatabase = 0 then 'role' else 'database' end,
         split_part(c.setting, '=', 1), substr(c.setting, strpos(c.setting, '=') + 1)
    from pg_db_role_setting s
    join pg_roles r on r.oid = s.setrole
    cross join lateral unnest(s.setconfig) c(setting)
   where r.rolname in ('llm_app', 'llm_worker', 'llm_money', 'llm_operator', 'llm_auditor', 'llm_viewer', 'llm_exporter')
     and (s.setdatabase = 0 or s.setdatabase = (select d.oid from pg_database d where d.datname = current_database()));
end
$$;

ALTER FUNCTION llm_private.role_settings_live() OWNER TO llm_owner;

--
-- Name: FUNCTION role_settings_live(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.role_settings_live() IS 'The session defaults of the runtime roles now: role-wide (scope role) and in this database (scope database), one row per parameter.';

--
-- Name: scopes_all_have_deadline(llm_private.endpoint, uuid, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select exists (select 1 from llm_private.meters m
                  where m.unit = 'elapsed_ms' and m.provider is null and m.model is null and (m.disabled_at is null or m.disabled_at > p_at)
                    and (m.endpoint is null or m.endpoint = p_endpoint) and (m.tenant_id is null or m.tenant_id = p_tenant_id)
                    and exists (select 1 from llm_private.limits l
                                 where l.meter_id = m.id and l.user_id is null and (l.tenant_id is null or l.tenant_id = p_tenant_id)
                                   and l.valid_from <= p_at and l.valid_until > p_at)
                    and not exists (select 1 from llm_private.limits l
                                     where l.meter_id = m.id and l.kind <> 'hard'
                                       and (p_tenant_id is null or l.tenant_id is null or l.tenant_id = p_tenant_id)
                                       and l.valid_from <= p_at and l.valid_until > p_at))
$$;

ALTER FUNCTION llm_private.scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone) IS 'Whether every budget scope of this first endpoint (NULL: not known) and tenant (NULL: every tenant) has a deadline at p_at: a hard elapsed_ms limit applies to each, whoever its first user (everyone''s or the tenant''s, and no other kind that could apply). False when unsure. llm.budget_scopes_page reads the scopes without a deadline among the others only.';

--
-- Name: semantic_check_args(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if p_tenant_id is null or p_owner_user_id is null or p_endpoint is null or p_provider is null or p_model is null
     or p_source_watermark is null or p_system_hash is null or p_response_format is null or p_embedding_model is null then
    raise exception using errcode = '22023', message = 'semantic_lookup: every part of the scope is required',
      hint = 'No watermark, no caching: do not look up a request without source_watermark.';
  end if;
  if p_response_format not in ('text', 'json') then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_response_format must be text or json';
  end if;
  if p_threshold is not null and not (p_threshold > 0 and p_threshold <= 1) then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_threshold must be NULL (off) or in (0, 1]';
  end if;
  if p_max_candidates is null or p_max_candidates not between 1 and 1000000 then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_max_candidates must be in 1..1000000';
  end if;
  return llm_private.require_embedding(p_embedding);
end
$$;

ALTER FUNCTION llm_private.semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text) OWNER TO llm_owner;

--
-- Name: FUNCTION semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text) IS 'Validates the arguments of a semantic lookup (22023 on a missing scope part, a bad threshold or bound, a malformed or zero embedding) and returns the embedding''s L2 norm.';

--
-- Name: semantic_claim(uuid, uuid, bigint, real[], timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.semantic_claim(p_tenant_id uuid, p_user_id uuid, p_request_pk bigint, p_embedding real[], p_at timestamp with time zone) RETURNS TABLE(cache_key text, similarity real, source_request_pk bigint, candidates_scanned integer, bound_hit boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  r record;
  pol record;
  l record;
  m record;
  v_embedding_model text;
begin
  select q.endpoint::text as endpoint, i.cache_key, i.model_ref, i.system_hash, i.response_format, i.source_watermark,
         i.max_output_tokens into r
    from llm_private.requests q
    join llm_private.request_inputs i on i.tenant_id = q.tenant_id and i.request_pk = q.id
   where q.tenant_id = p_tenant_id and q.id = p_request_pk and q.user_id = p_user_id;
  if r.cache_key is null then
    return;
  end if;
  select * into pol from llm_private.cache_policy(p_tenant_id, p_user_id, r.endpoint);
  if pol.semantic_threshold is null
     or (llm_private.live_cache_entry(p_tenant_id, pol.owner_user_id, r.cache_key, p_at)).cache_key is not null then
    return;
  end if;
  v_embedding_model := llm_private.embedding_attempt_model(p_tenant_id, p_request_pk);
  if v_embedding_model is null then
    raise exception using errcode = '22023', message = 'a semantic lookup needs the request''s own embedding call, settled ok',
      detail = format('request %s has no settled embedding attempt', p_request_pk),
      hint = 'llm.reserve_call(..., p_purpose => ''embedding''), the provider''s embedding call, llm.settle_call; then the chat reserve with p_embedding.';
  end if;
  select * into m from llm_private.split_model_ref(r.model_ref);
  select * into l from llm_private.semantic_lookup(p_tenant_id, pol.owner_user_id, r.endpoint, m.provider, m.model, r.source_watermark, r.system_hash, r.response_format, p_embedding,
    pol.semantic_threshold, (select s.semantic_max_candidates from llm_private.settings s), v_embedding_model, r.max_output_tokens);
  -- float rounding may put an identical vector a hair above 1: the ledger's similarity is in [-1, 1].
  return query select l.cache_key, case when l.cache_key is not null then least(l.similarity, 1::real) end, l.source_request_pk,
    l.candidates_scanned, l.bound_hit;
end
$$;

ALTER FUNCTION llm_private.semantic_claim(p_tenant_id uuid, p_user_id uuid, p_request_pk bigint, p_embedding real[], p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION semantic_claim(p_tenant_id uuid, p_user_id uuid, p_request_pk bigint, p_embedding real[], p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.semantic_claim(p_tenant_id uuid, p_user_id uuid, p_request_pk bigint, p_embedding real[], p_at timestamp with time zone) IS 'The semantic lookup of a chat reserve (llm.reserve_call with p_embedding): in the request''s scope (cache_policy''s owner, its endpoint, model, watermark, system prompt hash, response format, and the model of its settled embedding call), bounded by settings.semantic_max_candidates. One row when a lookup ran (cache_key/similarity/source_request_pk set on a hit; candidates_scanned, bound_hit), none when none runs (no watermark, threshold off, exact hit). 22023 when the request has no settled embedding call.';

--
-- Name: semantic_hnsw_index(integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.semantic_hnsw_index(p_dims integer) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select case when to_regclass(format('llm_private.cache_entries_embedding_hnsw_%s_idx', p_dims)) is not null
              then format('llm_private.cache_entries_embedding_hnsw_%s_idx', p_dims) end
$$;

ALTER FUNCTION llm_private.semantic_hnsw_index(p_dims integer) OWNER TO llm_owner;

--
-- Name: FUNCTION semantic_hnsw_index(p_dims integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.semantic_hnsw_index(p_dims integer) IS 'The HNSW expression index that sql/optional/pgvector.sql made for embeddings of p_dims dimensions, or NULL (then the lookup takes the portable path).';

--
-- Name: semantic_lookup(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer DEFAULT NULL::integer) RETURNS TABLE(cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if p_embedding is not null and array_ndims(p_embedding) = 1
     and llm_private.semantic_hnsw_index(cardinality(p_embedding)) is not null then
    return query select * from llm_private.semantic_lookup_pgvector(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
      p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model,
      p_max_output_tokens);
  else
    return query select * from llm_private.semantic_lookup_portable(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
      p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model,
      p_max_output_tokens);
  end if;
end
$$;

ALTER FUNCTION llm_private.semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) OWNER TO llm_owner;

--
-- Name: FUNCTION semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) IS 'The semantic lookup llm_private.semantic_claim makes: the pgvector path when the HNSW index for this width exists, the portable path otherwise; same arguments and row (see llm_private.semantic_lookup_portable).';

--
-- Name: semantic_lookup_pgvector(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.semantic_lookup_pgvector(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer DEFAULT NULL::integer) RETURNS TABLE(cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $_$
declare
  v_qnorm double precision := llm_private.semantic_check_args(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
    p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model);
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
  v_dims integer := cardinality(p_embedding);
  v_schema name;
  v_type text;
  v_scan text := current_setting('hnsw.iterative_scan', true);
  r record;
begin
  if p_threshold is null then
    return query select null::text, null::real, null::bigint, null::text, 0, false;
    return;
  end if;
  if llm_private.semantic_hnsw_index(v_dims) is null then
    raise exception using errcode = '55000', message = format('semantic_lookup_pgvector: no HNSW index for %s dimensions', v_dims),
      hint = 'Run sql/optional/pgvector.sql (npm run migrate does) with this width in llm.pgvector_dims.';
  end if;
  select n.nspname into v_schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector';
  v_type := format('%I.vector(%s)', v_schema, v_dims);
  -- pgvector >= 0.8: keep walking the HNSW graph until entries of this scope come up (the scope is
  -- a filter applied after the index), re-sorted below as pgvector's documentation advises. Set
  -- here and put back below rather than in a SET clause: before the library is loaded the name is
  -- only a placeholder, which CREATE FUNCTION ... SET refuses to a non-superuser owner.
  perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
  /*
   * Dynamic because the width is part of the index expression (embedding::vector(n)) and must be a
   * constant for the planner to match it. Ten nearest entries of the scope, then the same order
   * as the portable path (similarity, newest, key).
   */
  execute format($q$
    with nearest as materialized (
      select c.cache_key, c.source_request_pk, c.output, c.created_at,
             c.embedding::%1$s operator(%2$I.<=>) $10::%1$s as distance
        from llm_private.cache_entries c
       where c.tenant_id = $1 and c.owner_user_id = $2 and c.endpoint = $3 and c.provider = $4 and c.model = $5
         and c.source_watermark = $6 and c.system_hash = $7 and c.response_format = $8
         and c.embedding_model = $9 and cardinality(c.embedding) = %3$s
         and c.expires_at > $11 and ($12::integer is null or c.max_output_tokens <= $12)
       order by c.embedding::%1$s operator(%2$I.<=>) $10::%1$s
       limit 10)
    select n.cache_key, (1 - n.distance)::real as sim, n.source_request_pk, n.output, (count(*) over ())::integer as scanned
      from nearest n
     order by n.distance, n.created_at desc, n.cache_key
     limit 1 $q$, v_type, v_schema, v_dims)
    into r
    using p_tenant_id, p_owner_user_id, v_endpoint, p_provider, p_model, p_source_watermark, p_system_hash, p_response_format,
          p_embedding_model, p_embedding, llm_private.now(), p_max_output_tokens;
  perform set_config('hnsw.iterative_scan', coalesce(v_scan, 'off'), true);
  return query select case when r.sim >= p_threshold then r.cache_key end,
                      r.sim,
                      case when r.sim >= p_threshold then r.source_request_pk end,
                      case when r.sim >= p_threshold then r.output end,
                      coalesce(r.scanned, 0),
                      false;
end
$_$;

ALTER FUNCTION llm_private.semantic_lookup_pgvector(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) OWNER TO llm_owner;

--
-- Name: FUNCTION semantic_lookup_pgvector(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.semantic_lookup_pgvector(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) IS 'Semantic lookup through pgvector: the nearest live entries of exactly this scope by cosine distance over the HNSW expression index of this width (iterative scan, the scope as a filter), same row as llm_private.semantic_lookup_portable. candidates_scanned = entries of the scope ranked (at most 10); bound_hit is always false (no bound of ours; pgvector''s hnsw.max_scan_tuples caps the walk). Raises 55000 when the index does not exist.';

--
-- Name: semantic_lookup_portable(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer DEFAULT NULL::integer) RETURNS TABLE(cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_qnorm double precision := llm_private.semantic_check_args(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
    p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model);
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
  v_dims integer := cardinality(p_embedding);
  v_now timestamptz := llm_private.now();  -- once, not per row
begin
  if p_threshold is null then
    return query select null::text, null::real, null::bigint, null::text, 0, false;
    return;
  end if;
  /*
   * cache_entries_semantic_scope_idx gives the scope's entries newest first (every column of its key
   * up to created_at is an equality here): read one more than the bound to know whether the bound
   * cut the scan, score the newest p_max_candidates. endpoint is a filter on the row (see the index).
   */
  return query
  with newest as (
    select c.cache_key, c.source_request_pk, c.output, c.created_at, c.embedding
      from llm_private.cache_entries c
     where c.tenant_id = p_tenant_id and c.owner_user_id = p_owner_user_id
       and c.provider = p_provider and c.model = p_model and c.source_watermark = p_source_watermark
       and c.system_hash = p_system_hash and c.response_format = p_response_format and c.embedding_model = p_embedding_model
       and c.embedding is not null
       and c.endpoint = v_endpoint
       and c.expires_at > v_now
       -- An entry written under a larger cap than the request's is no hit (its answer may be longer than asked for).
       and (p_max_output_tokens is null or c.max_output_tokens <= p_max_output_tokens)
     order by c.created_at desc, c.cache_key
     limit p_max_candidates + 1
  ), scored as (
    select w.cache_key, w.source_request_pk, w.output, w.created_at, (d.dot / (sqrt(d.nn) * v_qnorm))::real as sim
      from (select * from newest order by created_at desc, cache_key limit p_max_candidates) w
      -- Two unnest() in one select list run in step (a ProjectSet node): measured 40% faster than
      -- unnest(a, b) in FROM, which materialises each pair of arrays into a tuplestore.
      cross join lateral (select sum(z.x * z.y) as dot, sum(z.x * z.x) as nn
                            from (select unnest(w.embedding)::float8 as x, unnest(p_embedding)::float8 as y) z) d
     -- Another width of the same model (its dimensions setting changed) is never compared. Tested
     -- here, not in the scan: a predicate on cardinality() gets a default 0.5% selectivity that
     -- steers the planner away from the scope index.
     where cardinality(w.embedding) = v_dims and d.nn > 0
  ), best as (
    select * from scored s order by s.sim desc, s.created_at desc, s.cache_key limit 1
  )
  select case when b.sim >= p_threshold then b.cache_key end,
         b.sim,
         case when b.sim >= p_threshold then b.source_request_pk end,
         case when b.sim >= p_threshold then b.output end,
         (select count(*) from scored)::integer,
         (select count(*) from newest) > p_max_candidates
    from (select) one left join best b on true;
end
$$;

ALTER FUNCTION llm_private.semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) OWNER TO llm_owner;

--
-- Name: FUNCTION semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) IS 'Semantic lookup without extensions: cosine similarity over real[] of the newest p_max_candidates live entries of exactly this scope (embedding model included; with p_max_output_tokens, only entries written under a cap at most that). Always one row: cache_key/source_request_pk/output are set when the best similarity reaches p_threshold (a hit), similarity is the best one seen (hit or not), candidates_scanned how many were compared, bound_hit whether the scope held more than the bound. p_threshold NULL = off (nothing scanned).';

--
-- Name: split_model_ref(text); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.split_model_ref(p_ref text, OUT provider text, OUT model text) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $_$
begin
  if p_ref is null or p_ref !~ E'^[a-z0-9_-]{1,40}:[^\\s\\x01-\\x1f]{1,200}$' then
    raise exception using errcode = '22023', message = 'a model is written provider:model',
      detail = format('model = %s', coalesce(p_ref, 'NULL'));
  end if;
  provider := split_part(p_ref, ':', 1);
  model := substr(p_ref, length(provider) + 2);
end
$_$;

ALTER FUNCTION llm_private.split_model_ref(p_ref text, OUT provider text, OUT model text) OWNER TO llm_owner;

--
-- Name: FUNCTION split_model_ref(p_ref text, OUT provider text, OUT model text); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.split_model_ref(p_ref text, OUT provider text, OUT model text) IS 'Splits ''provider:model'' (22023 when malformed).';

--
-- Name: stale_reservation(llm_private.attempts, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.stale_reservation(a llm_private.attempts, p_reserved_expiry timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  raise exception using errcode = 'LG008', message = 'not the reservation this attempt is',
    detail = format('attempt %s/%s was reserved to expire at %s; the caller''s reservation expires at %s', a.request_pk, a.attempt_no,
      a.expires_at, p_reserved_expiry),
    hint = 'The database lost the caller''s reservation (a restore, a point-in-time recovery or a failover that lost commits) and issued its ids again: nothing is recorded. The call''s usage is in the worker''s log (event stale_reservation).';
end
$$;

ALTER FUNCTION llm_private.stale_reservation(a llm_private.attempts, p_reserved_expiry timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION stale_reservation(a llm_private.attempts, p_reserved_expiry timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.stale_reservation(a llm_private.attempts, p_reserved_expiry timestamp with time zone) IS 'Raises LG008: a settle or release names a reservation (its expires_at) that the attempt of that pk and number is not.';

--
-- Name: subject_used(llm_private.applicable_limit, uuid, uuid, text, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
declare
  k record;
begin
  select * into k from llm_private.usage_key(l.scope, l."window", l.shards, p_tenant_id, p_user_id, p_budget_scope, p_scope_started_at, p_at);
  return (select coalesce(sum(u.held + u.spent), 0)::bigint from llm_private.usage u
           where u.tenant_id = k.k_tenant and u.meter_id = l.meter_id and u.user_id = k.k_user and u.budget_scope = k.k_scope
             and u.period_start = k.k_period);
end
$$;

ALTER FUNCTION llm_private.subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) IS 'What the call''s subject has used (held + spent, all shards) on a limit''s meter this period: an unlocked read, for shaping and pressure (the hold itself re-checks under the row lock).';

--
-- Name: system_hash(jsonb); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.system_hash(p_messages jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select encode(sha256(convert_to(coalesce((select jsonb_agg(m->>'content' order by i)
      from jsonb_array_elements(p_messages) with ordinality e(m, i) where m->>'role' = 'system'), '[]'::jsonb)::text, 'UTF8')), 'hex')
$$;

ALTER FUNCTION llm_private.system_hash(p_messages jsonb) OWNER TO llm_owner;

--
-- Name: FUNCTION system_hash(p_messages jsonb); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.system_hash(p_messages jsonb) IS 'sha256 of a request''s system messages: a cache entry never answers a request with another system prompt.';

--
-- Name: tg_adjustments__apply(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_adjustments__apply() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  l llm_private.applicable_limit;
  k record;
  r record;
  e llm_private.limits;
  v_limit_id integer;
  v_cap bigint;
  -- The alerts to check, once every meter's usage row is held (the lock order: usage, then alerts and windows).
  a_meter smallint[] := '{}'; a_tenant uuid[] := '{}'; a_user uuid[] := '{}'; a_scope text[] := '{}'; a_period timestamptz[] := '{}';
  a_shard smallint[] := '{}'; a_spent bigint[] := '{}'; a_quota bigint[] := '{}'; a_shards smallint[] := '{}'; a_limit integer[] := '{}';
  a_cap bigint[] := '{}';
  v_closed_through timestamptz;
begin
  new.created_at := llm_private.now();
  new.created_by := current_user;
  if new.effective_at is null then
    raise exception using errcode = '22023', message = 'an adjustment needs its effective time';
  end if;
  -- Never in the future: it made a month's spend before the month began (finance review 86).
  if new.effective_at > llm_private.now() then
    raise exception using errcode = '22023', message = 'an adjustment takes effect now or in the past',
      detail = format('effective_at %s is after now (%s)', new.effective_at, llm_private.now()),
      hint = 'Leave p_effective_at NULL (now), or give the past instant the correction belongs to.';
  end if;
  -- Never in a closed month (llm.close_month): an invoiced month's figures stay as they were invoiced. The lock orders this
  -- insert with a close: a close in flight is waited for and then seen; a close waits for this transaction to end, so its
  -- month cannot gain an adjustment once it is closed. READ COMMITTED, so that the read below sees a close committed while
  -- it waited (a REPEATABLE READ snapshot would predate it).
  perform llm_private.require_read_committed('an adjustment is made', 'its snapshot may predate a month''s close',
    'select llm.adjust_usage(...)');
  lock table llm_private.month_closes in row exclusive mode;
  v_closed_through := llm_private.closed_through();
  if new.effective_at < v_closed_through then
    raise exception using errcode = 'LG001', message = 'an adjustment dated in a closed month',
      detail = format('effective_at %s; every month before %s is closed (llm.month_closes)', new.effective_at, v_closed_through),
      hint = 'Post the correction in an open month (p_effective_at NULL: now), naming the closed month in its reason.';
  end if;
  -- Its subject must exist: a tenant we know, and a user enrolled in that tenant. There is no foreign key (no cross-tenant
  -- key, for sharding), and an adjustment naming another tenant's user, or no tenant at all, made usage rows of a subject
  -- that has no calls (user_monthly of B1 under tenant A; tenant_monthly of an unknown uuid).
  if not exists (select 1 from llm_private.tenants t where t.id = new.tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant',
      detail = format('tenant %s', new.tenant_id),
      hint = 'Adjust a tenant created with llm.upsert_tenant (see llm.monthly_spend for the tenants and users with spend).';
  end if;
  if new.user_id is not null and not exists (select 1 from llm_private.users u where u.tenant_id = new.tenant_id and u.id = new.user_id) then
    raise exception using errcode = '23503', message = 'no such user in this tenant',
      detail = format('user %s in tenant %s', new.user_id, new.tenant_id),
      hint = 'A user belongs to one tenant and is enrolled at its first call: name the user''s own tenant, or adjust the tenant (p_user_id NULL).';
  end if;
  new.meter_ids := '{}';
  for l in select * from llm_private.applicable_limits(new.tenant_id, coalesce(new.user_id, llm_private.nil_uuid()), null, null, null, false,
      new.effective_at) x
    loop
    continue when l.unit <> 'micros' or l."window" in ('request', 'budget_scope')
      or (l.scope = 'user' and new.user_id is null)
      or exists (select 1 from llm_private.meters m where m.id = l.meter_id and (m.endpoint is not null or m.provider is not null));
    select * into k from llm_private.usage_key(l.scope, l."window", l.shards, new.tenant_id, new.user_id, '', null, new.effective_at);
    -- The cap the rows get: in a current period the limit in effect now, as a reserve would set it. The limit of effective_at
    -- (an adjustment back-dated before a limit change) had set the row's cap back to the old limit; in a
    -- past period the cap the rows already have.
    v_limit_id := l.limit_id; v_cap := l.cap;
    if llm_private.period_end(l."window", k.k_period) > llm_private.now() then
      e := llm_private.limit_in_effect(l.meter_id, k.k_tenant, k.k_user, llm_private.now());
      if e.id is not null then
        v_limit_id := e.id; v_cap := e.cap;
      end if;
    else
      select u.limit_id, u.cap into v_limit_id, v_cap from llm_private.usage u
       where u.tenant_id = k.k_tenant and u.meter_id = l.meter_id and u.user_id = k.k_user and u.budget_scope = k.k_scope
         and u.period_start = k.k_period and u.shard = 0;
      if v_cap is null then
        v_limit_id := l.limit_id; v_cap := l.cap;
      end if;
    end if;
    perform llm_private.usage_prepare(l.meter_id, l.shards, k.k_tenant, k.k_user, k.k_scope, k.k_period, v_limit_id, v_cap);
    -- In a current period, the same cap under another limit: the rows name the limit in effect, as a re-cap names it, so
    -- that the debit alerts at its percentages and trips by its rule at once. Naming the old one, a debit alerted at an
    -- ended limit's percentages and tripped only at the next sweep (review of 2026-11-27). A past period keeps its names.
    if llm_private.period_end(l."window", k.k_period) > llm_private.now() then
      perform llm_private.usage_name_limit(l.meter_id, k.k_tenant, k.k_user, k.k_scope, k.k_period, v_limit_id);
    end if;
    update llm_private.usage u set spent = u.spent + new.amount_micros
     where u.tenant_id = k.k_tenant and u.meter_id = l.meter_id and u.user_id = k.k_user and u.budget_scope = k.k_scope
       and u.period_start = k.k_period and u.shard = k.k_shard
    returning u.spent, u.quota, u.next_alert_at, u.limit_id, u.cap into r;
    -- A credit never takes spent below 0. (A late settle may: its call cost less than the full charge of its expired hold
    -- that a credit had already returned; the subject then holds a credit, and the ledger says the same. Refused by a CHECK
    -- on usage, that settle failed and its answer was lost; tenth review.)
    if new.amount_micros < 0 and r.spent < 0 then
      raise exception using errcode = '23514', message = 'a credit larger than what was spent',
        detail = format('meter %s of tenant %s, user %s: spent %s after the credit', l.meter_id, new.tenant_id,
          coalesce(new.user_id::text, 'none'), r.spent),
        hint = 'Credit at most what the subject spent in the period of effective_at.';
    end if;
    -- A debit is money spent: it crosses thresholds (alerts, shutoff trips) as a settle does, once every meter's usage is
    -- held (below). Alerting meter by meter, an adjustment held one meter's new alert while it waited for the next meter's
    -- usage, which llm.evaluate_limits had re-capped and held while it waited for that alert (40P01; review of the fixes).
    if new.amount_micros > 0 and r.spent >= r.next_alert_at then
      a_meter := a_meter || l.meter_id; a_tenant := a_tenant || k.k_tenant; a_user := a_user || k.k_user; a_scope := a_scope || k.k_scope;
      a_period := a_period || k.k_period; a_shard := a_shard || k.k_shard; a_spent := a_spent || r.spent; a_quota := a_quota || r.quota;
      -- The limit and cap the rows name (the one in effect, named above), as a settle passes them: a trip naming a limit
      -- the rows did not name was refused by the window guard (LG005), and the debit with it (review of 2026-11-27).
      a_shards := a_shards || l.shards; a_limit := a_limit || r.limit_id; a_cap := a_cap || r.cap;
    end if;
    -- A debit beyond this shard's quota takes the excess from the other shards' free quota (escrow stays strict).
    if l.shards > 1 and new.amount_micros > 0 then
      perform llm_private.usage_borrow(l.meter_id, k.k_tenant, k.k_user, k.k_scope, k.k_period, k.k_shard, 0);
    end if;
    new.meter_ids := new.meter_ids || l.meter_id;
  end loop;
  for i in 1 .. coalesce(cardinality(a_meter), 0) loop
    perform llm_private.usage_after_spend(a_meter[i], a_tenant[i], a_user[i], a_scope[i], a_period[i], a_shard[i], a_spent[i], a_quota[i],
      a_shards[i], new.amount_micros, a_limit[i], a_cap[i]);
  end loop;
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_adjustments__apply() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_adjustments__apply(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_adjustments__apply() IS 'BEFORE INSERT on adjustments: refuses (23503) a tenant that does not exist or a user not enrolled in that tenant; applies the amount to spent on every unfiltered micro-USD meter of the subject in the period of effective_at (a debit fires the alerts and shutoff trips it crosses, as a settle does, after every meter''s usage row is held; beyond a shard''s quota it borrows the excess from the other shards), and records which (meter_ids).';

--
-- Name: tg_alerts__guard(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_alerts__guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  l llm_private.limits;
  v_spent bigint;
  v_cap bigint;
begin
  select * into l from llm_private.limits x where x.id = new.limit_id and x.meter_id = new.meter_id;
  select sum(u.spent), max(u.cap) into v_spent, v_cap from llm_private.usage u
   where u.tenant_id = new.tenant_id and u.meter_id = new.meter_id and u.user_id = new.user_id and u.budget_scope = new.budget_scope
     and u.period_start = new.period_start;
  if l.id is null or v_spent is null or v_cap is null or not (new.threshold_pct = any (l.alert_pcts)) then
    raise exception using errcode = 'LG005', message = 'an alert is recorded only when usage has crossed its threshold',
      detail = format('limit %s, %s %%: spent %s of %s', new.limit_id, new.threshold_pct, coalesce(v_spent::text, 'nothing'), coalesce(v_cap::text, '?'));
  end if;
  -- Below the threshold now: not recorded, and no error. The writer summed the shards on an older snapshot, and a credit or a
  -- late settle on another shard brought the total back under meanwhile; raising here failed that settle (its answer lost)
  -- or the whole minute's evaluate_limits (twelfth review). A forged alert is no more recorded than before. Nothing spent
  -- crosses nothing, a cap of 0 included (whose first charge crosses every threshold; review 91).
  if v_spent <= 0 or v_spent * 100 < v_cap::numeric * new.threshold_pct then
    return null;
  end if;
  new.used := v_spent;
  new.cap := v_cap;
  new.fired_at := llm_private.now();
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_alerts__guard() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_alerts__guard(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_alerts__guard() IS 'Alerts: inserted only when the subject''s spend this period (all shards) is above 0 and has crossed one of its limit''s alert percentages (an insert below it is skipped; one for a wrong limit or percentage raises LG005); used, cap and fired_at are derived.';

--
-- Name: tg_attempts__after_reserve(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_attempts__after_reserve() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.tg_attempts__after_reserve() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_attempts__after_reserve(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_attempts__after_reserve() IS 'AFTER INSERT on attempts, for refusals of chat calls and cache hits (the common held path fires nothing here; a refused embedding call leaves the request to its chat reserve): the request ends refused or done, and a hit''s answer is stored as its output. A breaker_open refusal before the job''s last attempt leaves the request open (its job tries again).';

--
-- Name: tg_attempts__after_transition(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_attempts__after_transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if old.state = 'held' and new.fills_cache then
    perform llm_private.end_cache_fill(new.tenant_id, new.request_pk, new.attempt_no);
  end if;
  return null;
end
$$;

ALTER FUNCTION llm_private.tg_attempts__after_transition() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_attempts__after_transition(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_attempts__after_transition() IS 'AFTER UPDATE on attempts, fired only for a hold that filled the cache: ends its fill (waking waiters) once the row is written. (A chat call that settled ok makes its request done in the BEFORE trigger, llm_private.tg_attempts__transition.)';

--
-- Name: tg_attempts__ranges(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_attempts__ranges() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $_$
declare
  v_rule text;
begin
  -- One expression, so that the row is read once; the first rule that fails names the error.
  v_rule := case when not coalesce(new.attempt_no between 1 and 1000, true) then 'attempts_attempt_no_check'
                 when not coalesce(length(new.cache_key) = 64, true) then 'attempts_cache_key_check'
                 when not coalesce(new.cached_input_tokens between 0 and 10000000, true) then 'attempts_cached_input_tokens_check'
                 when not coalesce(new.charged_micros >= 0, true) then 'attempts_charged_micros_check'
                 when not coalesce(new.cost_micros >= 0, true) then 'attempts_cost_micros_check'
                 when not coalesce(new.held_micros >= 0, true) then 'attempts_held_micros_check'
                 when not coalesce(new.input_tokens between 0 and 10000000, true) then 'attempts_input_tokens_check'
                 when not coalesce(new.input_tokens_estimate between 0 and 10000000, true) then 'attempts_input_tokens_estimate_check'
                 when not coalesce(new.job_attempt between 0 and 1000, true) then 'attempts_job_attempt_check'
                 when not coalesce(new.latency_ms between 0 and 86400000, true) then 'attempts_latency_ms_check'
                 when not coalesce(new.max_output_tokens between 0 and 1000000, true) then 'attempts_max_output_tokens_check'
                 when not coalesce(cardinality(new.meter_ids) <= 64, true) then 'attempts_meter_ids_check'
                 when not coalesce(new.output_tokens between 0 and 10000000, true) then 'attempts_output_tokens_check'
                 when not coalesce((new.semantic_candidates is null) = (new.semantic_bound_hit is null)
                                   and new.semantic_candidates between 0 and 1000000, true) then 'attempts_semantic_check'
                 when not coalesce(new.similarity between -1 and 1, true) then 'attempts_similarity_check'
                 when not coalesce(new.trace_id ~ '^[0-9a-f]{32}$', true) then 'attempts_trace_id_check' end;
  if v_rule is not null then
    raise exception using errcode = '23514', constraint = v_rule, table = 'attempts', schema = 'llm_private',
      message = format('new row for relation "attempts" violates check constraint "%s"', v_rule),
      detail = format('attempt %s of request %s (tenant %s)', new.attempt_no, new.request_pk, new.tenant_id),
      hint = 'See llm_private.tg_attempts__ranges for the ranges of a ledger row.';
  end if;
  return new;
end
$_$;

ALTER FUNCTION llm_private.tg_attempts__ranges() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_attempts__ranges(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_attempts__ranges() IS 'BEFORE INSERT OR UPDATE on attempts, last of its BEFORE triggers: the ranges of a ledger row (attempt_no 1..1000, job_attempt 0..1000, token counts 0..10^7, max output 0..10^6, micro-USD amounts >= 0, latency 0..86 400 000 ms, at most 64 meters, a 64-character cache key, a 32-hex trace id, similarity -1..1, semantic figures together and 0..10^6), as the CHECK constraints they replace (migration 000063: 8 % of a pair''s instructions, compiled per statement). A rule holds when true or NULL; a row that breaks one is refused with 23514 naming it.';

--
-- Name: tg_attempts__reserve(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_attempts__reserve() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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
  -- Every column but the prompt, which only a floor computed here reads: copied into a row variable, a large prompt was
  -- read out of line (TOAST) on every reserve (40 µs at 200 kB, 2 µs without it).
  -- (The columns in the table's order, the prompt NULL: one row assigned, as select * did; a column added to request_inputs
  -- is added here, or reads NULL. Counted: the same instructions per pair as select * with the bench's short prompts.)
  select x.tenant_id, x.request_pk, x.user_id, x.model_ref, null::jsonb, x.max_output_tokens, x.response_format,
         x.source_watermark, x.correlation_id, x.cost_ceiling_micros, x.cache_key, x.system_hash, x.input_tokens_floor
    into i from llm_private.request_inputs x where x.tenant_id = new.tenant_id and x.request_pk = new.request_pk;
  if new.purpose <> 'chat' or i.input_tokens_floor is null then
    select x.messages into i.messages from llm_private.request_inputs x where x.tenant_id = new.tenant_id and x.request_pk = new.request_pk;
  end if;

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

ALTER FUNCTION llm_private.tg_attempts__reserve() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_attempts__reserve(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_attempts__reserve() IS 'BEFORE INSERT on attempts: the reserve decision (cache, attempts, shutoffs, deadline, model, shaping, hold) derived from facts, with the usage holds made in meter order. See the rule list at the top of sql/api/080-reserve.sql.';

--
-- Name: tg_attempts__transition(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_attempts__transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $_$
declare
  v_now timestamptz := llm_private.now();
  p llm_private.model_prices;
  q llm_private.requests;
  g record;
  v_scope_started timestamptz;
  v_answered_cost bigint;
begin
  if (new.tenant_id, new.request_pk, new.attempt_no, new.user_id, new.purpose, new.job_attempt, new.decision, new.reason, new.price_id,
      new.input_tokens_estimate, new.max_output_tokens, new.held_micros, new.reserved_at, new.expires_at, new.meter_ids, new.limit_id,
      new.limit_cap, new.limit_used, new.cache_key, new.cache_source_pk, new.similarity, new.semantic_candidates, new.semantic_bound_hit,
      new.trace_id, new.fills_cache, new.holds_least_charge)
     is distinct from
     (old.tenant_id, old.request_pk, old.attempt_no, old.user_id, old.purpose, old.job_attempt, old.decision, old.reason, old.price_id,
      old.input_tokens_estimate, old.max_output_tokens, old.held_micros, old.reserved_at, old.expires_at, old.meter_ids, old.limit_id,
      old.limit_cap, old.limit_used, old.cache_key, old.cache_source_pk, old.similarity, old.semantic_candidates, old.semantic_bound_hit,
      old.trace_id, old.fills_cache, old.holds_least_charge) then
    raise exception using errcode = 'LG001', message = 'an attempt''s decision and hold are immutable',
      detail = format('attempt %s/%s', old.request_pk, old.attempt_no), hint = 'Only the state and the facts of the call change.';
  end if;
  if not ((old.state = 'held' and new.state in ('settled', 'released', 'expired'))
       or (old.state in ('expired', 'released') and new.state = 'settled')) then
    raise exception using errcode = 'LG002', message = 'illegal attempt state transition',
      detail = format('attempt %s/%s: %s -> %s', old.request_pk, old.attempt_no, old.state, new.state),
      hint = 'held -> settled | released | expired; expired | released -> settled; settled, refused and cached are final.';
  end if;
  if new.state = 'expired' and v_now < old.expires_at then
    raise exception using errcode = 'LG002', message = 'a hold expires only after its expiry',
      detail = format('attempt %s/%s expires at %s', old.request_pk, old.attempt_no, old.expires_at);
  end if;

  select * into p from llm_private.model_prices x where x.id = old.price_id;
  new.ended_at := v_now;
  new.late := false;
  new.distillation_eligible := null;
  new.distillation_reason := null;
  if new.state = 'settled' then
    if new.provider_status is null then
      raise exception using errcode = '22023', message = 'a settle needs the provider status';
    end if;
    -- The answering model's name as a model name, or ?: no free text of the provider's in the ledger, whoever wrote it.
    if new.answered_model !~ '^[A-Za-z0-9._:/@-]{1,200}$' then
      new.answered_model := '?';
    end if;
    if new.input_tokens is null or new.output_tokens is null then
      new.input_tokens := null; new.cached_input_tokens := null; new.output_tokens := null;
      new.usage_unknown := true;
      new.cost_micros := old.held_micros;
    else
      new.cached_input_tokens := coalesce(new.cached_input_tokens, 0);
      new.usage_unknown := false;
      new.cost_micros := llm_private.call_cost_micros(p, new.input_tokens, new.cached_input_tokens, new.output_tokens);
      if new.answered_model is not null then
        -- Another model answered (a gateway's routing or fallback), or a name of the asked one priced apart: the provider
        -- billed these tokens at that model's price. The dearest of the prices when it has one here; when it has none, the
        -- cost is unknown: the full hold, or these tokens at the asked price when that is more (review of the fixes).
        v_answered_cost := llm_private.answered_cost_micros(p.provider, new.answered_model, old.reserved_at,
          new.input_tokens, new.cached_input_tokens, new.output_tokens);
        new.usage_unknown := v_answered_cost is null;
        new.cost_micros := greatest(new.cost_micros, coalesce(v_answered_cost, old.held_micros));
      end if;
    end if;
    new.charged_micros := new.cost_micros;
    new.late := old.state in ('expired', 'released');
    if new.purpose = 'chat' and new.answered_model is not null and new.provider_status = 'ok'
       and not llm_private.is_asked_model(p.model, new.answered_model) then
      -- Another model's answer: its terms and its quality are not the asked model's. (A snapshot of the asked model priced
      -- apart is the asked model: charged its price, judged as the asked model's.)
      new.distillation_eligible := false;
      new.distillation_reason := 'other_model_answered';
    elsif new.purpose = 'chat' then
      select * into g from llm_private.distillation_gate(new.tenant_id, new.decision, new.provider_status, new.output_valid, new.pii_flagged,
        p.provider, p.model);
      new.distillation_eligible := g.eligible;
      new.distillation_reason := g.reason;
    else
      new.distillation_eligible := false;
      new.distillation_reason := 'not_chat';
    end if;
  else
    new.input_tokens := null; new.cached_input_tokens := null; new.output_tokens := null; new.cost_micros := null;
    new.latency_ms := case when new.state = 'released' then null else new.latency_ms end;
    new.provider_status := null; new.output_valid := null; new.pii_flagged := null; new.answered_model := null;
    new.usage_unknown := new.state = 'expired';
    new.charged_micros := case when new.state = 'expired' then old.held_micros else 0 end;
  end if;

  -- Lock order: the request row, then the breaker, then usage in meter order. A chat call that settles ok makes its
  -- request done here, in the statement that locks the row: the AFTER trigger did it with a second statement on the
  -- request, -2.2 % instructions per pair (bench/PROFILE.md §21). A later BEFORE trigger (_900_ranges) that refuses the
  -- row refuses the statement, and the request's change with it.
  if new.state = 'settled' and new.purpose = 'chat' and new.provider_status = 'ok' then
    update llm_private.requests x set state = 'done', reason = 'ok', finished_at = new.ended_at
     where x.tenant_id = new.tenant_id and x.id = new.request_pk and x.state in ('queued', 'running')
    returning x.* into q;
  end if;
  if q.id is null then
    select * into q from llm_private.requests x where x.tenant_id = new.tenant_id and x.id = new.request_pk for update;
  end if;
  if new.state = 'settled' and p.id is not null then
    perform llm_private.record_breaker_outcome(p.provider, p.model, new.provider_status, new.tenant_id, old.reserved_at, v_now);
  elsif new.state = 'released' and p.id is not null then
    -- Nothing was sent: a probe released is given back (kept, one tenant releasing its probes held every tenant out).
    perform llm_private.breaker_probe_back(p.provider, p.model, old.reserved_at, v_now);
  end if;
  if q.budget_scope is not null then
    -- Only the scope the attempt was reserved in (llm_private.reserved_in_scope); without one, the scope was forgotten,
    -- its usage is gone, and usage_apply refuses (P0004) rather than count the money on another scope of its name.
    select b.started_at into v_scope_started from llm_private.budget_scopes b
     where b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope and llm_private.reserved_in_scope(old.reserved_at, b.started_at);
  end if;
  perform llm_private.usage_apply(old, new, q.budget_scope, v_scope_started);
  return new;
end
$_$;

ALTER FUNCTION llm_private.tg_attempts__transition() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_attempts__transition(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_attempts__transition() IS 'BEFORE UPDATE on attempts: allows only legal transitions, keeps the decision and hold immutable, derives cost, charge, flags and distillation eligibility from the facts, makes the request done when a chat call settles ok (in the statement that locks the request row), records the breaker outcome and moves usage (held -> spent) on the attempt''s footprint.';

--
-- Name: tg_breaker_transitions__guard(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_breaker_transitions__guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if tg_op = 'INSERT' then
    if pg_trigger_depth() < 2 then
      raise exception using errcode = 'LG005', message = 'a breaker transition is recorded only by the breaker''s change of state',
        hint = 'The breaker moves with llm.reserve_call and llm.settle_call, or an operator''s llm.reset_breaker; each change records itself.';
    end if;
    new.changed_at := llm_private.now();
    new.changed_by := current_user;
    return new;
  elsif tg_op = 'DELETE' and old.changed_at < llm_private.ledger_kept_from() then
    return old;
  end if;
  raise exception using errcode = 'LG006', message = 'breaker transitions are never changed, nor deleted within the ledger''s retention',
    detail = format('%s of transition %s', tg_op, old.id),
    hint = 'llm.purge_expired deletes those older than settings.ledger_retention_months.';
end
$$;

ALTER FUNCTION llm_private.tg_breaker_transitions__guard() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_breaker_transitions__guard(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_breaker_transitions__guard() IS 'Breaker transitions: inserted only by provider_breakers'' trigger (depth >= 2, else LG005), stamped with the time and the role; never updated; deleted only once older than the ledger''s retention (else LG006).';

--
-- Name: tg_budget_scopes__guard(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_budget_scopes__guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.tg_budget_scopes__guard() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_budget_scopes__guard(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_budget_scopes__guard() IS 'Budget scopes are started by the reserve trigger only (trigger depth >= 2), at the current time, with their first request''s endpoint and user; that trigger alone moves last_reserve_month, forward to the current UTC month.';

--
-- Name: tg_cache_entries__derive(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_cache_entries__derive() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.tg_cache_entries__derive() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_cache_entries__derive(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_cache_entries__derive() IS 'A cache entry is derived from its source attempt (settled ok, valid, the requested model, uncapped; in the tenant''s shared cache, not flagged for personal data): key, scope, model, watermark, cost, expiry and the output (the call''s recorded one, llm_private.call_outputs) are computed here; the writer supplies only the question''s embedding, kept only when the request made a settled embedding call (whose model becomes embedding_model). An entry is never rewritten in place: an update must replace its source (a refill).';

--
-- Name: tg_cache_fills__guard(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_cache_fills__guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if pg_trigger_depth() < 2 then
    raise exception using errcode = 'LG005', message = 'a cache fill is claimed only by a reserve and ended only by its attempt',
      detail = format('%s on llm_private.cache_fills', tg_op),
      hint = 'llm.reserve_call claims the fill of its request''s cache key; the settle, the release or the expiry ends it.';
  end if;
  return coalesce(new, old);
end
$$;

ALTER FUNCTION llm_private.tg_cache_fills__guard() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_cache_fills__guard(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_cache_fills__guard() IS 'Cache fills are written only by the reserve''s trigger and deleted only by the attempt''s transition (trigger depth >= 2): no role may claim, extend or end a fill by hand.';

--
-- Name: tg_call_outputs__derive(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_call_outputs__derive() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  a llm_private.attempts;
  st llm_private.settings;
begin
  select * into a from llm_private.attempts x
   where x.tenant_id = new.tenant_id and x.request_pk = new.request_pk and x.attempt_no = new.attempt_no;
  if a.user_id is distinct from new.user_id or a.purpose <> 'chat'
     or not (a.state = 'cached' or (a.state = 'settled' and a.provider_status = 'ok')) then
    raise exception using errcode = 'LG007', message = format('a %s belongs to a settled call of the same tenant and user',
        case tg_table_name when 'call_outputs' then 'final output' else 'reasoning trace' end),
      detail = format('attempt %s/%s is %s', new.request_pk, new.attempt_no, coalesce(a.state::text, 'missing'));
  end if;
  if tg_table_name = 'reasoning_traces' and a.state = 'cached' then
    raise exception using errcode = 'LG007', message = 'a cache hit has no reasoning trace';
  end if;
  select * into st from llm_private.settings;
  new.created_at := llm_private.now();
  new.expires_at := new.created_at + make_interval(secs => case tg_table_name when 'call_outputs' then st.output_retention_ms
                                                                else st.trace_retention_ms end / 1000.0);
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_call_outputs__derive() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_call_outputs__derive(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_call_outputs__derive() IS 'Outputs and reasoning traces: only for a settled (ok) or cache-served chat attempt of the same tenant and user; created_at and expires_at (retention) derived.';

--
-- Name: tg_erasures__erase(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_erasures__erase() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.tg_erasures__erase() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_erasures__erase(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_erasures__erase() IS 'BEFORE INSERT on erasures: the erasure itself. Refuses an unknown tenant or a user of another tenant (23503) and a subject with queued or running requests (55000); deletes the subject''s request_inputs, call_outputs, reasoning_traces, cache entries (its own, and shared ones its calls filled) and cache fill claims; records the counts, when (llm_private.now()) and who (current_user, and the login when it differs: llm_operator (login alice)), whatever the writer gave.';

--
-- Name: tg_ledger__no_delete(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_ledger__no_delete() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  raise exception using errcode = 'LG006', message = format('rows of llm_private.%s are never deleted', tg_table_name),
    hint = 'Retention drops whole monthly partitions (llm_maint.drop_expired_partitions); corrections are adjustments.';
end
$$;

ALTER FUNCTION llm_private.tg_ledger__no_delete() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_ledger__no_delete(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_ledger__no_delete() IS 'The ledger is append-only: DELETE and TRUNCATE raise (retention drops whole partitions).';

--
-- Name: tg_limits__check(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_limits__check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  m llm_private.meters;
begin
  -- Temporary unless said otherwise when it ends by itself (llm.set_limit says, from p_valid_until).
  new.temporary := coalesce(new.temporary, new.valid_until < 'infinity');
  select * into m from llm_private.meters x where x.id = new.meter_id;
  if m.id is null then
    return new;                                        -- the foreign key refuses it
  end if;
  if new.cap < 0 then
    raise exception using errcode = '23514', message = 'a cap is 0 or more',
      detail = format('meter %s: cap %s', m.name, new.cap),
      hint = 'A hard cap of 0 refuses every call on the meter; to lift a limit, llm.end_limit(limit_id); to return money, llm.adjust_usage with a negative amount.';
  end if;
  if new.tenant_id is not null and not exists (select 1 from llm_private.tenants t where t.id = new.tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant',
      detail = format('meter %s: tenant %s', m.name, new.tenant_id),
      hint = 'Create the tenant first (llm.upsert_tenant), or check the id; everyone''s limit has p_tenant_id NULL.';
  end if;
  if new.kind = 'soft' and m."window" = 'request' then
    raise exception using errcode = '22023', message = 'a per-request limit is hard',
      detail = format('meter %s', m.name),
      hint = 'A per-request limit blocks, caps or falls back; to be alerted on spend, set a soft limit on a clock-window or budget-scope meter.';
  end if;
  if m.scope = 'global' and new.tenant_id is not null then
    raise exception using errcode = '22023', message = format('meter %s is global: its limit is everyone''s', m.name),
      detail = format('meter %s counts every tenant''s calls on one counter; a limit naming tenant %s would set that counter''s cap for every tenant whenever this tenant reserves',
        m.name, new.tenant_id),
      hint = 'Leave p_tenant_id and p_user_id NULL. For one tenant''s own cap, use a tenant meter (tenant_hourly, tenant_monthly, or llm.define_meter(name, ''tenant'', window, unit)).';
  end if;
  if m.scope in ('tenant', 'budget_scope') and new.user_id is not null and m.unit <> 'elapsed_ms' then
    raise exception using errcode = '22023', message = format('meter %s is shared by the tenant''s users: it has no per-user limit', m.name),
      detail = format('meter %s (scope %s) counts the calls of all the tenant''s users on one counter; a limit naming user %s would set that counter''s cap for every user of the tenant whenever this user reserves',
        m.name, m.scope, new.user_id),
      hint = case when m.scope = 'tenant'
                  then 'Leave p_user_id NULL (the tenant''s limit), or for one user''s own cap use a user meter (user_hourly, user_monthly, or llm.define_meter(name, ''user'', window, unit)).'
                  else 'Leave p_user_id NULL: a budget scope is the tenant''s, shared by the users who name it.' end;
  end if;
  if m.tenant_id is not null and new.tenant_id is not null and new.tenant_id <> m.tenant_id then
    raise exception using errcode = '22023', message = format('meter %s counts another tenant''s calls only', m.name),
      detail = format('meter %s counts tenant %s only; the limit names tenant %s, whose calls it never counts', m.name, m.tenant_id, new.tenant_id),
      hint = 'Name the meter''s own tenant (or NULL), or define a meter for this tenant (llm.define_meter(..., p_tenant_id => ...)).';
  end if;
  if new.user_id is not null
     and not exists (select 1 from llm_private.users u where u.tenant_id = new.tenant_id and u.id = new.user_id)
     and exists (select 1 from llm_private.users u where u.id = new.user_id) then
    raise exception using errcode = '22023', message = 'the user belongs to another tenant',
      detail = format('user %s is not a user of tenant %s (its calls are another tenant''s): the limit would never apply', new.user_id, new.tenant_id),
      hint = 'Name the user''s own tenant (llm.monthly_spend lists each user with its tenant).';
  end if;
  if m.disabled_at is not null and m.disabled_at <= llm_private.now() then
    raise exception using errcode = '22023', message = format('meter %s is disabled', m.name),
      detail = format('disabled at %s: it counts nothing, and a limit on it never applies', m.disabled_at),
      hint = 'Define a new meter (llm.define_meter) and set the limit on it.';
  end if;
  if new.trips_shutoff and m.scope not in ('global', 'tenant', 'user') then
    raise exception using errcode = '22023', message = format('a limit of a %s meter trips no shutoff', m.scope),
      detail = format('meter %s: a shutoff window stops a global, tenant or user subject until its period ends; a %s has none', m.name, m.scope),
      hint = 'Leave p_trips_shutoff false: a hard limit already refuses what does not fit; to stop the tenant or user, put the trip on a tenant or user meter.';
  end if;
  -- By scope, as the reserve shapes: a budget scope's micro-USD cap per day shapes its calls as its cap over its life does.
  if new.action <> 'block' and not (new.kind = 'hard' and m.unit = 'micros' and m.scope in ('request', 'budget_scope')) then
    raise exception using errcode = '22023', message = format('action %s shapes a call only under a hard micro-USD limit per request or budget scope', new.action),
      detail = format('meter %s: scope %s, window %s, unit %s, kind %s', m.name, m.scope, m."window", m.unit, new.kind),
      hint = 'Leave p_action block (a hard limit of this meter refuses a call that does not fit); to lower max output tokens or fall back, use a per-request or budget-scope micro-USD meter.';
  end if;
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_limits__check() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_limits__check(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_limits__check() IS 'BEFORE INSERT on limits: refuses (22023, with a hint) a limit the engine cannot apply or would apply to a subject it does not name: a soft per-request limit, a tenant''s limit on a global meter, a user''s on a tenant or budget-scope counter, a limit on another tenant''s or a disabled meter or for another tenant''s user, a shutoff trip on a budget-scope or request meter, an action other than block where nothing shapes; and a negative cap (23514) or an unknown tenant (23503) with a hint.';

--
-- Name: tg_month_closes__check(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_month_closes__check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $_$
declare
  v_end timestamptz;
  v_through timestamptz;
  v_open bigint;
  v_running text[];
  v_waited_until timestamptz;
  v_pids text;
begin
  perform llm_private.require_read_committed('a month is closed', 'its snapshot may miss a hold or an adjustment committed meanwhile',
    'select * from llm.close_month(...)');
  if new.month_start is null or new.month_start in ('infinity', '-infinity')
     or new.month_start is distinct from llm_private.month_start(llm_private.month_index(new.month_start)) then
    raise exception using errcode = '22023', message = 'a month is closed by its first instant in UTC',
      detail = format('month_start = %s', new.month_start),
      hint = 'For example llm.close_month(''2026-11-01 00:00+00'', ''invoiced'').';
  end if;
  new.closed_at := llm_private.now();
  new.closed_by := llm_private.acting_role();
  -- One close at a time, and none while an adjustment is being made (it takes ROW EXCLUSIVE): the checks below and every
  -- adjustment after them see the same closes.
  lock table llm_private.month_closes in share row exclusive mode;
  v_end := llm_private.month_start(llm_private.month_index(new.month_start) + 1);
  if v_end > new.closed_at then
    raise exception using errcode = '55000', message = 'a month is closed once it has ended',
      detail = format('month %s ends at %s; now is %s', new.month_start, v_end, new.closed_at),
      hint = 'Close it after its end, once no hold reserved in it is open.';
  end if;
  v_through := llm_private.closed_through();
  if v_through is not null and v_end <= v_through then
    raise exception using errcode = '55000', message = 'the month is already closed',
      detail = format('every month before %s is closed (llm.month_closes)', v_through),
      hint = 'Closing a month closes every month before it.';
  end if;
  -- Every transaction of this database that was running now, and is not waiting for this close, ends first: a reserve in
  -- flight dated its hold when it ran (before the month's end) and commits it later, unseen by the count below, which
  -- then closed the month under it (review 88). A transaction started from now on dates its holds after the month's end.
  -- Waited for as CREATE INDEX CONCURRENTLY waits for older transactions (their virtual transaction ids), 60 s at most.
  select array_agg(l.virtualxid) into v_running
    from pg_catalog.pg_locks l join pg_catalog.pg_stat_activity a on a.pid = l.pid
   where l.locktype = 'virtualxid' and l.granted and l.pid <> pg_catalog.pg_backend_pid()
     and a.datname = pg_catalog.current_database();
  v_waited_until := pg_catalog.clock_timestamp() + interval '60 seconds';
  loop
    select string_agg(l.pid::text, ', ' order by l.pid) into v_pids
      from pg_catalog.pg_locks l
     where l.locktype = 'virtualxid' and l.virtualxid = any(v_running)
       and not (pg_catalog.pg_blocking_pids(l.pid) @> array[pg_catalog.pg_backend_pid()]);
    exit when v_pids is null;
    if pg_catalog.clock_timestamp() > v_waited_until then
      raise exception using errcode = '55000', message = 'transactions older than the close are still open',
        detail = format('pids %s have run for more than 60 s since the close began; a reserve among them may hold money in the month', v_pids),
        hint = 'Close again once they end (pg_stat_activity), or end them.';
    end if;
    perform pg_catalog.pg_sleep(0.02);
  end loop;
  -- A hold reserved before the month's end and still open would be charged in it by its settle or expiry. Every one the
  -- expiry's full pass reads (expiring in the last 35 days or later): the minute's sweep watches only those expiring after
  -- its watermark, and a hold committed after the watermark had passed it is older (review 87: such a hold, listed by
  -- llm.open_holds, was charged into a month closed meanwhile). A one-shot plan with the values, so that the expires_at
  -- BRIN is used.
  execute 'select count(*) from llm_private.attempts a where a.state = ''held'' and a.reserved_at < $1 and a.expires_at > $2'
    into v_open using v_end, llm_private.now() - interval '840 hours';
  if v_open > 0 then
    raise exception using errcode = '55000', message = 'a hold reserved in the month is still open',
      detail = format('%s attempt(s) reserved before %s are held (llm.open_holds)', v_open, v_end),
      hint = 'Wait for their settle or for the expiry sweep (llm.expire_holds, every minute), then close again.';
  end if;
  return new;
end
$_$;

ALTER FUNCTION llm_private.tg_month_closes__check() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_month_closes__check(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_month_closes__check() IS 'BEFORE INSERT on month_closes, READ COMMITTED only (25000): when and who, whatever the writer gave; refuses a month_start that is not a month''s first instant in UTC (22023), a month not ended, one already closed (by itself or a later one), or one with a hold reserved before its end still open, after waiting for every transaction of the database that was running (a reserve in flight), 60 s at most (55000). One close at a time, never beside an adjustment in flight (SHARE ROW EXCLUSIVE).';

--
-- Name: tg_operator_changes__not_from_worker(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_operator_changes__not_from_worker() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if not llm_private.from_worker_login_as_operator() then
    return coalesce(new, old);
  end if;
  -- What the sweeps write: expire_holds moves settings.swept_until; evaluate_limits opens tripped windows.
  -- (nested: plpgsql does not short-circuit, and new.kind exists only on shutoff_windows)
  -- swept_until only as expire_holds sets it, never past now - 10 min: set to 'infinity', it stopped every later sweep.
  -- Retained texts only once expired, as purge_expired deletes them: not a tenant's undelivered answers, cache or traces.
  if tg_table_name = 'settings' and tg_op = 'UPDATE' then
    if (to_jsonb(new) - 'swept_until') = (to_jsonb(old) - 'swept_until')
       and (to_jsonb(new) ->> 'swept_until')::timestamptz <= llm_private.now() - interval '10 minutes' then
      return new;
    end if;
  elsif tg_table_name = 'shutoff_windows' and tg_op = 'INSERT' then
    if to_jsonb(new) ->> 'kind' = 'tripped' then
      return new;
    end if;
  elsif tg_table_name in ('call_outputs', 'reasoning_traces', 'cache_entries') and tg_op = 'DELETE' then
    if (to_jsonb(old) ->> 'expires_at')::timestamptz <= llm_private.now() then
      return old;
    end if;
  -- A request only as llm.fail_lost_requests ends it: older than a minute, its job gone or spent, holding nothing, failed
  -- job_lost | attempts_exhausted. From this login the policy operator_fail had let any request of any tenant be made
  -- done or refused by hand (ninth review).
  elsif (tg_table_name = 'requests' or tg_table_name like E'requests\\_%') and tg_op = 'UPDATE' then   -- fired on its partitions
    if old.state in ('queued', 'running') and new.state = 'failed' and new.reason in ('job_lost', 'attempts_exhausted')
       and old.created_at < llm_private.now() - interval '1 minute'
       and not exists (select 1 from llm_private.attempts a where a.tenant_id = old.tenant_id and a.request_pk = old.id and a.state = 'held')
       and not exists (select 1 from graphile_worker.jobs j
                        where j.id = old.job_id and (j.attempts < j.max_attempts or j.locked_at is not null)) then
      return new;
    end if;
  end if;
  raise exception using errcode = '42501', message = format('%s on llm_private.%s is not made from the worker''s login', tg_op, tg_table_name),
    detail = 'llm_worker may act as llm_operator for the sweeps only.',
    hint = 'Log in as llm_operator for operator changes.';
end
$$;

ALTER FUNCTION llm_private.tg_operator_changes__not_from_worker() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_operator_changes__not_from_worker(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_operator_changes__not_from_worker() IS 'Refuses the operator''s changes (but the sweeps'' own writes) when made from the worker''s login (llm_worker acting as llm_operator).';

--
-- Name: tg_provider_breakers__guard(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_provider_breakers__guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if current_user = 'llm_money' and pg_trigger_depth() < 2 then
    raise exception using errcode = 'LG005', message = 'the breaker records outcomes of settled calls only',
      hint = 'Breaker state is shared by every tenant: it moves with llm.settle_call and llm.reserve_call, or an operator''s llm.reset_breaker.';
  end if;
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_provider_breakers__guard() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_provider_breakers__guard(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_provider_breakers__guard() IS 'The shared breaker: the money role may write it only from the ledger''s triggers (a settle''s outcome, a reserve''s probe).';

--
-- Name: tg_provider_breakers__record_transition(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_provider_breakers__record_transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_from text := case when tg_op = 'INSERT' then 'closed' else old.state end;   -- no row is a closed breaker
  v_by_hand boolean := pg_trigger_depth() < 2;
  v_cause text;
begin
  v_cause := case when v_by_hand then 'by_hand'
                  when new.state = 'half_open' then 'probe_claimed'
                  when v_from = 'closed' and new.state = 'open' then 'failures'
                  when v_from = 'half_open' and new.state = 'closed' then
                    case when new.consecutive_failures = 0 then 'probe_ok' else 'probe_failed_same_tenant' end
                  when v_from = 'half_open' and new.state = 'open' then
                    case when new.open_until > llm_private.now() then 'probe_failed' else 'probe_given_back' end
                  else 'other' end;
  insert into llm_private.breaker_transitions (provider, model, from_state, to_state, cause, consecutive_failures, open_until,
    streak_tenant_id, streak_tenants_many, call_tenant_id)
  values (new.provider, new.model, v_from, new.state, v_cause,
          new.consecutive_failures, case when new.state = 'open' then new.open_until end,
          case when tg_op = 'UPDATE' then old.streak_tenant_id end, tg_op = 'UPDATE' and old.streak_tenants_many,
          case when not v_by_hand then llm_private.current_tenant_id() end);
  -- Wakes every worker at commit (never if the transaction rolls back): it reads the transitions since the last one it
  -- logged from llm.breaker_transitions and logs each (src/worker/cache-fill-listener.ts). No payload: any login may
  -- LISTEN, and any may NOTIFY, so the worker logs only what the table holds (review 92: a forged payload was logged).
  perform pg_catalog.pg_notify('llm_breaker_transition', '');
  return null;
end
$$;

ALTER FUNCTION llm_private.tg_provider_breakers__record_transition() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_provider_breakers__record_transition(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_provider_breakers__record_transition() IS 'Records a breaker''s change of state in llm_private.breaker_transitions (from, to, why, the streak before it, the tenant whose call made it; by hand at trigger depth 1), and notifies channel llm_breaker_transition at commit (no payload: the workers read the table).';

--
-- Name: tg_reconciliation_checks__derive(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_reconciliation_checks__derive() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_started timestamptz := clock_timestamp();
  v_seq_id bigint;
  v_enable_sort text;
  v_jit text;
  v_work_mem text;
begin
  perform llm_private.require_read_committed('a reconciliation check runs', 'its snapshot may predate the ledger it would vouch for',
    'select * from llm.check_reconciliation()');
  begin
    v_seq_id := currval('llm_private.reconciliation_checks_id_seq');
  exception when sqlstate '55000' then
    v_seq_id := null;                                  -- no value drawn in this session: the id was the writer's
  end;
  -- Drawn by this insert, not by an earlier one of the session: the same id twice (OVERRIDING SYSTEM VALUE with currval)
  -- had listed two repairs under one id (review 83).
  if new.id is distinct from v_seq_id or exists (select 1 from llm_private.usage_repairs x where x.id = new.id) then
    raise exception using errcode = '42501', message = 'a reconciliation check''s id is the identity''s',
      hint = 'Insert without OVERRIDING SYSTEM VALUE (llm.check_reconciliation() does).';
  end if;
  new.checked_at := llm_private.now();
  -- Aggregated by hashing, not sorting: the planner, which cannot estimate the usage keys' groups, sorted every attempt and
  -- meter of the two months (648 MB of temp files at 10^6 calls; the logins' temp_file_limit is 2 GB) to find ~10^4 of
  -- them. Without JIT: the sort of the first 200 rows, which stays, then carries the planner's penalty for a disabled
  -- node, and every check compiled its plan (~1.8 s on a ledger of 17 calls; review of caab6d8). llm_operator's own
  -- jit = off does not apply: the worker's login sets the role, and a role's settings apply at login only. work_mem from
  -- settings.reconciliation_work_mem_mb: each hash holds one entry per group of attempts or usage key (~1 KB), and past it
  -- its input spills to temporary files. All three restored below: a hand-made insert may sit in a longer transaction.
  v_enable_sort := current_setting('enable_sort');
  v_jit := current_setting('jit');
  v_work_mem := current_setting('work_mem');
  perform set_config('enable_sort', 'off', true), set_config('jit', 'off', true),
          set_config('work_mem', (select s.reconciliation_work_mem_mb from llm_private.settings s) || 'MB', true);
  -- One read of the view: the count, and the first 200 rows for the dashboard (llm.reconciliation_checked_drift), in the
  -- order `npm run audit -- drift` lists them. A top-200 sort (a bounded heap), numbered after it: a row_number() over
  -- every drift row sorted them all, in temp space, at the moment the ledger is worst off (review of 410deda).
  with d as materialized (select * from llm.reconciliation_drift)
  select (select count(*) from d),
         (select coalesce(jsonb_agg(to_jsonb(s) order by s.n), '[]'::jsonb)
            from (select row_number() over (order by t.kind, t.tenant_id nulls first, t.meter_name, t.user_id nulls first,
                                                     t.budget_scope nulls first, t.period_start, t.shard) as n, t.*
                    from (select x.* from d x
                           order by x.kind, x.tenant_id nulls first, x.meter_name, x.user_id nulls first, x.budget_scope nulls first,
                                    x.period_start, x.shard
                           limit 200) t) s)
    into new.drift_rows, new.drift_sample;
  perform set_config('enable_sort', v_enable_sort, true), set_config('jit', v_jit, true), set_config('work_mem', v_work_mem, true);
  new.duration_ms := least(2147483647, greatest(0, (date_part('epoch', clock_timestamp() - v_started) * 1000)::bigint))::integer;
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_reconciliation_checks__derive() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_reconciliation_checks__derive(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_reconciliation_checks__derive() IS 'BEFORE INSERT on reconciliation_checks: the check''s time (the database clock when its read started), its count of llm.reconciliation_drift, the first 200 of those rows (drift_sample) and the time the read took, whatever the writer gave; refuses a transaction that is not READ COMMITTED (25000) and an id not drawn from the identity (42501).';

--
-- Name: tg_request_inputs__derive(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_request_inputs__derive() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.tg_request_inputs__derive() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_request_inputs__derive(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_request_inputs__derive() IS 'Inputs: once, for a queued request of the same tenant and user, valid as an enqueue payload (22023), of a chat model in the catalog, and matching the claim''s fingerprint (LG409); the cache key, the system prompt hash and the input token floor are computed here from the inputs themselves (a writer cannot file an answer under another question''s key, nor lower the least input a reserve holds for).';

--
-- Name: tg_requests__guard(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_requests__guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
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

ALTER FUNCTION llm_private.tg_requests__guard() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_requests__guard(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_requests__guard() IS 'Requests: born queued with nothing (whatever the inserter wrote), one claim per (tenant, request_id, endpoint) in the idempotency window (LG409); identity, fingerprint and job immutable once set; state only forward to one final state (done | refused | failed, or cancelled before any attempt); the application may only cancel its own request before its first attempt.';

--
-- Name: tg_shutoff_windows__guard(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_shutoff_windows__guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  m record;
  v_now timestamptz := llm_private.now();
  v_period timestamptz;
  v_spent bigint;
  v_cap bigint;
  v_applied boolean;
begin
  if tg_op = 'INSERT' then
    if new.kind = 'tripped' then
      -- Verified from the facts, whoever inserts (a settle's trigger, llm.evaluate_limits): the limit trips
      -- shutoffs, and its subject's spend in the current period (all shards) has reached the cap.
      -- The limit must be one the subject's usage was held under this period (usage.limit_id, set by every hold): a
      -- window citing another limit of the meter (a default the subject's own limit overrides, or another tenant's) had
      -- stopped a subject whose own limit never stops it (ninth review, from the worker's login as llm_operator).
      select * into m from llm_private.meters x join llm_private.limits l on l.meter_id = x.id
       where l.id = new.limit_id and l.trips_shutoff and x.scope = new.scope;
      if m.id is not null then
        v_period := llm_private.period_start(m."window", v_now);
        -- Once per period, whoever inserts: a window an operator cancelled stays cancelled (a money role re-inserting it
        -- stopped every tenant again; review of 2026-11-26). Skipped, not an error: a settle whose trip raced another's saw
        -- its window here, and failed (twelfth review); llm_private.trip_shutoff relies on this skip. Two trips that do not
        -- see each other meet the unique index on trip_period.
        if exists (select 1 from llm_private.shutoff_windows w
                    where w.kind = 'tripped' and w.limit_id = new.limit_id and w.scope = new.scope
                      and w.tenant_id is not distinct from new.tenant_id and w.user_id is not distinct from new.user_id
                      and w.starts_at >= v_period) then
          return null;
        end if;
        select sum(u.spent), max(u.cap), coalesce(bool_or(u.limit_id = new.limit_id), false) into v_spent, v_cap, v_applied
          from llm_private.usage u
         where u.tenant_id = coalesce(new.tenant_id, llm_private.nil_uuid()) and u.meter_id = m.id
           and u.user_id = coalesce(new.user_id, llm_private.nil_uuid()) and u.budget_scope = '' and u.period_start = v_period;
      end if;
      -- Below the cap now: not opened, and no error, as an alert below its threshold is skipped. The writer compared an
      -- older total or cap: a reserve raised the cap after llm.evaluate_limits' snapshot, and the whole sweep stopped on
      -- LG005 (review of 2026-11-27). A forged trip is no more opened than before; a wrong limit or subject still raises.
      -- Nothing spent reaches no cap, a cap of 0 included (its first charge trips it; review 91).
      if m.id is not null and v_spent is not null and v_applied and (v_spent <= 0 or v_spent < v_cap) then
        return null;
      end if;
      -- Nothing spent yet in this period, and the writer looked in an earlier one (its starts_at: llm_private.trip_shutoff's
      -- clock, read a little before this one): the period that crossed its cap has ended since, and there is nothing to stop.
      -- Skipped, not an error: it failed the settle that crossed a minute meter's cap in the minute's last instant (review of
      -- e5ed108; an hourly meter the same at the hour). A start written is only ever a reason not to open a window.
      if m.id is not null and v_spent is null and llm_private.period_start(m."window", new.starts_at) < v_period then
        return null;
      end if;
      if m.id is null or v_spent is null or not v_applied then
        raise exception using errcode = 'LG005', message = 'a tripped window is opened only by spend crossing a limit',
          detail = format('limit %s: spent %s of %s this period', new.limit_id, coalesce(v_spent::text, 'nothing'), coalesce(v_cap::text, '?')),
          hint = 'Operators use llm.trip_shutoff or llm.schedule_shutoff.';
      end if;
      new.starts_at := v_now;
      new.trip_period := v_period;
      -- Until the period ends (92 days at most), with the figures it tripped on, whoever inserts: taken as written, a money
      -- role's one-second window took the period's only trip, and the subject was never stopped (thirteenth review).
      new.ends_at := least(llm_private.period_end(m."window", v_period), v_now + interval '2208 hours');
      new.reason := format('%s: spent %s of %s %s', m.name, v_spent, v_cap, m.unit);
    end if;
    if new.kind <> 'tripped' then
      new.trip_period := null;
      perform llm_private.require_shutoff_subject(new.scope, new.tenant_id, new.user_id, new.starts_at, new.ends_at);
    end if;
    if new.kind = 'manual' and new.starts_at > llm_private.now() + interval '1 minute' then
      raise exception using errcode = '22023', message = 'a manual window starts now; schedule a later one',
        hint = 'Use llm.schedule_shutoff.';
    end if;
    new.created_at := llm_private.now();
    new.created_by := current_user;
    new.cancelled_at := null;
    new.cancelled_by := null;
    new.cancel_reason := null;
    return new;
  end if;
  if old.cancelled_at is not null or new.cancelled_at is null
     or (new.id, new.scope, new.tenant_id, new.user_id, new.kind, new.starts_at, new.ends_at, new.reason, new.limit_id, new.created_by, new.created_at,
         new.trip_period)
        is distinct from (old.id, old.scope, old.tenant_id, old.user_id, old.kind, old.starts_at, old.ends_at, old.reason, old.limit_id,
                          old.created_by, old.created_at, old.trip_period) then
    raise exception using errcode = 'LG002', message = 'a shutoff window changes only by being cancelled, once',
      detail = format('window %s', old.id);
  end if;
  -- The reason is the canceller's own words (the one thing a cancel writes), checked here for a plain UPDATE too; when and
  -- who are stamped, whatever the UPDATE said.
  new.cancel_reason := llm_private.require_cancel_reason(new.cancel_reason);
  new.cancelled_at := llm_private.now();
  new.cancelled_by := current_user;
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_shutoff_windows__guard() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_shutoff_windows__guard(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_shutoff_windows__guard() IS 'Windows: a tripped one only when its limit trips shutoffs, was applied to its subject this period (else LG005), and the subject''s spend this period is above 0 and has reached the cap (checked from usage, whoever inserts; below it, skipped), once per period (a second is skipped; trip_period, derived here, is unique with the limit and subject; one whose writer looked in an earlier period, none spent in this one, is skipped); manual ones start now; afterwards a window can only be cancelled, once, with a reason (22023 without one; stamped with who and when).';

--
-- Name: tg_usage__guard(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_usage__guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if pg_trigger_depth() < 2 then
    raise exception using errcode = 'LG005', message = 'usage moves only together with the ledger row that justifies it',
      detail = format('%s on llm_private.usage', tg_op),
      hint = 'Usage follows the ledger: reserve, settle, release or expire an attempt (llm.reserve_call, llm.settle_call, ...), or record a credit or debit (llm.adjust_usage). A counter that drifted from its ledger: llm.repair_usage_drift(reason).';
  end if;
  if tg_op = 'INSERT' then
    if new.held <> 0 or new.spent <> 0 then
      raise exception using errcode = 'LG004', message = 'a usage row is born empty';
    end if;
  elsif (new.tenant_id, new.meter_id, new.user_id, new.budget_scope, new.period_start, new.shard)
        is distinct from (old.tenant_id, old.meter_id, old.user_id, old.budget_scope, old.period_start, old.shard) then
    raise exception using errcode = 'LG001', message = 'a usage row''s key is immutable';
  end if;
  -- The row's ranges, last, on the row as it will be written (they were the CHECK constraints usage_held_check and
  -- usage_shard_check, which PostgreSQL compiled again for every statement writing usage: 1.6 % of a pair's instructions,
  -- bench/PROFILE.md §19). Named as they were; no role of the product can turn this trigger off.
  if new.held < 0 or new.shard not between 0 and 63 then
    raise exception using errcode = '23514', table = 'usage', schema = 'llm_private',
      constraint = case when new.held < 0 then 'usage_held_check' else 'usage_shard_check' end,
      message = format('new row for relation "usage" violates check constraint "%s"',
                       case when new.held < 0 then 'usage_held_check' else 'usage_shard_check' end),
      detail = format('meter %s, period %s, shard %s: held %s', new.meter_id, new.period_start, new.shard, new.held),
      hint = 'A hold is never negative; a shard is 0 .. 63.';
  end if;
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_usage__guard() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_usage__guard(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_usage__guard() IS 'Refuses every write to usage that is not made by one of the ledger''s triggers (pg_trigger_depth() < 2), rows born with held or spent, key changes, and a negative hold or a shard outside 0 .. 63 (23514, usage_held_check / usage_shard_check: the CHECK constraints it replaces).';

--
-- Name: tg_usage_alert_checks__check(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_usage_alert_checks__check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  m llm_private.meters;
  r record;
  v_cap bigint;
  v_limit integer;
  v_due boolean := false;
begin
  select * into m from llm_private.meters x where x.id = new.meter_id;
  -- A current period, or one ended in the last 10 minutes (llm.evaluate_limits reads those for their alerts); an older
  -- one is history.
  if m.id is null or new.period_start > llm_private.now()
     or llm_private.period_end(m."window", new.period_start) <= llm_private.now() - interval '10 minutes' then
    return null;
  end if;
  select max(u.cap), max(u.limit_id) into v_cap, v_limit from llm_private.usage u
   where u.tenant_id = new.tenant_id and u.meter_id = new.meter_id and u.user_id = new.user_id and u.budget_scope = new.budget_scope
     and u.period_start = new.period_start;
  for r in select u.shard, u.spent, u.quota from llm_private.usage u
            where u.tenant_id = new.tenant_id and u.meter_id = new.meter_id and u.user_id = new.user_id
              and u.budget_scope = new.budget_scope and u.period_start = new.period_start
              and u.next_alert_at <= u.spent and u.spent > 0
            order by u.shard for update loop
    perform llm_private.usage_after_spend(m.id, new.tenant_id, new.user_id, new.budget_scope, new.period_start, r.shard, r.spent, r.quota,
      m.shards, 0, v_limit, v_cap);
    v_due := true;
  end loop;
  return case when v_due then new end;
end
$$;

ALTER FUNCTION llm_private.tg_usage_alert_checks__check() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_usage_alert_checks__check(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_usage_alert_checks__check() IS 'INSTEAD OF INSERT on llm_private.usage_alert_checks: for each shard of the subject whose spend reached its next_alert_at, what its settle does (llm_private.usage_after_spend: alerts and trip from the total, the shard''s next level); counts as inserted when one was due.';

--
-- Name: tg_usage_recaps__recap(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_usage_recaps__recap() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  m llm_private.meters;
  e llm_private.limits;
  v_now timestamptz := llm_private.now();
  v_cap bigint;
begin
  select * into m from llm_private.meters x where x.id = new.meter_id;
  if m.id is null or new.period_start > v_now or llm_private.period_end(m."window", new.period_start) <= v_now then
    return null;                                       -- no such meter, or not a current period: its cap is history
  end if;
  e := llm_private.limit_in_effect(new.meter_id, new.tenant_id, new.user_id, v_now);
  if e.id is null then
    return null;                                       -- no limit applies now: the meter does not count for the subject
  end if;
  select max(u.cap) into v_cap
    from llm_private.usage u
   where u.tenant_id = new.tenant_id and u.meter_id = new.meter_id and u.user_id = new.user_id and u.budget_scope = new.budget_scope
     and u.period_start = new.period_start;
  if v_cap is null then
    return null;                                       -- no such subject: nothing is created
  end if;
  if e.cap <> v_cap then
    -- Locks every shard in shard order, spreads the new cap over the quotas (next_alert_at 0: the alerts are checked again).
    perform llm_private.usage_prepare(m.id, m.shards, new.tenant_id, new.user_id, new.budget_scope, new.period_start, e.id, e.cap);
  else
    -- The same cap under another limit (its alert percentages, its shutoff trip): the rows name the limit in effect.
    perform llm_private.usage_name_limit(m.id, new.tenant_id, new.user_id, new.budget_scope, new.period_start, e.id);
  end if;
  return null;
end
$$;

ALTER FUNCTION llm_private.tg_usage_recaps__recap() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_usage_recaps__recap(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_usage_recaps__recap() IS 'INSTEAD OF INSERT on llm_private.usage_recaps: re-caps an existing subject''s current usage rows to the limit in effect now (usage_prepare: every shard locked in shard order), or names that limit when its cap is the same; nothing for a past period, an unknown subject or a meter no limit applies to.';

--
-- Name: tg_usage_repairs__apply(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_usage_repairs__apply() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  r record;
  v_bad text;
  v_n integer;
  l llm_private.limits;
begin
  perform llm_private.require_read_committed('a usage repair runs', 'it would read the drift of its own snapshot',
    'select * from llm.repair_usage_drift(''why'')');
  -- One repair at a time, before the drift is read: two that both read a key's drift before either committed each moved
  -- the counter by it (review 82). SHARE ROW EXCLUSIVE conflicts with itself and with another inserter's lock on the table:
  -- a second repair waits for the first to commit and then reads what it left (two direct inserts racing: one is
  -- cancelled as a deadlock, never both applied).
  lock table llm_private.usage_repairs in share row exclusive mode;
  -- Every row names a key that drifts now, of that kind and by that amount, once: read from the view again here, so that
  -- no INSERT of the operator's own choosing moves a counter anywhere but back to its ledger.
  with d as materialized (select * from llm_private.drift_keys())
  select format('%s %s: %s of meter %s, user %s, scope %L, period %s, shard %s', x.kind, x.moved_by,
                x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start, x.shard) into v_bad
    from new_rows x
   where not exists (select 1 from d
                      where (d.tenant_id, d.meter_id, d.user_id, d.budget_scope, d.period_start, d.shard, d.kind, d.moved_by)
                            = (x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start, x.shard, x.kind, x.moved_by))
      or (select count(*) from new_rows y
           where (y.tenant_id, y.meter_id, y.user_id, y.budget_scope, y.period_start, y.shard)
                 = (x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start, x.shard)) > 1
   limit 1;
  if v_bad is not null then
    raise exception using errcode = 'LG005', message = 'a usage repair moves a counter only by the drift llm.reconciliation_drift shows now',
      detail = format('not a drift now (or named twice): %s', v_bad),
      hint = 'select * from llm.repair_usage_drift(''why'') reads the drift and repairs every key it shows.';
  end if;
  -- In the order the money path locks usage rows (meter, then key), so that a repair and a reserve never wait on each other
  -- in a circle.
  for r in select * from new_rows x order by x.meter_id, x.tenant_id, x.user_id, x.budget_scope, x.period_start, x.shard loop
    if r.kind = 'missing_usage_row' then
      l := llm_private.repair_limit(r.meter_id, r.tenant_id, r.user_id, r.period_start);
      if l.id is null then
        raise exception using errcode = 'LG005', message = 'no limit applies to a missing usage row''s key: it cannot be created',
          detail = format('meter %s, tenant %s, user %s, period %s', r.meter_id, r.tenant_id, r.user_id, r.period_start);
      end if;
      perform llm_private.usage_prepare(r.meter_id, (select m.shards from llm_private.meters m where m.id = r.meter_id),
        r.tenant_id, r.user_id, r.budget_scope, r.period_start, l.id, l.cap);
      continue;
    end if;
    update llm_private.usage u
       set held = u.held + case when r.kind = 'held' then r.moved_by else 0 end,
           spent = u.spent + case when r.kind = 'spent' then r.moved_by else 0 end
     where (u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.shard)
           = (r.tenant_id, r.meter_id, r.user_id, r.budget_scope, r.period_start, r.shard);
    get diagnostics v_n = row_count;
    if v_n <> 1 then
      raise exception using errcode = 'LG005', message = 'a usage repair found no counter to move',
        detail = format('tenant %s, meter %s, user %s, period %s, shard %s', r.tenant_id, r.meter_id, r.user_id, r.period_start, r.shard);
    end if;
  end loop;
  return null;
end
$$;

ALTER FUNCTION llm_private.tg_usage_repairs__apply() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_usage_repairs__apply(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_usage_repairs__apply() IS 'AFTER INSERT (per statement) on usage_repairs, READ COMMITTED only (25000), one repair at a time (the table in SHARE ROW EXCLUSIVE mode): refuses rows that do not name a key llm.reconciliation_drift shows now, of that kind and by that amount (moved_by), once (LG005); then moves each counter by it (held or spent), or creates a missing row (under llm_private.repair_limit), in the money path''s lock order.';

--
-- Name: tg_usage_repairs__stamp(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tg_usage_repairs__stamp() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  v_seq_id bigint;
begin
  -- An id of the writer's choosing (OVERRIDING SYSTEM VALUE) above every later one had hidden later repairs from
  -- llm.repair_usage_drift's answer (review 82): the id is the identity's.
  begin
    v_seq_id := currval(pg_get_serial_sequence('llm_private.usage_repairs', 'id'));
  exception when sqlstate '55000' then
    v_seq_id := null;
  end;
  -- Drawn by this insert, not by an earlier one of the session: the same id twice (OVERRIDING SYSTEM VALUE with currval)
  -- had listed two repairs under one id (review 83).
  if new.id is distinct from v_seq_id or exists (select 1 from llm_private.usage_repairs x where x.id = new.id) then
    raise exception using errcode = '42501', message = 'a usage repair''s id is the identity''s',
      hint = 'Insert without OVERRIDING SYSTEM VALUE (llm.repair_usage_drift does).';
  end if;
  new.repaired_at := llm_private.now();
  new.repaired_by := llm_private.acting_role();
  return new;
end
$$;

ALTER FUNCTION llm_private.tg_usage_repairs__stamp() OWNER TO llm_owner;

--
-- Name: FUNCTION tg_usage_repairs__stamp(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tg_usage_repairs__stamp() IS 'BEFORE INSERT on usage_repairs: when (the database clock) and who (the role, and the login behind it), whatever the writer gave; refuses an id not drawn from the identity (42501).';

--
-- Name: trip_shutoff(smallint, integer, uuid, uuid, timestamp with time zone, bigint, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid, k_period timestamp with time zone, p_used bigint, p_cap bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  m llm_private.meters;
  v_now timestamptz := llm_private.now();
  v_scope llm_private.limit_scope;
  v_end timestamptz;
begin
  select * into m from llm_private.meters x where x.id = p_meter_id;
  if m.scope not in ('global', 'tenant', 'user') then
    return;                                                -- a budget scope or request has no window of its own
  end if;
  v_scope := m.scope;
  -- 92 days as hours: '92 days' is added in the session's TimeZone, and across a clock change it made a window of 92 days
  -- and an hour, which the table's check refused: the settle that crossed the cap failed, and the expiry sweep with it
  -- for every tenant (fourth review of 2026-11-27, Europe/Berlin in August).
  v_end := least(llm_private.period_end(m."window", k_period), v_now + interval '2208 hours');
  if v_end <= v_now then
    return;
  end if;
  -- Once per period: the guard skips a window of a period that already has one (an operator's cancel stands), and the
  -- unique index on trip_period makes a concurrent second trip wait for the first and do nothing (twelfth review). The
  -- guard also sets the window's end and reason from what it checks; these are what the trip would say.
  -- starts_at is when it looked (in k_period): the guard reads its own clock (clock_timestamp, a little later), and when that
  -- is already the next period, with nothing spent yet, it skips the trip (it failed the settle with LG005 there: review of
  -- e5ed108, a minute meter's last instant).
  insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason, limit_id)
  values (v_scope, case when v_scope = 'global' then null else k_tenant end, case when v_scope = 'user' then k_user end, 'tripped',
          v_now, v_end, format('%s: spent %s of %s %s', m.name, p_used, p_cap, m.unit), p_limit_id)
  on conflict do nothing;
end
$$;

ALTER FUNCTION llm_private.trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid, k_period timestamp with time zone, p_used bigint, p_cap bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid, k_period timestamp with time zone, p_used bigint, p_cap bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid, k_period timestamp with time zone, p_used bigint, p_cap bigint) IS 'Opens a tripped shutoff window for a limit''s subject until the end of its period (at most 92 days), once per period: a window an operator cancelled is not opened again.';

--
-- Name: tx_stamp(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.tx_stamp() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select (pg_catalog.date_part('epoch', pg_catalog.transaction_timestamp()) * 1000000)::pg_catalog.int8
$$;

ALTER FUNCTION llm_private.tx_stamp() OWNER TO llm_owner;

--
-- Name: FUNCTION tx_stamp(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.tx_stamp() IS 'The current transaction''s start in microseconds: the stamp a context carries to be honoured only in this transaction. Inlinable.';

--
-- Name: usage_after_spend(smallint, uuid, uuid, text, timestamp with time zone, smallint, bigint, bigint, smallint, bigint, integer, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint, p_limit_id integer, p_cap bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  -- (p_spent_delta is no longer read: every threshold reached fires, not only those this spend crossed. It stays in the
  -- signature, which upgraded databases keep.)
  l llm_private.limits;
  total bigint := p_shard_spent;
  pct smallint;
  fired boolean;
  v_alert_id bigint;
  v_next bigint;
begin
  select * into l from llm_private.limits x where x.id = p_limit_id;
  if l.id is null then
    v_next := 9223372036854775807;
  else
    -- The next level of this shard at which a threshold may be crossed (on a sharded meter, some shard crosses its own share
    -- of a threshold whenever the total crosses it); at least 1, since spend of 0 crosses nothing (a quota of 0: its first charge).
    select min(greatest(ceil(p_shard_quota::numeric * t / 100), 1))::bigint into v_next
      from unnest(l.alert_pcts || case when l.trips_shutoff then array[100::smallint] else '{}' end) t
     where greatest(ceil(p_shard_quota::numeric * t / 100), 1) > p_shard_spent;
    if p_shards > 1 then
      select coalesce(sum(u.spent), 0)::bigint into total from llm_private.usage u
       where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
         and u.period_start = k_period;
    end if;
    foreach pct in array l.alert_pcts loop
      -- Every threshold the total has reached, not only those this spend crossed: a cap lowered below the spend crossed them
      -- without a spend (tenth review). The alert's key makes each one once per period.
      if total > 0 and total * 100 >= p_cap::numeric * pct then
        insert into llm_private.alerts (tenant_id, meter_id, user_id, budget_scope, period_start, threshold_pct, limit_id, used, cap, fired_at)
        values (k_tenant, p_meter_id, k_user, k_scope, k_period, pct, l.id, total, p_cap, llm_private.now())
        on conflict do nothing;
        get diagnostics fired = row_count;
        -- Its id (no RETURNING: the money role may insert alerts, not read them back).
        v_alert_id := case when fired then currval('llm_private.alert_id_seq') end;
        -- The notification carries the alert's id only: any role may LISTEN (and NOTIFY) on any channel, so a payload with
        -- the subject and its figures told every tenant's application the others' usage (review of 2026-11-26). A listener
        -- reads the row (llm.alerts, under its own policies), which is also what tells a real alert from a forged NOTIFY.
        if v_alert_id is not null then
          perform pg_notify('llm_limit_alert', json_build_object('alert_id', v_alert_id)::text);
        end if;
      end if;
    end loop;
    if l.trips_shutoff and total > 0 and total >= p_cap then
      perform llm_private.trip_shutoff(p_meter_id, l.id, k_tenant, k_user, k_period, total, p_cap);
    end if;
  end if;
  if k_shard is not null then
    update llm_private.usage u set next_alert_at = coalesce(v_next, 9223372036854775807)
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = k_shard;
  end if;
end
$$;

ALTER FUNCTION llm_private.usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint, p_limit_id integer, p_cap bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint, p_limit_id integer, p_cap bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint, p_limit_id integer, p_cap bigint) IS 'After spent reached a shard''s next_alert_at: alerts at each crossed percentage of the cap (spent > 0 and spent >= cap * pct / 100, so a cap of 0 is crossed by the first charge; once per period, pg_notify of the alert''s id on llm_limit_alert), the shutoff trip of a limit with trips_shutoff (spent > 0 and spent >= cap), and the shard''s next level to check.';

--
-- Name: usage_apply(llm_private.attempts, llm_private.attempts, text, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text, p_scope_started_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
declare
  m record;
  held_delta bigint;
  spent_delta bigint;
  r record;
  k_tenant uuid;
  k_user uuid;
  k_scope text;
  k_period timestamptz;
  k_shard smallint;
  -- Phase 2's work, collected in phase 1: one entry per usage row whose alerts or escrow must be looked at.
  after_spend jsonb[] := '{}';
  x jsonb;
begin
  -- Phase 1: every usage row of the footprint, in meter order. No alert is inserted before all of them are held, so a
  -- settle never waits for a usage row while holding an alert that another transaction (the expiry sweep) may wait for.
  for m in select x.id, x.scope, x."window", x.unit, x.shards from llm_private.meters x where x.id = any (b.meter_ids) order by x.id loop
    held_delta := (case when b.state = 'held' then llm_private.held_amount(m.unit, b) else 0 end)
                - (case when a.state = 'held' then llm_private.held_amount(m.unit, a) else 0 end);
    spent_delta := llm_private.charged_amount(m.unit, b) - llm_private.charged_amount(m.unit, a);
    continue when held_delta = 0 and spent_delta = 0;
    k_tenant := case when m.scope = 'global' then llm_private.nil_uuid() else b.tenant_id end;
    k_user := case when m.scope = 'user' then b.user_id else llm_private.nil_uuid() end;
    k_scope := case when m.scope = 'budget_scope' then p_budget_scope else '' end;
    -- (llm_private.usage_key's rule: a budget-scope meter's row, of its life or of a clock window, only under the scope the
    -- attempt was reserved in. By key alone, a late settle of a forgotten scope's call would move its money onto a new scope
    -- of that name whose clock period, a quarter, began before the old one was forgotten.)
    k_period := case when m."window" = 'budget_scope' then p_scope_started_at
                     when m.scope = 'budget_scope' and p_scope_started_at is null then null
                     when m."window" = 'hour' then date_trunc('hour', b.reserved_at, 'UTC')
                     when m."window" = 'month' then date_trunc('month', b.reserved_at, 'UTC')
                     else llm_private.period_start(m."window", b.reserved_at) end;
    k_shard := llm_private.usage_shard(m.scope, m.shards, b.tenant_id, b.user_id);
    update llm_private.usage u set held = u.held + held_delta, spent = u.spent + spent_delta
     where u.tenant_id = k_tenant and u.meter_id = m.id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = k_shard
    returning u.spent, u.quota, u.limit_id, u.cap, u.next_alert_at, u.held + u.spent > u.quota as over into r;
    if not found then
      raise exception using errcode = 'P0004', message = 'an attempt''s usage row is missing',
        detail = format('meter %s, attempt %s/%s', m.id, b.request_pk, b.attempt_no);
    end if;
    if (spent_delta > 0 and r.spent >= r.next_alert_at) or (r.over and m.shards > 1) then
      after_spend := after_spend || jsonb_build_object('m', m.id, 't', k_tenant, 'u', k_user, 's', k_scope, 'p', k_period, 'sh', k_shard,
        'spent', r.spent, 'quota', r.quota, 'shards', m.shards, 'delta', spent_delta, 'limit', r.limit_id, 'cap', r.cap,
        'alert', spent_delta > 0 and r.spent >= r.next_alert_at, 'over', r.over and m.shards > 1);
    end if;
  end loop;
  -- Phase 2: alerts and trips at each crossed threshold; a shard an overrun left over its quota borrows the excess from
  -- the other shards (SKIP LOCKED: never a wait), so that they cannot still admit what the cap has no room for.
  foreach x in array after_spend loop
    if (x->>'alert')::boolean then
      perform llm_private.usage_after_spend((x->>'m')::smallint, (x->>'t')::uuid, (x->>'u')::uuid, x->>'s', (x->>'p')::timestamptz,
        (x->>'sh')::smallint, (x->>'spent')::bigint, (x->>'quota')::bigint, (x->>'shards')::smallint, (x->>'delta')::bigint,
        (x->>'limit')::integer, (x->>'cap')::bigint);
    end if;
    if (x->>'over')::boolean then
      perform llm_private.usage_borrow((x->>'m')::smallint, (x->>'t')::uuid, (x->>'u')::uuid, x->>'s', (x->>'p')::timestamptz,
        (x->>'sh')::smallint, 0);
    end if;
  end loop;
end
$$;

ALTER FUNCTION llm_private.usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text, p_scope_started_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text, p_scope_started_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text, p_scope_started_at timestamp with time zone) IS 'Moves held and spent on an attempt''s footprint by the difference between two states of the attempt (every usage row first, in meter order), then checks alerts and trips; a shard an overrun left over its quota borrows the excess from the other shards.';

--
-- Name: usage_borrow(smallint, uuid, uuid, text, timestamp with time zone, smallint, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_amount bigint) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  own record;
  need bigint;
  d record;
  take bigint;
begin
  select u.quota, u.held, u.spent into own from llm_private.usage u
   where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
     and u.period_start = k_period and u.shard = k_shard
   for update;
  need := own.held + own.spent + p_amount - own.quota;
  if need <= 0 then
    return true;
  end if;
  for d in select u.shard, u.quota - u.held - u.spent as free from llm_private.usage u
            where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
              and u.period_start = k_period and u.shard <> k_shard and u.quota > u.held + u.spent
            order by u.quota - u.held - u.spent desc
            for update skip locked loop
    take := least(d.free, need);
    update llm_private.usage u set quota = u.quota - take
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = d.shard;
    update llm_private.usage u set quota = u.quota + take
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = k_shard;
    need := need - take;
    exit when need <= 0;
  end loop;
  return need <= 0;
end
$$;

ALTER FUNCTION llm_private.usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_amount bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_amount bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_amount bigint) IS 'Escrow rebalance: moves free quota from shards nobody holds (SKIP LOCKED) to the call''s shard until the amount fits; true when it does.';

--
-- Name: usage_hold(smallint, smallint, uuid, uuid, text, timestamp with time zone, smallint, integer, bigint, boolean, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint, OUT ok boolean, OUT used bigint, OUT quota bigint) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  -- The room a hard limit must have is the amount held, as on the reserve's fast path: the caller holds at least 1 of each
  -- unit the call can be charged in (llm_private.held_amount: the least charge), so that the room checked is the room
  -- taken. (It asked room for 1 for a hold of 0 and took 0: every concurrent reserve saw the same unit free.)
  ok := true;
  for pass in 1..2 loop
    perform llm_private.usage_prepare(p_meter_id, p_shards, k_tenant, k_user, k_scope, k_period, p_limit_id, p_cap);
    begin
      update llm_private.usage u set held = u.held + p_amount, limit_id = p_limit_id
       where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
         and u.period_start = k_period and u.shard = k_shard and u.cap = p_cap
         and (not p_hard or u.held + u.spent + p_amount <= u.quota)
      returning u.held + u.spent - p_amount, u.quota into used, quota;
      if found then
        return;
      end if;
      raise exception using errcode = 'LGX00', message = 'internal: let go of the re-checked shard';
    exception when sqlstate 'LGX00' then
      null;
    end;
    -- Another try only when the cap moved again meanwhile; a short shard borrows.
    exit when not exists (select 1 from llm_private.usage u
                           where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
                             and u.period_start = k_period and u.cap <> p_cap);
  end loop;
  if p_shards > 1 and llm_private.usage_borrow(p_meter_id, k_tenant, k_user, k_scope, k_period, k_shard, p_amount) then
    update llm_private.usage u set held = u.held + p_amount, limit_id = p_limit_id
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = k_shard and u.cap = p_cap
       and u.held + u.spent + p_amount <= u.quota
    returning u.held + u.spent - p_amount, u.quota into used, quota;
    if found then
      return;
    end if;
  end if;
  ok := false; quota := null;
  select coalesce(sum(u.held + u.spent), 0)::bigint into used from llm_private.usage u
   where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
     and u.period_start = k_period;
end
$$;

ALTER FUNCTION llm_private.usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint, OUT ok boolean, OUT used bigint, OUT quota bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint, OUT ok boolean, OUT used bigint, OUT quota bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint, OUT ok boolean, OUT used bigint, OUT quota bigint) IS 'The reserve''s slow path: follows a new period or a changed cap, holds an amount on the call''s usage row if it fits (hard: held + spent + the amount within the quota: the caller''s hold, at least 1 of each unit the call can be charged in, llm_private.held_amount) or always (soft), borrowing quota from other shards. Held: used and quota are the shard''s held + spent before the hold and its quota, the figures compared; else used is what the subject used (all shards), quota NULL.';

--
-- Name: usage_key(llm_private.limit_scope, llm_private.limit_window, smallint, uuid, uuid, text, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) RETURNS TABLE(k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  -- SQL and without SET, so that it is inlined into a query over many attempts: llm.reconciliation_drift spent 31 of its
  -- 38 s on 2 M attempts calling the PL/pgSQL version once per attempt and meter (review at scale, 2026-11-26).
  select case when p_scope operator(pg_catalog.=) 'global' then llm_private.nil_uuid() else p_tenant_id end,
         case when p_scope operator(pg_catalog.=) 'user' then p_user_id else llm_private.nil_uuid() end,
         case when p_scope operator(pg_catalog.=) 'budget_scope' then p_budget_scope else '' end,
         -- A budget scope's period: its life (from its start), or the clock period of p_at. Either only with the scope's row
         -- (p_scope_started_at): without one (a call of a scope retention forgot) no period, as in llm_private.usage_apply.
         case when p_window operator(pg_catalog.=) 'budget_scope' then p_scope_started_at
              when p_scope operator(pg_catalog.=) 'budget_scope' and p_scope_started_at is null then null
              else llm_private.period_start(p_window, p_at) end,
         llm_private.usage_shard(p_scope, p_shards, p_tenant_id, p_user_id)
$$;

ALTER FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) IS 'The usage row a call counts on for a meter: subject (tenant or nil, user or nil, budget scope or ''''), period start and shard. A budget-scope meter''s period is the scope''s life (window budget_scope: its start) or the clock period of p_at; NULL without the scope''s start (p_scope_started_at: a forgotten scope''s call counts on no row).';

--
-- Name: usage_name_limit(smallint, uuid, uuid, text, timestamp with time zone, integer); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
begin
  if not exists (select 1 from llm_private.usage u
                  where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
                    and u.period_start = k_period and u.limit_id <> p_limit_id) then
    return;
  end if;
  perform 1 from llm_private.usage u
   where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
     and u.period_start = k_period
   order by u.shard for update;
  update llm_private.usage u set limit_id = p_limit_id, next_alert_at = 0
   where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
     and u.period_start = k_period and u.limit_id <> p_limit_id;
end
$$;

ALTER FUNCTION llm_private.usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer) IS 'Renames the limit a subject''s usage rows name (same cap, another limit in effect), its shards locked in shard order, and resets their next_alert_at so that the new limit''s alerts are checked; nothing when they already name it. Called by the re-cap (usage_recaps) and by adjustments.';

--
-- Name: usage_period_end(llm_private.limit_window, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select least(llm_private.period_end(p_window, p_period_start), coalesce(p_deadline_at, 'infinity'::pg_catalog.timestamptz))
$$;

ALTER FUNCTION llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone) IS 'The end (UTC, exclusive) of a usage period: llm_private.period_end(p_window, p_period_start), or p_deadline_at (a budget scope''s deadline: its start + llm_private.budget_scope_span; NULL without one, and for any other subject) when that comes first. Inlined into llm.limit_usage, llm.limit_use_maxima and llm.my_usage.';

--
-- Name: usage_prepare(smallint, smallint, uuid, uuid, text, timestamp with time zone, integer, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer, p_cap bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
  r record;
  q bigint[];
  f bigint[];
  n integer;
  need bigint;
  take bigint;
  old_cap bigint;
begin
  insert into llm_private.usage as u (tenant_id, meter_id, user_id, budget_scope, period_start, shard, limit_id, cap, quota)
  select k_tenant, p_meter_id, k_user, k_scope, k_period, s, p_limit_id, p_cap,
         p_cap / p_shards + case when s = 0 then p_cap % p_shards else 0 end
    from generate_series(0, p_shards - 1) s
   order by s
  on conflict do nothing;
  if not exists (select 1 from llm_private.usage u
                  where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
                    and u.period_start = k_period and u.cap <> p_cap) then
    return;
  end if;
  q := '{}'; f := '{}';
  for r in select u.shard, u.quota, u.held + u.spent as used, u.cap from llm_private.usage u
            where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
              and u.period_start = k_period
            order by u.shard for update loop
    q := q || r.quota; f := f || r.used; old_cap := r.cap;
  end loop;
  n := cardinality(q);
  if old_cap = p_cap then
    return;                                            -- another transaction followed it while we waited
  end if;
  if p_cap > old_cap then
    need := p_cap - old_cap;
    -- First back to its use, every shard whose quota a lowered cap left below what it holds and spent: the raise is
    -- headroom only above the use. Spread evenly instead, it gave those shards' shortfall to the others as free quota
    -- that the cap did not have (cap 140 000 after 40 000, 80 000 in use: two holds of 40 000 went through; tenth review).
    for i in 1 .. n loop
      take := least(need, greatest(f[i] - q[i], 0));
      q[i] := q[i] + take; need := need - take;
    end loop;
    -- The rest over every shard (the remainder to shard 0), as a new period is: all on shard 0, a raise left the others
    -- at their old quotas, and a reserve on them could borrow the new headroom only while shard 0 was not locked (7 of
    -- 40 concurrent reserves were refused at 0.06 % of the raised cap; review of 2026-11-26).
    for i in 1 .. n loop
      q[i] := q[i] + need / n + case when i = 1 then need % n else 0 end;
    end loop;
  else
    need := old_cap - p_cap;
    for i in 1 .. n loop                               -- free quota first
      take := least(need, greatest(q[i] - f[i], 0));
      q[i] := q[i] - take; need := need - take;
    end loop;
    for i in 1 .. n loop                               -- then quota in use, down to 0
      exit when need <= 0;
      take := least(need, q[i]);
      q[i] := q[i] - take; need := need - take;
    end loop;
  end if;
  for i in 1 .. n loop
    update llm_private.usage u set quota = q[i], cap = p_cap, limit_id = p_limit_id, next_alert_at = 0
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = i - 1;
  end loop;
end
$$;

ALTER FUNCTION llm_private.usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer, p_cap bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer, p_cap bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer, p_cap bigint) IS 'Creates the shards of a usage row (quotas summing to the cap) and follows a changed cap (raised: spread over every shard; lowered: from free quota first, never below 0). Called by usage_hold and adjustments on their slow path.';

--
-- Name: usage_shard(llm_private.limit_scope, smallint, uuid, uuid); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select case when p_shards <= 1 then 0::pg_catalog.int2
              when p_scope = 'global' then ((pg_catalog.hashtext(p_tenant_id::pg_catalog.text) operator(pg_catalog.&) 2147483647) % p_shards)::pg_catalog.int2
              else ((pg_catalog.hashtext(coalesce(p_user_id, '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid)::pg_catalog.text)
                     operator(pg_catalog.&) 2147483647) % p_shards)::pg_catalog.int2 end
$$;

ALTER FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) OWNER TO llm_owner;

--
-- Name: FUNCTION usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) IS 'The escrow shard a call uses on a shared meter: by tenant for global meters, by user for tenant meters; 0 when unsharded.';

--
-- Name: used_pct(bigint, bigint); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.used_pct(p_used bigint, p_cap bigint) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select case when p_cap operator(pg_catalog.>) 0
              then pg_catalog.round(100.0 operator(pg_catalog.*) p_used operator(pg_catalog./) p_cap, 2)
              when p_cap operator(pg_catalog.=) 0
              then case when p_used operator(pg_catalog.>) 0 then 'Infinity'::pg_catalog.numeric else 0::pg_catalog.numeric end end
$$;

ALTER FUNCTION llm_private.used_pct(p_used bigint, p_cap bigint) OWNER TO llm_owner;

--
-- Name: FUNCTION used_pct(p_used bigint, p_cap bigint); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.used_pct(p_used bigint, p_cap bigint) IS 'The share of a cap used, in % rounded to 0.01: 100 * used / cap; at a cap of 0, Infinity when used is above 0 (over the cap, as the alerts count it) and 0 otherwise; NULL without a cap. Inlined into llm.limit_usage and llm.limit_use_maxima.';

--
-- Name: watched_holds_from(); Type: FUNCTION; Schema: llm_private; Owner: llm_owner
--

CREATE FUNCTION llm_private.watched_holds_from() RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
  select s.swept_until - interval '1 hour' from llm_private.settings s
$$;

ALTER FUNCTION llm_private.watched_holds_from() OWNER TO llm_owner;

--
-- Name: FUNCTION watched_holds_from(); Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON FUNCTION llm_private.watched_holds_from() IS 'The holds the minute''s expiry sweep reads: those expiring after this (its watermark, settings.swept_until, less an hour). llm.expire_holds reads from here; llm.open_hold_counts counts from here.';

--
-- Name: add_request_job(bigint); Type: FUNCTION; Schema: llm_queue; Owner: llm_worker
--

CREATE FUNCTION llm_queue.add_request_job(p_request_pk bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  ctx record;
  r record;
  s record;
  v_job_id bigint;
  v_queued bigint;
begin
  select * into ctx from llm_private.app_context();
  if ctx.tenant_id is null then
    raise exception using errcode = '42501', message = 'no application context',
      hint = 'Call llm.use_context(token) in this transaction first.';
  end if;
  -- Only a request of the caller's own tenant and user, still queued, with no job yet: the wrapper
  -- builds the identifier, payload, key and priority itself, so it can do nothing llm.enqueue_call cannot.
  select q.tenant_id, q.user_id, q.id, q.endpoint, q.state, q.job_id, q.request_id into r
    from llm_private.requests q
   where q.tenant_id = ctx.tenant_id and q.user_id = ctx.user_id and q.id = p_request_pk
   for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
  if r.state <> 'queued' or r.job_id is not null then
    raise exception using errcode = '55000', message = 'request already has a job or is not queued',
      detail = format('request %s is %s, job %s', r.id, r.state, coalesce(r.job_id::text, 'none'));
  end if;
  select x.idempotency_months, x.enqueue_max_attempts, x.queue_share_jobs into s from llm_private.settings x;
  -- The claim key is the tenant's: another user of the tenant holding (request_id, endpoint) in the
  -- idempotency window makes this claim a conflict (the caller cannot see that user's rows).
  if exists (select 1 from llm_private.requests o
              where o.tenant_id = r.tenant_id and o.request_id = r.request_id and o.endpoint = r.endpoint and o.id <> r.id
                and o.user_id <> r.user_id
                and o.id >= (llm_private.month_index(llm_private.now()) - s.idempotency_months + 1)::bigint << 40) then
    raise exception using errcode = 'LG409', message = 'request_id already claimed by another user of the tenant',
      detail = format('tenant %s, endpoint %s, request_id %s', r.tenant_id, r.endpoint, r.request_id),
      hint = 'Use a new request_id.';
  end if;
  -- The tenant's backlog: its requests still queued, or cancelled, among its 4 x queue_share_jobs most recent before this
  -- one (all its users'; this wrapper sees the tenant's claims). Read, never locked. Cancelled ones count: the application
  -- padded the window with claims it cancelled at once, and every real job of its burst ran at priority 0 (ninth review).
  select count(*) filter (where x.state in ('queued', 'cancelled')) into v_queued
    from (select o.state from llm_private.requests o
           where o.tenant_id = r.tenant_id and o.id < r.id
           order by o.id desc limit 4 * s.queue_share_jobs) x;
  select j.id into v_job_id
    from graphile_worker.add_job(r.endpoint::text,
           json_build_object('tenant_id', r.tenant_id, 'user_id', r.user_id, 'request_pk', r.id::text),
           max_attempts => s.enqueue_max_attempts::int,
           job_key => format('llm:%s:%s', r.tenant_id, r.id), job_key_mode => 'unsafe_dedupe',
           priority => (v_queued / s.queue_share_jobs)::int) j;
  update llm_private.requests q set job_id = v_job_id where q.tenant_id = r.tenant_id and q.id = r.id;
  -- The claim's key row (llm_private.lock_claim): deleted in the claim's own transaction, so never seen committed; a
  -- concurrent claim of the key still waits at its primary-key entry until this transaction ends.
  delete from llm_private.claim_mutexes m
   where m.tenant_id = r.tenant_id and m.key_hash = hashtextextended(r.endpoint::text || '/' || r.request_id, 0);
  return v_job_id;
end
$$;

ALTER FUNCTION llm_queue.add_request_job(p_request_pk bigint) OWNER TO llm_worker;

--
-- Name: FUNCTION add_request_job(p_request_pk bigint); Type: COMMENT; Schema: llm_queue; Owner: llm_worker
--

COMMENT ON FUNCTION llm_queue.add_request_job(p_request_pk bigint) IS 'SECURITY DEFINER (owner llm_worker): adds the graphile-worker job of a queued request of the caller''s own signed context, once. The job''s identifier, payload ({tenant_id, user_id, request_pk}), key and priority (the tenant''s queued or cancelled requests among its recent ones ÷ settings.queue_share_jobs, up to 4: a fair share of the queue between tenants) are built here; the claim''s key row (llm_private.claim_mutexes) is deleted. Called by llm.enqueue_call.';

--
-- Name: adjustment_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

CREATE SEQUENCE llm_private.adjustment_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER TABLE llm_private.adjustment_id_seq OWNER TO llm_owner;

--
-- Name: SEQUENCE adjustment_id_seq; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON SEQUENCE llm_private.adjustment_id_seq IS 'Ids of adjustments.';

--
-- Name: adjustments; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.adjustments (
    tenant_id uuid NOT NULL,
    id bigint DEFAULT nextval('llm_private.adjustment_id_seq'::regclass) NOT NULL,
    user_id uuid,
    amount_micros bigint NOT NULL,
    reason text NOT NULL,
    effective_at timestamp with time zone NOT NULL,
    meter_ids smallint[] DEFAULT '{}'::smallint[] NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT adjustments_amount_micros_check CHECK (((amount_micros <> 0) AND (abs(amount_micros) <= '1000000000000'::bigint))),
    CONSTRAINT adjustments_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500)))
)
PARTITION BY RANGE (effective_at);

ALTER TABLE ONLY llm_private.adjustments FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.adjustments OWNER TO llm_owner;

--
-- Name: TABLE adjustments; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.adjustments IS 'Append-only operator credits (negative) and debits (positive) of a tenant''s or user''s spend, with reason, who and when; they flow into usage (every unfiltered micro-USD meter of the subject in the period of effective_at) and into llm.reconciliation_drift.';

--
-- Name: adjustments; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.adjustments WITH (security_invoker='true') AS
 SELECT x.id,
    x.tenant_id,
    x.user_id,
    x.amount_micros,
    x.reason,
    x.effective_at,
    x.created_by,
    x.created_at,
    ( SELECT array_agg(m.name ORDER BY m.id) AS array_agg
           FROM llm_private.meters m
          WHERE (m.id = ANY (x.meter_ids))) AS meters
   FROM llm_private.adjustments x;

ALTER TABLE llm.adjustments OWNER TO llm_owner;

--
-- Name: VIEW adjustments; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.adjustments IS 'Operator credits (negative) and debits (positive), append-only, and the meters they moved.';

--
-- Name: alert_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

CREATE SEQUENCE llm_private.alert_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER TABLE llm_private.alert_id_seq OWNER TO llm_owner;

--
-- Name: SEQUENCE alert_id_seq; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON SEQUENCE llm_private.alert_id_seq IS 'Ids of alerts, in firing order.';

--
-- Name: alerts; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.alerts (
    tenant_id uuid NOT NULL,
    meter_id smallint NOT NULL,
    user_id uuid NOT NULL,
    budget_scope text NOT NULL,
    period_start timestamp with time zone NOT NULL,
    threshold_pct smallint NOT NULL,
    id bigint DEFAULT nextval('llm_private.alert_id_seq'::regclass) NOT NULL,
    limit_id integer NOT NULL,
    used bigint NOT NULL,
    cap bigint NOT NULL,
    fired_at timestamp with time zone NOT NULL
)
PARTITION BY RANGE (period_start);

ALTER TABLE ONLY llm_private.alerts FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.alerts OWNER TO llm_owner;

--
-- Name: TABLE alerts; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.alerts IS 'A limit''s usage crossed one of its alert percentages: recorded once per (limit subject, period, threshold), announced with pg_notify on channel llm_limit_alert.';

--
-- Name: alerts; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.alerts WITH (security_invoker='true') AS
 SELECT x.id,
    x.fired_at,
    NULLIF(x.tenant_id, llm_private.nil_uuid()) AS tenant_id,
    NULLIF(x.user_id, llm_private.nil_uuid()) AS user_id,
    NULLIF(x.budget_scope, ''::text) AS budget_scope,
    x.limit_id,
    m.name AS meter_name,
    (m.unit)::text AS unit,
    x.period_start,
    x.threshold_pct,
    x.used,
    x.cap
   FROM (llm_private.alerts x
     JOIN llm_private.meters m ON ((m.id = x.meter_id)));

ALTER TABLE llm.alerts OWNER TO llm_owner;

--
-- Name: VIEW alerts; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.alerts IS 'Alerts: a limit''s usage crossed one of its percentages (once per subject, period and threshold; also sent with pg_notify on llm_limit_alert).';

--
-- Name: provider_breakers; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.provider_breakers (
    provider text NOT NULL,
    model text NOT NULL,
    state text DEFAULT 'closed'::text NOT NULL,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    open_until timestamp with time zone,
    probe_started_at timestamp with time zone,
    opened_count integer DEFAULT 0 NOT NULL,
    last_failure_at timestamp with time zone,
    last_success_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    streak_tenant_id uuid,
    streak_tenants_many boolean DEFAULT false NOT NULL,
    CONSTRAINT provider_breakers_check CHECK (((state <> 'open'::text) OR (open_until IS NOT NULL))),
    CONSTRAINT provider_breakers_consecutive_failures_check CHECK (((consecutive_failures >= 0) AND (consecutive_failures <= 1000000))),
    CONSTRAINT provider_breakers_opened_count_check CHECK ((opened_count >= 0)),
    CONSTRAINT provider_breakers_state_check CHECK ((state = ANY (ARRAY['closed'::text, 'open'::text, 'half_open'::text])))
);

ALTER TABLE ONLY llm_private.provider_breakers FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.provider_breakers OWNER TO llm_owner;

--
-- Name: TABLE provider_breakers; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.provider_breakers IS 'Circuit breaker per provider+model, shared by every worker. Written only when it changes: a failure, a state change, a probe; a success on a closed breaker writes nothing.';

--
-- Name: COLUMN provider_breakers.streak_tenant_id; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.provider_breakers.streak_tenant_id IS 'The tenant of the first failure of the current streak of consecutive failures (NULL: no streak).';

--
-- Name: COLUMN provider_breakers.streak_tenants_many; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.provider_breakers.streak_tenants_many IS 'Whether a second tenant failed in the current streak: only such a streak opens the breaker (unless settings.breaker_single_tenant_opens).';

--
-- Name: breaker_state; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.breaker_state WITH (security_invoker='true') AS
 SELECT b.provider,
    b.model,
    ((b.provider || ':'::text) || b.model) AS model_ref,
    b.state,
    b.consecutive_failures,
    b.open_until,
    b.probe_started_at,
    b.opened_count,
    b.last_failure_at,
    b.last_success_at,
    b.updated_at
   FROM llm_private.provider_breakers b;

ALTER TABLE llm.breaker_state OWNER TO llm_owner;

--
-- Name: VIEW breaker_state; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.breaker_state IS 'The shared circuit breaker of each provider+model.';

--
-- Name: breaker_transitions; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.breaker_transitions (
    id bigint NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    from_state text NOT NULL,
    to_state text NOT NULL,
    cause text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    consecutive_failures integer NOT NULL,
    open_until timestamp with time zone,
    streak_tenant_id uuid,
    streak_tenants_many boolean NOT NULL,
    call_tenant_id uuid,
    changed_by text NOT NULL,
    CONSTRAINT breaker_transitions_cause_check CHECK ((cause = ANY (ARRAY['failures'::text, 'probe_claimed'::text, 'probe_ok'::text, 'probe_failed'::text, 'probe_failed_same_tenant'::text, 'probe_given_back'::text, 'by_hand'::text, 'other'::text]))),
    CONSTRAINT breaker_transitions_check CHECK ((from_state <> to_state)),
    CONSTRAINT breaker_transitions_check1 CHECK (((to_state = 'open'::text) = (open_until IS NOT NULL))),
    CONSTRAINT breaker_transitions_consecutive_failures_check CHECK (((consecutive_failures >= 0) AND (consecutive_failures <= 1000000))),
    CONSTRAINT breaker_transitions_from_state_check CHECK ((from_state = ANY (ARRAY['closed'::text, 'open'::text, 'half_open'::text]))),
    CONSTRAINT breaker_transitions_to_state_check CHECK ((to_state = ANY (ARRAY['closed'::text, 'open'::text, 'half_open'::text])))
);

ALTER TABLE ONLY llm_private.breaker_transitions FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.breaker_transitions OWNER TO llm_owner;

--
-- Name: TABLE breaker_transitions; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.breaker_transitions IS 'Append-only history of the shared circuit breakers: one row per change of a provider+model breaker''s state, written by provider_breakers'' trigger in the same transaction (never on a healthy call). Kept as long as the ledger (settings.ledger_retention_months), purged by llm.purge_expired. Read through llm.breaker_transitions.';

--
-- Name: COLUMN breaker_transitions.cause; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.breaker_transitions.cause IS 'Why the state changed: failures (closed -> open: the streak reached the threshold), probe_claimed (-> half_open: a reserve claimed the probe), probe_ok (half_open -> closed), probe_failed (half_open -> open, for another cooldown), probe_failed_same_tenant (half_open -> closed: the tenant whose probe failed last failed again; a new streak), probe_given_back (half_open -> open with the cooldown over: the probe''s call made no call or ended without the provider''s word), by_hand (an operator: llm.reset_breaker or a plain UPDATE or INSERT), other (a change the breaker''s functions do not make).';

--
-- Name: COLUMN breaker_transitions.changed_at; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.breaker_transitions.changed_at IS 'When the state changed (llm_private.now(), set by the guard).';

--
-- Name: COLUMN breaker_transitions.consecutive_failures; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.breaker_transitions.consecutive_failures IS 'The breaker''s consecutive failures after the change (0 after a success or a reset).';

--
-- Name: COLUMN breaker_transitions.open_until; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.breaker_transitions.open_until IS 'The end of the cooldown when the change opened the breaker; NULL otherwise.';

--
-- Name: COLUMN breaker_transitions.streak_tenant_id; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.breaker_transitions.streak_tenant_id IS 'The breaker''s streak before the change: for closed -> open, the tenant of the streak''s first failure; for a probe''s outcome, the tenant whose probe failed last before (NULL: opened by a streak of two tenants or more, or no streak).';

--
-- Name: COLUMN breaker_transitions.streak_tenants_many; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.breaker_transitions.streak_tenants_many IS 'Whether a second tenant had failed in that streak before the change.';

--
-- Name: COLUMN breaker_transitions.call_tenant_id; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.breaker_transitions.call_tenant_id IS 'The tenant whose call made the change (the failure that reached the threshold, the reserve that claimed the probe, the probe''s outcome); NULL for a change by hand.';

--
-- Name: COLUMN breaker_transitions.changed_by; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.breaker_transitions.changed_by IS 'The role that made the change (current_user: llm_money for a call, llm_operator by hand), set by the guard.';

--
-- Name: breaker_transitions; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.breaker_transitions WITH (security_invoker='true') AS
 SELECT t.id,
    t.provider,
    t.model,
    ((t.provider || ':'::text) || t.model) AS model_ref,
    t.from_state,
    t.to_state,
    t.cause,
    t.changed_at,
    t.consecutive_failures,
    t.open_until,
    t.streak_tenant_id,
    t.streak_tenants_many,
    t.call_tenant_id,
    t.changed_by
   FROM llm_private.breaker_transitions t;

ALTER TABLE llm.breaker_transitions OWNER TO llm_owner;

--
-- Name: VIEW breaker_transitions; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.breaker_transitions IS 'Every change of state of the shared circuit breakers: from_state -> to_state at changed_at, and why (cause: failures, probe_claimed, probe_ok, probe_failed, probe_failed_same_tenant, probe_given_back, by_hand, other). consecutive_failures and open_until are the breaker''s after the change; streak_tenant_id and streak_tenants_many its streak before it (for closed -> open, the tenant of the streak''s first failure, and whether a second tenant had failed); call_tenant_id the tenant whose call made the change (NULL by hand); changed_by the role (llm_operator for llm.reset_breaker). A healthy call writes none. Why a call was refused or fell back with breaker_open: the last row of its model_ref before the call''s reserved_at. Kept as long as the ledger (llm.purge_expired).';

--
-- Name: budget_scopes; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.budget_scopes (
    tenant_id uuid NOT NULL,
    scope_key text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    first_request_pk bigint NOT NULL,
    last_reserve_month timestamp with time zone NOT NULL,
    first_endpoint llm_private.endpoint,
    first_user_id uuid,
    CONSTRAINT budget_scopes_scope_key_check CHECK (((length(scope_key) >= 1) AND (length(scope_key) <= 200)))
);

ALTER TABLE ONLY llm_private.budget_scopes FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.budget_scopes OWNER TO llm_owner;

--
-- Name: TABLE budget_scopes; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.budget_scopes IS 'A budget scope (e.g. an investigation): the calls of requests that name it share its limits; its clock starts at its first call.';

--
-- Name: COLUMN budget_scopes.last_reserve_month; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.budget_scopes.last_reserve_month IS 'The UTC month of the scope''s latest reserve (set by the reserve trigger only, forward only): retention forgets a scope not reserved in any month it keeps (llm_maint.forget_unused_budget_scopes).';

--
-- Name: COLUMN budget_scopes.first_endpoint; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.budget_scopes.first_endpoint IS 'The endpoint of the scope''s first request (set at its first reserve, never changed): its deadline (llm_private.budget_scope_span) and the meters it shows first. NULL only for a scope started before the column whose first request had left the retention.';

--
-- Name: COLUMN budget_scopes.first_user_id; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.budget_scopes.first_user_id IS 'The user of the scope''s first request (set at its first reserve, never changed): its deadline (llm_private.budget_scope_span). NULL only for a scope started before the column whose first request had left the retention.';

--
-- Name: usage; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.usage (
    tenant_id uuid NOT NULL,
    meter_id smallint NOT NULL,
    user_id uuid NOT NULL,
    budget_scope text NOT NULL,
    period_start timestamp with time zone NOT NULL,
    shard smallint NOT NULL,
    limit_id integer NOT NULL,
    cap bigint NOT NULL,
    quota bigint NOT NULL,
    held bigint DEFAULT 0 NOT NULL,
    spent bigint DEFAULT 0 NOT NULL,
    next_alert_at bigint DEFAULT 0 NOT NULL
)
PARTITION BY RANGE (period_start);

ALTER TABLE ONLY llm_private.usage FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.usage OWNER TO llm_owner;

--
-- Name: TABLE usage; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.usage IS 'Usage counters of the limit engine: held and spent per meter, subject (tenant, user, budget scope; the nil uuid or '''' where the meter does not split by it) and period, per escrow shard. Moved only by the ledger''s triggers, always together with the attempt or adjustment that justifies the change.';

--
-- Name: COLUMN usage.cap; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.usage.cap IS 'The effective cap of the subject''s limit (on every shard; the quotas of the shards sum to it).';

--
-- Name: COLUMN usage.quota; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.usage.quota IS 'This shard''s share of the cap: a hold must fit held + spent + amount <= quota (hard limits).';

--
-- Name: COLUMN usage.spent; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.usage.spent IS 'Charges of settled and expired attempts plus adjustments, in the meter''s unit. Below 0 only when a late settle replaced an expired hold''s full charge that a credit had already returned (a credit itself never takes it below 0).';

--
-- Name: COLUMN usage.next_alert_at; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.usage.next_alert_at IS 'The spent level (on this shard) at which the next alert percentage or shutoff trip must be checked; below it a settle does not look at the limit.';

--
-- Name: limit_usage_rows; Type: VIEW; Schema: llm_private; Owner: llm_owner
--

CREATE VIEW llm_private.limit_usage_rows WITH (security_invoker='true') AS
 WITH clock AS MATERIALIZED (
         SELECT llm_private.now() AS now
        ), recent_scopes AS (
         SELECT DISTINCT r.tenant_id,
            r.budget_scope
           FROM llm_private.requests r
          WHERE ((r.budget_scope IS NOT NULL) AND (r.created_at > ( SELECT (k.now - '24:00:00'::interval)
                   FROM clock k)))
        )
 SELECT lim.limit_id,
    m.name AS meter_name,
    (m.scope)::text AS scope,
    (m."window")::text AS "window",
    (m.unit)::text AS unit,
    NULLIF(u.tenant_id, llm_private.nil_uuid()) AS tenant_id,
    NULLIF(u.user_id, llm_private.nil_uuid()) AS user_id,
    NULLIF(u.budget_scope, ''::text) AS budget_scope,
    u.period_start,
    pe.period_end,
    lim.cap,
    (lim.kind)::text AS kind,
    u.held,
    u.spent,
    llm_private.used_pct((u.held + u.spent), lim.cap) AS used_pct,
    (u.may_be_current AND (u.period_start <= c.now) AND (pe.period_end > c.now) AND ((m.scope <> 'budget_scope'::llm_private.limit_scope) OR ((u.tenant_id, u.budget_scope) IN ( SELECT s.tenant_id,
            s.budget_scope
           FROM recent_scopes s)))) AS current,
    u.tenant_id AS k_tenant,
    u.budget_scope AS k_scope,
    u.meter_id,
    ((u.period_start <= c.now) AND (llm_private.period_end(m."window", u.period_start) > c.now)) AS period_open
   FROM ((((((((clock c
     CROSS JOIN ( SELECT x.tenant_id,
            x.meter_id,
            x.user_id,
            x.budget_scope,
            x.period_start,
            max(x.limit_id) AS limit_id,
            max(x.cap) AS cap,
            (sum(x.held))::bigint AS held,
            (sum(x.spent))::bigint AS spent,
            true AS may_be_current
           FROM llm_private.usage x
          WHERE ((x.period_start >= ( SELECT LEAST(date_trunc('week'::text, k.now, 'UTC'::text), date_trunc('quarter'::text, k.now, 'UTC'::text)) AS "least"
                   FROM clock k)) OR (x.period_start = '-infinity'::timestamp with time zone))
          GROUP BY x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start
        UNION ALL
         SELECT x.tenant_id,
            x.meter_id,
            x.user_id,
            x.budget_scope,
            x.period_start,
            max(x.limit_id) AS max,
            max(x.cap) AS max,
            (sum(x.held))::bigint AS sum,
            (sum(x.spent))::bigint AS sum,
            true
           FROM llm_private.usage x
          WHERE ((x.period_start < ( SELECT LEAST(date_trunc('week'::text, k.now, 'UTC'::text), date_trunc('quarter'::text, k.now, 'UTC'::text)) AS "least"
                   FROM clock k)) AND (x.period_start <> '-infinity'::timestamp with time zone) AND (x.budget_scope <> ''::text) AND ((x.tenant_id, x.budget_scope) IN ( SELECT r.tenant_id,
                    r.budget_scope
                   FROM recent_scopes r)))
          GROUP BY x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start
        UNION ALL
         SELECT x.tenant_id,
            x.meter_id,
            x.user_id,
            x.budget_scope,
            x.period_start,
            max(x.limit_id) AS max,
            max(x.cap) AS max,
            (sum(x.held))::bigint AS sum,
            (sum(x.spent))::bigint AS sum,
            false
           FROM llm_private.usage x
          WHERE ((x.period_start < ( SELECT LEAST(date_trunc('week'::text, k.now, 'UTC'::text), date_trunc('quarter'::text, k.now, 'UTC'::text)) AS "least"
                   FROM clock k)) AND (x.period_start <> '-infinity'::timestamp with time zone) AND (NOT ((x.budget_scope <> ''::text) AND ((x.tenant_id, x.budget_scope) IN ( SELECT r.tenant_id,
                    r.budget_scope
                   FROM recent_scopes r)))))
          GROUP BY x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start) u)
     JOIN llm_private.meters m ON ((m.id = u.meter_id)))
     LEFT JOIN llm_private.limits l ON ((l.id = u.limit_id)))
     LEFT JOIN llm_private.budget_scopes b ON (((m.scope = 'budget_scope'::llm_private.limit_scope) AND (b.tenant_id = u.tenant_id) AND (b.scope_key = u.budget_scope))))
     LEFT JOIN LATERAL ( SELECT b.tenant_id,
            b.first_user_id,
            b.first_endpoint
         LIMIT 1) q0 ON (true))
     LEFT JOIN LATERAL ( SELECT llm_private.budget_scope_span(q0.tenant_id, q0.first_user_id, q0.first_endpoint) AS span
         OFFSET 0) dl ON ((m.scope = 'budget_scope'::llm_private.limit_scope)))
     CROSS JOIN LATERAL ( SELECT llm_private.usage_period_end(m."window", u.period_start, (b.started_at + dl.span)) AS period_end) pe)
     CROSS JOIN LATERAL ( SELECT e.id AS limit_id,
            e.cap,
            e.kind
           FROM (( SELECT) one
             LEFT JOIN llm_private.limits_in_effect(u.meter_id, u.tenant_id, u.user_id, c.now) e(id, meter_id, tenant_id, user_id, cap, kind, action, min_output_tokens, trips_shutoff, alert_pcts, pressure_pct, pressure_model, valid_from, valid_until, note, created_at, created_by, temporary) ON (true))
          WHERE ((u.period_start <= c.now) AND (llm_private.period_end(m."window", u.period_start) > c.now))
        UNION ALL
         SELECT u.limit_id,
            u.cap,
            l.kind
          WHERE (NOT ((u.period_start <= c.now) AND (llm_private.period_end(m."window", u.period_start) > c.now)))) lim);

ALTER TABLE llm_private.limit_usage_rows OWNER TO llm_owner;

--
-- Name: VIEW limit_usage_rows; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON VIEW llm_private.limit_usage_rows IS 'llm.limit_usage with the raw key of each row (k_tenant, k_scope, meter_id), for lookups of one subject (llm.budget_scopes).';

--
-- Name: budget_scopes; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.budget_scopes WITH (security_invoker='true') AS
 SELECT b.tenant_id,
    b.scope_key AS budget_scope,
    (q0.endpoint)::text AS endpoint,
    b.started_at,
    b.last_reserve_month,
    dl.deadline_at,
    COALESCE(cl.used, c.calls, (0)::bigint) AS calls,
    cl.cap AS calls_cap,
    COALESCE(bm.spent, c.spent, (0)::bigint) AS spent_micros,
    COALESCE(bm.held, c.held, (0)::bigint) AS held_micros,
    bm.cap AS cap_micros,
        CASE
            WHEN (dl.deadline_at < llm_private.now()) THEN 'deadline_passed'::text
            WHEN (((bm.cap IS NOT NULL) AND ((bm.spent + bm.held) >= bm.cap)) OR ((cl.cap IS NOT NULL) AND (cl.used >= cl.cap))) THEN 'exhausted'::text
            ELSE 'open'::text
        END AS state
   FROM ((((((((llm_private.budget_scopes b
     CROSS JOIN ( SELECT llm_private.now() AS now) ck)
     LEFT JOIN LATERAL ( SELECT q.endpoint
           FROM llm_private.requests q
          WHERE ((q.tenant_id = b.tenant_id) AND (q.id = b.first_request_pk))
         LIMIT 1) q0 ON (true))
     LEFT JOIN LATERAL ( SELECT b.tenant_id,
            b.first_user_id,
            b.first_endpoint
         LIMIT 1) k ON (true))
     LEFT JOIN LATERAL ( SELECT llm_private.budget_scope_span(k.tenant_id, k.first_user_id, k.first_endpoint) AS span
         OFFSET 0) sp ON (true))
     CROSS JOIN LATERAL ( SELECT (b.started_at + sp.span) AS deadline_at) dl)
     LEFT JOIN LATERAL ( SELECT lu.cap,
            lu.spent,
            lu.held
           FROM ((llm_private.meters m
             CROSS JOIN LATERAL ( SELECT
                        CASE
                            WHEN (m."window" = 'budget_scope'::llm_private.limit_window) THEN b.started_at
                            ELSE llm_private.period_start(m."window", ck.now)
                        END AS start
                 OFFSET 0) ps)
             CROSS JOIN LATERAL ( SELECT x.limit_id,
                    x.meter_name,
                    x.scope,
                    x."window",
                    x.unit,
                    x.tenant_id,
                    x.user_id,
                    x.budget_scope,
                    x.period_start,
                    x.period_end,
                    x.cap,
                    x.kind,
                    x.held,
                    x.spent,
                    x.used_pct,
                    x.current,
                    x.k_tenant,
                    x.k_scope,
                    x.meter_id,
                    x.period_open
                   FROM llm_private.limit_usage_rows x
                  WHERE ((x.k_tenant = b.tenant_id) AND (x.k_scope = b.scope_key) AND (x.meter_id = m.id) AND (x.period_start = ps.start))
                 OFFSET 0) lu)
          WHERE ((m.scope = 'budget_scope'::llm_private.limit_scope) AND (m.unit = 'micros'::llm_private.limit_unit) AND lu.period_open)
          ORDER BY
                CASE
                    WHEN ((m.endpoint IS DISTINCT FROM b.first_endpoint) AND (m.endpoint IS NOT NULL)) THEN 2
                    WHEN (m.provider IS NOT NULL) THEN 1
                    ELSE 0
                END, (lu.cap - (lu.spent + lu.held)), lu.cap
         LIMIT 1) bm ON (true))
     LEFT JOIN LATERAL ( SELECT lu.cap,
            (lu.spent + lu.held) AS used
           FROM ((llm_private.meters m
             CROSS JOIN LATERAL ( SELECT
                        CASE
                            WHEN (m."window" = 'budget_scope'::llm_private.limit_window) THEN b.started_at
                            ELSE llm_private.period_start(m."window", ck.now)
                        END AS start
                 OFFSET 0) ps)
             CROSS JOIN LATERAL ( SELECT x.limit_id,
                    x.meter_name,
                    x.scope,
                    x."window",
                    x.unit,
                    x.tenant_id,
                    x.user_id,
                    x.budget_scope,
                    x.period_start,
                    x.period_end,
                    x.cap,
                    x.kind,
                    x.held,
                    x.spent,
                    x.used_pct,
                    x.current,
                    x.k_tenant,
                    x.k_scope,
                    x.meter_id,
                    x.period_open
                   FROM llm_private.limit_usage_rows x
                  WHERE ((x.k_tenant = b.tenant_id) AND (x.k_scope = b.scope_key) AND (x.meter_id = m.id) AND (x.period_start = ps.start))
                 OFFSET 0) lu)
          WHERE ((m.scope = 'budget_scope'::llm_private.limit_scope) AND (m.unit = 'calls'::llm_private.limit_unit) AND lu.period_open)
          ORDER BY
                CASE
                    WHEN ((m.endpoint IS DISTINCT FROM b.first_endpoint) AND (m.endpoint IS NOT NULL)) THEN 2
                    WHEN (m.provider IS NOT NULL) THEN 1
                    ELSE 0
                END, (lu.cap - (lu.spent + lu.held)), lu.cap
         LIMIT 1) cl ON (true))
     LEFT JOIN LATERAL ( SELECT count(*) FILTER (WHERE ((a.purpose = 'chat'::llm_private.purpose) AND (a.state = ANY (ARRAY['settled'::llm_private.attempt_state, 'expired'::llm_private.attempt_state, 'held'::llm_private.attempt_state])))) AS calls,
            (sum(a.charged_micros))::bigint AS spent,
            (sum(
                CASE
                    WHEN (a.state = 'held'::llm_private.attempt_state) THEN a.held_micros
                    ELSE (0)::bigint
                END))::bigint AS held
           FROM (llm_private.requests q
             JOIN llm_private.attempts a ON (((a.tenant_id = q.tenant_id) AND (a.request_pk = q.id))))
          WHERE ((q.tenant_id = b.tenant_id) AND (q.budget_scope = b.scope_key) AND ((bm.cap IS NULL) OR (cl.cap IS NULL)) AND llm_private.reserved_in_scope(a.reserved_at, b.started_at))) c ON (true));

ALTER TABLE llm.budget_scopes OWNER TO llm_owner;

--
-- Name: VIEW budget_scopes; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.budget_scopes IS 'Budget scopes (investigations): calls, spend and holds as counted on the meters behind their caps (calls_cap: the scope''s calls meter; cap_micros: its micro-USD meter; of several, the one with the least room left among those counting every call of the first request''s endpoint, i.e. the cap the next call meets first; a meter of a clock window, e.g. a cap per day, in its period that contains now), so another endpoint''s calls naming the same scope do not count against them; without such a meter, over all the scope''s calls and retries. deadline_at = the deadline reserve enforces now (llm_private.budget_scope_deadline: the limit applicable to the scope''s first request, user over tenant over everyone, temporary over permanent), counted from the first call. last_reserve_month = the UTC month of its latest reserve: a scope not reserved in any month the ledger retention keeps is forgotten with its usage and alerts (llm_maint.forget_unused_budget_scopes), and a request naming it again starts a new one. endpoint NULL: its first request has left the retention. A list of them: llm.budget_scopes_page (an ORDER BY on state or deadline_at computes every scope first).';

--
-- Name: cache_stats; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.cache_stats WITH (security_invoker='true') AS
 SELECT a.tenant_id,
    (date_trunc('month'::text, (a.reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text) AS month_start,
    count(*) AS hits,
    count(*) FILTER (WHERE (a.reason = 'semantic_hit'::llm_private.reason)) AS semantic_hits,
    (COALESCE(sum(( SELECT c.charged_micros
           FROM llm_private.attempts c
          WHERE ((c.tenant_id = a.tenant_id) AND (c.request_pk = a.cache_source_pk) AND (c.state = 'settled'::llm_private.attempt_state) AND (c.purpose = 'chat'::llm_private.purpose))
          ORDER BY c.attempt_no DESC
         LIMIT 1)), (0)::numeric))::bigint AS saved_micros
   FROM llm_private.attempts a
  WHERE (a.state = 'cached'::llm_private.attempt_state)
  GROUP BY a.tenant_id, ((date_trunc('month'::text, (a.reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text));

ALTER TABLE llm.cache_stats OWNER TO llm_owner;

--
-- Name: VIEW cache_stats; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.cache_stats IS 'Cache hits (exact and semantic) per tenant and month, and the money they saved (what the source calls cost).';

--
-- Name: decision_log; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.decision_log WITH (security_invoker='true') AS
 SELECT c.reserved_at AS decided_at,
    c.tenant_id,
    c.user_id,
    c.request_id,
    c.endpoint,
    c.attempt_no,
    c.purpose,
    c.decision,
    c.reason,
    c.model_ref,
    c.input_tokens_estimate,
        CASE
            WHEN (c.state = 'refused'::text) THEN 0
            ELSE c.max_output_tokens
        END AS granted_max_output_tokens,
    c.worst_case_micros,
    c.limit_id,
    COALESCE((m.scope)::text,
        CASE
            WHEN ((c.limit_id IS NULL) AND (c.limit_cap IS NOT NULL)) THEN 'request'::text
            ELSE NULL::text
        END) AS limit_scope,
    COALESCE((m."window")::text,
        CASE
            WHEN ((c.limit_id IS NULL) AND (c.limit_cap IS NOT NULL)) THEN 'request'::text
            ELSE NULL::text
        END) AS limit_window,
    c.limit_cap,
    c.limit_used,
    c.meters,
    c.limit_unit,
    c.limit_asked,
        CASE
            WHEN (c.state = 'refused'::text) THEN c.max_output_tokens
            ELSE NULL::integer
        END AS asked_max_output_tokens,
    w.id AS shutoff_window_id
   FROM (((llm.calls c
     LEFT JOIN llm_private.limits li ON ((li.id = c.limit_id)))
     LEFT JOIN llm_private.meters m ON ((m.id = li.meter_id)))
     LEFT JOIN LATERAL ( SELECT x.id
           FROM llm_private.shutoff_windows x
          WHERE ((c.reason = 'shutoff'::text) AND (x.starts_at <= c.reserved_at) AND (x.ends_at > c.reserved_at) AND ((x.cancelled_at IS NULL) OR (x.cancelled_at >= c.reserved_at)) AND ((x.tenant_id IS NULL) OR ((x.tenant_id = c.tenant_id) AND ((x.user_id IS NULL) OR (x.user_id = c.user_id)))))
          ORDER BY x.starts_at, x.id
         LIMIT 1) w ON (true));

ALTER TABLE llm.decision_log OWNER TO llm_owner;

--
-- Name: VIEW decision_log; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.decision_log IS 'Every reserve decision with the limit that decided (id, scope, window, unit; the payload''s cost ceiling is scope and window request, unit micros) and the figures it compared: limit_used + limit_asked against limit_cap, in limit_unit (a refusal: limit_asked is the worst case in micros, the input estimate + asked_max_output_tokens in tokens, the input estimate in input_tokens, asked_max_output_tokens in output_tokens, 1 call; over limit_cap). A call allowed as asked (allow / ok) names the tightest hard limit it fitted (least room left after its hold, in calls like it; llm.calls) with what it had used then and what the call asked of it: limit_used + limit_asked <= limit_cap, why it was allowed (on an escrow-sharded meter limit_used is the call''s shard''s, compared with that shard''s share of the cap); NULL when no hard limit applied. worst_case_micros = what the call held, or for a refusal what it would have held at asked_max_output_tokens (a refusal''s max output asked, 0 when no model was chosen; NULL for an admitted call, whose granted_max_output_tokens is what it held for; a refusal grants 0); meters = the meters an admitted call was held on (every limit it fitted; what the others had used at that moment is not recorded, llm.limit_usage has their figures now); shutoff_window_id = for a shutoff refusal, the window in force then (llm.shutoff_windows: kind, reason, who).';

--
-- Name: call_outputs; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.call_outputs (
    tenant_id uuid NOT NULL,
    request_pk bigint NOT NULL,
    attempt_no smallint NOT NULL,
    user_id uuid NOT NULL,
    output text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT call_outputs_output_check CHECK ((octet_length(output) <= 1048576))
);

ALTER TABLE ONLY llm_private.call_outputs FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.call_outputs OWNER TO llm_owner;

--
-- Name: TABLE call_outputs; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.call_outputs IS 'Final outputs of settled (or cache-served) calls, never the reasoning; kept for output_retention_ms. The prompt is in request_inputs.';

--
-- Name: models; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.models (
    provider text NOT NULL,
    model text NOT NULL,
    kind text DEFAULT 'chat'::text NOT NULL,
    max_output_tokens integer NOT NULL,
    token_parameter text DEFAULT 'max_tokens'::text NOT NULL,
    training_allowed boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT models_kind_check CHECK ((kind = ANY (ARRAY['chat'::text, 'embedding'::text]))),
    CONSTRAINT models_max_output_tokens_check CHECK (((max_output_tokens >= 1) AND (max_output_tokens <= 1000000))),
    CONSTRAINT models_model_check CHECK ((((length(model) >= 1) AND (length(model) <= 200)) AND (model !~ '[\s\x01-\x1f]'::text))),
    CONSTRAINT models_provider_check CHECK ((provider ~ '^[a-z0-9_-]{1,40}$'::text)),
    CONSTRAINT models_token_parameter_check CHECK ((token_parameter = ANY (ARRAY['max_tokens'::text, 'max_completion_tokens'::text])))
);

ALTER TABLE ONLY llm_private.models FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.models OWNER TO llm_owner;

--
-- Name: TABLE models; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.models IS 'Models we may call, per provider. A model without a price in effect is refused (unknown_model).';

--
-- Name: COLUMN models.token_parameter; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.models.token_parameter IS 'The request parameter the model takes for its output limit (o-series and gpt-5 take max_completion_tokens).';

--
-- Name: COLUMN models.training_allowed; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.models.training_allowed IS 'The model''s terms allow using its outputs for training (distillation gate).';

--
-- Name: reasoning_traces; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.reasoning_traces (
    tenant_id uuid NOT NULL,
    request_pk bigint NOT NULL,
    attempt_no smallint NOT NULL,
    user_id uuid NOT NULL,
    trace text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT reasoning_traces_trace_check CHECK ((octet_length(trace) <= 1048576))
);

ALTER TABLE ONLY llm_private.reasoning_traces FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.reasoning_traces OWNER TO llm_owner;

--
-- Name: TABLE reasoning_traces; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.reasoning_traces IS 'Provider reasoning kept apart from final output: own RLS, shorter retention, never cached, exported only where the tenant allows traces.';

--
-- Name: request_inputs; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.request_inputs (
    tenant_id uuid NOT NULL,
    request_pk bigint NOT NULL,
    user_id uuid NOT NULL,
    model_ref text NOT NULL,
    messages jsonb NOT NULL,
    max_output_tokens integer NOT NULL,
    response_format text DEFAULT 'text'::text NOT NULL,
    source_watermark text,
    correlation_id text,
    cost_ceiling_micros bigint,
    cache_key text,
    system_hash text NOT NULL,
    input_tokens_floor integer,
    CONSTRAINT request_inputs_cache_key_check CHECK ((length(cache_key) = 64)),
    CONSTRAINT request_inputs_correlation_id_check CHECK (((length(correlation_id) >= 1) AND (length(correlation_id) <= 200))),
    CONSTRAINT request_inputs_cost_ceiling_micros_check CHECK (((cost_ceiling_micros >= 0) AND (cost_ceiling_micros <= '1000000000000'::bigint))),
    CONSTRAINT request_inputs_max_output_tokens_check CHECK (((max_output_tokens >= 1) AND (max_output_tokens <= 100000))),
    CONSTRAINT request_inputs_messages_check CHECK (((jsonb_typeof(messages) = 'array'::text) AND (octet_length((messages)::text) <= 1048576))),
    CONSTRAINT request_inputs_model_ref_check CHECK ((model_ref ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'::text)),
    CONSTRAINT request_inputs_response_format_check CHECK ((response_format = ANY (ARRAY['text'::text, 'json'::text]))),
    CONSTRAINT request_inputs_source_watermark_check CHECK (((length(source_watermark) >= 1) AND (length(source_watermark) <= 200))),
    CONSTRAINT request_inputs_system_hash_check CHECK ((length(system_hash) = 64))
)
PARTITION BY RANGE (request_pk);

ALTER TABLE ONLY llm_private.request_inputs FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.request_inputs OWNER TO llm_owner;

--
-- Name: TABLE request_inputs; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.request_inputs IS 'What a request asks for (messages and parameters), written once at enqueue; the worker reads it from here, never from a job payload. Dropped with its month.';

--
-- Name: COLUMN request_inputs.cache_key; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.request_inputs.cache_key IS 'sha256 of the normalized request and its source watermark (NULL without a watermark: not cached).';

--
-- Name: COLUMN request_inputs.system_hash; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.request_inputs.system_hash IS 'sha256 of the system messages: a cache entry never answers a request with another system prompt.';

--
-- Name: COLUMN request_inputs.input_tokens_floor; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.request_inputs.input_tokens_floor IS 'llm_private.input_tokens_floor(messages), set by the inputs'' derive trigger whatever the writer gives: the least input estimate a chat reserve of this request holds for. NULL for inputs written before migration 000039.';

--
-- Name: tenants; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.tenants (
    id uuid NOT NULL,
    name text NOT NULL,
    distillation_opt_in boolean DEFAULT false NOT NULL,
    traces_distillable boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    lock_salt bigint DEFAULT ((random() * ('9000000000000000000'::numeric)::double precision))::bigint NOT NULL,
    CONSTRAINT tenants_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

ALTER TABLE ONLY llm_private.tenants FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.tenants OWNER TO llm_owner;

--
-- Name: TABLE tenants; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.tenants IS 'Tenants. Their caps are limits (llm_private.limits), not columns.';

--
-- Name: COLUMN tenants.distillation_opt_in; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.tenants.distillation_opt_in IS 'The tenant allows its final outputs to be used for distillation.';

--
-- Name: COLUMN tenants.traces_distillable; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.tenants.traces_distillable IS 'The tenant also allows reasoning traces to be used for distillation.';

--
-- Name: COLUMN tenants.lock_salt; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.tenants.lock_salt IS 'The seed of this tenant''s advisory lock keys (claims, cache fills): random, visible only in the tenant''s own context, so another tenant cannot take them.';

--
-- Name: distillation_export; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.distillation_export WITH (security_invoker='true') AS
 SELECT o.tenant_id,
    o.request_pk,
    o.attempt_no,
    ((pr.provider || ':'::text) || pr.model) AS model_ref,
    i.messages,
    o.output,
    tr.trace AS reasoning_trace,
    o.created_at
   FROM ((((((llm_private.call_outputs o
     JOIN llm_private.attempts a ON (((a.tenant_id = o.tenant_id) AND (a.request_pk = o.request_pk) AND (a.attempt_no = o.attempt_no) AND a.distillation_eligible)))
     JOIN llm_private.request_inputs i ON (((i.tenant_id = o.tenant_id) AND (i.request_pk = o.request_pk))))
     JOIN llm_private.tenants t ON (((t.id = o.tenant_id) AND t.distillation_opt_in)))
     JOIN llm_private.model_prices pr ON ((pr.id = a.price_id)))
     JOIN llm_private.models md ON (((md.provider = pr.provider) AND (md.model = pr.model) AND md.training_allowed)))
     LEFT JOIN llm_private.reasoning_traces tr ON (((tr.tenant_id = o.tenant_id) AND (tr.request_pk = o.request_pk) AND (tr.attempt_no = o.attempt_no) AND t.traces_distillable)));

ALTER TABLE llm.distillation_export OWNER TO llm_owner;

--
-- Name: VIEW distillation_export; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.distillation_export IS 'What the training pipeline may read: eligible calls only (prompt and final output), while their tenant still consents and their model''s terms still allow training; the reasoning trace only where the tenant separately allowed traces. Readable by llm_exporter (which can read nothing else) and llm_auditor.';

--
-- Name: endpoint_settings; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.endpoint_settings (
    tenant_id uuid,
    endpoint llm_private.endpoint NOT NULL,
    cache_shared boolean DEFAULT false NOT NULL,
    semantic_threshold real,
    embedding_model text,
    CONSTRAINT endpoint_settings_embedding_model_check CHECK ((embedding_model ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'::text)),
    CONSTRAINT endpoint_settings_semantic_threshold_check CHECK (((semantic_threshold > (0)::double precision) AND (semantic_threshold <= (1)::double precision)))
);

ALTER TABLE ONLY llm_private.endpoint_settings REPLICA IDENTITY FULL;

ALTER TABLE ONLY llm_private.endpoint_settings FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.endpoint_settings OWNER TO llm_owner;

--
-- Name: TABLE endpoint_settings; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.endpoint_settings IS 'Cache behaviour per endpoint: a row with tenant_id NULL is the default, a tenant row overrides it.';

--
-- Name: COLUMN endpoint_settings.cache_shared; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.endpoint_settings.cache_shared IS 'Cache entries are shared by every user of the tenant (else each user has their own).';

--
-- Name: COLUMN endpoint_settings.semantic_threshold; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.endpoint_settings.semantic_threshold IS 'Cosine similarity at or above which a semantic cache entry is served; NULL = no semantic cache.';

--
-- Name: COLUMN endpoint_settings.embedding_model; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.endpoint_settings.embedding_model IS 'provider:model of the embedding model for the semantic cache.';

--
-- Name: endpoint_cache_settings; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.endpoint_cache_settings WITH (security_invoker='true') AS
 SELECT s.tenant_id,
    (s.endpoint)::text AS endpoint,
    s.cache_shared,
    s.semantic_threshold,
    s.embedding_model,
    ((s.semantic_threshold IS NOT NULL) AND (s.embedding_model IS NOT NULL)) AS semantic_cache_on
   FROM llm_private.endpoint_settings s;

ALTER TABLE llm.endpoint_cache_settings OWNER TO llm_owner;

--
-- Name: VIEW endpoint_cache_settings; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.endpoint_cache_settings IS 'The cache settings of each endpoint (tenant_id NULL: the default for every tenant; a tenant''s row overrides it): whether the tenant''s users share the cache, and the semantic threshold and embedding model (set by llm.set_endpoint_cache; npm run sync-config writes the defaults from the config file).';

--
-- Name: erasures; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.erasures (
    tenant_id uuid NOT NULL,
    id bigint NOT NULL,
    user_id uuid,
    reason text NOT NULL,
    inputs bigint DEFAULT 0 NOT NULL,
    outputs bigint DEFAULT 0 NOT NULL,
    traces bigint DEFAULT 0 NOT NULL,
    cache_entries bigint DEFAULT 0 NOT NULL,
    cache_fills bigint DEFAULT 0 NOT NULL,
    erased_at timestamp with time zone NOT NULL,
    erased_by text NOT NULL,
    CONSTRAINT erasures_cache_entries_check CHECK ((cache_entries >= 0)),
    CONSTRAINT erasures_cache_fills_check CHECK ((cache_fills >= 0)),
    CONSTRAINT erasures_inputs_check CHECK ((inputs >= 0)),
    CONSTRAINT erasures_outputs_check CHECK ((outputs >= 0)),
    CONSTRAINT erasures_reason_check CHECK (((length(btrim(reason)) >= 1) AND (length(btrim(reason)) <= 500))),
    CONSTRAINT erasures_traces_check CHECK ((traces >= 0))
);

ALTER TABLE ONLY llm_private.erasures FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.erasures OWNER TO llm_owner;

--
-- Name: TABLE erasures; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.erasures IS 'Append-only: each erasure of stored content (llm.erase_content): the tenant, the user (NULL: every user of the tenant), why, how many prompts (request_inputs), final outputs, reasoning traces, cache entries and cache fill claims it deleted, when and who. Inserting a row is the erasure (its trigger deletes and counts); never updated or deleted.';

--
-- Name: erasures; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.erasures WITH (security_invoker='true') AS
 SELECT e.id,
    e.tenant_id,
    e.user_id,
    e.reason,
    e.inputs,
    e.outputs,
    e.traces,
    e.cache_entries,
    e.cache_fills,
    e.erased_at,
    e.erased_by
   FROM llm_private.erasures e;

ALTER TABLE llm.erasures OWNER TO llm_owner;

--
-- Name: VIEW erasures; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.erasures IS 'Every erasure of stored content (llm.erase_content): the tenant, the user (NULL: the whole tenant), why, how many prompts, outputs, traces, cache entries and fill claims it deleted, when and by whom (operator, auditor, viewer).';

--
-- Name: final_outputs; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.final_outputs WITH (security_invoker='true') AS
 SELECT q.tenant_id,
    q.user_id,
    q.request_id,
    (q.endpoint)::text AS endpoint,
    o.request_pk,
    o.attempt_no,
    ((pr.provider || ':'::text) || pr.model) AS model_ref,
    i.messages,
    o.output,
    a.output_valid,
    a.pii_flagged,
    a.distillation_eligible,
    (a.distillation_reason)::text AS distillation_reason,
    o.created_at,
    o.expires_at
   FROM ((((llm_private.call_outputs o
     JOIN llm_private.attempts a ON (((a.tenant_id = o.tenant_id) AND (a.request_pk = o.request_pk) AND (a.attempt_no = o.attempt_no))))
     JOIN llm_private.requests q ON (((q.tenant_id = o.tenant_id) AND (q.id = o.request_pk))))
     LEFT JOIN llm_private.request_inputs i ON (((i.tenant_id = o.tenant_id) AND (i.request_pk = o.request_pk))))
     LEFT JOIN llm_private.model_prices pr ON ((pr.id = a.price_id)));

ALTER TABLE llm.final_outputs OWNER TO llm_owner;

--
-- Name: VIEW final_outputs; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.final_outputs IS 'Final outputs (and their prompts) of settled calls with their distillation decision. Reasoning traces are not here: they live apart.';

--
-- Name: hourly_spend; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.hourly_spend WITH (security_invoker='true') AS
 WITH ledger AS (
         SELECT (date_trunc('hour'::text, (a.reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text) AS hour_start,
            a.tenant_id,
            a.charged_micros,
            (0)::bigint AS adjusted_micros,
            ((a.state = ANY (ARRAY['settled'::llm_private.attempt_state, 'expired'::llm_private.attempt_state])))::integer AS call
           FROM llm_private.attempts a
        UNION ALL
         SELECT (date_trunc('hour'::text, (x.effective_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text) AS timezone,
            x.tenant_id,
            0,
            x.amount_micros,
            0
           FROM llm_private.adjustments x
        )
 SELECT l.hour_start,
    l.tenant_id,
    (sum((l.charged_micros + l.adjusted_micros)))::bigint AS spent_micros,
    sum(l.call) AS calls,
    (sum(l.adjusted_micros))::bigint AS adjusted_micros
   FROM ledger l
  GROUP BY l.hour_start, l.tenant_id;

ALTER TABLE llm.hourly_spend OWNER TO llm_owner;

--
-- Name: VIEW hourly_spend; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.hourly_spend IS 'Spend and provider calls per tenant per clock hour (UTC). spent_micros = charges of the calls reserved in the hour + adjustments effective in it (what an hourly meter counts); adjusted_micros = the adjustments'' part; calls = attempts settled or expired.';

--
-- Name: limit_usage; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.limit_usage WITH (security_invoker='true') AS
 SELECT r.limit_id,
    r.meter_name,
    r.scope,
    r."window",
    r.unit,
    r.tenant_id,
    r.user_id,
    r.budget_scope,
    r.period_start,
    r.period_end,
    r.cap,
    r.kind,
    r.held,
    r.spent,
    r.used_pct,
    r.current
   FROM llm_private.limit_usage_rows r;

ALTER TABLE llm.limit_usage OWNER TO llm_owner;

--
-- Name: VIEW limit_usage; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.limit_usage IS 'Usage against each limit, per subject (tenant, user, budget scope) and period, summed over escrow shards. used_pct = 100 * (held + spent) / cap, rounded to 0.01; at a cap of 0, Infinity when anything is held or spent (over the cap, as the alerts count a cap of 0) and 0 when nothing is. limit_id, cap, kind and used_pct: in a period that contains now, the limit in effect now for the subject (llm_private.limit_in_effect: user over tenant over everyone, temporary over permanent, newest; NULL when none applies any more), which the next reserve applies; in a past period, the limit its usage was last held under. period_end of a budget scope = its deadline (llm.budget_scopes.deadline_at; infinity without one) for its life (window budget_scope), and for a clock window (a budget-scope meter per day, per hour, ...) the period''s end or the deadline, whichever comes first. current = the period contains now; a budget scope''s only until its deadline and while a request of it was enqueued in the last 24 hours (an idle or finished scope is not current).';

--
-- Name: limits; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.limits WITH (security_invoker='true') AS
 SELECT l.id AS limit_id,
    m.name AS meter_name,
    (m.scope)::text AS scope,
    (m."window")::text AS "window",
    (m.unit)::text AS unit,
    m.tenant_id AS meter_tenant_id,
    m.provider,
    m.model,
    (m.endpoint)::text AS endpoint,
    m.shards,
    l.tenant_id,
    l.user_id,
    l.cap,
    (l.kind)::text AS kind,
    (l.action)::text AS action,
    l.min_output_tokens,
    l.trips_shutoff,
    l.alert_pcts,
    l.pressure_pct,
    l.pressure_model,
    l.valid_from,
    l.valid_until,
    l.temporary,
    ((l.valid_from <= llm_private.now()) AND (l.valid_until > llm_private.now()) AND ((m.disabled_at IS NULL) OR (m.disabled_at > llm_private.now())) AND (NOT (EXISTS ( SELECT 1
           FROM llm_private.limits x
          WHERE ((x.meter_id = l.meter_id) AND (x.id <> l.id) AND (NOT (x.tenant_id IS DISTINCT FROM l.tenant_id)) AND (NOT (x.user_id IS DISTINCT FROM l.user_id)) AND (x.valid_from <= llm_private.now()) AND (x.valid_until > llm_private.now()) AND (ROW(x.temporary,
                CASE
                    WHEN x.temporary THEN '-infinity'::timestamp with time zone
                    ELSE x.valid_from
                END, x.id) > ROW(l.temporary,
                CASE
                    WHEN l.temporary THEN '-infinity'::timestamp with time zone
                    ELSE l.valid_from
                END, l.id))))))) AS in_effect,
    l.note,
    l.created_at,
    l.created_by
   FROM (llm_private.limits l
     JOIN llm_private.meters m ON ((m.id = l.meter_id)));

ALTER TABLE llm.limits OWNER TO llm_owner;

--
-- Name: VIEW limits; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.limits IS 'Every limit row with its meter: who it caps, by how much, how, and whether it is in effect now: valid now, its meter enabled, and not overridden for the same subject (tenant, user) by a temporary limit of the meter, or a newer temporary one, or a permanent one that started later; temporary: set with an end of its own. A tenant''s or user''s own limit overrides everyone''s only for that subject: everyone''s stays in effect for the others.';

--
-- Name: model_fallbacks; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.model_fallbacks (
    provider text NOT NULL,
    model text NOT NULL,
    "position" smallint NOT NULL,
    fallback_provider text NOT NULL,
    fallback_model text NOT NULL,
    CONSTRAINT model_fallbacks_check CHECK (((provider <> fallback_provider) OR (model <> fallback_model))),
    CONSTRAINT model_fallbacks_position_check CHECK ((("position" >= 1) AND ("position" <= 10)))
);

ALTER TABLE ONLY llm_private.model_fallbacks FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.model_fallbacks OWNER TO llm_owner;

--
-- Name: TABLE model_fallbacks; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.model_fallbacks IS 'The ordered fallback chain of a model: cheaper or healthier models reserve may choose instead.';

--
-- Name: model_catalog; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.model_catalog WITH (security_invoker='true') AS
 SELECT m.provider,
    m.model,
    ((m.provider || ':'::text) || m.model) AS model_ref,
    m.kind,
    m.max_output_tokens,
    m.token_parameter,
    m.training_allowed,
    p.input_per_mtok_micros,
    p.cached_input_per_mtok_micros,
    p.output_per_mtok_micros,
    p.effective_from AS price_effective_from,
    COALESCE(( SELECT array_agg(((f.fallback_provider || ':'::text) || f.fallback_model) ORDER BY f."position") AS array_agg
           FROM llm_private.model_fallbacks f
          WHERE ((f.provider = m.provider) AND (f.model = m.model))), '{}'::text[]) AS fallbacks
   FROM (llm_private.models m
     LEFT JOIN LATERAL ( SELECT x.id,
            x.provider,
            x.model,
            x.effective_from,
            x.input_per_mtok_micros,
            x.cached_input_per_mtok_micros,
            x.output_per_mtok_micros,
            x.created_at,
            x.created_by
           FROM llm_private.model_prices x
          WHERE ((x.provider = m.provider) AND (x.model = m.model) AND (x.effective_from <= llm_private.now()))
          ORDER BY x.effective_from DESC
         LIMIT 1) p ON (true));

ALTER TABLE llm.model_catalog OWNER TO llm_owner;

--
-- Name: VIEW model_catalog; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.model_catalog IS 'Every model with its price in effect (NULL: not callable, unknown_model) and fallback chain.';

--
-- Name: month_closes; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.month_closes (
    month_start timestamp with time zone NOT NULL,
    closed_at timestamp with time zone NOT NULL,
    closed_by text NOT NULL,
    reason text NOT NULL,
    CONSTRAINT month_closes_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500)))
);

ALTER TABLE ONLY llm_private.month_closes FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.month_closes OWNER TO llm_owner;

--
-- Name: TABLE month_closes; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.month_closes IS 'Append-only: the months an operator closed (llm.close_month), each with when, who and why. The newest closes every month up to its end: an adjustment dated before that is refused (LG001).';

--
-- Name: month_closes; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.month_closes WITH (security_invoker='true') AS
 SELECT c.month_start,
    llm_private.month_start((llm_private.month_index(c.month_start) + 1)) AS closes_through,
    c.closed_at,
    c.closed_by,
    c.reason,
    ( SELECT count(*) AS count
           FROM llm_private.attempts a
          WHERE ((a.reserved_at < llm_private.month_start((llm_private.month_index(c.month_start) + 1))) AND (a.reserved_at >= COALESCE(( SELECT llm_private.month_start((llm_private.month_index(max(p.month_start)) + 1)) AS month_start
                   FROM llm_private.month_closes p
                  WHERE (p.month_start < c.month_start)), '-infinity'::timestamp with time zone)) AND (a.ended_at >= c.closed_at))) AS late_settles_after
   FROM llm_private.month_closes c;

ALTER TABLE llm.month_closes OWNER TO llm_owner;

--
-- Name: VIEW month_closes; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.month_closes IS 'The closed months (llm.close_month): each close closes every month before closes_through, with when, who and why. late_settles_after: attempts reserved in the months it closed (since the previous close) that ended after it: late settles (no hold was open at the close), the only way a closed month''s figures still change (llm.calls where late: the real cost replaced the full charge of an expired hold).';

--
-- Name: monthly_spend; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.monthly_spend WITH (security_invoker='true') AS
 WITH clock AS MATERIALIZED (
         SELECT llm_private.now() AS now
        ), ledger AS NOT MATERIALIZED (
         SELECT (date_trunc('month'::text, (a.reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text) AS month_start,
            a.tenant_id,
            a.user_id,
            a.charged_micros,
                CASE
                    WHEN (a.state = 'held'::llm_private.attempt_state) THEN a.held_micros
                    ELSE (0)::bigint
                END AS held_micros,
            (0)::bigint AS adjusted_micros
           FROM llm_private.attempts a
        UNION ALL
         SELECT (date_trunc('month'::text, (x.effective_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text) AS timezone,
            x.tenant_id,
            x.user_id,
            0,
            0,
            x.amount_micros
           FROM llm_private.adjustments x
        ), by_user AS NOT MATERIALIZED (
         SELECT l.month_start,
            l.tenant_id,
            l.user_id,
            sum((l.charged_micros + l.adjusted_micros)) AS spent_micros,
            sum(l.held_micros) AS held_micros,
            sum(l.adjusted_micros) AS adjusted_micros
           FROM ledger l
          GROUP BY l.month_start, l.tenant_id, l.user_id
        ), spend AS (
         SELECT g.month_start,
            g.tenant_id,
            v.user_id,
            (sum(g.spent_micros))::bigint AS spent_micros,
            (sum(g.held_micros))::bigint AS held_micros,
            (sum(g.adjusted_micros))::bigint AS adjusted_micros
           FROM (by_user g
             CROSS JOIN LATERAL ( VALUES (g.user_id,false), (NULL::uuid,true)) v(user_id, total))
          WHERE (v.total OR (v.user_id IS NOT NULL))
          GROUP BY g.month_start, g.tenant_id, v.user_id
        )
 SELECT s.month_start,
    s.tenant_id,
    s.user_id,
    s.spent_micros,
    s.held_micros,
    c.cap_micros,
    s.adjusted_micros
   FROM (((clock k
     CROSS JOIN spend s)
     LEFT JOIN llm_private.meters m ON (((m.name =
        CASE
            WHEN (s.user_id IS NULL) THEN 'tenant_monthly'::text
            ELSE 'user_monthly'::text
        END) AND (m.unit = 'micros'::llm_private.limit_unit) AND (m."window" = 'month'::llm_private.limit_window))))
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN ((s.month_start <= k.now) AND (llm_private.period_end('month'::llm_private.limit_window, s.month_start) > k.now)) THEN ( SELECT e.cap
                       FROM llm_private.limits_in_effect(m.id, s.tenant_id, COALESCE(s.user_id, llm_private.nil_uuid()), k.now) e(id, meter_id, tenant_id, user_id, cap, kind, action, min_output_tokens, trips_shutoff, alert_pcts, pressure_pct, pressure_model, valid_from, valid_until, note, created_at, created_by, temporary)
                      WHERE (EXISTS ( SELECT 1
                               FROM llm_private.usage x
                              WHERE ((x.tenant_id = s.tenant_id) AND (x.meter_id = m.id) AND (x.user_id = COALESCE(s.user_id, llm_private.nil_uuid())) AND (x.budget_scope = ''::text) AND (x.period_start = s.month_start)))))
                    ELSE ( SELECT max(x.cap) AS max
                       FROM llm_private.usage x
                      WHERE ((x.tenant_id = s.tenant_id) AND (x.meter_id = m.id) AND (x.user_id = COALESCE(s.user_id, llm_private.nil_uuid())) AND (x.budget_scope = ''::text) AND (x.period_start = s.month_start)))
                END AS cap_micros) c);

ALTER TABLE llm.monthly_spend OWNER TO llm_owner;

--
-- Name: VIEW monthly_spend; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.monthly_spend IS 'Spend and open holds per tenant (user_id NULL: the tenant''s total) and user per calendar month (UTC), from the ledger, with the monthly cap in effect (tenant_monthly, user_monthly). spent_micros = charges of the month''s calls + adjustments effective in the month (what the monthly meters count, and reserve compares with the cap); adjusted_micros = the adjustments'' part of it (a credit is negative; a tenant''s own adjustments count in its total only). held_micros = the worst cases of the month''s open holds (llm.open_holds; the monthly meters also hold 1 micro-USD for each open call whose worst case is 0, the least charge: llm.limit_usage).';

--
-- Name: my_usage; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.my_usage WITH (security_invoker='true') AS
 WITH clock AS MATERIALIZED (
         SELECT llm_private.now() AS now
        )
 SELECT m.name AS meter_name,
    (m.scope)::text AS scope,
    (m."window")::text AS "window",
    (m.unit)::text AS unit,
    NULLIF(u.user_id, llm_private.nil_uuid()) AS user_id,
    NULLIF(u.budget_scope, ''::text) AS budget_scope,
    u.period_start,
    llm_private.usage_period_end(m."window", u.period_start, (b.started_at + dl.span)) AS period_end,
        CASE
            WHEN ((u.period_start <= c.now) AND (llm_private.period_end(m."window", u.period_start) > c.now)) THEN lim.cap
            ELSE u.cap
        END AS cap,
    u.held,
    u.spent
   FROM (((((((clock c
     CROSS JOIN ( SELECT x.tenant_id,
            x.meter_id,
            x.user_id,
            x.budget_scope,
            x.period_start,
            max(x.cap) AS cap,
            (sum(x.held))::bigint AS held,
            (sum(x.spent))::bigint AS spent
           FROM llm_private.usage x
          WHERE (x.tenant_id <> llm_private.nil_uuid())
          GROUP BY x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start) u)
     JOIN llm_private.meters m ON ((m.id = u.meter_id)))
     LEFT JOIN LATERAL ( SELECT u.meter_id,
            u.tenant_id,
            u.user_id
         LIMIT 1) k ON (true))
     LEFT JOIN LATERAL ( SELECT e.cap
           FROM llm_private.limits_in_effect(k.meter_id, k.tenant_id, k.user_id, c.now) e(id, meter_id, tenant_id, user_id, cap, kind, action, min_output_tokens, trips_shutoff, alert_pcts, pressure_pct, pressure_model, valid_from, valid_until, note, created_at, created_by, temporary)
         OFFSET 0) lim ON (true))
     LEFT JOIN llm_private.budget_scopes b ON (((m.scope = 'budget_scope'::llm_private.limit_scope) AND (b.tenant_id = u.tenant_id) AND (b.scope_key = u.budget_scope))))
     LEFT JOIN LATERAL ( SELECT b.tenant_id,
            b.first_user_id,
            b.first_endpoint
         LIMIT 1) q0 ON (true))
     LEFT JOIN LATERAL ( SELECT llm_private.budget_scope_span(q0.tenant_id, q0.first_user_id, q0.first_endpoint) AS span
         OFFSET 0) dl ON ((m.scope = 'budget_scope'::llm_private.limit_scope)));

ALTER TABLE llm.my_usage OWNER TO llm_owner;

--
-- Name: VIEW my_usage; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.my_usage IS 'For the application: its user''s usage and its tenant''s (and budget scopes'') against their caps, per meter and period. period_end: the clock period''s end; for a budget scope its user started, its deadline when that comes first (its life''s: the deadline; infinity without one), as llm.limit_usage; for a scope another user of the tenant started (whose row and limits the application does not read), the clock period''s end (its life''s: infinity), as before. cap: while the meter''s period contains now, the cap of the limit in effect now (NULL when none applies any more; a scope''s day past its deadline included, as llm.limit_usage); in a past period, the cap its usage was last held under.';

--
-- Name: settings; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.settings (
    id boolean DEFAULT true NOT NULL,
    hold_margin_ms integer DEFAULT 30000 NOT NULL,
    max_attempts_per_request smallint DEFAULT 5 NOT NULL,
    enqueue_max_attempts smallint DEFAULT 3 NOT NULL,
    breaker_failure_threshold integer DEFAULT 3 NOT NULL,
    breaker_cooldown_ms integer DEFAULT 30000 NOT NULL,
    cache_ttl_ms bigint DEFAULT 604800000 NOT NULL,
    cache_fill_wait_ms integer DEFAULT 2000 NOT NULL,
    output_retention_ms bigint DEFAULT '7776000000'::bigint NOT NULL,
    trace_retention_ms bigint DEFAULT 604800000 NOT NULL,
    ledger_retention_months smallint DEFAULT 13 NOT NULL,
    partitions_ahead_months smallint DEFAULT 3 NOT NULL,
    idempotency_months smallint DEFAULT 2 NOT NULL,
    semantic_max_candidates integer DEFAULT 2000 NOT NULL,
    swept_until timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL,
    settle_commit text DEFAULT 'deferred'::text NOT NULL,
    queue_share_jobs integer DEFAULT 50 NOT NULL,
    breaker_single_tenant_opens boolean DEFAULT false NOT NULL,
    reconciliation_work_mem_mb integer DEFAULT 64 NOT NULL,
    CONSTRAINT settings_breaker_cooldown_ms_check CHECK (((breaker_cooldown_ms >= 100) AND (breaker_cooldown_ms <= 86400000))),
    CONSTRAINT settings_breaker_failure_threshold_check CHECK (((breaker_failure_threshold >= 1) AND (breaker_failure_threshold <= 1000))),
    CONSTRAINT settings_cache_fill_wait_ms_check CHECK (((cache_fill_wait_ms >= 10) AND (cache_fill_wait_ms <= 600000))),
    CONSTRAINT settings_cache_ttl_ms_check CHECK (((cache_ttl_ms >= 1000) AND (cache_ttl_ms <= '31536000000'::bigint))),
    CONSTRAINT settings_enqueue_max_attempts_check CHECK (((enqueue_max_attempts >= 1) AND (enqueue_max_attempts <= 25))),
    CONSTRAINT settings_hold_margin_ms_check CHECK (((hold_margin_ms >= 0) AND (hold_margin_ms <= 3600000))),
    CONSTRAINT settings_id_check CHECK (id),
    CONSTRAINT settings_idempotency_months_check CHECK (((idempotency_months >= 1) AND (idempotency_months <= 12))),
    CONSTRAINT settings_ledger_retention_months_check CHECK (((ledger_retention_months >= 2) AND (ledger_retention_months <= 120))),
    CONSTRAINT settings_max_attempts_per_request_check CHECK (((max_attempts_per_request >= 1) AND (max_attempts_per_request <= 100))),
    CONSTRAINT settings_output_retention_ms_check CHECK (((output_retention_ms >= 60000) AND (output_retention_ms <= '315360000000'::bigint))),
    CONSTRAINT settings_partitions_ahead_months_check CHECK (((partitions_ahead_months >= 1) AND (partitions_ahead_months <= 24))),
    CONSTRAINT settings_queue_share_jobs_check CHECK (((queue_share_jobs >= 1) AND (queue_share_jobs <= 10000))),
    CONSTRAINT settings_reconciliation_work_mem_mb_check CHECK (((reconciliation_work_mem_mb >= 4) AND (reconciliation_work_mem_mb <= 4096))),
    CONSTRAINT settings_retention_keeps_claims CHECK ((ledger_retention_months >= idempotency_months)),
    CONSTRAINT settings_semantic_max_candidates_check CHECK (((semantic_max_candidates >= 10) AND (semantic_max_candidates <= 1000000))),
    CONSTRAINT settings_settle_commit_check CHECK ((settle_commit = ANY (ARRAY['deferred'::text, 'durable'::text]))),
    CONSTRAINT settings_trace_retention_ms_check CHECK (((trace_retention_ms >= 60000) AND (trace_retention_ms <= '315360000000'::bigint)))
);

ALTER TABLE ONLY llm_private.settings FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.settings OWNER TO llm_owner;

--
-- Name: TABLE settings; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.settings IS 'One row of global settings, written by the operator only (llm.set_settings).';

--
-- Name: COLUMN settings.hold_margin_ms; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.hold_margin_ms IS 'Added to the call timeout to give a hold its expiry.';

--
-- Name: COLUMN settings.max_attempts_per_request; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.max_attempts_per_request IS 'Attempts (reserves that reached a decision) one request may make in all.';

--
-- Name: COLUMN settings.enqueue_max_attempts; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.enqueue_max_attempts IS 'graphile-worker max_attempts of every LLM job.';

--
-- Name: COLUMN settings.breaker_failure_threshold; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.breaker_failure_threshold IS 'Consecutive provider failures of one provider+model that open its breaker.';

--
-- Name: COLUMN settings.breaker_cooldown_ms; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.breaker_cooldown_ms IS 'How long an open breaker refuses calls before one half-open probe may try.';

--
-- Name: COLUMN settings.cache_ttl_ms; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.cache_ttl_ms IS 'How long a cache entry may be served (the watermark, not the TTL, is what invalidates it).';

--
-- Name: COLUMN settings.cache_fill_wait_ms; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.cache_fill_wait_ms IS 'How long a request waits for an identical request filling the cache before asking again.';

--
-- Name: COLUMN settings.output_retention_ms; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.output_retention_ms IS 'How long final outputs are kept. Default 90 days.';

--
-- Name: COLUMN settings.trace_retention_ms; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.trace_retention_ms IS 'How long reasoning traces are kept; shorter than outputs. Default 7 days.';

--
-- Name: COLUMN settings.ledger_retention_months; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.ledger_retention_months IS 'Whole months of ledger partitions kept; older partitions are dropped by llm_maint.drop_expired_partitions().';

--
-- Name: COLUMN settings.partitions_ahead_months; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.partitions_ahead_months IS 'How many months of partitions llm_maint.ensure_partitions() keeps created ahead.';

--
-- Name: COLUMN settings.idempotency_months; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.idempotency_months IS 'Calendar months (this one and the previous ones) in which a (tenant, request_id, endpoint) claim is found again.';

--
-- Name: COLUMN settings.semantic_max_candidates; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.semantic_max_candidates IS 'Most cache entries one semantic lookup compares on the portable (no pgvector) path.';

--
-- Name: COLUMN settings.swept_until; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.swept_until IS 'The expiry sweep has charged every hold that expired before this instant (its lower bound).';

--
-- Name: COLUMN settings.settle_commit; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.settle_commit IS 'deferred (default): llm.settle_call commits without waiting for its WAL flush (synchronous_commit = off for its transaction) when the settle charges no more than the attempt held, in every unit. A crash can lose only such a settle, and only before any later synchronous commit (every one flushes the WAL before it, in order); the attempt is then still held, durable since its reserve, and the expiry charges the hold in full: more than the lost settle, never less. durable: every settle waits for its flush.';

--
-- Name: COLUMN settings.queue_share_jobs; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.queue_share_jobs IS 'Queued jobs of one tenant per step of graphile-worker priority (llm_queue.add_request_job): a tenant''s first queue_share_jobs queued jobs run at priority 0, the next at 1, ... (up to 4), so other tenants'' new jobs wait behind at most this many of its jobs.';

--
-- Name: COLUMN settings.breaker_single_tenant_opens; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.breaker_single_tenant_opens IS 'Whether failures of one tenant alone may open a breaker (false: two tenants must fail in the streak, so that no tenant''s own slow or failing calls stop the others; true for a deployment with a single tenant).';

--
-- Name: COLUMN settings.reconciliation_work_mem_mb; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.settings.reconciliation_work_mem_mb IS 'work_mem (MB) of the scheduled reconciliation check''s read (llm.check_reconciliation): its aggregate needs ~1 KB per usage key of two months (hash_mem_multiplier times this stays in memory); past it the input spills to temporary files, ~90 B per attempt and meter, and past the worker login''s temp_file_limit (2 GB) the check fails. 4..4096, default 64.';

--
-- Name: CONSTRAINT settings_retention_keeps_claims ON settings; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON CONSTRAINT settings_retention_keeps_claims ON llm_private.settings IS 'Retention never drops a month of the idempotency window: a retried request would be claimed again and charged twice.';

--
-- Name: partition_coverage; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.partition_coverage WITH (security_invoker='true') AS
 WITH clock AS MATERIALIZED (
         SELECT llm_private.month_index(llm_private.now()) AS cur
        ), parts AS (
         SELECT ((p.relname)::text COLLATE "default") AS table_name,
            ((c.oid IS NOT NULL) AND (b.lo IS NOT NULL)) AS is_month,
            b.lo,
            b.hi
           FROM ((((pg_partitioned_table pt
             JOIN pg_class p ON (((p.oid = pt.partrelid) AND (p.relnamespace = ('llm_private'::regnamespace)::oid) AND (p.relname = ANY (llm_private.partitioned_tables())))))
             LEFT JOIN pg_inherits i ON ((i.inhparent = p.oid)))
             LEFT JOIN pg_class c ON ((c.oid = i.inhrelid)))
             LEFT JOIN LATERAL ( SELECT
                        CASE
                            WHEN (r.r[1] ~ '^-?[0-9]+$'::text) THEN (((r.r[1])::bigint >> 40))::integer
                            ELSE llm_private.month_index((r.r[1])::timestamp with time zone)
                        END AS lo,
                        CASE
                            WHEN (r.r[2] ~ '^-?[0-9]+$'::text) THEN (((r.r[2])::bigint >> 40))::integer
                            ELSE llm_private.month_index((r.r[2])::timestamp with time zone)
                        END AS hi
                   FROM regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \(''([^'']*)''\) TO \(''([^'']*)''\)$'::text) r(r)) b ON (true))
        ), covered AS (
         SELECT DISTINCT x.table_name,
            g.m
           FROM (parts x
             CROSS JOIN LATERAL generate_series(x.lo, (x.hi - 1)) g(m))
        )
 SELECT t.table_name,
    ( SELECT llm_private.month_start(max(c.m)) AS month_start
           FROM covered c
          WHERE (c.table_name = t.table_name)) AS newest_month_start,
    COALESCE(((( SELECT min(g.m) AS min
           FROM generate_series(k.cur, (k.cur + 25)) g(m)
          WHERE (NOT (EXISTS ( SELECT 1
                   FROM covered c
                  WHERE ((c.table_name = t.table_name) AND (c.m = g.m)))))) - k.cur) - 1), 25) AS months_ahead,
    (( SELECT s.partitions_ahead_months
           FROM llm_private.settings s))::integer AS months_ahead_wanted,
    (t.month_partitions)::integer AS month_partitions
   FROM (( SELECT x.table_name,
            count(*) FILTER (WHERE x.is_month) AS month_partitions
           FROM parts x
          GROUP BY x.table_name) t
     CROSS JOIN clock k);

ALTER TABLE llm.partition_coverage OWNER TO llm_owner;

--
-- Name: VIEW partition_coverage; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.partition_coverage IS 'Per partitioned ledger table (requests, request_inputs, attempts, usage, alerts, adjustments): the newest month it has a partition for (newest_month_start, UTC); how many months past the current one are covered without a gap (months_ahead: 0 = only this month, -1 = not even this month, whose rows then go to the DEFAULT partition; a month missing in between counts as the end); how many the maintenance keeps (months_ahead_wanted = settings.partitions_ahead_months); and how many range partitions it has. Below months_ahead_wanted for more than a day: npm run maintain-partitions (the owner''s, daily from the host''s scheduler) is not running. Read from the catalog (the partitions'' bounds).';

--
-- Name: reconciliation_checks; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.reconciliation_checks (
    id bigint NOT NULL,
    checked_at timestamp with time zone NOT NULL,
    drift_rows bigint NOT NULL,
    duration_ms integer NOT NULL,
    drift_sample jsonb,
    CONSTRAINT reconciliation_checks_drift_rows_check CHECK ((drift_rows >= 0)),
    CONSTRAINT reconciliation_checks_drift_sample_check CHECK (((drift_sample IS NULL) OR ((jsonb_typeof(drift_sample) = 'array'::text) AND (jsonb_array_length(drift_sample) = LEAST(drift_rows, (200)::bigint))))),
    CONSTRAINT reconciliation_checks_duration_ms_check CHECK ((duration_ms >= 0))
);

ALTER TABLE ONLY llm_private.reconciliation_checks FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.reconciliation_checks OWNER TO llm_owner;

--
-- Name: TABLE reconciliation_checks; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.reconciliation_checks IS 'One row per run of llm.check_reconciliation (the worker''s cron, every 5 minutes), every column derived by its insert trigger: when it read llm.reconciliation_drift (the database clock), how many rows it found (must be 0), the first 200 of them, and how long the read took. The newest is the highest id; the metrics scrape reads it through llm.reconciliation_status, the dashboard its rows through llm.reconciliation_checked_drift. Kept; only the owner deletes.';

--
-- Name: COLUMN reconciliation_checks.drift_sample; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.reconciliation_checks.drift_sample IS 'The first 200 rows of llm.reconciliation_drift the check found, in the view''s order (kind, tenant, meter, user, scope, period, shard), as a JSON array of its rows; derived by the insert trigger. Null: a check from before migration 000041, which kept no rows.';

--
-- Name: reconciliation_checked_drift; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.reconciliation_checked_drift WITH (security_invoker='true') AS
 SELECT c.checked_at,
    (r.n)::integer AS row_no,
    r.kind,
    r.tenant_id,
    r.meter_name,
    r.user_id,
    r.budget_scope,
    r.period_start,
    r.shard,
    r.usage_value,
    r.ledger_value,
    r.unit
   FROM (( SELECT x.checked_at,
            x.drift_sample
           FROM llm_private.reconciliation_checks x
          ORDER BY x.id DESC
         LIMIT 1) c
     CROSS JOIN LATERAL jsonb_to_recordset(c.drift_sample) r(n bigint, kind text, tenant_id uuid, meter_name text, user_id uuid, budget_scope text, period_start timestamp with time zone, shard smallint, usage_value bigint, ledger_value bigint, unit text));

ALTER TABLE llm.reconciliation_checked_drift OWNER TO llm_owner;

--
-- Name: VIEW reconciliation_checked_drift; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.reconciliation_checked_drift IS 'The rows of llm.reconciliation_drift the newest reconciliation check found (the first 200 in the order npm run audit -- drift lists them: kind, tenant, meter, user, scope, period, shard, nulls first; row_no 1..200; llm.reconciliation_status.drift_rows says how many there were), with the check''s time. Empty: the newest check found none, or none has run (llm.reconciliation_status has no row), or it ran before migration 000041 kept rows. unit: the meter''s unit of usage_value and ledger_value (null: the check ran before the drift view said it). Reads one row, never the ledger: what the dashboard and Grafana list.';

--
-- Name: reconciliation_drift; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.reconciliation_drift WITH (security_invoker='true') AS
 WITH clock AS MATERIALIZED (
         SELECT c.now,
            llm_private.month_start((llm_private.month_index(c.now) - 1)) AS last_month
           FROM ( SELECT llm_private.now() AS now) c
        ), meter_needs AS MATERIALIZED (
         SELECT COALESCE(array_agg(m_1.id) FILTER (WHERE ((m_1.scope = 'user'::llm_private.limit_scope) OR ((m_1.shards > 1) AND (m_1.scope <> 'global'::llm_private.limit_scope)))), '{}'::smallint[]) AS user_ids,
            COALESCE(array_agg(m_1.id) FILTER (WHERE ((m_1.scope = 'budget_scope'::llm_private.limit_scope) OR (m_1."window" = 'budget_scope'::llm_private.limit_window))), '{}'::smallint[]) AS scope_ids,
            COALESCE(array_agg(m_1.id) FILTER (WHERE (m_1."window" = 'minute'::llm_private.limit_window)), '{}'::smallint[]) AS minute_ids,
            COALESCE(array_agg(m_1.id) FILTER (WHERE (m_1."window" = 'hour'::llm_private.limit_window)), '{}'::smallint[]) AS hour_ids,
            COALESCE(array_agg(m_1.id) FILTER (WHERE (m_1."window" = ANY (ARRAY['day'::llm_private.limit_window, 'week'::llm_private.limit_window]))), '{}'::smallint[]) AS day_ids
           FROM llm_private.meters m_1
        ), attempt_groups AS (
         SELECT a.tenant_id,
                CASE
                    WHEN f.user_ THEN a.user_id
                    ELSE NULL::uuid
                END AS user_id,
            a.meter_ids,
            s.budget_scope,
            s.started_at,
                CASE
                    WHEN f.minute_ THEN date_bin('00:01:00'::interval, a.reserved_at, '2000-01-01 00:00:00+00'::timestamp with time zone)
                    WHEN f.hour_ THEN date_bin('01:00:00'::interval, a.reserved_at, '2000-01-01 00:00:00+00'::timestamp with time zone)
                    WHEN f.day_ THEN date_bin('1 day'::interval, a.reserved_at, '2000-01-01 00:00:00+00'::timestamp with time zone)
                    ELSE date_trunc('month'::text, a.reserved_at, 'UTC'::text)
                END AS at,
            sum(
                CASE
                    WHEN (a.state = 'held'::llm_private.attempt_state) THEN llm_private.held_amount('micros'::llm_private.limit_unit, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge)
                    ELSE (0)::bigint
                END) AS held_micros,
            sum(
                CASE
                    WHEN (a.state = 'held'::llm_private.attempt_state) THEN llm_private.held_amount('tokens'::llm_private.limit_unit, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge)
                    ELSE (0)::bigint
                END) AS held_tokens,
            sum(
                CASE
                    WHEN (a.state = 'held'::llm_private.attempt_state) THEN llm_private.held_amount('calls'::llm_private.limit_unit, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge)
                    ELSE (0)::bigint
                END) AS held_calls,
            sum(
                CASE
                    WHEN (a.state = 'held'::llm_private.attempt_state) THEN llm_private.held_amount('input_tokens'::llm_private.limit_unit, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge)
                    ELSE (0)::bigint
                END) AS held_input_tokens,
            sum(
                CASE
                    WHEN (a.state = 'held'::llm_private.attempt_state) THEN llm_private.held_amount('output_tokens'::llm_private.limit_unit, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge)
                    ELSE (0)::bigint
                END) AS held_output_tokens,
            sum(llm_private.charged_amount('micros'::llm_private.limit_unit, a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens, a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) AS spent_micros,
            sum(llm_private.charged_amount('tokens'::llm_private.limit_unit, a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens, a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) AS spent_tokens,
            sum(llm_private.charged_amount('calls'::llm_private.limit_unit, a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens, a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) AS spent_calls,
            sum(llm_private.charged_amount('input_tokens'::llm_private.limit_unit, a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens, a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) AS spent_input_tokens,
            sum(llm_private.charged_amount('output_tokens'::llm_private.limit_unit, a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens, a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) AS spent_output_tokens
           FROM ((llm_private.attempts a
             CROSS JOIN LATERAL ( SELECT (a.meter_ids && n.user_ids) AS user_,
                    (a.meter_ids && n.scope_ids) AS scope_,
                    (a.meter_ids && n.minute_ids) AS minute_,
                    (a.meter_ids && n.hour_ids) AS hour_,
                    (a.meter_ids && n.day_ids) AS day_
                   FROM meter_needs n
                 OFFSET 0) f)
             LEFT JOIN LATERAL ( SELECT q.budget_scope,
                    b.started_at
                   FROM (llm_private.requests q
                     LEFT JOIN llm_private.budget_scopes b ON (((b.tenant_id = q.tenant_id) AND (b.scope_key = q.budget_scope) AND llm_private.reserved_in_scope(a.reserved_at, b.started_at))))
                  WHERE (f.scope_ AND (q.tenant_id = a.tenant_id) AND (q.id = a.request_pk))
                 LIMIT 1) s ON (true))
          WHERE ((a.request_pk >= ( SELECT llm_private.oldest_reservable_request_pk(k.last_month) AS oldest_reservable_request_pk
                   FROM clock k)) AND (cardinality(a.meter_ids) > 0))
          GROUP BY a.tenant_id,
                CASE
                    WHEN f.user_ THEN a.user_id
                    ELSE NULL::uuid
                END, a.meter_ids, s.budget_scope, s.started_at,
                CASE
                    WHEN f.minute_ THEN date_bin('00:01:00'::interval, a.reserved_at, '2000-01-01 00:00:00+00'::timestamp with time zone)
                    WHEN f.hour_ THEN date_bin('01:00:00'::interval, a.reserved_at, '2000-01-01 00:00:00+00'::timestamp with time zone)
                    WHEN f.day_ THEN date_bin('1 day'::interval, a.reserved_at, '2000-01-01 00:00:00+00'::timestamp with time zone)
                    ELSE date_trunc('month'::text, a.reserved_at, 'UTC'::text)
                END
        ), expected AS (
         SELECT k.k_tenant,
            m_1.id AS meter_id,
            k.k_user,
            k.k_scope,
            k.k_period,
            k.k_shard,
            sum(
                CASE m_1.unit
                    WHEN 'micros'::llm_private.limit_unit THEN g.held_micros
                    WHEN 'tokens'::llm_private.limit_unit THEN g.held_tokens
                    WHEN 'calls'::llm_private.limit_unit THEN g.held_calls
                    WHEN 'input_tokens'::llm_private.limit_unit THEN g.held_input_tokens
                    WHEN 'output_tokens'::llm_private.limit_unit THEN g.held_output_tokens
                    ELSE (0)::numeric
                END) AS held,
            sum(
                CASE m_1.unit
                    WHEN 'micros'::llm_private.limit_unit THEN g.spent_micros
                    WHEN 'tokens'::llm_private.limit_unit THEN g.spent_tokens
                    WHEN 'calls'::llm_private.limit_unit THEN g.spent_calls
                    WHEN 'input_tokens'::llm_private.limit_unit THEN g.spent_input_tokens
                    WHEN 'output_tokens'::llm_private.limit_unit THEN g.spent_output_tokens
                    ELSE (0)::numeric
                END) AS spent
           FROM (((attempt_groups g
             CROSS JOIN LATERAL unnest(g.meter_ids) mid(mid))
             JOIN llm_private.meters m_1 ON ((m_1.id = mid.mid)))
             CROSS JOIN LATERAL llm_private.usage_key(m_1.scope, m_1."window", m_1.shards, g.tenant_id, g.user_id, g.budget_scope, g.started_at, g.at) k(k_tenant, k_user, k_scope, k_period, k_shard))
          GROUP BY k.k_tenant, m_1.id, k.k_user, k.k_scope, k.k_period, k.k_shard
        UNION ALL
         SELECT k.k_tenant,
            m_1.id,
            k.k_user,
            k.k_scope,
            k.k_period,
            k.k_shard,
            0,
            sum(x.amount_micros) AS sum
           FROM (((llm_private.adjustments x
             CROSS JOIN LATERAL unnest(x.meter_ids) mid(mid))
             JOIN llm_private.meters m_1 ON ((m_1.id = mid.mid)))
             CROSS JOIN LATERAL llm_private.usage_key(m_1.scope, m_1."window", m_1.shards, x.tenant_id, x.user_id, ''::text, NULL::timestamp with time zone, x.effective_at) k(k_tenant, k_user, k_scope, k_period, k_shard))
          WHERE (x.effective_at >= ( SELECT k_1.last_month
                   FROM clock k_1))
          GROUP BY k.k_tenant, m_1.id, k.k_user, k.k_scope, k.k_period, k.k_shard
        ), expected_total AS (
         SELECT e_1.k_tenant,
            e_1.meter_id,
            e_1.k_user,
            e_1.k_scope,
            e_1.k_period,
            e_1.k_shard,
            (sum(e_1.held))::bigint AS held,
            (sum(e_1.spent))::bigint AS spent
           FROM expected e_1
          GROUP BY e_1.k_tenant, e_1.meter_id, e_1.k_user, e_1.k_scope, e_1.k_period, e_1.k_shard
        ), recent AS (
         SELECT u_1.tenant_id,
            u_1.meter_id,
            u_1.user_id,
            u_1.budget_scope,
            u_1.period_start,
            u_1.shard,
            u_1.limit_id,
            u_1.cap,
            u_1.quota,
            u_1.held,
            u_1.spent,
            u_1.next_alert_at
           FROM llm_private.usage u_1
          WHERE (u_1.period_start >= ( SELECT k.last_month
                   FROM clock k))
        )
 SELECT
        CASE
            WHEN (u.meter_id IS NULL) THEN 'missing_usage_row'::text
            WHEN (u.held <> COALESCE(e.held, (0)::bigint)) THEN 'held'::text
            ELSE 'spent'::text
        END AS kind,
    NULLIF(COALESCE(u.tenant_id, e.k_tenant), llm_private.nil_uuid()) AS tenant_id,
    m.name AS meter_name,
    NULLIF(COALESCE(u.user_id, e.k_user), llm_private.nil_uuid()) AS user_id,
    NULLIF(COALESCE(u.budget_scope, e.k_scope), ''::text) AS budget_scope,
    COALESCE(u.period_start, e.k_period) AS period_start,
    COALESCE(u.shard, e.k_shard) AS shard,
        CASE
            WHEN (u.held <> COALESCE(e.held, (0)::bigint)) THEN u.held
            ELSE u.spent
        END AS usage_value,
        CASE
            WHEN (u.held <> COALESCE(e.held, (0)::bigint)) THEN COALESCE(e.held, (0)::bigint)
            ELSE COALESCE(e.spent, (0)::bigint)
        END AS ledger_value,
    (m.unit)::text AS unit
   FROM ((recent u
     FULL JOIN ( SELECT expected_total.k_tenant,
            expected_total.meter_id,
            expected_total.k_user,
            expected_total.k_scope,
            expected_total.k_period,
            expected_total.k_shard,
            expected_total.held,
            expected_total.spent
           FROM expected_total
          WHERE (expected_total.k_period >= ( SELECT k.last_month
                   FROM clock k))) e ON (((e.k_tenant = u.tenant_id) AND (e.meter_id = u.meter_id) AND (e.k_user = u.user_id) AND (e.k_scope = u.budget_scope) AND (e.k_period = u.period_start) AND (e.k_shard = u.shard))))
     JOIN llm_private.meters m ON ((m.id = COALESCE(u.meter_id, e.meter_id))))
  WHERE ((u.meter_id IS NULL) OR (u.held <> COALESCE(e.held, (0)::bigint)) OR (u.spent <> COALESCE(e.spent, (0)::bigint)));

ALTER TABLE llm.reconciliation_drift OWNER TO llm_owner;

--
-- Name: VIEW reconciliation_drift; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.reconciliation_drift IS 'Usage rows that disagree with the ledger (held vs live holds, spent vs charges + adjustments), for periods starting this or last month. Must be empty. usage_value and ledger_value are in the meter''s unit (micros: micro-USD; tokens, input_tokens, output_tokens; calls).';

--
-- Name: reconciliation_status; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.reconciliation_status WITH (security_invoker='true') AS
 SELECT c.checked_at,
    c.drift_rows,
    c.duration_ms,
    date_part('epoch'::text, (llm_private.now() - c.checked_at)) AS age_seconds,
    jsonb_array_length(c.drift_sample) AS drift_rows_kept
   FROM llm_private.reconciliation_checks c
  ORDER BY c.id DESC
 LIMIT 1;

ALTER TABLE llm.reconciliation_status OWNER TO llm_owner;

--
-- Name: VIEW reconciliation_status; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.reconciliation_status IS 'The newest reconciliation check (the highest id: llm.check_reconciliation, every 5 minutes): when its count started, how many rows llm.reconciliation_drift had (must be 0), how long the count took, its age in seconds on the database clock, and how many of its rows it kept (least(drift_rows, 200); null: it ran before migration 000041 and kept none). No row: no check has run yet. The metrics export drift_rows and age_seconds; the first 200 rows it found are in llm.reconciliation_checked_drift, all of them (read now) in llm.reconciliation_drift.';

--
-- Name: refusals_by_reason; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.refusals_by_reason WITH (security_invoker='true') AS
 SELECT (date_trunc('month'::text, (c.reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text) AS month_start,
    c.tenant_id,
    c.reason,
    count(*) AS refusals
   FROM llm.calls c
  WHERE (c.state = 'refused'::text)
  GROUP BY ((date_trunc('month'::text, (c.reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text)), c.tenant_id, c.reason;

ALTER TABLE llm.refusals_by_reason OWNER TO llm_owner;

--
-- Name: VIEW refusals_by_reason; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.refusals_by_reason IS 'Refused reserves per tenant, month and reason (a limit''s meter name, shutoff, attempts_exhausted, unknown_model, breaker_open, request_stale).';

--
-- Name: request_results; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.request_results WITH (security_invoker='true') AS
 SELECT q.tenant_id,
    q.user_id,
    q.request_id,
    (q.endpoint)::text AS endpoint,
        CASE
            WHEN ((q.state = 'queued'::llm_private.request_state) AND (money.attempts > 0)) THEN 'running'::text
            ELSE (q.state)::text
        END AS state,
        CASE
            WHEN (q.reason = 'limit'::llm_private.reason) THEN COALESCE(lm.name, 'cost_ceiling'::text)
            ELSE (q.reason)::text
        END AS reason,
    (COALESCE(money.spent_micros, (0)::numeric))::bigint AS spent_micros,
    o.output,
    fin.output_valid,
    (fin.state = 'cached'::llm_private.attempt_state) AS cached,
        CASE
            WHEN (fin.state = 'cached'::llm_private.attempt_state) THEN (fin.reason)::text
            ELSE NULL::text
        END AS cache_reason,
    fin.similarity,
        CASE
            WHEN (src.id IS NOT NULL) THEN fin.cache_source_pk
            ELSE NULL::bigint
        END AS reused_request_pk,
    src.request_id AS reused_request_id,
    ((fpr.provider || ':'::text) || fpr.model) AS model_ref,
    q.id AS request_pk,
    q.created_at,
    q.finished_at
   FROM (((((((llm_private.requests q
     LEFT JOIN LATERAL ( SELECT sum(a.charged_micros) AS spent_micros,
            count(*) AS attempts
           FROM llm_private.attempts a
          WHERE ((a.tenant_id = q.tenant_id) AND (a.request_pk = q.id))) money ON (true))
     LEFT JOIN LATERAL ( SELECT a.tenant_id,
            a.request_pk,
            a.attempt_no,
            a.state,
            a.reason,
            a.output_valid,
            a.similarity,
            a.cache_source_pk,
            a.price_id,
            a.limit_id
           FROM llm_private.attempts a
          WHERE ((a.tenant_id = q.tenant_id) AND (a.request_pk = q.id) AND (a.purpose = 'chat'::llm_private.purpose) AND ((a.state = 'cached'::llm_private.attempt_state) OR ((a.state = 'settled'::llm_private.attempt_state) AND (a.provider_status = 'ok'::llm_private.provider_status)) OR (a.state = 'refused'::llm_private.attempt_state)))
          ORDER BY a.attempt_no DESC
         LIMIT 1) fin ON (true))
     LEFT JOIN llm_private.call_outputs o ON (((o.tenant_id = fin.tenant_id) AND (o.request_pk = fin.request_pk) AND (o.attempt_no = fin.attempt_no))))
     LEFT JOIN llm_private.model_prices fpr ON ((fpr.id = fin.price_id)))
     LEFT JOIN llm_private.limits li ON ((li.id = fin.limit_id)))
     LEFT JOIN llm_private.meters lm ON ((lm.id = li.meter_id)))
     LEFT JOIN llm_private.requests src ON (((src.tenant_id = q.tenant_id) AND (src.id = fin.cache_source_pk))));

ALTER TABLE llm.request_results OWNER TO llm_owner;

--
-- Name: VIEW request_results; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.request_results IS 'For the application (llm_app: its own tenant and user only) and auditors: each request''s state and reason (a refusal names its limit), what it cost, its final output once done (from the provider or the cache: cached, cache_reason, similarity and the reused request, when the reader may see that request).';

--
-- Name: role_settings_drift; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.role_settings_drift WITH (security_invoker='true') AS
 SELECT COALESCE(l.role_name, d.role_name) AS role_name,
    COALESCE(l.scope, 'role'::text) AS scope,
    COALESCE(l.parameter, d.parameter) AS parameter,
    d.value AS declared,
    l.value AS now
   FROM (llm_private.role_settings_live() l(role_name, scope, parameter, value)
     FULL JOIN ( SELECT x.role_name,
            'role'::text AS scope,
            x.parameter,
            x.value
           FROM llm_private.declared_role_settings() x(role_name, parameter, value)) d ON (((d.role_name = l.role_name) AND (d.scope = l.scope) AND (d.parameter = l.parameter))))
  WHERE (l.value IS DISTINCT FROM d.value);

ALTER TABLE llm.role_settings_drift OWNER TO llm_owner;

--
-- Name: VIEW role_settings_drift; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.role_settings_drift IS 'Session defaults of the runtime roles that differ from the ones every migrate sets (declared null: added; now null: removed; scope database: set for this database only). Must be empty: a login can ALTER ROLE its own defaults, and one SQL injection in the application could make every new llm_app session read-only. Repair: npm run migrate. A database-wide default (ALTER DATABASE, the owner''s or a superuser''s) is not shown.';

--
-- Name: shutoff_windows; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.shutoff_windows WITH (security_invoker='true') AS
 SELECT w.id,
    (w.scope)::text AS scope,
    w.tenant_id,
    w.user_id,
    (w.kind)::text AS kind,
    w.starts_at,
    w.ends_at,
    w.reason,
    w.limit_id,
    w.created_by,
    w.created_at,
    w.cancelled_at,
    w.cancelled_by,
    w.cancel_reason,
    ((w.cancelled_at IS NULL) AND (w.starts_at <= llm_private.now()) AND (w.ends_at > llm_private.now())) AS active,
    ((w.cancelled_at IS NULL) AND (w.starts_at > llm_private.now())) AS upcoming
   FROM llm_private.shutoff_windows w;

ALTER TABLE llm.shutoff_windows OWNER TO llm_owner;

--
-- Name: VIEW shutoff_windows; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.shutoff_windows IS 'Shutoff windows (manual, scheduled, tripped) with whether they are active now or upcoming; a cancelled one with when, by whom and why (cancel_reason).';

--
-- Name: users; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.users (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY llm_private.users FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.users OWNER TO llm_owner;

--
-- Name: TABLE users; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.users IS 'End users of a tenant; a user is enrolled on first enqueue. Their caps are limits.';

--
-- Name: tenants; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.tenants WITH (security_invoker='true') AS
 SELECT t.id AS tenant_id,
    t.name,
    t.created_at,
    t.distillation_opt_in,
    t.traces_distillable,
    ( SELECT count(*) AS count
           FROM llm_private.users u
          WHERE (u.tenant_id = t.id)) AS users
   FROM llm_private.tenants t;

ALTER TABLE llm.tenants OWNER TO llm_owner;

--
-- Name: VIEW tenants; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.tenants IS 'Every tenant: its name (join on tenant_id to any audit view), when it was added, its distillation consent (distillation_opt_in, traces_distillable: set by an operator only), and how many users it has enrolled. For llm_auditor and llm_operator; llm_viewer reads no tenant name.';

--
-- Name: usage_repairs; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.usage_repairs (
    tenant_id uuid NOT NULL,
    id bigint NOT NULL,
    meter_id smallint NOT NULL,
    user_id uuid NOT NULL,
    budget_scope text NOT NULL,
    period_start timestamp with time zone NOT NULL,
    shard smallint NOT NULL,
    kind text NOT NULL,
    reason text NOT NULL,
    repaired_at timestamp with time zone NOT NULL,
    repaired_by text NOT NULL,
    moved_by bigint NOT NULL,
    CONSTRAINT usage_repairs_kind_check CHECK ((kind = ANY (ARRAY['held'::text, 'spent'::text, 'missing_usage_row'::text]))),
    CONSTRAINT usage_repairs_moved_by_check CHECK (((kind = 'missing_usage_row'::text) = (moved_by = 0))),
    CONSTRAINT usage_repairs_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500))),
    CONSTRAINT usage_repairs_shard_check CHECK (((shard >= 0) AND (shard <= 63)))
);

ALTER TABLE ONLY llm_private.usage_repairs FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.usage_repairs OWNER TO llm_owner;

--
-- Name: TABLE usage_repairs; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.usage_repairs IS 'Append-only: each move of a usage counter back to its ledger by llm.repair_usage_drift: the key, the drift''s kind (held, spent, or a missing usage row created), what the counter and the ledger said (usage_value, ledger_value: the counter moved by their difference), why, when and who. Checked against llm.reconciliation_drift by its insert trigger.';

--
-- Name: usage_repairs; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.usage_repairs WITH (security_invoker='true') AS
 SELECT x.id,
    NULLIF(x.tenant_id, llm_private.nil_uuid()) AS tenant_id,
    m.name AS meter_name,
    NULLIF(x.user_id, llm_private.nil_uuid()) AS user_id,
    NULLIF(x.budget_scope, ''::text) AS budget_scope,
    x.period_start,
    x.shard,
    x.kind,
    x.moved_by,
    x.reason,
    x.repaired_at,
    x.repaired_by
   FROM (llm_private.usage_repairs x
     JOIN llm_private.meters m ON ((m.id = x.meter_id)));

ALTER TABLE llm.usage_repairs OWNER TO llm_owner;

--
-- Name: VIEW usage_repairs; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.usage_repairs IS 'Every move of a usage counter back to its ledger (llm.repair_usage_drift): the key, the kind of drift (held, spent, missing_usage_row: the row was created empty, its amounts moved by the next rows), the amount the counter moved by (checked against the drift when it moved), why, when and who (role and login).';

--
-- Name: worker_heartbeats; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.worker_heartbeats (
    worker_id text NOT NULL,
    lock_ids text[] NOT NULL,
    host text,
    pid integer,
    started_at timestamp with time zone NOT NULL,
    seen_at timestamp with time zone NOT NULL,
    CONSTRAINT worker_heartbeats_host_check CHECK ((length(host) <= 200)),
    CONSTRAINT worker_heartbeats_lock_ids_check CHECK ((cardinality(lock_ids) <= 1100)),
    CONSTRAINT worker_heartbeats_worker_id_check CHECK (((length(worker_id) >= 1) AND (length(worker_id) <= 200)))
);

ALTER TABLE ONLY llm_private.worker_heartbeats FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.worker_heartbeats OWNER TO llm_owner;

--
-- Name: TABLE worker_heartbeats; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.worker_heartbeats IS 'One row per worker process (its graphile-worker pool id): the ids its jobs are locked with and when it last said it was alive (seen_at, the server''s clock). Written by the worker''s login every 10 s; rows unseen for a day are deleted by llm.release_dead_worker_locks.';

--
-- Name: workers; Type: VIEW; Schema: llm; Owner: llm_owner
--

CREATE VIEW llm.workers WITH (security_invoker='true') AS
 SELECT h.worker_id,
    h.lock_ids,
    h.host,
    h.pid,
    h.started_at,
    h.seen_at,
    (h.seen_at > (clock_timestamp() - '00:01:00'::interval)) AS alive
   FROM llm_private.worker_heartbeats h;

ALTER TABLE llm.workers OWNER TO llm_owner;

--
-- Name: VIEW workers; Type: COMMENT; Schema: llm; Owner: llm_owner
--

COMMENT ON VIEW llm.workers IS 'Worker processes by their heartbeats (operator, auditor, viewer): the ids each locks jobs with, host and pid, when it started and was last seen; alive: seen in the last minute. A locked job whose locked_by no live worker names is a dead one''s, released by llm.release_dead_worker_locks once older than a job can run.';

--
-- Name: adjustments_default; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.adjustments_default (
    tenant_id uuid NOT NULL,
    id bigint DEFAULT nextval('llm_private.adjustment_id_seq'::regclass) NOT NULL,
    user_id uuid,
    amount_micros bigint NOT NULL,
    reason text NOT NULL,
    effective_at timestamp with time zone NOT NULL,
    meter_ids smallint[] DEFAULT '{}'::smallint[] NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT adjustments_amount_micros_check CHECK (((amount_micros <> 0) AND (abs(amount_micros) <= '1000000000000'::bigint))),
    CONSTRAINT adjustments_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500)))
);

ALTER TABLE ONLY llm_private.adjustments_default FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.adjustments_default OWNER TO llm_owner;

--
-- Name: TABLE adjustments_default; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.adjustments_default IS 'Default partition of llm_private.adjustments: rows outside the created months (lifetime usage, frozen test clocks).';

--
-- Name: alerts_default; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.alerts_default (
    tenant_id uuid NOT NULL,
    meter_id smallint NOT NULL,
    user_id uuid NOT NULL,
    budget_scope text NOT NULL,
    period_start timestamp with time zone NOT NULL,
    threshold_pct smallint NOT NULL,
    id bigint DEFAULT nextval('llm_private.alert_id_seq'::regclass) NOT NULL,
    limit_id integer NOT NULL,
    used bigint NOT NULL,
    cap bigint NOT NULL,
    fired_at timestamp with time zone NOT NULL
);

ALTER TABLE ONLY llm_private.alerts_default FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.alerts_default OWNER TO llm_owner;

--
-- Name: TABLE alerts_default; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.alerts_default IS 'Default partition of llm_private.alerts: rows outside the created months (lifetime usage, frozen test clocks).';

--
-- Name: attempts_default; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.attempts_default (
    tenant_id uuid NOT NULL,
    request_pk bigint NOT NULL,
    attempt_no smallint NOT NULL,
    user_id uuid NOT NULL,
    purpose llm_private.purpose DEFAULT 'chat'::llm_private.purpose NOT NULL,
    job_attempt smallint NOT NULL,
    state llm_private.attempt_state NOT NULL,
    decision llm_private.decision NOT NULL,
    reason llm_private.reason NOT NULL,
    price_id integer,
    input_tokens_estimate integer NOT NULL,
    max_output_tokens integer NOT NULL,
    held_micros bigint DEFAULT 0 NOT NULL,
    reserved_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    input_tokens integer,
    cached_input_tokens integer,
    output_tokens integer,
    cost_micros bigint,
    charged_micros bigint DEFAULT 0 NOT NULL,
    latency_ms integer,
    provider_status llm_private.provider_status,
    usage_unknown boolean DEFAULT false NOT NULL,
    late boolean DEFAULT false NOT NULL,
    output_valid boolean,
    pii_flagged boolean,
    meter_ids smallint[] DEFAULT '{}'::smallint[] NOT NULL,
    limit_id integer,
    limit_cap bigint,
    limit_used bigint,
    cache_key text,
    cache_source_pk bigint,
    similarity real,
    trace_id text,
    distillation_eligible boolean,
    distillation_reason llm_private.distill_reason,
    fills_cache boolean DEFAULT false NOT NULL,
    semantic_candidates integer,
    semantic_bound_hit boolean,
    answered_model text,
    holds_least_charge boolean DEFAULT false NOT NULL
);

ALTER TABLE ONLY llm_private.attempts_default FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.attempts_default OWNER TO llm_owner;

--
-- Name: TABLE attempts_default; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.attempts_default IS 'Default partition of llm_private.attempts: rows outside the created months (lifetime usage, frozen test clocks).';

--
-- Name: breaker_transitions_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.breaker_transitions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME llm_private.breaker_transitions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: cache_fills; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.cache_fills (
    tenant_id uuid NOT NULL,
    owner_user_id uuid NOT NULL,
    cache_key text NOT NULL,
    request_pk bigint NOT NULL,
    attempt_no smallint NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    token uuid DEFAULT gen_random_uuid() NOT NULL,
    CONSTRAINT cache_fills_cache_key_check CHECK ((length(cache_key) = 64))
);

ALTER TABLE ONLY llm_private.cache_fills FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.cache_fills OWNER TO llm_owner;

--
-- Name: TABLE cache_fills; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.cache_fills IS 'Single flight: the attempt now calling the provider for a cache key; identical requests wait (LISTEN llm_cache_filled) instead of calling too. A fill ends with its settle or its hold''s expiry.';

--
-- Name: COLUMN cache_fills.token; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.cache_fills.token IS 'What llm_cache_filled carries when this fill ends: random, so a listener learns nothing of the key, the tenant or the request; a waiter gets it from its reserve''s wait answer. Kept while the same request renews its live fill; a fill that expired is ended (its token sent) and the next one has a new token.';

--
-- Name: claim_mutexes; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.claim_mutexes (
    tenant_id uuid NOT NULL,
    key_hash bigint NOT NULL
)
WITH (autovacuum_vacuum_scale_factor='0', autovacuum_vacuum_threshold='10000', autovacuum_vacuum_insert_scale_factor='0', autovacuum_vacuum_insert_threshold='10000', vacuum_truncate=off);

ALTER TABLE ONLY llm_private.claim_mutexes FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.claim_mutexes OWNER TO llm_owner;

--
-- Name: TABLE claim_mutexes; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.claim_mutexes IS 'The order of concurrent claims of one key: llm_private.lock_claim writes (tenant_id, hash of endpoint/request_id) and the enqueue wrapper deletes it in the same transaction; a concurrent claim of the key waits for that transaction at the primary key. A row seen committed (inserted by hand, or by a claim that found one committed meanwhile) is taken over by the next claim of its key and swept by llm.purge_expired.';

--
-- Name: clock; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.clock (
    id boolean DEFAULT true NOT NULL,
    frozen_at timestamp with time zone,
    offset_ms bigint DEFAULT 0 NOT NULL,
    CONSTRAINT clock_id_check CHECK (id),
    CONSTRAINT clock_offset_ms_check CHECK ((abs(offset_ms) <= ((((10)::bigint * 366) * 86400) * 1000)))
);

ALTER TABLE ONLY llm_private.clock FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.clock OWNER TO llm_owner;

--
-- Name: TABLE clock; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.clock IS 'One row: the owner may freeze or shift the time our rules see (tests). The runtime roles can only read it.';

--
-- Name: COLUMN clock.frozen_at; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.clock.frozen_at IS 'When set, llm_private.now() returns this instant.';

--
-- Name: COLUMN clock.offset_ms; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.clock.offset_ms IS 'Added to the current time when frozen_at is NULL.';

--
-- Name: context_keys; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.context_keys (
    kid smallint NOT NULL,
    secret_sha256 bytea NOT NULL,
    ipad bytea NOT NULL,
    opad bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    retired_at timestamp with time zone,
    CONSTRAINT context_keys_ipad_check CHECK ((octet_length(ipad) = 64)),
    CONSTRAINT context_keys_kid_check CHECK (((kid >= 1) AND (kid <= 32767))),
    CONSTRAINT context_keys_opad_check CHECK ((octet_length(opad) = 64)),
    CONSTRAINT context_keys_secret_sha256_check CHECK ((octet_length(secret_sha256) = 32))
);

ALTER TABLE ONLY llm_private.context_keys FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.context_keys OWNER TO llm_owner;

--
-- Name: TABLE context_keys; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.context_keys IS 'The secrets that sign application context tokens, as HMAC pads. Readable by the owner only (the verifier is the owner''s SECURITY DEFINER function). Installed by `npm run migrate` from LLM_CONTEXT_SECRET.';

--
-- Name: erasures_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.erasures ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME llm_private.erasures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: limits_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.limits ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME llm_private.limits_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: meters_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.meters ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME llm_private.meters_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: model_prices_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.model_prices ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME llm_private.model_prices_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: reconciliation_checks_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.reconciliation_checks ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME llm_private.reconciliation_checks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: request_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

CREATE SEQUENCE llm_private.request_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
    CYCLE;

ALTER TABLE llm_private.request_id_seq OWNER TO llm_owner;

--
-- Name: SEQUENCE request_id_seq; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON SEQUENCE llm_private.request_id_seq IS 'The low 40 bits of request ids (the month is the high bits).';

--
-- Name: request_inputs_default; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.request_inputs_default (
    tenant_id uuid NOT NULL,
    request_pk bigint NOT NULL,
    user_id uuid NOT NULL,
    model_ref text NOT NULL,
    messages jsonb NOT NULL,
    max_output_tokens integer NOT NULL,
    response_format text DEFAULT 'text'::text NOT NULL,
    source_watermark text,
    correlation_id text,
    cost_ceiling_micros bigint,
    cache_key text,
    system_hash text NOT NULL,
    input_tokens_floor integer,
    CONSTRAINT request_inputs_cache_key_check CHECK ((length(cache_key) = 64)),
    CONSTRAINT request_inputs_correlation_id_check CHECK (((length(correlation_id) >= 1) AND (length(correlation_id) <= 200))),
    CONSTRAINT request_inputs_cost_ceiling_micros_check CHECK (((cost_ceiling_micros >= 0) AND (cost_ceiling_micros <= '1000000000000'::bigint))),
    CONSTRAINT request_inputs_max_output_tokens_check CHECK (((max_output_tokens >= 1) AND (max_output_tokens <= 100000))),
    CONSTRAINT request_inputs_messages_check CHECK (((jsonb_typeof(messages) = 'array'::text) AND (octet_length((messages)::text) <= 1048576))),
    CONSTRAINT request_inputs_model_ref_check CHECK ((model_ref ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'::text)),
    CONSTRAINT request_inputs_response_format_check CHECK ((response_format = ANY (ARRAY['text'::text, 'json'::text]))),
    CONSTRAINT request_inputs_source_watermark_check CHECK (((length(source_watermark) >= 1) AND (length(source_watermark) <= 200))),
    CONSTRAINT request_inputs_system_hash_check CHECK ((length(system_hash) = 64))
);

ALTER TABLE ONLY llm_private.request_inputs_default FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.request_inputs_default OWNER TO llm_owner;

--
-- Name: TABLE request_inputs_default; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.request_inputs_default IS 'Default partition of llm_private.request_inputs: rows outside the created months (lifetime usage, frozen test clocks).';

--
-- Name: requests_default; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.requests_default (
    tenant_id uuid NOT NULL,
    id bigint DEFAULT llm_private.new_request_id() NOT NULL,
    user_id uuid NOT NULL,
    request_id text NOT NULL,
    endpoint llm_private.endpoint NOT NULL,
    state llm_private.request_state DEFAULT 'queued'::llm_private.request_state NOT NULL,
    reason llm_private.reason,
    fingerprint bytea NOT NULL,
    budget_scope text,
    job_id bigint,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);

ALTER TABLE ONLY llm_private.requests_default FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.requests_default OWNER TO llm_owner;

--
-- Name: TABLE requests_default; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.requests_default IS 'Default partition of llm_private.requests: rows outside the created months (lifetime usage, frozen test clocks).';

--
-- Name: schema_state; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.schema_state (
    id boolean DEFAULT true NOT NULL,
    api_hash text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    api_generation integer,
    catalog text[],
    catalog_stamp text,
    CONSTRAINT schema_state_id_check CHECK (id)
);

ALTER TABLE ONLY llm_private.schema_state FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.schema_state OWNER TO llm_owner;

--
-- Name: TABLE schema_state; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.schema_state IS 'One row: the hash of the sql/api files last applied to this database.';

--
-- Name: COLUMN schema_state.api_generation; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.schema_state.api_generation IS 'The generation of the sql/api last applied (sql/api-generation.json of the release that applied it); NULL: applied by a release from before migration 000048.';

--
-- Name: COLUMN schema_state.catalog; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.schema_state.catalog IS 'The guarded catalog facts as the last migrate left them (src/db/catalog-guard.ts CATALOG_SQL): migrate and the worker refuse a database where one of them is no longer true. NULL: last migrated before migration 000050.';

--
-- Name: COLUMN schema_state.catalog_stamp; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON COLUMN llm_private.schema_state.catalog_stamp IS 'The API hash and the last committed migration the catalog was recorded at (src/db/catalog-guard.ts): the catalog is checked only while the database is still at both.';

--
-- Name: shutoff_windows_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.shutoff_windows ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME llm_private.shutoff_windows_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: usage_alert_checks; Type: VIEW; Schema: llm_private; Owner: llm_owner
--

CREATE VIEW llm_private.usage_alert_checks AS
 SELECT u.tenant_id,
    u.meter_id,
    u.user_id,
    u.budget_scope,
    u.period_start
   FROM llm_private.usage u
  WHERE false;

ALTER TABLE llm_private.usage_alert_checks OWNER TO llm_owner;

--
-- Name: VIEW usage_alert_checks; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON VIEW llm_private.usage_alert_checks IS 'A command, not data (no row): INSERT (tenant_id, meter_id, user_id, budget_scope, period_start) checks each shard of that subject whose spend reached its next_alert_at, as its next settle would (alerts, trip, next level) (llm.evaluate_limits).';

--
-- Name: usage_default; Type: TABLE; Schema: llm_private; Owner: llm_owner
--

CREATE TABLE llm_private.usage_default (
    tenant_id uuid NOT NULL,
    meter_id smallint NOT NULL,
    user_id uuid NOT NULL,
    budget_scope text NOT NULL,
    period_start timestamp with time zone NOT NULL,
    shard smallint NOT NULL,
    limit_id integer NOT NULL,
    cap bigint NOT NULL,
    quota bigint NOT NULL,
    held bigint DEFAULT 0 NOT NULL,
    spent bigint DEFAULT 0 NOT NULL,
    next_alert_at bigint DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY llm_private.usage_default FORCE ROW LEVEL SECURITY;

ALTER TABLE llm_private.usage_default OWNER TO llm_owner;

--
-- Name: TABLE usage_default; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON TABLE llm_private.usage_default IS 'Default partition of llm_private.usage: rows outside the created months (lifetime usage, frozen test clocks).';

--
-- Name: usage_recaps; Type: VIEW; Schema: llm_private; Owner: llm_owner
--

CREATE VIEW llm_private.usage_recaps AS
 SELECT u.tenant_id,
    u.meter_id,
    u.user_id,
    u.budget_scope,
    u.period_start
   FROM llm_private.usage u
  WHERE false;

ALTER TABLE llm_private.usage_recaps OWNER TO llm_owner;

--
-- Name: VIEW usage_recaps; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON VIEW llm_private.usage_recaps IS 'A command, not data (no row): INSERT (tenant_id, meter_id, user_id, budget_scope, period_start) re-caps that subject''s current usage rows to the limit in effect now, as its next reserve would (llm.evaluate_limits).';

--
-- Name: usage_repairs_id_seq; Type: SEQUENCE; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.usage_repairs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME llm_private.usage_repairs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: adjustments_default; Type: TABLE ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.adjustments ATTACH PARTITION llm_private.adjustments_default DEFAULT;

--
-- Name: alerts_default; Type: TABLE ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.alerts ATTACH PARTITION llm_private.alerts_default DEFAULT;

--
-- Name: attempts_default; Type: TABLE ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.attempts ATTACH PARTITION llm_private.attempts_default DEFAULT;

--
-- Name: request_inputs_default; Type: TABLE ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.request_inputs ATTACH PARTITION llm_private.request_inputs_default DEFAULT;

--
-- Name: requests_default; Type: TABLE ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.requests ATTACH PARTITION llm_private.requests_default DEFAULT;

--
-- Name: usage_default; Type: TABLE ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.usage ATTACH PARTITION llm_private.usage_default DEFAULT;

--
-- Name: adjustments adjustments_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.adjustments
    ADD CONSTRAINT adjustments_pkey PRIMARY KEY (tenant_id, id, effective_at);

--
-- Name: adjustments_default adjustments_default_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.adjustments_default
    ADD CONSTRAINT adjustments_default_pkey PRIMARY KEY (tenant_id, id, effective_at);

--
-- Name: alerts alerts_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.alerts
    ADD CONSTRAINT alerts_pkey PRIMARY KEY (tenant_id, meter_id, user_id, budget_scope, period_start, threshold_pct);

--
-- Name: alerts_default alerts_default_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.alerts_default
    ADD CONSTRAINT alerts_default_pkey PRIMARY KEY (tenant_id, meter_id, user_id, budget_scope, period_start, threshold_pct);

--
-- Name: attempts attempts_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.attempts
    ADD CONSTRAINT attempts_pkey PRIMARY KEY (tenant_id, request_pk, attempt_no);

--
-- Name: attempts_default attempts_default_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.attempts_default
    ADD CONSTRAINT attempts_default_pkey PRIMARY KEY (tenant_id, request_pk, attempt_no);

--
-- Name: breaker_transitions breaker_transitions_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.breaker_transitions
    ADD CONSTRAINT breaker_transitions_pkey PRIMARY KEY (id);

--
-- Name: budget_scopes budget_scopes_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.budget_scopes
    ADD CONSTRAINT budget_scopes_pkey PRIMARY KEY (tenant_id, scope_key);

--
-- Name: cache_entries cache_entries_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.cache_entries
    ADD CONSTRAINT cache_entries_pkey PRIMARY KEY (tenant_id, owner_user_id, cache_key);

--
-- Name: cache_fills cache_fills_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.cache_fills
    ADD CONSTRAINT cache_fills_pkey PRIMARY KEY (tenant_id, owner_user_id, cache_key);

--
-- Name: call_outputs call_outputs_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.call_outputs
    ADD CONSTRAINT call_outputs_pkey PRIMARY KEY (tenant_id, request_pk, attempt_no);

--
-- Name: claim_mutexes claim_mutexes_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.claim_mutexes
    ADD CONSTRAINT claim_mutexes_pkey PRIMARY KEY (tenant_id, key_hash);

--
-- Name: clock clock_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.clock
    ADD CONSTRAINT clock_pkey PRIMARY KEY (id);

--
-- Name: context_keys context_keys_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.context_keys
    ADD CONSTRAINT context_keys_pkey PRIMARY KEY (kid);

--
-- Name: context_keys context_keys_secret_sha256_key; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.context_keys
    ADD CONSTRAINT context_keys_secret_sha256_key UNIQUE (secret_sha256);

--
-- Name: endpoint_settings endpoint_settings_tenant_id_endpoint_key; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.endpoint_settings
    ADD CONSTRAINT endpoint_settings_tenant_id_endpoint_key UNIQUE NULLS NOT DISTINCT (tenant_id, endpoint);

--
-- Name: erasures erasures_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.erasures
    ADD CONSTRAINT erasures_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: limits limits_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.limits
    ADD CONSTRAINT limits_pkey PRIMARY KEY (id);

--
-- Name: meters meters_name_key; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.meters
    ADD CONSTRAINT meters_name_key UNIQUE (name);

--
-- Name: meters meters_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.meters
    ADD CONSTRAINT meters_pkey PRIMARY KEY (id);

--
-- Name: model_fallbacks model_fallbacks_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.model_fallbacks
    ADD CONSTRAINT model_fallbacks_pkey PRIMARY KEY (provider, model, "position");

--
-- Name: model_prices model_prices_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.model_prices
    ADD CONSTRAINT model_prices_pkey PRIMARY KEY (id);

--
-- Name: model_prices model_prices_provider_model_effective_from_key; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.model_prices
    ADD CONSTRAINT model_prices_provider_model_effective_from_key UNIQUE (provider, model, effective_from);

--
-- Name: models models_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.models
    ADD CONSTRAINT models_pkey PRIMARY KEY (provider, model);

--
-- Name: month_closes month_closes_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.month_closes
    ADD CONSTRAINT month_closes_pkey PRIMARY KEY (month_start);

--
-- Name: provider_breakers provider_breakers_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.provider_breakers
    ADD CONSTRAINT provider_breakers_pkey PRIMARY KEY (provider, model);

--
-- Name: reasoning_traces reasoning_traces_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.reasoning_traces
    ADD CONSTRAINT reasoning_traces_pkey PRIMARY KEY (tenant_id, request_pk, attempt_no);

--
-- Name: reconciliation_checks reconciliation_checks_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.reconciliation_checks
    ADD CONSTRAINT reconciliation_checks_pkey PRIMARY KEY (id);

--
-- Name: request_inputs request_inputs_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.request_inputs
    ADD CONSTRAINT request_inputs_pkey PRIMARY KEY (tenant_id, request_pk);

--
-- Name: request_inputs_default request_inputs_default_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.request_inputs_default
    ADD CONSTRAINT request_inputs_default_pkey PRIMARY KEY (tenant_id, request_pk);

--
-- Name: requests requests_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.requests
    ADD CONSTRAINT requests_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: requests_default requests_default_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.requests_default
    ADD CONSTRAINT requests_default_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: schema_state schema_state_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.schema_state
    ADD CONSTRAINT schema_state_pkey PRIMARY KEY (id);

--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (id);

--
-- Name: shutoff_windows shutoff_windows_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.shutoff_windows
    ADD CONSTRAINT shutoff_windows_pkey PRIMARY KEY (id);

--
-- Name: tenants tenants_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.tenants
    ADD CONSTRAINT tenants_pkey PRIMARY KEY (id);

--
-- Name: usage usage_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.usage
    ADD CONSTRAINT usage_pkey PRIMARY KEY (tenant_id, meter_id, user_id, budget_scope, period_start, shard);

--
-- Name: usage_default usage_default_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.usage_default
    ADD CONSTRAINT usage_default_pkey PRIMARY KEY (tenant_id, meter_id, user_id, budget_scope, period_start, shard);

--
-- Name: usage_repairs usage_repairs_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.usage_repairs
    ADD CONSTRAINT usage_repairs_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: worker_heartbeats worker_heartbeats_pkey; Type: CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.worker_heartbeats
    ADD CONSTRAINT worker_heartbeats_pkey PRIMARY KEY (worker_id);

--
-- Name: alerts_budget_scope_fired_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX alerts_budget_scope_fired_idx ON ONLY llm_private.alerts USING btree (fired_at) WHERE (budget_scope <> ''::text);

--
-- Name: INDEX alerts_budget_scope_fired_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.alerts_budget_scope_fired_idx IS 'llm.limit_use_maxima: the newest threshold crossings of budget scopes (the metrics'' llm_limit_used_ratio_max{scope="budget_scope"}).';

--
-- Name: alerts_default_fired_at_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX alerts_default_fired_at_idx ON llm_private.alerts_default USING btree (fired_at) WHERE (budget_scope <> ''::text);

--
-- Name: attempts_expires_brin; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX attempts_expires_brin ON ONLY llm_private.attempts USING brin (expires_at);

--
-- Name: attempts_default_expires_at_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX attempts_default_expires_at_idx ON llm_private.attempts_default USING brin (expires_at);

--
-- Name: attempts_reserved_brin; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX attempts_reserved_brin ON ONLY llm_private.attempts USING brin (reserved_at, ((date_trunc('month'::text, (reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text)), ((date_trunc('hour'::text, (reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text))) WITH (autosummarize='on');

--
-- Name: INDEX attempts_reserved_brin; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.attempts_reserved_brin IS 'Block ranges of reserved_at, its UTC month and its UTC hour (the expressions the audit views group by: llm.monthly_spend, llm.hourly_spend, llm.refusals_by_reason, llm.cache_stats). The ledger arrives in reserved_at order.';

--
-- Name: attempts_default_reserved_at_timezone_timezone1_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX attempts_default_reserved_at_timezone_timezone1_idx ON llm_private.attempts_default USING brin (reserved_at, ((date_trunc('month'::text, (reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text)), ((date_trunc('hour'::text, (reserved_at AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text))) WITH (autosummarize='on');

--
-- Name: breaker_transitions_changed_at_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX breaker_transitions_changed_at_idx ON llm_private.breaker_transitions USING btree (changed_at);

--
-- Name: breaker_transitions_model_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX breaker_transitions_model_idx ON llm_private.breaker_transitions USING btree (provider, model, changed_at);

--
-- Name: budget_scopes_endpoint_started_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX budget_scopes_endpoint_started_idx ON llm_private.budget_scopes USING btree (first_endpoint, started_at, tenant_id, scope_key);

--
-- Name: INDEX budget_scopes_endpoint_started_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.budget_scopes_endpoint_started_idx IS 'llm.budget_scopes_page of every tenant: the open scopes without a deadline, of the endpoints that may have none, newest first.';

--
-- Name: budget_scopes_last_reserve_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX budget_scopes_last_reserve_idx ON llm_private.budget_scopes USING btree (last_reserve_month);

--
-- Name: INDEX budget_scopes_last_reserve_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.budget_scopes_last_reserve_idx IS 'The scopes retention may forget, without reading every scope while it holds the ledger tables.';

--
-- Name: budget_scopes_started_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX budget_scopes_started_idx ON llm_private.budget_scopes USING btree (started_at, tenant_id, scope_key);

--
-- Name: INDEX budget_scopes_started_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.budget_scopes_started_idx IS 'llm.budget_scopes_page of every tenant: newest first, the next page from the last row''s (started_at, tenant_id, scope_key).';

--
-- Name: budget_scopes_tenant_endpoint_started_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX budget_scopes_tenant_endpoint_started_idx ON llm_private.budget_scopes USING btree (tenant_id, first_endpoint, started_at, scope_key);

--
-- Name: INDEX budget_scopes_tenant_endpoint_started_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.budget_scopes_tenant_endpoint_started_idx IS 'llm.budget_scopes_page of one tenant: its open scopes without a deadline, of the endpoints that may have none, newest first.';

--
-- Name: budget_scopes_tenant_started_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX budget_scopes_tenant_started_idx ON llm_private.budget_scopes USING btree (tenant_id, started_at, scope_key);

--
-- Name: INDEX budget_scopes_tenant_started_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.budget_scopes_tenant_started_idx IS 'llm.budget_scopes_page of one tenant: newest first, the next page from the last row''s (started_at, scope_key).';

--
-- Name: cache_entries_expiry_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX cache_entries_expiry_idx ON llm_private.cache_entries USING btree (expires_at);

--
-- Name: cache_entries_semantic_scope_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX cache_entries_semantic_scope_idx ON llm_private.cache_entries USING btree (tenant_id, owner_user_id, provider, model, source_watermark, system_hash, response_format, embedding_model, created_at DESC, cache_key) WHERE (embedding IS NOT NULL);

--
-- Name: INDEX cache_entries_semantic_scope_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.cache_entries_semantic_scope_idx IS 'Portable semantic lookup: a scope''s embedded entries newest first (endpoint is checked on the row: enum equality is not leakproof, so it cannot be an index condition under RLS).';

--
-- Name: cache_entries_watermark_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX cache_entries_watermark_idx ON llm_private.cache_entries USING btree (tenant_id, source_watermark);

--
-- Name: call_outputs_expiry_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX call_outputs_expiry_idx ON llm_private.call_outputs USING btree (expires_at);

--
-- Name: limits_meter_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX limits_meter_idx ON llm_private.limits USING btree (meter_id, tenant_id, user_id);

--
-- Name: reasoning_traces_expiry_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX reasoning_traces_expiry_idx ON llm_private.reasoning_traces USING btree (expires_at);

--
-- Name: requests_claim_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX requests_claim_idx ON ONLY llm_private.requests USING btree (tenant_id, request_id, endpoint);

--
-- Name: requests_created_brin; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX requests_created_brin ON ONLY llm_private.requests USING brin (created_at);

--
-- Name: requests_default_created_at_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX requests_default_created_at_idx ON llm_private.requests_default USING brin (created_at);

--
-- Name: requests_tenant_scope_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX requests_tenant_scope_idx ON ONLY llm_private.requests USING btree (tenant_id, budget_scope) WHERE (budget_scope IS NOT NULL);

--
-- Name: INDEX requests_tenant_scope_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.requests_tenant_scope_idx IS 'llm.budget_scopes: the requests of one budget scope (its calls counted from the ledger when it lacks a meter''s usage).';

--
-- Name: requests_default_tenant_id_budget_scope_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX requests_default_tenant_id_budget_scope_idx ON llm_private.requests_default USING btree (tenant_id, budget_scope) WHERE (budget_scope IS NOT NULL);

--
-- Name: requests_default_tenant_id_request_id_endpoint_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX requests_default_tenant_id_request_id_endpoint_idx ON llm_private.requests_default USING btree (tenant_id, request_id, endpoint);

--
-- Name: shutoff_windows_active_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX shutoff_windows_active_idx ON llm_private.shutoff_windows USING btree (ends_at) WHERE (cancelled_at IS NULL);

--
-- Name: shutoff_windows_one_trip_per_period; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE UNIQUE INDEX shutoff_windows_one_trip_per_period ON llm_private.shutoff_windows USING btree (limit_id, scope, COALESCE(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), COALESCE(user_id, '00000000-0000-0000-0000-000000000000'::uuid), trip_period) WHERE (trip_period IS NOT NULL);

--
-- Name: INDEX shutoff_windows_one_trip_per_period; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.shutoff_windows_one_trip_per_period IS 'One tripped window per limit, subject and period: llm_private.trip_shutoff inserts with ON CONFLICT DO NOTHING, so concurrent trips open one.';

--
-- Name: usage_meter_period_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX usage_meter_period_idx ON ONLY llm_private.usage USING btree (meter_id, period_start);

--
-- Name: INDEX usage_meter_period_idx; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON INDEX llm_private.usage_meter_period_idx IS 'A meter''s usage rows from a period on: llm.evaluate_limits reads the periods not ended (10 minutes back) of each meter.';

--
-- Name: usage_default_meter_id_period_start_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX usage_default_meter_id_period_start_idx ON llm_private.usage_default USING btree (meter_id, period_start);

--
-- Name: usage_tenant_scope_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX usage_tenant_scope_idx ON ONLY llm_private.usage USING btree (tenant_id, budget_scope);

--
-- Name: usage_default_tenant_id_budget_scope_idx; Type: INDEX; Schema: llm_private; Owner: llm_owner
--

CREATE INDEX usage_default_tenant_id_budget_scope_idx ON llm_private.usage_default USING btree (tenant_id, budget_scope);

--
-- Name: adjustments_default_pkey; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.adjustments_pkey ATTACH PARTITION llm_private.adjustments_default_pkey;

--
-- Name: alerts_default_fired_at_idx; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.alerts_budget_scope_fired_idx ATTACH PARTITION llm_private.alerts_default_fired_at_idx;

--
-- Name: alerts_default_pkey; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.alerts_pkey ATTACH PARTITION llm_private.alerts_default_pkey;

--
-- Name: attempts_default_expires_at_idx; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.attempts_expires_brin ATTACH PARTITION llm_private.attempts_default_expires_at_idx;

--
-- Name: attempts_default_pkey; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.attempts_pkey ATTACH PARTITION llm_private.attempts_default_pkey;

--
-- Name: attempts_default_reserved_at_timezone_timezone1_idx; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.attempts_reserved_brin ATTACH PARTITION llm_private.attempts_default_reserved_at_timezone_timezone1_idx;

--
-- Name: request_inputs_default_pkey; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.request_inputs_pkey ATTACH PARTITION llm_private.request_inputs_default_pkey;

--
-- Name: requests_default_created_at_idx; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.requests_created_brin ATTACH PARTITION llm_private.requests_default_created_at_idx;

--
-- Name: requests_default_pkey; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.requests_pkey ATTACH PARTITION llm_private.requests_default_pkey;

--
-- Name: requests_default_tenant_id_budget_scope_idx; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.requests_tenant_scope_idx ATTACH PARTITION llm_private.requests_default_tenant_id_budget_scope_idx;

--
-- Name: requests_default_tenant_id_request_id_endpoint_idx; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.requests_claim_idx ATTACH PARTITION llm_private.requests_default_tenant_id_request_id_endpoint_idx;

--
-- Name: usage_default_meter_id_period_start_idx; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.usage_meter_period_idx ATTACH PARTITION llm_private.usage_default_meter_id_period_start_idx;

--
-- Name: usage_default_pkey; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.usage_pkey ATTACH PARTITION llm_private.usage_default_pkey;

--
-- Name: usage_default_tenant_id_budget_scope_idx; Type: INDEX ATTACH; Schema: llm_private; Owner: llm_owner
--

ALTER INDEX llm_private.usage_tenant_scope_idx ATTACH PARTITION llm_private.usage_default_tenant_id_budget_scope_idx;

--
-- Name: adjustments _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.adjustments FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: cache_entries _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.cache_entries FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: call_outputs _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.call_outputs FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: endpoint_settings _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.endpoint_settings FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: erasures _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.erasures FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: limits _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.limits FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: meters _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.meters FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: model_fallbacks _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.model_fallbacks FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: model_prices _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.model_prices FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: models _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.models FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: month_closes _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.month_closes FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: provider_breakers _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.provider_breakers FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: reasoning_traces _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.reasoning_traces FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: request_inputs _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.request_inputs FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: requests _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.requests FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: settings _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.settings FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: shutoff_windows _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.shutoff_windows FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: tenants _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.tenants FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: usage_repairs _050_not_from_worker; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_not_from_worker BEFORE INSERT OR DELETE OR UPDATE ON llm_private.usage_repairs FOR EACH ROW EXECUTE FUNCTION llm_private.tg_operator_changes__not_from_worker();

--
-- Name: usage_repairs _050_stamp; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _050_stamp BEFORE INSERT ON llm_private.usage_repairs FOR EACH ROW EXECUTE FUNCTION llm_private.tg_usage_repairs__stamp();

--
-- Name: adjustments _100_apply; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_apply BEFORE INSERT ON llm_private.adjustments FOR EACH ROW EXECUTE FUNCTION llm_private.tg_adjustments__apply();

--
-- Name: usage_repairs _100_apply; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_apply AFTER INSERT ON llm_private.usage_repairs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_usage_repairs__apply();

--
-- Name: limits _100_check; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_check BEFORE INSERT ON llm_private.limits FOR EACH ROW EXECUTE FUNCTION llm_private.tg_limits__check();

--
-- Name: month_closes _100_check; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_check BEFORE INSERT ON llm_private.month_closes FOR EACH ROW EXECUTE FUNCTION llm_private.tg_month_closes__check();

--
-- Name: usage_alert_checks _100_check; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_check INSTEAD OF INSERT ON llm_private.usage_alert_checks FOR EACH ROW EXECUTE FUNCTION llm_private.tg_usage_alert_checks__check();

--
-- Name: cache_entries _100_derive; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_derive BEFORE INSERT OR UPDATE ON llm_private.cache_entries FOR EACH ROW EXECUTE FUNCTION llm_private.tg_cache_entries__derive();

--
-- Name: call_outputs _100_derive; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_derive BEFORE INSERT ON llm_private.call_outputs FOR EACH ROW EXECUTE FUNCTION llm_private.tg_call_outputs__derive();

--
-- Name: reasoning_traces _100_derive; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_derive BEFORE INSERT ON llm_private.reasoning_traces FOR EACH ROW EXECUTE FUNCTION llm_private.tg_call_outputs__derive();

--
-- Name: reconciliation_checks _100_derive; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_derive BEFORE INSERT ON llm_private.reconciliation_checks FOR EACH ROW EXECUTE FUNCTION llm_private.tg_reconciliation_checks__derive();

--
-- Name: request_inputs _100_derive; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_derive BEFORE INSERT OR UPDATE ON llm_private.request_inputs FOR EACH ROW EXECUTE FUNCTION llm_private.tg_request_inputs__derive();

--
-- Name: erasures _100_erase; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_erase BEFORE INSERT ON llm_private.erasures FOR EACH ROW EXECUTE FUNCTION llm_private.tg_erasures__erase();

--
-- Name: alerts _100_guard; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_guard BEFORE INSERT ON llm_private.alerts FOR EACH ROW EXECUTE FUNCTION llm_private.tg_alerts__guard();

--
-- Name: breaker_transitions _100_guard; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_guard BEFORE INSERT OR DELETE OR UPDATE ON llm_private.breaker_transitions FOR EACH ROW EXECUTE FUNCTION llm_private.tg_breaker_transitions__guard();

--
-- Name: budget_scopes _100_guard; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_guard BEFORE INSERT OR UPDATE ON llm_private.budget_scopes FOR EACH ROW EXECUTE FUNCTION llm_private.tg_budget_scopes__guard();

--
-- Name: cache_fills _100_guard; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_guard BEFORE INSERT OR DELETE OR UPDATE ON llm_private.cache_fills FOR EACH ROW EXECUTE FUNCTION llm_private.tg_cache_fills__guard();

--
-- Name: provider_breakers _100_guard; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_guard BEFORE INSERT OR UPDATE ON llm_private.provider_breakers FOR EACH ROW EXECUTE FUNCTION llm_private.tg_provider_breakers__guard();

--
-- Name: requests _100_guard; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_guard BEFORE INSERT OR UPDATE ON llm_private.requests FOR EACH ROW EXECUTE FUNCTION llm_private.tg_requests__guard();

--
-- Name: shutoff_windows _100_guard; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_guard BEFORE INSERT OR UPDATE ON llm_private.shutoff_windows FOR EACH ROW EXECUTE FUNCTION llm_private.tg_shutoff_windows__guard();

--
-- Name: usage _100_guard; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_guard BEFORE INSERT OR UPDATE ON llm_private.usage FOR EACH ROW EXECUTE FUNCTION llm_private.tg_usage__guard();

--
-- Name: attempts _100_no_delete; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_delete BEFORE DELETE ON llm_private.attempts FOR EACH ROW EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: requests _100_no_delete; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_delete BEFORE DELETE ON llm_private.requests FOR EACH ROW EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: usage _100_no_delete; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_delete BEFORE DELETE ON llm_private.usage FOR EACH ROW EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: adjustments _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.adjustments FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: adjustments_default _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.adjustments_default FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: alerts _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.alerts FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: alerts_default _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.alerts_default FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: attempts _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.attempts FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: attempts_default _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.attempts_default FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: breaker_transitions _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.breaker_transitions FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: erasures _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.erasures FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: month_closes _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.month_closes FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: requests _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.requests FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: requests_default _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.requests_default FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: usage _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.usage FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: usage_default _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.usage_default FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: usage_repairs _100_no_truncate; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_truncate BEFORE TRUNCATE ON llm_private.usage_repairs FOR EACH STATEMENT EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: adjustments _100_no_update; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_update BEFORE DELETE OR UPDATE ON llm_private.adjustments FOR EACH ROW EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: erasures _100_no_update; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_update BEFORE DELETE OR UPDATE ON llm_private.erasures FOR EACH ROW EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: month_closes _100_no_update; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_update BEFORE DELETE OR UPDATE ON llm_private.month_closes FOR EACH ROW EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: usage_repairs _100_no_update; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_no_update BEFORE DELETE OR UPDATE ON llm_private.usage_repairs FOR EACH ROW EXECUTE FUNCTION llm_private.tg_ledger__no_delete();

--
-- Name: usage_recaps _100_recap; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_recap INSTEAD OF INSERT ON llm_private.usage_recaps FOR EACH ROW EXECUTE FUNCTION llm_private.tg_usage_recaps__recap();

--
-- Name: attempts _100_reserve; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_reserve BEFORE INSERT ON llm_private.attempts FOR EACH ROW EXECUTE FUNCTION llm_private.tg_attempts__reserve();

--
-- Name: attempts _100_transition; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _100_transition BEFORE UPDATE ON llm_private.attempts FOR EACH ROW EXECUTE FUNCTION llm_private.tg_attempts__transition();

--
-- Name: attempts _200_after_reserve; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _200_after_reserve AFTER INSERT ON llm_private.attempts FOR EACH ROW WHEN ((((new.state = 'refused'::llm_private.attempt_state) AND (new.purpose = 'chat'::llm_private.purpose)) OR (new.state = 'cached'::llm_private.attempt_state))) EXECUTE FUNCTION llm_private.tg_attempts__after_reserve();

--
-- Name: attempts _200_after_transition; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _200_after_transition AFTER UPDATE ON llm_private.attempts FOR EACH ROW WHEN (((old.state = 'held'::llm_private.attempt_state) AND new.fills_cache)) EXECUTE FUNCTION llm_private.tg_attempts__after_transition();

--
-- Name: provider_breakers _200_record_transition; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _200_record_transition AFTER UPDATE ON llm_private.provider_breakers FOR EACH ROW WHEN ((old.state IS DISTINCT FROM new.state)) EXECUTE FUNCTION llm_private.tg_provider_breakers__record_transition();

--
-- Name: provider_breakers _200_record_transition_born; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _200_record_transition_born AFTER INSERT ON llm_private.provider_breakers FOR EACH ROW WHEN ((new.state <> 'closed'::text)) EXECUTE FUNCTION llm_private.tg_provider_breakers__record_transition();

--
-- Name: attempts _900_ranges; Type: TRIGGER; Schema: llm_private; Owner: llm_owner
--

CREATE TRIGGER _900_ranges BEFORE INSERT OR UPDATE ON llm_private.attempts FOR EACH ROW EXECUTE FUNCTION llm_private.tg_attempts__ranges();

--
-- Name: endpoint_settings endpoint_settings_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.endpoint_settings
    ADD CONSTRAINT endpoint_settings_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES llm_private.tenants(id);

--
-- Name: limits limits_meter_id_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.limits
    ADD CONSTRAINT limits_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES llm_private.meters(id);

--
-- Name: limits limits_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.limits
    ADD CONSTRAINT limits_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES llm_private.tenants(id);

--
-- Name: meters meters_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.meters
    ADD CONSTRAINT meters_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES llm_private.tenants(id);

--
-- Name: model_fallbacks model_fallbacks_fallback_provider_fallback_model_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.model_fallbacks
    ADD CONSTRAINT model_fallbacks_fallback_provider_fallback_model_fkey FOREIGN KEY (fallback_provider, fallback_model) REFERENCES llm_private.models(provider, model);

--
-- Name: model_fallbacks model_fallbacks_provider_model_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.model_fallbacks
    ADD CONSTRAINT model_fallbacks_provider_model_fkey FOREIGN KEY (provider, model) REFERENCES llm_private.models(provider, model);

--
-- Name: model_prices model_prices_provider_model_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.model_prices
    ADD CONSTRAINT model_prices_provider_model_fkey FOREIGN KEY (provider, model) REFERENCES llm_private.models(provider, model);

--
-- Name: usage_repairs usage_repairs_meter_id_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.usage_repairs
    ADD CONSTRAINT usage_repairs_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES llm_private.meters(id);

--
-- Name: users users_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE ONLY llm_private.users
    ADD CONSTRAINT users_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES llm_private.tenants(id);

--
-- Name: adjustments; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.adjustments ENABLE ROW LEVEL SECURITY;

--
-- Name: adjustments_default; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.adjustments_default ENABLE ROW LEVEL SECURITY;

--
-- Name: alerts; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.alerts ENABLE ROW LEVEL SECURITY;

--
-- Name: alerts_default; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.alerts_default ENABLE ROW LEVEL SECURITY;

--
-- Name: requests app_cancel_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_cancel_own ON llm_private.requests FOR UPDATE TO llm_app USING (((tenant_id = llm_private.app_tenant_id()) AND (user_id = llm_private.app_user_id()))) WITH CHECK (((tenant_id = llm_private.app_tenant_id()) AND (user_id = llm_private.app_user_id())));

--
-- Name: claim_mutexes app_claim_keys; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_claim_keys ON llm_private.claim_mutexes TO llm_app USING ((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id))) WITH CHECK ((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)));

--
-- Name: requests app_claim_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_claim_own ON llm_private.requests FOR INSERT TO llm_app WITH CHECK (((tenant_id = llm_private.app_tenant_id()) AND (user_id = llm_private.app_user_id())));

--
-- Name: users app_enroll_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_enroll_own ON llm_private.users FOR INSERT TO llm_app WITH CHECK (((tenant_id = llm_private.app_tenant_id()) AND (id = llm_private.app_user_id())));

--
-- Name: request_inputs app_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_own ON llm_private.request_inputs TO llm_app USING (((tenant_id = llm_private.app_tenant_id()) AND (user_id = llm_private.app_user_id()))) WITH CHECK (((tenant_id = llm_private.app_tenant_id()) AND (user_id = llm_private.app_user_id())));

--
-- Name: budget_scopes app_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select ON llm_private.budget_scopes FOR SELECT TO llm_app USING (((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)) AND (first_user_id = ( SELECT llm_private.app_user_id() AS app_user_id))));

--
-- Name: POLICY app_select ON budget_scopes; Type: COMMENT; Schema: llm_private; Owner: llm_owner
--

COMMENT ON POLICY app_select ON llm_private.budget_scopes IS 'The application reads the budget scopes its own user started (llm.my_usage: their deadline), not another user''s (who started a scope is that user''s), nor the first request''s pk or the month of the last reserve (column grants).';

--
-- Name: limits app_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select ON llm_private.limits FOR SELECT TO llm_app USING (((tenant_id IS NULL) OR ((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)) AND ((user_id IS NULL) OR (user_id = ( SELECT llm_private.app_user_id() AS app_user_id))))));

--
-- Name: meters app_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select ON llm_private.meters FOR SELECT TO llm_app USING (((tenant_id IS NULL) OR (tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id))));

--
-- Name: attempts app_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select_own ON llm_private.attempts FOR SELECT TO llm_app USING (((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)) AND (user_id = ( SELECT llm_private.app_user_id() AS app_user_id))));

--
-- Name: call_outputs app_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select_own ON llm_private.call_outputs FOR SELECT TO llm_app USING (((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)) AND (user_id = ( SELECT llm_private.app_user_id() AS app_user_id))));

--
-- Name: requests app_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select_own ON llm_private.requests FOR SELECT TO llm_app USING (((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)) AND (user_id = ( SELECT llm_private.app_user_id() AS app_user_id))));

--
-- Name: tenants app_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select_own ON llm_private.tenants FOR SELECT TO llm_app USING ((id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)));

--
-- Name: usage app_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select_own ON llm_private.usage FOR SELECT TO llm_app USING (((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)) AND ((user_id = ( SELECT llm_private.app_user_id() AS app_user_id)) OR (user_id = '00000000-0000-0000-0000-000000000000'::uuid))));

--
-- Name: users app_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY app_select_own ON llm_private.users FOR SELECT TO llm_app USING (((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)) AND (id = ( SELECT llm_private.app_user_id() AS app_user_id))));

--
-- Name: attempts; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.attempts ENABLE ROW LEVEL SECURITY;

--
-- Name: attempts_default; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.attempts_default ENABLE ROW LEVEL SECURITY;

--
-- Name: adjustments auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.adjustments FOR SELECT TO llm_auditor USING (true);

--
-- Name: alerts auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.alerts FOR SELECT TO llm_auditor USING (true);

--
-- Name: attempts auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.attempts FOR SELECT TO llm_auditor USING (true);

--
-- Name: budget_scopes auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.budget_scopes FOR SELECT TO llm_auditor USING (true);

--
-- Name: cache_entries auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.cache_entries FOR SELECT TO llm_auditor USING (true);

--
-- Name: call_outputs auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.call_outputs FOR SELECT TO llm_auditor USING (true);

--
-- Name: endpoint_settings auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.endpoint_settings FOR SELECT TO llm_auditor USING (true);

--
-- Name: limits auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.limits FOR SELECT TO llm_auditor USING (true);

--
-- Name: meters auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.meters FOR SELECT TO llm_auditor USING (true);

--
-- Name: reasoning_traces auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.reasoning_traces FOR SELECT TO llm_auditor USING (true);

--
-- Name: request_inputs auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.request_inputs FOR SELECT TO llm_auditor USING (true);

--
-- Name: requests auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.requests FOR SELECT TO llm_auditor USING (true);

--
-- Name: shutoff_windows auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.shutoff_windows FOR SELECT TO llm_auditor USING (true);

--
-- Name: tenants auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.tenants FOR SELECT TO llm_auditor USING (true);

--
-- Name: usage auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.usage FOR SELECT TO llm_auditor USING (true);

--
-- Name: users auditor_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY auditor_select ON llm_private.users FOR SELECT TO llm_auditor USING (true);

--
-- Name: breaker_transitions; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.breaker_transitions ENABLE ROW LEVEL SECURITY;

--
-- Name: budget_scopes; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.budget_scopes ENABLE ROW LEVEL SECURITY;

--
-- Name: cache_entries; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.cache_entries ENABLE ROW LEVEL SECURITY;

--
-- Name: cache_fills; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.cache_fills ENABLE ROW LEVEL SECURITY;

--
-- Name: call_outputs; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.call_outputs ENABLE ROW LEVEL SECURITY;

--
-- Name: claim_mutexes; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.claim_mutexes ENABLE ROW LEVEL SECURITY;

--
-- Name: clock; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.clock ENABLE ROW LEVEL SECURITY;

--
-- Name: context_keys; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.context_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: endpoint_settings; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.endpoint_settings ENABLE ROW LEVEL SECURITY;

--
-- Name: erasures; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.erasures ENABLE ROW LEVEL SECURITY;

--
-- Name: reasoning_traces exporter_allowed; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY exporter_allowed ON llm_private.reasoning_traces FOR SELECT TO llm_exporter USING (((EXISTS ( SELECT 1
   FROM llm_private.tenants t
  WHERE ((t.id = reasoning_traces.tenant_id) AND t.traces_distillable))) AND (EXISTS ( SELECT 1
   FROM llm_private.attempts a
  WHERE ((a.tenant_id = reasoning_traces.tenant_id) AND (a.request_pk = reasoning_traces.request_pk) AND (a.attempt_no = reasoning_traces.attempt_no) AND a.distillation_eligible)))));

--
-- Name: tenants exporter_consented; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY exporter_consented ON llm_private.tenants FOR SELECT TO llm_exporter USING (distillation_opt_in);

--
-- Name: attempts exporter_eligible; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY exporter_eligible ON llm_private.attempts FOR SELECT TO llm_exporter USING ((distillation_eligible AND (EXISTS ( SELECT 1
   FROM llm_private.tenants t
  WHERE (t.id = attempts.tenant_id))) AND (EXISTS ( SELECT 1
   FROM llm_private.model_prices p
  WHERE (p.id = attempts.price_id)))));

--
-- Name: call_outputs exporter_eligible; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY exporter_eligible ON llm_private.call_outputs FOR SELECT TO llm_exporter USING ((EXISTS ( SELECT 1
   FROM llm_private.attempts a
  WHERE ((a.tenant_id = call_outputs.tenant_id) AND (a.request_pk = call_outputs.request_pk) AND (a.attempt_no = call_outputs.attempt_no) AND a.distillation_eligible))));

--
-- Name: request_inputs exporter_eligible; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY exporter_eligible ON llm_private.request_inputs FOR SELECT TO llm_exporter USING ((EXISTS ( SELECT 1
   FROM llm_private.attempts a
  WHERE ((a.tenant_id = request_inputs.tenant_id) AND (a.request_pk = request_inputs.request_pk) AND a.distillation_eligible))));

--
-- Name: model_prices exporter_trainable; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY exporter_trainable ON llm_private.model_prices FOR SELECT TO llm_exporter USING ((EXISTS ( SELECT 1
   FROM llm_private.models m
  WHERE ((m.provider = model_prices.provider) AND (m.model = model_prices.model) AND m.training_allowed))));

--
-- Name: models exporter_trainable; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY exporter_trainable ON llm_private.models FOR SELECT TO llm_exporter USING (training_allowed);

--
-- Name: limits; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.limits ENABLE ROW LEVEL SECURITY;

--
-- Name: meters; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.meters ENABLE ROW LEVEL SECURITY;

--
-- Name: model_fallbacks; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.model_fallbacks ENABLE ROW LEVEL SECURITY;

--
-- Name: model_prices; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.model_prices ENABLE ROW LEVEL SECURITY;

--
-- Name: models; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.models ENABLE ROW LEVEL SECURITY;

--
-- Name: alerts money_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_own ON llm_private.alerts TO llm_money USING (((llm_private.current_user_id() IS NOT NULL) AND ((tenant_id = '00000000-0000-0000-0000-000000000000'::uuid) OR (tenant_id = llm_private.current_tenant_id())))) WITH CHECK (((llm_private.current_user_id() IS NOT NULL) AND ((tenant_id = '00000000-0000-0000-0000-000000000000'::uuid) OR (tenant_id = llm_private.current_tenant_id()))));

--
-- Name: attempts money_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_own ON llm_private.attempts TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id()))) WITH CHECK (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id())));

--
-- Name: budget_scopes money_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_own ON llm_private.budget_scopes TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND (llm_private.current_user_id() IS NOT NULL))) WITH CHECK (((tenant_id = llm_private.current_tenant_id()) AND (llm_private.current_user_id() IS NOT NULL)));

--
-- Name: call_outputs money_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_own ON llm_private.call_outputs TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id()))) WITH CHECK (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id())));

--
-- Name: reasoning_traces money_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_own ON llm_private.reasoning_traces TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id()))) WITH CHECK (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id())));

--
-- Name: requests money_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_own ON llm_private.requests TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id()))) WITH CHECK (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id())));

--
-- Name: usage money_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_own ON llm_private.usage TO llm_money USING (((llm_private.current_user_id() IS NOT NULL) AND ((tenant_id = '00000000-0000-0000-0000-000000000000'::uuid) OR ((tenant_id = llm_private.current_tenant_id()) AND ((user_id = '00000000-0000-0000-0000-000000000000'::uuid) OR (user_id = llm_private.current_user_id())))))) WITH CHECK (((llm_private.current_user_id() IS NOT NULL) AND ((tenant_id = '00000000-0000-0000-0000-000000000000'::uuid) OR ((tenant_id = llm_private.current_tenant_id()) AND ((user_id = '00000000-0000-0000-0000-000000000000'::uuid) OR (user_id = llm_private.current_user_id()))))));

--
-- Name: breaker_transitions money_record; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_record ON llm_private.breaker_transitions FOR INSERT TO llm_money WITH CHECK ((llm_private.current_user_id() IS NOT NULL));

--
-- Name: provider_breakers money_record; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_record ON llm_private.provider_breakers FOR INSERT TO llm_money WITH CHECK ((llm_private.current_user_id() IS NOT NULL));

--
-- Name: cache_entries money_scope; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_scope ON llm_private.cache_entries TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND ((owner_user_id = llm_private.current_user_id()) OR (owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid)))) WITH CHECK (((tenant_id = llm_private.current_tenant_id()) AND ((owner_user_id = llm_private.current_user_id()) OR (owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid))));

--
-- Name: cache_fills money_scope; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_scope ON llm_private.cache_fills TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND ((owner_user_id = llm_private.current_user_id()) OR (owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid)))) WITH CHECK (((tenant_id = llm_private.current_tenant_id()) AND ((owner_user_id = llm_private.current_user_id()) OR (owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid))));

--
-- Name: endpoint_settings money_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_select ON llm_private.endpoint_settings FOR SELECT TO llm_money USING (((tenant_id IS NULL) OR (tenant_id = llm_private.current_tenant_id())));

--
-- Name: limits money_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_select ON llm_private.limits FOR SELECT TO llm_money USING (((tenant_id IS NULL) OR ((tenant_id = llm_private.current_tenant_id()) AND ((user_id IS NULL) OR (user_id = llm_private.current_user_id())))));

--
-- Name: meters money_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_select ON llm_private.meters FOR SELECT TO llm_money USING (((tenant_id IS NULL) OR (tenant_id = llm_private.current_tenant_id())));

--
-- Name: shutoff_windows money_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_select ON llm_private.shutoff_windows FOR SELECT TO llm_money USING (((llm_private.current_user_id() IS NOT NULL) AND ((tenant_id IS NULL) OR ((tenant_id = llm_private.current_tenant_id()) AND ((user_id IS NULL) OR (user_id = llm_private.current_user_id()))))));

--
-- Name: request_inputs money_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_select_own ON llm_private.request_inputs FOR SELECT TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND (user_id = llm_private.current_user_id())));

--
-- Name: tenants money_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_select_own ON llm_private.tenants FOR SELECT TO llm_money USING (((id = llm_private.current_tenant_id()) AND (llm_private.current_user_id() IS NOT NULL)));

--
-- Name: users money_select_own; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_select_own ON llm_private.users FOR SELECT TO llm_money USING (((tenant_id = llm_private.current_tenant_id()) AND (id = llm_private.current_user_id())));

--
-- Name: shutoff_windows money_trip; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_trip ON llm_private.shutoff_windows FOR INSERT TO llm_money WITH CHECK (((kind = 'tripped'::llm_private.window_kind) AND (llm_private.current_user_id() IS NOT NULL) AND ((tenant_id IS NULL) OR ((tenant_id = llm_private.current_tenant_id()) AND ((user_id IS NULL) OR (user_id = llm_private.current_user_id()))))));

--
-- Name: provider_breakers money_update; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY money_update ON llm_private.provider_breakers FOR UPDATE TO llm_money USING ((llm_private.current_user_id() IS NOT NULL)) WITH CHECK ((llm_private.current_user_id() IS NOT NULL));

--
-- Name: month_closes; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.month_closes ENABLE ROW LEVEL SECURITY;

--
-- Name: adjustments operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.adjustments TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: alerts operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.alerts TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: cache_entries operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.cache_entries TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: cache_fills operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.cache_fills TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: call_outputs operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.call_outputs TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: endpoint_settings operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.endpoint_settings TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: limits operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.limits TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: meters operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.meters TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: model_fallbacks operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.model_fallbacks TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: models operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.models TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: provider_breakers operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.provider_breakers TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: reasoning_traces operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.reasoning_traces TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: shutoff_windows operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.shutoff_windows TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: tenants operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.tenants TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: usage operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.usage TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: users operator_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_all ON llm_private.users TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: month_closes operator_close; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_close ON llm_private.month_closes FOR INSERT TO llm_operator WITH CHECK (true);

--
-- Name: request_inputs operator_erase; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_erase ON llm_private.request_inputs FOR DELETE TO llm_operator USING ((EXISTS ( SELECT 1
   FROM llm_private.requests q
  WHERE ((q.tenant_id = request_inputs.tenant_id) AND (q.id = request_inputs.request_pk) AND (q.state <> ALL (ARRAY['queued'::llm_private.request_state, 'running'::llm_private.request_state]))))));

--
-- Name: attempts operator_expire; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_expire ON llm_private.attempts FOR UPDATE TO llm_operator USING (true) WITH CHECK ((state = 'expired'::llm_private.attempt_state));

--
-- Name: requests operator_fail; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_fail ON llm_private.requests FOR UPDATE TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: model_prices operator_insert; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_insert ON llm_private.model_prices FOR INSERT TO llm_operator WITH CHECK (true);

--
-- Name: request_inputs operator_keys; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_keys ON llm_private.request_inputs FOR SELECT TO llm_operator USING (true);

--
-- Name: breaker_transitions operator_purge; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_purge ON llm_private.breaker_transitions FOR DELETE TO llm_operator USING (true);

--
-- Name: reconciliation_checks operator_read; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_read ON llm_private.reconciliation_checks FOR SELECT TO llm_operator USING (true);

--
-- Name: breaker_transitions operator_record; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_record ON llm_private.breaker_transitions FOR INSERT TO llm_operator WITH CHECK (true);

--
-- Name: erasures operator_record; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_record ON llm_private.erasures FOR INSERT TO llm_operator WITH CHECK (true);

--
-- Name: reconciliation_checks operator_record; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_record ON llm_private.reconciliation_checks FOR INSERT TO llm_operator WITH CHECK (true);

--
-- Name: usage_repairs operator_record; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_record ON llm_private.usage_repairs FOR INSERT TO llm_operator WITH CHECK (true);

--
-- Name: attempts operator_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_select ON llm_private.attempts FOR SELECT TO llm_operator USING (true);

--
-- Name: budget_scopes operator_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_select ON llm_private.budget_scopes FOR SELECT TO llm_operator USING (true);

--
-- Name: requests operator_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_select ON llm_private.requests FOR SELECT TO llm_operator USING (true);

--
-- Name: claim_mutexes operator_sweep; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_sweep ON llm_private.claim_mutexes TO llm_operator USING (true);

--
-- Name: settings operator_update; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY operator_update ON llm_private.settings FOR UPDATE TO llm_operator USING (true) WITH CHECK (true);

--
-- Name: clock owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.clock TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: context_keys owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.context_keys TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: endpoint_settings owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.endpoint_settings TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: erasures owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.erasures TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: limits owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.limits TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: meters owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.meters TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: model_fallbacks owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.model_fallbacks TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: model_prices owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.model_prices TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: models owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.models TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: month_closes owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.month_closes TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: reconciliation_checks owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.reconciliation_checks TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: schema_state owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.schema_state TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: settings owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.settings TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: tenants owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.tenants TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: usage_repairs owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.usage_repairs TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: users owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.users TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: worker_heartbeats owner_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY owner_all ON llm_private.worker_heartbeats TO llm_owner USING (true) WITH CHECK (true);

--
-- Name: provider_breakers; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.provider_breakers ENABLE ROW LEVEL SECURITY;

--
-- Name: breaker_transitions readers_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY readers_select ON llm_private.breaker_transitions FOR SELECT TO llm_auditor, llm_operator, llm_viewer USING (true);

--
-- Name: erasures readers_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY readers_select ON llm_private.erasures FOR SELECT TO llm_auditor, llm_operator, llm_viewer USING (true);

--
-- Name: month_closes readers_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY readers_select ON llm_private.month_closes FOR SELECT TO llm_auditor, llm_operator, llm_viewer USING (true);

--
-- Name: reconciliation_checks readers_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY readers_select ON llm_private.reconciliation_checks FOR SELECT TO llm_auditor, llm_viewer USING (true);

--
-- Name: usage_repairs readers_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY readers_select ON llm_private.usage_repairs FOR SELECT TO llm_auditor, llm_operator, llm_viewer USING (true);

--
-- Name: worker_heartbeats readers_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY readers_select ON llm_private.worker_heartbeats FOR SELECT TO llm_auditor, llm_operator, llm_viewer USING (true);

--
-- Name: reasoning_traces; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.reasoning_traces ENABLE ROW LEVEL SECURITY;

--
-- Name: reconciliation_checks; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.reconciliation_checks ENABLE ROW LEVEL SECURITY;

--
-- Name: request_inputs; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.request_inputs ENABLE ROW LEVEL SECURITY;

--
-- Name: request_inputs_default; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.request_inputs_default ENABLE ROW LEVEL SECURITY;

--
-- Name: requests; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.requests ENABLE ROW LEVEL SECURITY;

--
-- Name: requests_default; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.requests_default ENABLE ROW LEVEL SECURITY;

--
-- Name: schema_state; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.schema_state ENABLE ROW LEVEL SECURITY;

--
-- Name: clock select_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY select_all ON llm_private.clock FOR SELECT USING (true);

--
-- Name: model_fallbacks select_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY select_all ON llm_private.model_fallbacks FOR SELECT TO llm_auditor, llm_money, llm_operator, llm_viewer USING (true);

--
-- Name: model_prices select_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY select_all ON llm_private.model_prices FOR SELECT TO llm_app, llm_auditor, llm_money, llm_operator, llm_viewer USING (true);

--
-- Name: models select_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY select_all ON llm_private.models FOR SELECT TO llm_app, llm_auditor, llm_money, llm_operator, llm_viewer USING (true);

--
-- Name: provider_breakers select_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY select_all ON llm_private.provider_breakers FOR SELECT TO llm_auditor, llm_money, llm_operator, llm_viewer USING (true);

--
-- Name: schema_state select_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY select_all ON llm_private.schema_state FOR SELECT USING (true);

--
-- Name: settings select_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY select_all ON llm_private.settings FOR SELECT TO llm_app, llm_auditor, llm_money, llm_operator, llm_viewer USING (true);

--
-- Name: settings; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.settings ENABLE ROW LEVEL SECURITY;

--
-- Name: shutoff_windows; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.shutoff_windows ENABLE ROW LEVEL SECURITY;

--
-- Name: tenants; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.tenants ENABLE ROW LEVEL SECURITY;

--
-- Name: usage; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.usage ENABLE ROW LEVEL SECURITY;

--
-- Name: usage_default; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.usage_default ENABLE ROW LEVEL SECURITY;

--
-- Name: usage_repairs; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.usage_repairs ENABLE ROW LEVEL SECURITY;

--
-- Name: users; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.users ENABLE ROW LEVEL SECURITY;

--
-- Name: adjustments viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.adjustments FOR SELECT TO llm_viewer USING (true);

--
-- Name: alerts viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.alerts FOR SELECT TO llm_viewer USING (true);

--
-- Name: attempts viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.attempts FOR SELECT TO llm_viewer USING (true);

--
-- Name: budget_scopes viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.budget_scopes FOR SELECT TO llm_viewer USING (true);

--
-- Name: endpoint_settings viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.endpoint_settings FOR SELECT TO llm_viewer USING (true);

--
-- Name: limits viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.limits FOR SELECT TO llm_viewer USING (true);

--
-- Name: meters viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.meters FOR SELECT TO llm_viewer USING (true);

--
-- Name: requests viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.requests FOR SELECT TO llm_viewer USING (true);

--
-- Name: shutoff_windows viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.shutoff_windows FOR SELECT TO llm_viewer USING (true);

--
-- Name: usage viewer_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY viewer_select ON llm_private.usage FOR SELECT TO llm_viewer USING (true);

--
-- Name: worker_heartbeats worker_all; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_all ON llm_private.worker_heartbeats TO llm_worker USING (true) WITH CHECK (true);

--
-- Name: claim_mutexes worker_enqueue_release; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_enqueue_release ON llm_private.claim_mutexes TO llm_worker USING ((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)));

--
-- Name: requests worker_enqueue_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_enqueue_select ON llm_private.requests FOR SELECT TO llm_worker USING ((tenant_id = ( SELECT llm_private.app_tenant_id() AS app_tenant_id)));

--
-- Name: requests worker_enqueue_update; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_enqueue_update ON llm_private.requests FOR UPDATE TO llm_worker USING (((tenant_id = llm_private.app_tenant_id()) AND (user_id = llm_private.app_user_id()))) WITH CHECK (((tenant_id = llm_private.app_tenant_id()) AND (user_id = llm_private.app_user_id())));

--
-- Name: worker_heartbeats; Type: ROW SECURITY; Schema: llm_private; Owner: llm_owner
--

ALTER TABLE llm_private.worker_heartbeats ENABLE ROW LEVEL SECURITY;

--
-- Name: requests worker_login_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_login_select ON llm_private.requests FOR SELECT TO llm_worker USING ((SESSION_USER = 'llm_worker'::name));

--
-- Name: model_fallbacks worker_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_select ON llm_private.model_fallbacks FOR SELECT TO llm_worker USING (true);

--
-- Name: model_prices worker_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_select ON llm_private.model_prices FOR SELECT TO llm_worker USING (true);

--
-- Name: models worker_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_select ON llm_private.models FOR SELECT TO llm_worker USING (true);

--
-- Name: settings worker_select; Type: POLICY; Schema: llm_private; Owner: llm_owner
--

CREATE POLICY worker_select ON llm_private.settings FOR SELECT TO llm_worker USING (true);

--
-- Name: SCHEMA llm; Type: ACL; Schema: -; Owner: llm_owner
--

GRANT USAGE ON SCHEMA llm TO llm_app;
GRANT USAGE ON SCHEMA llm TO llm_money;
GRANT USAGE ON SCHEMA llm TO llm_operator;
GRANT USAGE ON SCHEMA llm TO llm_auditor;
GRANT USAGE ON SCHEMA llm TO llm_exporter;
GRANT USAGE ON SCHEMA llm TO llm_worker;
GRANT USAGE ON SCHEMA llm TO llm_viewer;

--
-- Name: SCHEMA llm_private; Type: ACL; Schema: -; Owner: llm_owner
--

GRANT USAGE ON SCHEMA llm_private TO llm_app;
GRANT USAGE ON SCHEMA llm_private TO llm_operator;
GRANT USAGE ON SCHEMA llm_private TO llm_auditor;
GRANT USAGE ON SCHEMA llm_private TO llm_exporter;
GRANT USAGE ON SCHEMA llm_private TO llm_worker;
GRANT USAGE ON SCHEMA llm_private TO llm_money;
GRANT USAGE ON SCHEMA llm_private TO llm_viewer;

--
-- Name: SCHEMA llm_queue; Type: ACL; Schema: -; Owner: llm_worker
--

GRANT USAGE ON SCHEMA llm_queue TO llm_app;

--
-- Name: TYPE limit_action; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.limit_action TO llm_app;
GRANT ALL ON TYPE llm_private.limit_action TO llm_money;
GRANT ALL ON TYPE llm_private.limit_action TO llm_operator;
GRANT ALL ON TYPE llm_private.limit_action TO llm_auditor;
GRANT ALL ON TYPE llm_private.limit_action TO llm_exporter;

--
-- Name: TYPE limit_kind; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.limit_kind TO llm_app;
GRANT ALL ON TYPE llm_private.limit_kind TO llm_money;
GRANT ALL ON TYPE llm_private.limit_kind TO llm_operator;
GRANT ALL ON TYPE llm_private.limit_kind TO llm_auditor;
GRANT ALL ON TYPE llm_private.limit_kind TO llm_exporter;

--
-- Name: TYPE limit_scope; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.limit_scope TO llm_app;
GRANT ALL ON TYPE llm_private.limit_scope TO llm_money;
GRANT ALL ON TYPE llm_private.limit_scope TO llm_operator;
GRANT ALL ON TYPE llm_private.limit_scope TO llm_auditor;
GRANT ALL ON TYPE llm_private.limit_scope TO llm_exporter;

--
-- Name: TYPE limit_unit; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.limit_unit TO llm_app;
GRANT ALL ON TYPE llm_private.limit_unit TO llm_money;
GRANT ALL ON TYPE llm_private.limit_unit TO llm_operator;
GRANT ALL ON TYPE llm_private.limit_unit TO llm_auditor;
GRANT ALL ON TYPE llm_private.limit_unit TO llm_exporter;

--
-- Name: TYPE limit_window; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.limit_window TO llm_app;
GRANT ALL ON TYPE llm_private.limit_window TO llm_money;
GRANT ALL ON TYPE llm_private.limit_window TO llm_operator;
GRANT ALL ON TYPE llm_private.limit_window TO llm_auditor;
GRANT ALL ON TYPE llm_private.limit_window TO llm_exporter;

--
-- Name: TYPE applicable_limit; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.applicable_limit TO llm_app;
GRANT ALL ON TYPE llm_private.applicable_limit TO llm_money;
GRANT ALL ON TYPE llm_private.applicable_limit TO llm_operator;
GRANT ALL ON TYPE llm_private.applicable_limit TO llm_auditor;
GRANT ALL ON TYPE llm_private.applicable_limit TO llm_exporter;

--
-- Name: TYPE attempt_state; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.attempt_state TO llm_app;
GRANT ALL ON TYPE llm_private.attempt_state TO llm_money;
GRANT ALL ON TYPE llm_private.attempt_state TO llm_operator;
GRANT ALL ON TYPE llm_private.attempt_state TO llm_auditor;
GRANT ALL ON TYPE llm_private.attempt_state TO llm_exporter;

--
-- Name: TYPE decision; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.decision TO llm_app;
GRANT ALL ON TYPE llm_private.decision TO llm_money;
GRANT ALL ON TYPE llm_private.decision TO llm_operator;
GRANT ALL ON TYPE llm_private.decision TO llm_auditor;
GRANT ALL ON TYPE llm_private.decision TO llm_exporter;

--
-- Name: TYPE distill_reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.distill_reason TO llm_app;
GRANT ALL ON TYPE llm_private.distill_reason TO llm_money;
GRANT ALL ON TYPE llm_private.distill_reason TO llm_operator;
GRANT ALL ON TYPE llm_private.distill_reason TO llm_auditor;
GRANT ALL ON TYPE llm_private.distill_reason TO llm_exporter;

--
-- Name: TYPE endpoint; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.endpoint TO llm_app;
GRANT ALL ON TYPE llm_private.endpoint TO llm_money;
GRANT ALL ON TYPE llm_private.endpoint TO llm_operator;
GRANT ALL ON TYPE llm_private.endpoint TO llm_auditor;
GRANT ALL ON TYPE llm_private.endpoint TO llm_exporter;

--
-- Name: TYPE provider_status; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.provider_status TO llm_app;
GRANT ALL ON TYPE llm_private.provider_status TO llm_money;
GRANT ALL ON TYPE llm_private.provider_status TO llm_operator;
GRANT ALL ON TYPE llm_private.provider_status TO llm_auditor;
GRANT ALL ON TYPE llm_private.provider_status TO llm_exporter;

--
-- Name: TYPE purpose; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.purpose TO llm_app;
GRANT ALL ON TYPE llm_private.purpose TO llm_money;
GRANT ALL ON TYPE llm_private.purpose TO llm_operator;
GRANT ALL ON TYPE llm_private.purpose TO llm_auditor;
GRANT ALL ON TYPE llm_private.purpose TO llm_exporter;

--
-- Name: TYPE reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.reason TO llm_app;
GRANT ALL ON TYPE llm_private.reason TO llm_money;
GRANT ALL ON TYPE llm_private.reason TO llm_operator;
GRANT ALL ON TYPE llm_private.reason TO llm_auditor;
GRANT ALL ON TYPE llm_private.reason TO llm_exporter;

--
-- Name: TYPE request_state; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.request_state TO llm_app;
GRANT ALL ON TYPE llm_private.request_state TO llm_money;
GRANT ALL ON TYPE llm_private.request_state TO llm_operator;
GRANT ALL ON TYPE llm_private.request_state TO llm_auditor;
GRANT ALL ON TYPE llm_private.request_state TO llm_exporter;

--
-- Name: TYPE window_kind; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT ALL ON TYPE llm_private.window_kind TO llm_app;
GRANT ALL ON TYPE llm_private.window_kind TO llm_money;
GRANT ALL ON TYPE llm_private.window_kind TO llm_operator;
GRANT ALL ON TYPE llm_private.window_kind TO llm_auditor;
GRANT ALL ON TYPE llm_private.window_kind TO llm_exporter;

--
-- Name: FUNCTION adjust_usage(p_tenant_id uuid, p_user_id uuid, p_amount_micros bigint, p_reason text, p_effective_at timestamp with time zone); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.adjust_usage(p_tenant_id uuid, p_user_id uuid, p_amount_micros bigint, p_reason text, p_effective_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.adjust_usage(p_tenant_id uuid, p_user_id uuid, p_amount_micros bigint, p_reason text, p_effective_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION budget_scopes_page(p_tenant_id uuid, p_limit integer, p_after_state text, p_after_deadline_at timestamp with time zone, p_after_started_at timestamp with time zone, p_after_tenant_id uuid, p_after_budget_scope text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.budget_scopes_page(p_tenant_id uuid, p_limit integer, p_after_state text, p_after_deadline_at timestamp with time zone, p_after_started_at timestamp with time zone, p_after_tenant_id uuid, p_after_budget_scope text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.budget_scopes_page(p_tenant_id uuid, p_limit integer, p_after_state text, p_after_deadline_at timestamp with time zone, p_after_started_at timestamp with time zone, p_after_tenant_id uuid, p_after_budget_scope text) TO llm_auditor;
GRANT ALL ON FUNCTION llm.budget_scopes_page(p_tenant_id uuid, p_limit integer, p_after_state text, p_after_deadline_at timestamp with time zone, p_after_started_at timestamp with time zone, p_after_tenant_id uuid, p_after_budget_scope text) TO llm_viewer;
GRANT ALL ON FUNCTION llm.budget_scopes_page(p_tenant_id uuid, p_limit integer, p_after_state text, p_after_deadline_at timestamp with time zone, p_after_started_at timestamp with time zone, p_after_tenant_id uuid, p_after_budget_scope text) TO llm_operator;

--
-- Name: FUNCTION cache_key(p_payload jsonb); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.cache_key(p_payload jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.cache_key(p_payload jsonb) TO llm_app;
GRANT ALL ON FUNCTION llm.cache_key(p_payload jsonb) TO llm_money;
GRANT ALL ON FUNCTION llm.cache_key(p_payload jsonb) TO llm_operator;
GRANT ALL ON FUNCTION llm.cache_key(p_payload jsonb) TO llm_auditor;

--
-- Name: FUNCTION cancel_request(p_request_id text, p_endpoint text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.cancel_request(p_request_id text, p_endpoint text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.cancel_request(p_request_id text, p_endpoint text) TO llm_app;

--
-- Name: FUNCTION cancel_shutoff(p_window_id bigint, p_reason text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.cancel_shutoff(p_window_id bigint, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.cancel_shutoff(p_window_id bigint, p_reason text) TO llm_operator;

--
-- Name: FUNCTION check_reconciliation(); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.check_reconciliation() FROM PUBLIC;
GRANT ALL ON FUNCTION llm.check_reconciliation() TO llm_operator;

--
-- Name: FUNCTION close_month(p_month_start timestamp with time zone, p_reason text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.close_month(p_month_start timestamp with time zone, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.close_month(p_month_start timestamp with time zone, p_reason text) TO llm_operator;

--
-- Name: FUNCTION define_meter(p_name text, p_scope text, p_window text, p_unit text, p_tenant_id uuid, p_provider text, p_model text, p_endpoint text, p_shards integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.define_meter(p_name text, p_scope text, p_window text, p_unit text, p_tenant_id uuid, p_provider text, p_model text, p_endpoint text, p_shards integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.define_meter(p_name text, p_scope text, p_window text, p_unit text, p_tenant_id uuid, p_provider text, p_model text, p_endpoint text, p_shards integer) TO llm_operator;

--
-- Name: FUNCTION define_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_token_parameter text, p_kind text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.define_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_token_parameter text, p_kind text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.define_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_token_parameter text, p_kind text) TO llm_operator;

--
-- Name: FUNCTION disable_meter(p_name text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.disable_meter(p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.disable_meter(p_name text) TO llm_operator;

--
-- Name: FUNCTION embedding_for_call(p_request_pk bigint); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.embedding_for_call(p_request_pk bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.embedding_for_call(p_request_pk bigint) TO llm_money;

--
-- Name: FUNCTION end_limit(p_limit_id integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.end_limit(p_limit_id integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.end_limit(p_limit_id integer) TO llm_operator;

--
-- Name: FUNCTION enqueue_call(p_payload jsonb); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.enqueue_call(p_payload jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.enqueue_call(p_payload jsonb) TO llm_app;

--
-- Name: FUNCTION erase_content(p_tenant_id uuid, p_user_id uuid, p_reason text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.erase_content(p_tenant_id uuid, p_user_id uuid, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.erase_content(p_tenant_id uuid, p_user_id uuid, p_reason text) TO llm_operator;

--
-- Name: FUNCTION evaluate_limits(); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.evaluate_limits() FROM PUBLIC;
GRANT ALL ON FUNCTION llm.evaluate_limits() TO llm_operator;

--
-- Name: FUNCTION expire_holds(p_limit integer, p_full boolean); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.expire_holds(p_limit integer, p_full boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.expire_holds(p_limit integer, p_full boolean) TO llm_operator;

--
-- Name: FUNCTION fail_lost_requests(p_full boolean); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.fail_lost_requests(p_full boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.fail_lost_requests(p_full boolean) TO llm_operator;

--
-- Name: FUNCTION fail_request(p_request_pk bigint, p_reason text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.fail_request(p_request_pk bigint, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.fail_request(p_request_pk bigint, p_reason text) TO llm_money;

--
-- Name: FUNCTION limit_use_maxima(p_budget_scopes integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.limit_use_maxima(p_budget_scopes integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.limit_use_maxima(p_budget_scopes integer) TO llm_auditor;
GRANT ALL ON FUNCTION llm.limit_use_maxima(p_budget_scopes integer) TO llm_viewer;
GRANT ALL ON FUNCTION llm.limit_use_maxima(p_budget_scopes integer) TO llm_operator;

--
-- Name: FUNCTION locked_jobs(); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.locked_jobs() FROM PUBLIC;
GRANT ALL ON FUNCTION llm.locked_jobs() TO llm_worker;

--
-- Name: FUNCTION open_hold_counts(); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.open_hold_counts() FROM PUBLIC;
GRANT ALL ON FUNCTION llm.open_hold_counts() TO llm_auditor;
GRANT ALL ON FUNCTION llm.open_hold_counts() TO llm_viewer;
GRANT ALL ON FUNCTION llm.open_hold_counts() TO llm_operator;

--
-- Name: FUNCTION product_time(); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.product_time() FROM PUBLIC;
GRANT ALL ON FUNCTION llm.product_time() TO llm_auditor;
GRANT ALL ON FUNCTION llm.product_time() TO llm_viewer;
GRANT ALL ON FUNCTION llm.product_time() TO llm_operator;

--
-- Name: FUNCTION purge_cache(p_tenant_id uuid, p_endpoint text, p_source_watermark text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.purge_cache(p_tenant_id uuid, p_endpoint text, p_source_watermark text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.purge_cache(p_tenant_id uuid, p_endpoint text, p_source_watermark text) TO llm_operator;

--
-- Name: FUNCTION purge_expired(p_limit integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.purge_expired(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.purge_expired(p_limit integer) TO llm_operator;

--
-- Name: FUNCTION record_worker_heartbeat(p_worker_id text, p_lock_ids text[], p_host text, p_pid integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.record_worker_heartbeat(p_worker_id text, p_lock_ids text[], p_host text, p_pid integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.record_worker_heartbeat(p_worker_id text, p_lock_ids text[], p_host text, p_pid integer) TO llm_worker;

--
-- Name: FUNCTION release_call(p_request_pk bigint, p_attempt_no integer, p_reason text, p_final_failure text, p_reserved_expiry timestamp with time zone); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.release_call(p_request_pk bigint, p_attempt_no integer, p_reason text, p_final_failure text, p_reserved_expiry timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.release_call(p_request_pk bigint, p_attempt_no integer, p_reason text, p_final_failure text, p_reserved_expiry timestamp with time zone) TO llm_money;

--
-- Name: FUNCTION release_dead_worker_locks(p_locked_for_ms integer, p_heartbeat_within_ms integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.release_dead_worker_locks(p_locked_for_ms integer, p_heartbeat_within_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.release_dead_worker_locks(p_locked_for_ms integer, p_heartbeat_within_ms integer) TO llm_worker;

--
-- Name: FUNCTION repair_usage_drift(p_reason text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.repair_usage_drift(p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.repair_usage_drift(p_reason text) TO llm_operator;

--
-- Name: FUNCTION request_for_call(p_request_pk bigint); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.request_for_call(p_request_pk bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.request_for_call(p_request_pk bigint) TO llm_money;

--
-- Name: FUNCTION reserve_call(p_request_pk bigint, p_job_attempt integer, p_input_tokens integer, p_call_timeout_ms integer, p_trace_id text, p_purpose text, p_embedding real[]); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.reserve_call(p_request_pk bigint, p_job_attempt integer, p_input_tokens integer, p_call_timeout_ms integer, p_trace_id text, p_purpose text, p_embedding real[]) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.reserve_call(p_request_pk bigint, p_job_attempt integer, p_input_tokens integer, p_call_timeout_ms integer, p_trace_id text, p_purpose text, p_embedding real[]) TO llm_money;

--
-- Name: FUNCTION reset_breaker(p_provider text, p_model text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.reset_breaker(p_provider text, p_model text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.reset_breaker(p_provider text, p_model text) TO llm_operator;

--
-- Name: FUNCTION schedule_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_reason text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.schedule_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.schedule_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_reason text) TO llm_operator;

--
-- Name: FUNCTION semantic_cache_path(p_dims integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.semantic_cache_path(p_dims integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.semantic_cache_path(p_dims integer) TO llm_operator;
GRANT ALL ON FUNCTION llm.semantic_cache_path(p_dims integer) TO llm_worker;

--
-- Name: FUNCTION set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer) TO llm_operator;

--
-- Name: FUNCTION set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real, p_embedding_model text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real, p_embedding_model text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real, p_embedding_model text) TO llm_operator;

--
-- Name: FUNCTION set_fallbacks(p_provider text, p_model text, p_chain text[]); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.set_fallbacks(p_provider text, p_model text, p_chain text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.set_fallbacks(p_provider text, p_model text, p_chain text[]) TO llm_operator;

--
-- Name: FUNCTION set_limit(p_meter text, p_cap bigint, p_tenant_id uuid, p_user_id uuid, p_kind text, p_action text, p_valid_from timestamp with time zone, p_valid_until timestamp with time zone, p_alert_pcts smallint[], p_trips_shutoff boolean, p_pressure_pct smallint, p_pressure_model text, p_min_output_tokens integer, p_note text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.set_limit(p_meter text, p_cap bigint, p_tenant_id uuid, p_user_id uuid, p_kind text, p_action text, p_valid_from timestamp with time zone, p_valid_until timestamp with time zone, p_alert_pcts smallint[], p_trips_shutoff boolean, p_pressure_pct smallint, p_pressure_model text, p_min_output_tokens integer, p_note text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.set_limit(p_meter text, p_cap bigint, p_tenant_id uuid, p_user_id uuid, p_kind text, p_action text, p_valid_from timestamp with time zone, p_valid_until timestamp with time zone, p_alert_pcts smallint[], p_trips_shutoff boolean, p_pressure_pct smallint, p_pressure_model text, p_min_output_tokens integer, p_note text) TO llm_operator;

--
-- Name: FUNCTION set_model_price(p_provider text, p_model text, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_effective_from timestamp with time zone); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.set_model_price(p_provider text, p_model text, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_effective_from timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.set_model_price(p_provider text, p_model text, p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_effective_from timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION set_setting(p_name text, p_value text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.set_setting(p_name text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.set_setting(p_name text, p_value text) TO llm_operator;

--
-- Name: FUNCTION set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean) TO llm_operator;

--
-- Name: FUNCTION settle_call(p_request_pk bigint, p_attempt_no integer, p_status text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_output text, p_reasoning text, p_output_valid boolean, p_pii_flagged boolean, p_final_failure text, p_embedding real[], p_answered_model text, p_answered_same boolean, p_reserved_expiry timestamp with time zone); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.settle_call(p_request_pk bigint, p_attempt_no integer, p_status text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_output text, p_reasoning text, p_output_valid boolean, p_pii_flagged boolean, p_final_failure text, p_embedding real[], p_answered_model text, p_answered_same boolean, p_reserved_expiry timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.settle_call(p_request_pk bigint, p_attempt_no integer, p_status text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_output text, p_reasoning text, p_output_valid boolean, p_pii_flagged boolean, p_final_failure text, p_embedding real[], p_answered_model text, p_answered_same boolean, p_reserved_expiry timestamp with time zone) TO llm_money;

--
-- Name: FUNCTION sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer) TO llm_app;
GRANT ALL ON FUNCTION llm.sign_context(p_secret text, p_tenant_id uuid, p_user_id uuid, p_ttl_s integer) TO llm_operator;

--
-- Name: FUNCTION trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamp with time zone, p_reason text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamp with time zone, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamp with time zone, p_reason text) TO llm_operator;

--
-- Name: FUNCTION upsert_tenant(p_tenant_id uuid, p_name text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.upsert_tenant(p_tenant_id uuid, p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.upsert_tenant(p_tenant_id uuid, p_name text) TO llm_operator;

--
-- Name: FUNCTION use_context(p_token text); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.use_context(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.use_context(p_token text) TO llm_app;
GRANT ALL ON FUNCTION llm.use_context(p_token text) TO llm_operator;

--
-- Name: FUNCTION validate_payload(p_payload jsonb); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.validate_payload(p_payload jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.validate_payload(p_payload jsonb) TO llm_app;
GRANT ALL ON FUNCTION llm.validate_payload(p_payload jsonb) TO llm_operator;
GRANT ALL ON FUNCTION llm.validate_payload(p_payload jsonb) TO llm_auditor;

--
-- Name: FUNCTION held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) TO llm_money;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) TO llm_app;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer, p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) TO llm_viewer;

--
-- Name: FUNCTION new_request_id(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.new_request_id() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.new_request_id() TO llm_app;

--
-- Name: FUNCTION now(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.now() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.now() TO llm_app;
GRANT ALL ON FUNCTION llm_private.now() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.now() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.now() TO llm_money;
GRANT ALL ON FUNCTION llm_private.now() TO llm_worker;
GRANT ALL ON FUNCTION llm_private.now() TO llm_viewer;

--
-- Name: TABLE model_prices; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.model_prices TO llm_app;
GRANT SELECT ON TABLE llm_private.model_prices TO llm_money;
GRANT SELECT,INSERT ON TABLE llm_private.model_prices TO llm_operator;
GRANT SELECT ON TABLE llm_private.model_prices TO llm_auditor;
GRANT SELECT ON TABLE llm_private.model_prices TO llm_worker;
GRANT SELECT ON TABLE llm_private.model_prices TO llm_viewer;

--
-- Name: COLUMN model_prices.id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(id) ON TABLE llm_private.model_prices TO llm_exporter;

--
-- Name: COLUMN model_prices.provider; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(provider) ON TABLE llm_private.model_prices TO llm_exporter;

--
-- Name: COLUMN model_prices.model; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(model) ON TABLE llm_private.model_prices TO llm_exporter;

--
-- Name: FUNCTION worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) TO llm_money;
GRANT ALL ON FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) TO llm_app;
GRANT ALL ON FUNCTION llm_private.worst_case_micros(p llm_private.model_prices, p_input_tokens integer, p_output_tokens integer) TO llm_viewer;

--
-- Name: TABLE attempts; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.attempts TO llm_operator;
GRANT SELECT ON TABLE llm_private.attempts TO llm_auditor;
GRANT SELECT ON TABLE llm_private.attempts TO llm_money;

--
-- Name: COLUMN attempts.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(tenant_id) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(tenant_id) ON TABLE llm_private.attempts TO llm_exporter;
GRANT SELECT(tenant_id) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(tenant_id) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.request_pk; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(request_pk) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(request_pk) ON TABLE llm_private.attempts TO llm_exporter;
GRANT SELECT(request_pk) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(request_pk) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.attempt_no; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(attempt_no) ON TABLE llm_private.attempts TO llm_exporter;
GRANT SELECT(attempt_no) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(attempt_no) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.user_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(user_id) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(user_id) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(user_id) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.purpose; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(purpose) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(purpose) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(purpose) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.job_attempt; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(job_attempt) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(job_attempt) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(job_attempt) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.state; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(state) ON TABLE llm_private.attempts TO llm_money;
GRANT UPDATE(state) ON TABLE llm_private.attempts TO llm_operator;
GRANT SELECT(state) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(state) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.decision; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(decision) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(decision) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(reason) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(reason) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.price_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(price_id) ON TABLE llm_private.attempts TO llm_exporter;
GRANT SELECT(price_id) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(price_id) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.input_tokens_estimate; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(input_tokens_estimate) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(input_tokens_estimate) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(input_tokens_estimate) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.max_output_tokens; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(max_output_tokens) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(max_output_tokens) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.held_micros; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(held_micros) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(held_micros) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.reserved_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(reserved_at) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(reserved_at) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.expires_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(expires_at) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(expires_at) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(expires_at) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.ended_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(ended_at) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(ended_at) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.input_tokens; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(input_tokens) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(input_tokens) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(input_tokens) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.cached_input_tokens; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(cached_input_tokens) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(cached_input_tokens) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(cached_input_tokens) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.output_tokens; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(output_tokens) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(output_tokens) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(output_tokens) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.cost_micros; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(cost_micros) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(cost_micros) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.charged_micros; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(charged_micros) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(charged_micros) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.latency_ms; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(latency_ms) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(latency_ms) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(latency_ms) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.provider_status; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(provider_status) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(provider_status) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(provider_status) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.usage_unknown; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(usage_unknown) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(usage_unknown) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.late; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(late) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(late) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.output_valid; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(output_valid) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(output_valid) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(output_valid) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.pii_flagged; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(pii_flagged) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(pii_flagged) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(pii_flagged) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.meter_ids; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(meter_ids) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(meter_ids) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.limit_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(limit_id) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(limit_id) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.limit_cap; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(limit_cap) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(limit_cap) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.limit_used; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(limit_used) ON TABLE llm_private.attempts TO llm_viewer;

--
-- Name: COLUMN attempts.cache_key; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(cache_key) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(cache_key) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.cache_source_pk; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(cache_source_pk) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(cache_source_pk) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.similarity; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(similarity) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(similarity) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(similarity) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.trace_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(trace_id) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(trace_id) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(trace_id) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.distillation_eligible; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(distillation_eligible) ON TABLE llm_private.attempts TO llm_exporter;
GRANT SELECT(distillation_eligible) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(distillation_eligible) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.distillation_reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(distillation_reason) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(distillation_reason) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.fills_cache; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(fills_cache) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(fills_cache) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.semantic_candidates; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(semantic_candidates) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(semantic_candidates) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(semantic_candidates) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.semantic_bound_hit; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(semantic_bound_hit) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(semantic_bound_hit) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(semantic_bound_hit) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.answered_model; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(answered_model) ON TABLE llm_private.attempts TO llm_money;
GRANT SELECT(answered_model) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(answered_model) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: COLUMN attempts.holds_least_charge; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(holds_least_charge) ON TABLE llm_private.attempts TO llm_viewer;
GRANT SELECT(holds_least_charge) ON TABLE llm_private.attempts TO llm_app;

--
-- Name: TABLE limits; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.limits TO llm_app;
GRANT SELECT ON TABLE llm_private.limits TO llm_money;
GRANT SELECT,INSERT ON TABLE llm_private.limits TO llm_operator;
GRANT SELECT ON TABLE llm_private.limits TO llm_auditor;
GRANT SELECT ON TABLE llm_private.limits TO llm_viewer;

--
-- Name: COLUMN limits.valid_until; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(valid_until) ON TABLE llm_private.limits TO llm_operator;

--
-- Name: TABLE meters; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.meters TO llm_app;
GRANT SELECT ON TABLE llm_private.meters TO llm_money;
GRANT SELECT,INSERT ON TABLE llm_private.meters TO llm_operator;
GRANT SELECT ON TABLE llm_private.meters TO llm_auditor;
GRANT SELECT ON TABLE llm_private.meters TO llm_viewer;

--
-- Name: COLUMN meters.disabled_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(disabled_at) ON TABLE llm_private.meters TO llm_operator;

--
-- Name: TABLE requests; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.requests TO llm_app;
GRANT SELECT ON TABLE llm_private.requests TO llm_money;
GRANT SELECT ON TABLE llm_private.requests TO llm_worker;
GRANT SELECT ON TABLE llm_private.requests TO llm_operator;
GRANT SELECT ON TABLE llm_private.requests TO llm_auditor;

--
-- Name: COLUMN requests.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(tenant_id) ON TABLE llm_private.requests TO llm_app;
GRANT SELECT(tenant_id) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(id) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.user_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(user_id) ON TABLE llm_private.requests TO llm_app;
GRANT SELECT(user_id) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.request_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(request_id) ON TABLE llm_private.requests TO llm_app;
GRANT SELECT(request_id) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.endpoint; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(endpoint) ON TABLE llm_private.requests TO llm_app;
GRANT SELECT(endpoint) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.state; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(state) ON TABLE llm_private.requests TO llm_app;
GRANT UPDATE(state) ON TABLE llm_private.requests TO llm_money;
GRANT UPDATE(state) ON TABLE llm_private.requests TO llm_operator;
GRANT SELECT(state) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(reason) ON TABLE llm_private.requests TO llm_money;
GRANT UPDATE(reason) ON TABLE llm_private.requests TO llm_operator;
GRANT SELECT(reason) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.fingerprint; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(fingerprint) ON TABLE llm_private.requests TO llm_app;

--
-- Name: COLUMN requests.budget_scope; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(budget_scope) ON TABLE llm_private.requests TO llm_app;
GRANT SELECT(budget_scope) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.job_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(job_id) ON TABLE llm_private.requests TO llm_worker;
GRANT SELECT(job_id) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.created_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(created_at) ON TABLE llm_private.requests TO llm_app;
GRANT SELECT(created_at) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: COLUMN requests.finished_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(finished_at) ON TABLE llm_private.requests TO llm_money;
GRANT UPDATE(finished_at) ON TABLE llm_private.requests TO llm_operator;
GRANT SELECT(finished_at) ON TABLE llm_private.requests TO llm_viewer;

--
-- Name: TABLE calls; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.calls TO llm_auditor;
GRANT SELECT ON TABLE llm.calls TO llm_viewer;
GRANT SELECT ON TABLE llm.calls TO llm_operator;

--
-- Name: TABLE open_holds; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.open_holds TO llm_auditor;
GRANT SELECT ON TABLE llm.open_holds TO llm_viewer;
GRANT SELECT ON TABLE llm.open_holds TO llm_operator;

--
-- Name: FUNCTION watched_open_holds(p_tenant_id uuid, p_limit integer); Type: ACL; Schema: llm; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm.watched_open_holds(p_tenant_id uuid, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.watched_open_holds(p_tenant_id uuid, p_limit integer) TO llm_auditor;
GRANT ALL ON FUNCTION llm.watched_open_holds(p_tenant_id uuid, p_limit integer) TO llm_viewer;
GRANT ALL ON FUNCTION llm.watched_open_holds(p_tenant_id uuid, p_limit integer) TO llm_operator;

--
-- Name: FUNCTION drop_expired_partitions(); Type: ACL; Schema: llm_maint; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_maint.drop_expired_partitions() FROM PUBLIC;

--
-- Name: FUNCTION ensure_partitions(); Type: ACL; Schema: llm_maint; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_maint.ensure_partitions() FROM PUBLIC;

--
-- Name: FUNCTION forget_unused_budget_scopes(p_keep_from timestamp with time zone); Type: ACL; Schema: llm_maint; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_maint.forget_unused_budget_scopes(p_keep_from timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION summarize_ended_months(); Type: ACL; Schema: llm_maint; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_maint.summarize_ended_months() FROM PUBLIC;

--
-- Name: FUNCTION acting_role(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.acting_role() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.acting_role() TO llm_operator;

--
-- Name: TABLE shutoff_windows; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT SELECT ON TABLE llm_private.shutoff_windows TO llm_operator;
GRANT SELECT ON TABLE llm_private.shutoff_windows TO llm_auditor;
GRANT SELECT ON TABLE llm_private.shutoff_windows TO llm_viewer;

--
-- Name: COLUMN shutoff_windows.scope; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(scope) ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT INSERT(scope) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(tenant_id) ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT INSERT(tenant_id) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.user_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(user_id) ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT INSERT(user_id) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.kind; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(kind) ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT INSERT(kind) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.starts_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(starts_at) ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT INSERT(starts_at) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.ends_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(ends_at) ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT INSERT(ends_at) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(reason) ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT INSERT(reason) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.limit_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(limit_id) ON TABLE llm_private.shutoff_windows TO llm_money;
GRANT INSERT(limit_id) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.cancelled_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(cancelled_at) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.cancelled_by; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(cancelled_by) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: COLUMN shutoff_windows.cancel_reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(cancel_reason) ON TABLE llm_private.shutoff_windows TO llm_operator;

--
-- Name: FUNCTION active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION answered_cost_micros(p_provider text, p_answered text, p_at timestamp with time zone, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.answered_cost_micros(p_provider text, p_answered text, p_at timestamp with time zone, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.answered_cost_micros(p_provider text, p_answered text, p_at timestamp with time zone, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) TO llm_money;

--
-- Name: FUNCTION answered_model_names(p_answered text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.answered_model_names(p_answered text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.answered_model_names(p_answered text) TO llm_money;

--
-- Name: FUNCTION app_context(OUT tenant_id uuid, OUT user_id uuid); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) TO llm_app;
GRANT ALL ON FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) TO llm_money;
GRANT ALL ON FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.app_context(OUT tenant_id uuid, OUT user_id uuid) TO llm_worker;

--
-- Name: FUNCTION app_tenant_id(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.app_tenant_id() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.app_tenant_id() TO llm_app;
GRANT ALL ON FUNCTION llm_private.app_tenant_id() TO llm_money;
GRANT ALL ON FUNCTION llm_private.app_tenant_id() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.app_tenant_id() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.app_tenant_id() TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.app_tenant_id() TO llm_worker;

--
-- Name: FUNCTION app_user_id(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.app_user_id() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.app_user_id() TO llm_app;
GRANT ALL ON FUNCTION llm_private.app_user_id() TO llm_money;
GRANT ALL ON FUNCTION llm_private.app_user_id() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.app_user_id() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.app_user_id() TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.app_user_id() TO llm_worker;

--
-- Name: FUNCTION applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) TO llm_app;
GRANT ALL ON FUNCTION llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_provider text, p_model text, p_has_scope boolean, p_at timestamp with time zone) TO llm_viewer;

--
-- Name: FUNCTION breaker_admission(p_provider text, p_model text, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.breaker_admission(p_provider text, p_model text, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.breaker_admission(p_provider text, p_model text, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.breaker_admission(p_provider text, p_model text, p_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamp with time zone, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamp with time zone, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamp with time zone, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamp with time zone, p_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION breaker_unclaim(p_claims text[], p_keep text, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.breaker_unclaim(p_claims text[], p_keep text, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.breaker_unclaim(p_claims text[], p_keep text, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.breaker_unclaim(p_claims text[], p_keep text, p_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone) TO llm_viewer;
GRANT ALL ON FUNCTION llm_private.budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint, p_started_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) TO llm_viewer;
GRANT ALL ON FUNCTION llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) TO llm_app;

--
-- Name: FUNCTION cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.cache_owner(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint) TO llm_operator;

--
-- Name: FUNCTION cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text, OUT owner_user_id uuid, OUT shared boolean, OUT semantic_threshold real, OUT embedding_model text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text, OUT owner_user_id uuid, OUT shared boolean, OUT semantic_threshold real, OUT embedding_model text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text, OUT owner_user_id uuid, OUT shared boolean, OUT semantic_threshold real, OUT embedding_model text) TO llm_money;
GRANT ALL ON FUNCTION llm_private.cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text, OUT owner_user_id uuid, OUT shared boolean, OUT semantic_threshold real, OUT embedding_model text) TO llm_operator;

--
-- Name: FUNCTION call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) TO llm_money;
GRANT ALL ON FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) TO llm_app;
GRANT ALL ON FUNCTION llm_private.call_cost_micros(p llm_private.model_prices, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) TO llm_viewer;

--
-- Name: FUNCTION charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) TO llm_money;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) TO llm_app;

--
-- Name: FUNCTION charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) TO llm_money;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) TO llm_app;
GRANT ALL ON FUNCTION llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state, p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) TO llm_viewer;

--
-- Name: FUNCTION claim_window_start(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.claim_window_start() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.claim_window_start() TO llm_app;

--
-- Name: FUNCTION closed_through(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.closed_through() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.closed_through() TO llm_operator;

--
-- Name: FUNCTION cost_micros(p_tokens bigint, p_per_mtok_micros bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.cost_micros(p_tokens bigint, p_per_mtok_micros bigint) TO llm_app;

--
-- Name: FUNCTION create_month_partition(p_table text, p_month integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.create_month_partition(p_table text, p_month integer) FROM PUBLIC;

--
-- Name: FUNCTION current_tenant_id(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.current_tenant_id() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.current_tenant_id() TO llm_app;
GRANT ALL ON FUNCTION llm_private.current_tenant_id() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.current_tenant_id() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.current_tenant_id() TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.current_tenant_id() TO llm_money;
GRANT ALL ON FUNCTION llm_private.current_tenant_id() TO llm_worker;

--
-- Name: FUNCTION current_user_id(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.current_user_id() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.current_user_id() TO llm_app;
GRANT ALL ON FUNCTION llm_private.current_user_id() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.current_user_id() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.current_user_id() TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.current_user_id() TO llm_money;
GRANT ALL ON FUNCTION llm_private.current_user_id() TO llm_worker;

--
-- Name: FUNCTION declared_role_settings(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.declared_role_settings() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.declared_role_settings() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.declared_role_settings() TO llm_viewer;
GRANT ALL ON FUNCTION llm_private.declared_role_settings() TO llm_operator;

--
-- Name: FUNCTION distillation_gate(p_tenant_id uuid, p_decision llm_private.decision, p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text, OUT eligible boolean, OUT reason llm_private.distill_reason); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.distillation_gate(p_tenant_id uuid, p_decision llm_private.decision, p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text, OUT eligible boolean, OUT reason llm_private.distill_reason) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.distillation_gate(p_tenant_id uuid, p_decision llm_private.decision, p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text, OUT eligible boolean, OUT reason llm_private.distill_reason) TO llm_money;
GRANT ALL ON FUNCTION llm_private.distillation_gate(p_tenant_id uuid, p_decision llm_private.decision, p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text, OUT eligible boolean, OUT reason llm_private.distill_reason) TO llm_operator;

--
-- Name: FUNCTION drift_keys(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.drift_keys() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.drift_keys() TO llm_operator;

--
-- Name: FUNCTION embedding_attempt_model(p_tenant_id uuid, p_request_pk bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.embedding_attempt_model(p_tenant_id uuid, p_request_pk bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.embedding_attempt_model(p_tenant_id uuid, p_request_pk bigint) TO llm_money;

--
-- Name: FUNCTION embedding_tokens_floor(p_messages jsonb); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.embedding_tokens_floor(p_messages jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.embedding_tokens_floor(p_messages jsonb) TO llm_money;

--
-- Name: FUNCTION end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.end_cache_fill(p_tenant_id uuid, p_request_pk bigint, p_attempt_no smallint) TO llm_operator;

--
-- Name: FUNCTION fingerprint(p_user_id uuid, p jsonb); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.fingerprint(p_user_id uuid, p jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.fingerprint(p_user_id uuid, p jsonb) TO llm_app;

--
-- Name: FUNCTION finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason) TO llm_money;
GRANT ALL ON FUNCTION llm_private.finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason) TO llm_operator;

--
-- Name: FUNCTION from_worker_login_as_operator(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.from_worker_login_as_operator() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.from_worker_login_as_operator() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.from_worker_login_as_operator() TO llm_money;
GRANT ALL ON FUNCTION llm_private.from_worker_login_as_operator() TO llm_app;
GRANT ALL ON FUNCTION llm_private.from_worker_login_as_operator() TO llm_worker;

--
-- Name: FUNCTION guard_partition_truncate(p_partition regclass); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.guard_partition_truncate(p_partition regclass) FROM PUBLIC;

--
-- Name: FUNCTION held_amount(p_unit llm_private.limit_unit, a llm_private.attempts); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) TO llm_money;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) TO llm_app;

--
-- Name: FUNCTION hmac_pads(p_key bytea, OUT ipad bytea, OUT opad bytea); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.hmac_pads(p_key bytea, OUT ipad bytea, OUT opad bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.hmac_pads(p_key bytea, OUT ipad bytea, OUT opad bytea) TO llm_app;
GRANT ALL ON FUNCTION llm_private.hmac_pads(p_key bytea, OUT ipad bytea, OUT opad bytea) TO llm_operator;

--
-- Name: FUNCTION hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea) TO llm_app;
GRANT ALL ON FUNCTION llm_private.hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea) TO llm_operator;

--
-- Name: FUNCTION input_tokens_floor(p_messages jsonb); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.input_tokens_floor(p_messages jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.input_tokens_floor(p_messages jsonb) TO llm_money;
GRANT ALL ON FUNCTION llm_private.input_tokens_floor(p_messages jsonb) TO llm_app;

--
-- Name: FUNCTION is_asked_model(p_asked text, p_answered text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.is_asked_model(p_asked text, p_answered text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.is_asked_model(p_asked text, p_answered text) TO llm_money;

--
-- Name: FUNCTION job_is_ours(p_job_id bigint, p_task_identifier text, p_key text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.job_is_ours(p_job_id bigint, p_task_identifier text, p_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.job_is_ours(p_job_id bigint, p_task_identifier text, p_key text) TO llm_worker;

--
-- Name: FUNCTION ledger_kept_from(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.ledger_kept_from() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.ledger_kept_from() TO llm_operator;

--
-- Name: FUNCTION limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_app;

--
-- Name: FUNCTION limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_app;
GRANT ALL ON FUNCTION llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamp with time zone) TO llm_viewer;

--
-- Name: TABLE cache_entries; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE llm_private.cache_entries TO llm_money;
GRANT SELECT,DELETE ON TABLE llm_private.cache_entries TO llm_operator;
GRANT SELECT ON TABLE llm_private.cache_entries TO llm_auditor;

--
-- Name: FUNCTION live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.live_cache_entry(p_tenant_id uuid, p_owner uuid, p_cache_key text, p_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text) TO llm_app;

--
-- Name: FUNCTION lock_salt(p_tenant_id uuid); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.lock_salt(p_tenant_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.lock_salt(p_tenant_id uuid) TO llm_money;

--
-- Name: FUNCTION max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.max_output_within(p llm_private.model_prices, p_input_tokens integer, p_budget_micros bigint) TO llm_app;

--
-- Name: FUNCTION month_index(p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.month_index(p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.month_index(p_at timestamp with time zone) TO llm_app;
GRANT ALL ON FUNCTION llm_private.month_index(p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.month_index(p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.month_index(p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.month_index(p_at timestamp with time zone) TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.month_index(p_at timestamp with time zone) TO llm_worker;
GRANT ALL ON FUNCTION llm_private.month_index(p_at timestamp with time zone) TO llm_viewer;

--
-- Name: FUNCTION month_start(p_month_index integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.month_start(p_month_index integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.month_start(p_month_index integer) TO llm_app;
GRANT ALL ON FUNCTION llm_private.month_start(p_month_index integer) TO llm_money;
GRANT ALL ON FUNCTION llm_private.month_start(p_month_index integer) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.month_start(p_month_index integer) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.month_start(p_month_index integer) TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.month_start(p_month_index integer) TO llm_worker;
GRANT ALL ON FUNCTION llm_private.month_start(p_month_index integer) TO llm_viewer;

--
-- Name: FUNCTION nil_uuid(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.nil_uuid() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.nil_uuid() TO llm_app;
GRANT ALL ON FUNCTION llm_private.nil_uuid() TO llm_money;
GRANT ALL ON FUNCTION llm_private.nil_uuid() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.nil_uuid() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.nil_uuid() TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.nil_uuid() TO llm_viewer;

--
-- Name: FUNCTION oldest_reservable_request_pk(p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) TO llm_app;
GRANT ALL ON FUNCTION llm_private.oldest_reservable_request_pk(p_at timestamp with time zone) TO llm_viewer;

--
-- Name: FUNCTION partitioned_tables(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.partitioned_tables() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.partitioned_tables() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.partitioned_tables() TO llm_viewer;
GRANT ALL ON FUNCTION llm_private.partitioned_tables() TO llm_operator;

--
-- Name: FUNCTION payload_errors(p jsonb); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.payload_errors(p jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.payload_errors(p jsonb) TO llm_app;
GRANT ALL ON FUNCTION llm_private.payload_errors(p jsonb) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.payload_errors(p jsonb) TO llm_auditor;

--
-- Name: FUNCTION period_end(p_window llm_private.limit_window, p_start timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) TO llm_app;
GRANT ALL ON FUNCTION llm_private.period_end(p_window llm_private.limit_window, p_start timestamp with time zone) TO llm_viewer;

--
-- Name: FUNCTION period_start(p_window llm_private.limit_window, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) TO llm_app;
GRANT ALL ON FUNCTION llm_private.period_start(p_window llm_private.limit_window, p_at timestamp with time zone) TO llm_viewer;

--
-- Name: FUNCTION price_in_effect(p_provider text, p_model text, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.price_in_effect(p_provider text, p_model text, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.price_in_effect(p_provider text, p_model text, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.price_in_effect(p_provider text, p_model text, p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.price_in_effect(p_provider text, p_model text, p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.price_in_effect(p_provider text, p_model text, p_at timestamp with time zone) TO llm_app;

--
-- Name: FUNCTION record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status, p_tenant_id uuid, p_reserved_at timestamp with time zone, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status, p_tenant_id uuid, p_reserved_at timestamp with time zone, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status, p_tenant_id uuid, p_reserved_at timestamp with time zone, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status, p_tenant_id uuid, p_reserved_at timestamp with time zone, p_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION repair_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, p_period_start timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.repair_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, p_period_start timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.repair_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, p_period_start timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION request_ranges(r llm_private.requests); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.request_ranges(r llm_private.requests) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.request_ranges(r llm_private.requests) TO llm_app;
GRANT ALL ON FUNCTION llm_private.request_ranges(r llm_private.requests) TO llm_money;
GRANT ALL ON FUNCTION llm_private.request_ranges(r llm_private.requests) TO llm_operator;

--
-- Name: FUNCTION request_used_micros(p_tenant_id uuid, p_request_pk bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.request_used_micros(p_tenant_id uuid, p_request_pk bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.request_used_micros(p_tenant_id uuid, p_request_pk bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.request_used_micros(p_tenant_id uuid, p_request_pk bigint) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.request_used_micros(p_tenant_id uuid, p_request_pk bigint) TO llm_auditor;

--
-- Name: FUNCTION require_cancel_reason(p_reason text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_cancel_reason(p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_cancel_reason(p_reason text) TO llm_operator;

--
-- Name: FUNCTION require_embedding(p_embedding real[]); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_embedding(p_embedding real[]) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_embedding(p_embedding real[]) TO llm_money;

--
-- Name: FUNCTION require_failure_reason(p_reason text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_failure_reason(p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_failure_reason(p_reason text) TO llm_money;
GRANT ALL ON FUNCTION llm_private.require_failure_reason(p_reason text) TO llm_operator;

--
-- Name: FUNCTION require_money_context(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_money_context() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_money_context() TO llm_app;
GRANT ALL ON FUNCTION llm_private.require_money_context() TO llm_money;
GRANT ALL ON FUNCTION llm_private.require_money_context() TO llm_operator;

--
-- Name: FUNCTION require_range(p_name text, p_value bigint, p_min bigint, p_max bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_range(p_name text, p_value bigint, p_min bigint, p_max bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_range(p_name text, p_value bigint, p_min bigint, p_max bigint) TO llm_app;
GRANT ALL ON FUNCTION llm_private.require_range(p_name text, p_value bigint, p_min bigint, p_max bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.require_range(p_name text, p_value bigint, p_min bigint, p_max bigint) TO llm_operator;

--
-- Name: FUNCTION require_read_committed(p_what text, p_risk text, p_call text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_read_committed(p_what text, p_risk text, p_call text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_read_committed(p_what text, p_risk text, p_call text) TO llm_operator;

--
-- Name: FUNCTION require_shutoff_scope(p_scope text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_shutoff_scope(p_scope text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_shutoff_scope(p_scope text) TO llm_operator;

--
-- Name: FUNCTION require_shutoff_subject(p_scope llm_private.limit_scope, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_shutoff_subject(p_scope llm_private.limit_scope, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_shutoff_subject(p_scope llm_private.limit_scope, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION require_status(p_status text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.require_status(p_status text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.require_status(p_status text) TO llm_money;
GRANT ALL ON FUNCTION llm_private.require_status(p_status text) TO llm_operator;

--
-- Name: FUNCTION reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) TO llm_app;
GRANT ALL ON FUNCTION llm_private.reserved_in_scope(p_reserved_at timestamp with time zone, p_scope_started_at timestamp with time zone) TO llm_viewer;

--
-- Name: FUNCTION role_settings_live(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.role_settings_live() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.role_settings_live() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.role_settings_live() TO llm_viewer;
GRANT ALL ON FUNCTION llm_private.role_settings_live() TO llm_operator;

--
-- Name: FUNCTION scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone) TO llm_viewer;
GRANT ALL ON FUNCTION llm_private.scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text) TO llm_money;

--
-- Name: FUNCTION semantic_claim(p_tenant_id uuid, p_user_id uuid, p_request_pk bigint, p_embedding real[], p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.semantic_claim(p_tenant_id uuid, p_user_id uuid, p_request_pk bigint, p_embedding real[], p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.semantic_claim(p_tenant_id uuid, p_user_id uuid, p_request_pk bigint, p_embedding real[], p_at timestamp with time zone) TO llm_money;

--
-- Name: FUNCTION semantic_hnsw_index(p_dims integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.semantic_hnsw_index(p_dims integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.semantic_hnsw_index(p_dims integer) TO llm_money;
GRANT ALL ON FUNCTION llm_private.semantic_hnsw_index(p_dims integer) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.semantic_hnsw_index(p_dims integer) TO llm_worker;

--
-- Name: FUNCTION semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) TO llm_money;

--
-- Name: FUNCTION semantic_lookup_pgvector(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.semantic_lookup_pgvector(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.semantic_lookup_pgvector(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) TO llm_money;

--
-- Name: FUNCTION semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer) TO llm_money;

--
-- Name: FUNCTION split_model_ref(p_ref text, OUT provider text, OUT model text); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.split_model_ref(p_ref text, OUT provider text, OUT model text) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.split_model_ref(p_ref text, OUT provider text, OUT model text) TO llm_app;
GRANT ALL ON FUNCTION llm_private.split_model_ref(p_ref text, OUT provider text, OUT model text) TO llm_money;
GRANT ALL ON FUNCTION llm_private.split_model_ref(p_ref text, OUT provider text, OUT model text) TO llm_operator;

--
-- Name: FUNCTION stale_reservation(a llm_private.attempts, p_reserved_expiry timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.stale_reservation(a llm_private.attempts, p_reserved_expiry timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.stale_reservation(a llm_private.attempts, p_reserved_expiry timestamp with time zone) TO llm_money;

--
-- Name: FUNCTION subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.subject_used(l llm_private.applicable_limit, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) TO llm_auditor;

--
-- Name: FUNCTION system_hash(p_messages jsonb); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.system_hash(p_messages jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.system_hash(p_messages jsonb) TO llm_app;
GRANT ALL ON FUNCTION llm_private.system_hash(p_messages jsonb) TO llm_money;
GRANT ALL ON FUNCTION llm_private.system_hash(p_messages jsonb) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.system_hash(p_messages jsonb) TO llm_auditor;

--
-- Name: FUNCTION tg_adjustments__apply(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_adjustments__apply() FROM PUBLIC;

--
-- Name: FUNCTION tg_alerts__guard(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_alerts__guard() FROM PUBLIC;

--
-- Name: FUNCTION tg_attempts__after_reserve(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_attempts__after_reserve() FROM PUBLIC;

--
-- Name: FUNCTION tg_attempts__after_transition(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_attempts__after_transition() FROM PUBLIC;

--
-- Name: FUNCTION tg_attempts__ranges(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_attempts__ranges() FROM PUBLIC;

--
-- Name: FUNCTION tg_attempts__reserve(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_attempts__reserve() FROM PUBLIC;

--
-- Name: FUNCTION tg_attempts__transition(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_attempts__transition() FROM PUBLIC;

--
-- Name: FUNCTION tg_breaker_transitions__guard(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_breaker_transitions__guard() FROM PUBLIC;

--
-- Name: FUNCTION tg_budget_scopes__guard(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_budget_scopes__guard() FROM PUBLIC;

--
-- Name: FUNCTION tg_cache_entries__derive(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_cache_entries__derive() FROM PUBLIC;

--
-- Name: FUNCTION tg_cache_fills__guard(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_cache_fills__guard() FROM PUBLIC;

--
-- Name: FUNCTION tg_call_outputs__derive(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_call_outputs__derive() FROM PUBLIC;

--
-- Name: FUNCTION tg_erasures__erase(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_erasures__erase() FROM PUBLIC;

--
-- Name: FUNCTION tg_ledger__no_delete(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_ledger__no_delete() FROM PUBLIC;

--
-- Name: FUNCTION tg_limits__check(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_limits__check() FROM PUBLIC;

--
-- Name: FUNCTION tg_month_closes__check(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_month_closes__check() FROM PUBLIC;

--
-- Name: FUNCTION tg_operator_changes__not_from_worker(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_operator_changes__not_from_worker() FROM PUBLIC;

--
-- Name: FUNCTION tg_provider_breakers__guard(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_provider_breakers__guard() FROM PUBLIC;

--
-- Name: FUNCTION tg_provider_breakers__record_transition(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_provider_breakers__record_transition() FROM PUBLIC;

--
-- Name: FUNCTION tg_reconciliation_checks__derive(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_reconciliation_checks__derive() FROM PUBLIC;

--
-- Name: FUNCTION tg_request_inputs__derive(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_request_inputs__derive() FROM PUBLIC;

--
-- Name: FUNCTION tg_requests__guard(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_requests__guard() FROM PUBLIC;

--
-- Name: FUNCTION tg_shutoff_windows__guard(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_shutoff_windows__guard() FROM PUBLIC;

--
-- Name: FUNCTION tg_usage__guard(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_usage__guard() FROM PUBLIC;

--
-- Name: FUNCTION tg_usage_alert_checks__check(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_usage_alert_checks__check() FROM PUBLIC;

--
-- Name: FUNCTION tg_usage_recaps__recap(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_usage_recaps__recap() FROM PUBLIC;

--
-- Name: FUNCTION tg_usage_repairs__apply(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_usage_repairs__apply() FROM PUBLIC;

--
-- Name: FUNCTION tg_usage_repairs__stamp(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tg_usage_repairs__stamp() FROM PUBLIC;

--
-- Name: FUNCTION trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid, k_period timestamp with time zone, p_used bigint, p_cap bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid, k_period timestamp with time zone, p_used bigint, p_cap bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid, k_period timestamp with time zone, p_used bigint, p_cap bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid, k_period timestamp with time zone, p_used bigint, p_cap bigint) TO llm_operator;

--
-- Name: FUNCTION tx_stamp(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.tx_stamp() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.tx_stamp() TO llm_app;
GRANT ALL ON FUNCTION llm_private.tx_stamp() TO llm_money;
GRANT ALL ON FUNCTION llm_private.tx_stamp() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.tx_stamp() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.tx_stamp() TO llm_exporter;
GRANT ALL ON FUNCTION llm_private.tx_stamp() TO llm_worker;

--
-- Name: FUNCTION usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint, p_limit_id integer, p_cap bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint, p_limit_id integer, p_cap bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint, p_limit_id integer, p_cap bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint, p_limit_id integer, p_cap bigint) TO llm_operator;

--
-- Name: FUNCTION usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text, p_scope_started_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text, p_scope_started_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text, p_scope_started_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text, p_scope_started_at timestamp with time zone) TO llm_operator;

--
-- Name: FUNCTION usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_amount bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_amount bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_amount bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_amount bigint) TO llm_operator;

--
-- Name: FUNCTION usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint, OUT ok boolean, OUT used bigint, OUT quota bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint, OUT ok boolean, OUT used bigint, OUT quota bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint, OUT ok boolean, OUT used bigint, OUT quota bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint, OUT ok boolean, OUT used bigint, OUT quota bigint) TO llm_operator;

--
-- Name: FUNCTION usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) TO llm_money;
GRANT ALL ON FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) TO llm_app;
GRANT ALL ON FUNCTION llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint, p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamp with time zone, p_at timestamp with time zone) TO llm_viewer;

--
-- Name: FUNCTION usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer) TO llm_money;
GRANT ALL ON FUNCTION llm_private.usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer) TO llm_operator;

--
-- Name: FUNCTION usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone) TO llm_viewer;
GRANT ALL ON FUNCTION llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamp with time zone, p_deadline_at timestamp with time zone) TO llm_app;

--
-- Name: FUNCTION usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer, p_cap bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer, p_cap bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer, p_cap bigint) TO llm_money;
GRANT ALL ON FUNCTION llm_private.usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamp with time zone, p_limit_id integer, p_cap bigint) TO llm_operator;

--
-- Name: FUNCTION usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) TO llm_money;
GRANT ALL ON FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) TO llm_operator;
GRANT ALL ON FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) TO llm_app;
GRANT ALL ON FUNCTION llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid) TO llm_viewer;

--
-- Name: FUNCTION used_pct(p_used bigint, p_cap bigint); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.used_pct(p_used bigint, p_cap bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.used_pct(p_used bigint, p_cap bigint) TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.used_pct(p_used bigint, p_cap bigint) TO llm_viewer;
GRANT ALL ON FUNCTION llm_private.used_pct(p_used bigint, p_cap bigint) TO llm_operator;

--
-- Name: FUNCTION watched_holds_from(); Type: ACL; Schema: llm_private; Owner: llm_owner
--

REVOKE ALL ON FUNCTION llm_private.watched_holds_from() FROM PUBLIC;
GRANT ALL ON FUNCTION llm_private.watched_holds_from() TO llm_operator;
GRANT ALL ON FUNCTION llm_private.watched_holds_from() TO llm_auditor;
GRANT ALL ON FUNCTION llm_private.watched_holds_from() TO llm_viewer;

--
-- Name: FUNCTION add_request_job(p_request_pk bigint); Type: ACL; Schema: llm_queue; Owner: llm_worker
--

REVOKE ALL ON FUNCTION llm_queue.add_request_job(p_request_pk bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION llm_queue.add_request_job(p_request_pk bigint) TO llm_app;

--
-- Name: SEQUENCE adjustment_id_seq; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT USAGE ON SEQUENCE llm_private.adjustment_id_seq TO llm_operator;

--
-- Name: TABLE adjustments; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.adjustments TO llm_operator;
GRANT SELECT ON TABLE llm_private.adjustments TO llm_auditor;
GRANT SELECT ON TABLE llm_private.adjustments TO llm_viewer;

--
-- Name: COLUMN adjustments.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(tenant_id) ON TABLE llm_private.adjustments TO llm_operator;

--
-- Name: COLUMN adjustments.user_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(user_id) ON TABLE llm_private.adjustments TO llm_operator;

--
-- Name: COLUMN adjustments.amount_micros; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(amount_micros) ON TABLE llm_private.adjustments TO llm_operator;

--
-- Name: COLUMN adjustments.reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(reason) ON TABLE llm_private.adjustments TO llm_operator;

--
-- Name: COLUMN adjustments.effective_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(effective_at) ON TABLE llm_private.adjustments TO llm_operator;

--
-- Name: TABLE adjustments; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.adjustments TO llm_auditor;
GRANT SELECT ON TABLE llm.adjustments TO llm_viewer;
GRANT SELECT ON TABLE llm.adjustments TO llm_operator;

--
-- Name: SEQUENCE alert_id_seq; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT USAGE ON SEQUENCE llm_private.alert_id_seq TO llm_money;
GRANT USAGE ON SEQUENCE llm_private.alert_id_seq TO llm_operator;

--
-- Name: TABLE alerts; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT ON TABLE llm_private.alerts TO llm_money;
GRANT SELECT,INSERT ON TABLE llm_private.alerts TO llm_operator;
GRANT SELECT ON TABLE llm_private.alerts TO llm_auditor;
GRANT SELECT ON TABLE llm_private.alerts TO llm_viewer;

--
-- Name: TABLE alerts; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.alerts TO llm_auditor;
GRANT SELECT ON TABLE llm.alerts TO llm_viewer;
GRANT SELECT ON TABLE llm.alerts TO llm_operator;

--
-- Name: TABLE provider_breakers; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.provider_breakers TO llm_money;
GRANT SELECT ON TABLE llm_private.provider_breakers TO llm_operator;
GRANT SELECT ON TABLE llm_private.provider_breakers TO llm_auditor;
GRANT SELECT ON TABLE llm_private.provider_breakers TO llm_viewer;

--
-- Name: COLUMN provider_breakers.provider; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(provider) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT INSERT(provider) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.model; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(model) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT INSERT(model) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.state; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(state) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(state) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.consecutive_failures; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(consecutive_failures) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(consecutive_failures) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.open_until; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(open_until) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(open_until) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.probe_started_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(probe_started_at) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(probe_started_at) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.opened_count; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(opened_count) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(opened_count) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.last_failure_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(last_failure_at) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(last_failure_at) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.last_success_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(last_success_at) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(last_success_at) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.updated_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(updated_at) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(updated_at) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.streak_tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(streak_tenant_id) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(streak_tenant_id) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: COLUMN provider_breakers.streak_tenants_many; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(streak_tenants_many) ON TABLE llm_private.provider_breakers TO llm_money;
GRANT UPDATE(streak_tenants_many) ON TABLE llm_private.provider_breakers TO llm_operator;

--
-- Name: TABLE breaker_state; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.breaker_state TO llm_auditor;
GRANT SELECT ON TABLE llm.breaker_state TO llm_viewer;
GRANT SELECT ON TABLE llm.breaker_state TO llm_operator;

--
-- Name: TABLE breaker_transitions; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,DELETE ON TABLE llm_private.breaker_transitions TO llm_operator;
GRANT SELECT ON TABLE llm_private.breaker_transitions TO llm_auditor;
GRANT SELECT ON TABLE llm_private.breaker_transitions TO llm_viewer;

--
-- Name: COLUMN breaker_transitions.provider; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(provider) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(provider) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.model; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(model) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(model) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.from_state; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(from_state) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(from_state) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.to_state; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(to_state) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(to_state) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.cause; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(cause) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(cause) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.consecutive_failures; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(consecutive_failures) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(consecutive_failures) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.open_until; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(open_until) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(open_until) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.streak_tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(streak_tenant_id) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(streak_tenant_id) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.streak_tenants_many; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(streak_tenants_many) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(streak_tenants_many) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: COLUMN breaker_transitions.call_tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(call_tenant_id) ON TABLE llm_private.breaker_transitions TO llm_money;
GRANT INSERT(call_tenant_id) ON TABLE llm_private.breaker_transitions TO llm_operator;

--
-- Name: TABLE breaker_transitions; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.breaker_transitions TO llm_auditor;
GRANT SELECT ON TABLE llm.breaker_transitions TO llm_viewer;
GRANT SELECT ON TABLE llm.breaker_transitions TO llm_operator;

--
-- Name: TABLE budget_scopes; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.budget_scopes TO llm_money;
GRANT SELECT ON TABLE llm_private.budget_scopes TO llm_operator;
GRANT SELECT ON TABLE llm_private.budget_scopes TO llm_auditor;
GRANT SELECT ON TABLE llm_private.budget_scopes TO llm_viewer;

--
-- Name: COLUMN budget_scopes.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(tenant_id) ON TABLE llm_private.budget_scopes TO llm_money;
GRANT SELECT(tenant_id) ON TABLE llm_private.budget_scopes TO llm_app;

--
-- Name: COLUMN budget_scopes.scope_key; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(scope_key) ON TABLE llm_private.budget_scopes TO llm_money;
GRANT SELECT(scope_key) ON TABLE llm_private.budget_scopes TO llm_app;

--
-- Name: COLUMN budget_scopes.started_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(started_at) ON TABLE llm_private.budget_scopes TO llm_money;
GRANT SELECT(started_at) ON TABLE llm_private.budget_scopes TO llm_app;

--
-- Name: COLUMN budget_scopes.first_request_pk; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(first_request_pk) ON TABLE llm_private.budget_scopes TO llm_money;

--
-- Name: COLUMN budget_scopes.last_reserve_month; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(last_reserve_month) ON TABLE llm_private.budget_scopes TO llm_money;

--
-- Name: COLUMN budget_scopes.first_endpoint; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(first_endpoint) ON TABLE llm_private.budget_scopes TO llm_money;
GRANT SELECT(first_endpoint) ON TABLE llm_private.budget_scopes TO llm_app;

--
-- Name: COLUMN budget_scopes.first_user_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(first_user_id) ON TABLE llm_private.budget_scopes TO llm_money;
GRANT SELECT(first_user_id) ON TABLE llm_private.budget_scopes TO llm_app;

--
-- Name: TABLE usage; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.usage TO llm_app;
GRANT SELECT ON TABLE llm_private.usage TO llm_auditor;
GRANT SELECT,INSERT ON TABLE llm_private.usage TO llm_money;
GRANT SELECT,INSERT ON TABLE llm_private.usage TO llm_operator;
GRANT SELECT ON TABLE llm_private.usage TO llm_viewer;

--
-- Name: COLUMN usage.limit_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(limit_id) ON TABLE llm_private.usage TO llm_money;
GRANT UPDATE(limit_id) ON TABLE llm_private.usage TO llm_operator;

--
-- Name: COLUMN usage.cap; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(cap) ON TABLE llm_private.usage TO llm_money;
GRANT UPDATE(cap) ON TABLE llm_private.usage TO llm_operator;

--
-- Name: COLUMN usage.quota; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(quota) ON TABLE llm_private.usage TO llm_money;
GRANT UPDATE(quota) ON TABLE llm_private.usage TO llm_operator;

--
-- Name: COLUMN usage.held; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(held) ON TABLE llm_private.usage TO llm_money;
GRANT UPDATE(held) ON TABLE llm_private.usage TO llm_operator;

--
-- Name: COLUMN usage.spent; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(spent) ON TABLE llm_private.usage TO llm_money;
GRANT UPDATE(spent) ON TABLE llm_private.usage TO llm_operator;

--
-- Name: COLUMN usage.next_alert_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT UPDATE(next_alert_at) ON TABLE llm_private.usage TO llm_money;
GRANT UPDATE(next_alert_at) ON TABLE llm_private.usage TO llm_operator;

--
-- Name: TABLE limit_usage_rows; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.limit_usage_rows TO llm_auditor;
GRANT SELECT ON TABLE llm_private.limit_usage_rows TO llm_viewer;
GRANT SELECT ON TABLE llm_private.limit_usage_rows TO llm_operator;

--
-- Name: TABLE budget_scopes; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.budget_scopes TO llm_auditor;
GRANT SELECT ON TABLE llm.budget_scopes TO llm_viewer;
GRANT SELECT ON TABLE llm.budget_scopes TO llm_operator;

--
-- Name: TABLE cache_stats; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.cache_stats TO llm_auditor;
GRANT SELECT ON TABLE llm.cache_stats TO llm_viewer;
GRANT SELECT ON TABLE llm.cache_stats TO llm_operator;

--
-- Name: TABLE decision_log; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.decision_log TO llm_auditor;
GRANT SELECT ON TABLE llm.decision_log TO llm_viewer;
GRANT SELECT ON TABLE llm.decision_log TO llm_operator;

--
-- Name: TABLE call_outputs; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.call_outputs TO llm_app;
GRANT SELECT ON TABLE llm_private.call_outputs TO llm_auditor;
GRANT SELECT,INSERT ON TABLE llm_private.call_outputs TO llm_money;
GRANT SELECT,DELETE ON TABLE llm_private.call_outputs TO llm_operator;

--
-- Name: COLUMN call_outputs.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(tenant_id) ON TABLE llm_private.call_outputs TO llm_exporter;

--
-- Name: COLUMN call_outputs.request_pk; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(request_pk) ON TABLE llm_private.call_outputs TO llm_exporter;

--
-- Name: COLUMN call_outputs.attempt_no; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(attempt_no) ON TABLE llm_private.call_outputs TO llm_exporter;

--
-- Name: COLUMN call_outputs.output; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(output) ON TABLE llm_private.call_outputs TO llm_exporter;

--
-- Name: COLUMN call_outputs.created_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(created_at) ON TABLE llm_private.call_outputs TO llm_exporter;

--
-- Name: TABLE models; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.models TO llm_app;
GRANT SELECT ON TABLE llm_private.models TO llm_money;
GRANT SELECT,INSERT,UPDATE ON TABLE llm_private.models TO llm_operator;
GRANT SELECT ON TABLE llm_private.models TO llm_auditor;
GRANT SELECT ON TABLE llm_private.models TO llm_worker;
GRANT SELECT ON TABLE llm_private.models TO llm_viewer;

--
-- Name: COLUMN models.provider; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(provider) ON TABLE llm_private.models TO llm_exporter;

--
-- Name: COLUMN models.model; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(model) ON TABLE llm_private.models TO llm_exporter;

--
-- Name: COLUMN models.training_allowed; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(training_allowed) ON TABLE llm_private.models TO llm_exporter;

--
-- Name: TABLE reasoning_traces; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,INSERT ON TABLE llm_private.reasoning_traces TO llm_money;
GRANT SELECT,DELETE ON TABLE llm_private.reasoning_traces TO llm_operator;
GRANT SELECT ON TABLE llm_private.reasoning_traces TO llm_auditor;

--
-- Name: COLUMN reasoning_traces.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(tenant_id) ON TABLE llm_private.reasoning_traces TO llm_exporter;

--
-- Name: COLUMN reasoning_traces.request_pk; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(request_pk) ON TABLE llm_private.reasoning_traces TO llm_exporter;

--
-- Name: COLUMN reasoning_traces.attempt_no; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(attempt_no) ON TABLE llm_private.reasoning_traces TO llm_exporter;

--
-- Name: COLUMN reasoning_traces.trace; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(trace) ON TABLE llm_private.reasoning_traces TO llm_exporter;

--
-- Name: TABLE request_inputs; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.request_inputs TO llm_app;
GRANT SELECT ON TABLE llm_private.request_inputs TO llm_money;
GRANT SELECT ON TABLE llm_private.request_inputs TO llm_auditor;
GRANT DELETE ON TABLE llm_private.request_inputs TO llm_operator;

--
-- Name: COLUMN request_inputs.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(tenant_id) ON TABLE llm_private.request_inputs TO llm_app;
GRANT SELECT(tenant_id) ON TABLE llm_private.request_inputs TO llm_exporter;
GRANT SELECT(tenant_id) ON TABLE llm_private.request_inputs TO llm_operator;

--
-- Name: COLUMN request_inputs.request_pk; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(request_pk) ON TABLE llm_private.request_inputs TO llm_app;
GRANT SELECT(request_pk) ON TABLE llm_private.request_inputs TO llm_exporter;
GRANT SELECT(request_pk) ON TABLE llm_private.request_inputs TO llm_operator;

--
-- Name: COLUMN request_inputs.user_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(user_id) ON TABLE llm_private.request_inputs TO llm_app;
GRANT SELECT(user_id) ON TABLE llm_private.request_inputs TO llm_operator;

--
-- Name: COLUMN request_inputs.model_ref; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(model_ref) ON TABLE llm_private.request_inputs TO llm_app;

--
-- Name: COLUMN request_inputs.messages; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(messages) ON TABLE llm_private.request_inputs TO llm_app;
GRANT SELECT(messages) ON TABLE llm_private.request_inputs TO llm_exporter;

--
-- Name: COLUMN request_inputs.max_output_tokens; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(max_output_tokens) ON TABLE llm_private.request_inputs TO llm_app;

--
-- Name: COLUMN request_inputs.response_format; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(response_format) ON TABLE llm_private.request_inputs TO llm_app;

--
-- Name: COLUMN request_inputs.source_watermark; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(source_watermark) ON TABLE llm_private.request_inputs TO llm_app;

--
-- Name: COLUMN request_inputs.correlation_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(correlation_id) ON TABLE llm_private.request_inputs TO llm_app;

--
-- Name: COLUMN request_inputs.cost_ceiling_micros; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(cost_ceiling_micros) ON TABLE llm_private.request_inputs TO llm_app;

--
-- Name: COLUMN request_inputs.cache_key; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(cache_key) ON TABLE llm_private.request_inputs TO llm_app;

--
-- Name: COLUMN request_inputs.system_hash; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(system_hash) ON TABLE llm_private.request_inputs TO llm_app;

--
-- Name: TABLE tenants; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.tenants TO llm_app;
GRANT SELECT ON TABLE llm_private.tenants TO llm_money;
GRANT SELECT,INSERT,UPDATE ON TABLE llm_private.tenants TO llm_operator;

--
-- Name: COLUMN tenants.id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(id) ON TABLE llm_private.tenants TO llm_exporter;
GRANT SELECT(id) ON TABLE llm_private.tenants TO llm_auditor;

--
-- Name: COLUMN tenants.name; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(name) ON TABLE llm_private.tenants TO llm_auditor;

--
-- Name: COLUMN tenants.distillation_opt_in; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(distillation_opt_in) ON TABLE llm_private.tenants TO llm_auditor;
GRANT SELECT(distillation_opt_in) ON TABLE llm_private.tenants TO llm_exporter;

--
-- Name: COLUMN tenants.traces_distillable; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(traces_distillable) ON TABLE llm_private.tenants TO llm_exporter;
GRANT SELECT(traces_distillable) ON TABLE llm_private.tenants TO llm_auditor;

--
-- Name: COLUMN tenants.created_at; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(created_at) ON TABLE llm_private.tenants TO llm_auditor;

--
-- Name: TABLE distillation_export; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.distillation_export TO llm_exporter;
GRANT SELECT ON TABLE llm.distillation_export TO llm_auditor;

--
-- Name: TABLE endpoint_settings; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.endpoint_settings TO llm_money;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE llm_private.endpoint_settings TO llm_operator;
GRANT SELECT ON TABLE llm_private.endpoint_settings TO llm_auditor;
GRANT SELECT ON TABLE llm_private.endpoint_settings TO llm_viewer;

--
-- Name: TABLE endpoint_cache_settings; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.endpoint_cache_settings TO llm_operator;
GRANT SELECT ON TABLE llm.endpoint_cache_settings TO llm_auditor;
GRANT SELECT ON TABLE llm.endpoint_cache_settings TO llm_viewer;

--
-- Name: TABLE erasures; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.erasures TO llm_operator;
GRANT SELECT ON TABLE llm_private.erasures TO llm_auditor;
GRANT SELECT ON TABLE llm_private.erasures TO llm_viewer;

--
-- Name: COLUMN erasures.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(tenant_id) ON TABLE llm_private.erasures TO llm_operator;

--
-- Name: COLUMN erasures.user_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(user_id) ON TABLE llm_private.erasures TO llm_operator;

--
-- Name: COLUMN erasures.reason; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(reason) ON TABLE llm_private.erasures TO llm_operator;

--
-- Name: TABLE erasures; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.erasures TO llm_operator;
GRANT SELECT ON TABLE llm.erasures TO llm_auditor;
GRANT SELECT ON TABLE llm.erasures TO llm_viewer;

--
-- Name: TABLE final_outputs; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.final_outputs TO llm_auditor;

--
-- Name: TABLE hourly_spend; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.hourly_spend TO llm_auditor;
GRANT SELECT ON TABLE llm.hourly_spend TO llm_viewer;
GRANT SELECT ON TABLE llm.hourly_spend TO llm_operator;

--
-- Name: TABLE limit_usage; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.limit_usage TO llm_auditor;
GRANT SELECT ON TABLE llm.limit_usage TO llm_viewer;
GRANT SELECT ON TABLE llm.limit_usage TO llm_operator;

--
-- Name: TABLE limits; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.limits TO llm_operator;
GRANT SELECT ON TABLE llm.limits TO llm_auditor;
GRANT SELECT ON TABLE llm.limits TO llm_viewer;

--
-- Name: TABLE model_fallbacks; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.model_fallbacks TO llm_money;
GRANT SELECT,INSERT,DELETE ON TABLE llm_private.model_fallbacks TO llm_operator;
GRANT SELECT ON TABLE llm_private.model_fallbacks TO llm_auditor;
GRANT SELECT ON TABLE llm_private.model_fallbacks TO llm_worker;
GRANT SELECT ON TABLE llm_private.model_fallbacks TO llm_viewer;

--
-- Name: TABLE model_catalog; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.model_catalog TO llm_operator;
GRANT SELECT ON TABLE llm.model_catalog TO llm_auditor;
GRANT SELECT ON TABLE llm.model_catalog TO llm_viewer;
GRANT SELECT ON TABLE llm.model_catalog TO llm_money;
GRANT SELECT ON TABLE llm.model_catalog TO llm_worker;

--
-- Name: TABLE month_closes; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE llm_private.month_closes TO llm_operator;
GRANT SELECT ON TABLE llm_private.month_closes TO llm_auditor;
GRANT SELECT ON TABLE llm_private.month_closes TO llm_viewer;

--
-- Name: TABLE month_closes; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.month_closes TO llm_operator;
GRANT SELECT ON TABLE llm.month_closes TO llm_auditor;
GRANT SELECT ON TABLE llm.month_closes TO llm_viewer;

--
-- Name: TABLE monthly_spend; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.monthly_spend TO llm_auditor;
GRANT SELECT ON TABLE llm.monthly_spend TO llm_viewer;
GRANT SELECT ON TABLE llm.monthly_spend TO llm_operator;

--
-- Name: TABLE my_usage; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.my_usage TO llm_app;

--
-- Name: TABLE settings; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.settings TO llm_app;
GRANT SELECT ON TABLE llm_private.settings TO llm_money;
GRANT SELECT,UPDATE ON TABLE llm_private.settings TO llm_operator;
GRANT SELECT ON TABLE llm_private.settings TO llm_auditor;
GRANT SELECT ON TABLE llm_private.settings TO llm_worker;
GRANT SELECT ON TABLE llm_private.settings TO llm_viewer;

--
-- Name: TABLE partition_coverage; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.partition_coverage TO llm_auditor;
GRANT SELECT ON TABLE llm.partition_coverage TO llm_viewer;
GRANT SELECT ON TABLE llm.partition_coverage TO llm_operator;

--
-- Name: TABLE reconciliation_checks; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,INSERT ON TABLE llm_private.reconciliation_checks TO llm_operator;
GRANT SELECT ON TABLE llm_private.reconciliation_checks TO llm_auditor;
GRANT SELECT ON TABLE llm_private.reconciliation_checks TO llm_viewer;

--
-- Name: TABLE reconciliation_checked_drift; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.reconciliation_checked_drift TO llm_auditor;
GRANT SELECT ON TABLE llm.reconciliation_checked_drift TO llm_viewer;
GRANT SELECT ON TABLE llm.reconciliation_checked_drift TO llm_operator;

--
-- Name: TABLE reconciliation_drift; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.reconciliation_drift TO llm_auditor;
GRANT SELECT ON TABLE llm.reconciliation_drift TO llm_viewer;
GRANT SELECT ON TABLE llm.reconciliation_drift TO llm_operator;

--
-- Name: TABLE reconciliation_status; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.reconciliation_status TO llm_auditor;
GRANT SELECT ON TABLE llm.reconciliation_status TO llm_viewer;
GRANT SELECT ON TABLE llm.reconciliation_status TO llm_operator;

--
-- Name: TABLE refusals_by_reason; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.refusals_by_reason TO llm_auditor;
GRANT SELECT ON TABLE llm.refusals_by_reason TO llm_viewer;
GRANT SELECT ON TABLE llm.refusals_by_reason TO llm_operator;

--
-- Name: TABLE request_results; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.request_results TO llm_app;
GRANT SELECT ON TABLE llm.request_results TO llm_auditor;

--
-- Name: TABLE role_settings_drift; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.role_settings_drift TO llm_auditor;
GRANT SELECT ON TABLE llm.role_settings_drift TO llm_viewer;
GRANT SELECT ON TABLE llm.role_settings_drift TO llm_operator;

--
-- Name: TABLE shutoff_windows; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.shutoff_windows TO llm_auditor;
GRANT SELECT ON TABLE llm.shutoff_windows TO llm_viewer;
GRANT SELECT ON TABLE llm.shutoff_windows TO llm_operator;

--
-- Name: TABLE users; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.users TO llm_app;
GRANT SELECT ON TABLE llm_private.users TO llm_money;
GRANT SELECT,INSERT ON TABLE llm_private.users TO llm_operator;
GRANT SELECT ON TABLE llm_private.users TO llm_auditor;

--
-- Name: COLUMN users.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(tenant_id) ON TABLE llm_private.users TO llm_app;

--
-- Name: COLUMN users.id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT(id) ON TABLE llm_private.users TO llm_app;

--
-- Name: TABLE tenants; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.tenants TO llm_auditor;
GRANT SELECT ON TABLE llm.tenants TO llm_operator;

--
-- Name: TABLE usage_repairs; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE llm_private.usage_repairs TO llm_operator;
GRANT SELECT ON TABLE llm_private.usage_repairs TO llm_auditor;
GRANT SELECT ON TABLE llm_private.usage_repairs TO llm_viewer;

--
-- Name: TABLE usage_repairs; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.usage_repairs TO llm_auditor;
GRANT SELECT ON TABLE llm.usage_repairs TO llm_viewer;
GRANT SELECT ON TABLE llm.usage_repairs TO llm_operator;

--
-- Name: TABLE worker_heartbeats; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE llm_private.worker_heartbeats TO llm_worker;
GRANT SELECT ON TABLE llm_private.worker_heartbeats TO llm_operator;
GRANT SELECT ON TABLE llm_private.worker_heartbeats TO llm_auditor;
GRANT SELECT ON TABLE llm_private.worker_heartbeats TO llm_viewer;

--
-- Name: TABLE workers; Type: ACL; Schema: llm; Owner: llm_owner
--

GRANT SELECT ON TABLE llm.workers TO llm_operator;
GRANT SELECT ON TABLE llm.workers TO llm_auditor;
GRANT SELECT ON TABLE llm.workers TO llm_viewer;

--
-- Name: TABLE cache_fills; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE llm_private.cache_fills TO llm_money;
GRANT SELECT,DELETE ON TABLE llm_private.cache_fills TO llm_operator;

--
-- Name: TABLE claim_mutexes; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT,DELETE ON TABLE llm_private.claim_mutexes TO llm_worker;
GRANT SELECT,DELETE ON TABLE llm_private.claim_mutexes TO llm_operator;

--
-- Name: COLUMN claim_mutexes.tenant_id; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(tenant_id),INSERT(tenant_id) ON TABLE llm_private.claim_mutexes TO llm_app;

--
-- Name: COLUMN claim_mutexes.key_hash; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT(key_hash),INSERT(key_hash),UPDATE(key_hash) ON TABLE llm_private.claim_mutexes TO llm_app;
GRANT UPDATE(key_hash) ON TABLE llm_private.claim_mutexes TO llm_operator;

--
-- Name: TABLE clock; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.clock TO llm_app;
GRANT SELECT ON TABLE llm_private.clock TO llm_operator;
GRANT SELECT ON TABLE llm_private.clock TO llm_auditor;
GRANT SELECT ON TABLE llm_private.clock TO llm_money;
GRANT SELECT ON TABLE llm_private.clock TO llm_worker;
GRANT SELECT ON TABLE llm_private.clock TO llm_viewer;

--
-- Name: SEQUENCE reconciliation_checks_id_seq; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON SEQUENCE llm_private.reconciliation_checks_id_seq TO llm_operator;

--
-- Name: SEQUENCE request_id_seq; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT USAGE ON SEQUENCE llm_private.request_id_seq TO llm_app;

--
-- Name: TABLE schema_state; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON TABLE llm_private.schema_state TO llm_app;
GRANT SELECT ON TABLE llm_private.schema_state TO llm_operator;
GRANT SELECT ON TABLE llm_private.schema_state TO llm_auditor;
GRANT SELECT ON TABLE llm_private.schema_state TO llm_worker;

--
-- Name: TABLE usage_alert_checks; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT ON TABLE llm_private.usage_alert_checks TO llm_operator;

--
-- Name: TABLE usage_recaps; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT INSERT ON TABLE llm_private.usage_recaps TO llm_operator;

--
-- Name: SEQUENCE usage_repairs_id_seq; Type: ACL; Schema: llm_private; Owner: llm_owner
--

GRANT SELECT ON SEQUENCE llm_private.usage_repairs_id_seq TO llm_operator;

--
-- PostgreSQL database dump complete
--
