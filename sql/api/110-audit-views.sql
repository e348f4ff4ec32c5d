/*
 * Audit views for DBAs (llm_auditor, read-only), the dashboard, the metrics, `npm run audit` and Grafana (llm_viewer,
 * which reads these and nothing else). Money is bigint micro-USD. None of them shows prompts or outputs (those are
 * llm.final_outputs and llm.distillation_export, which llm_viewer cannot read).
 *
 * A UTC month or hour of the ledger is written (date_trunc('month', t at time zone 'UTC') at time zone 'UTC'): the same
 * value as date_trunc('month', t, 'UTC'), but IMMUTABLE, and the very expressions llm_private.attempts_reserved_brin
 * summarises, so a filter on a view's month_start or hour_start reads that month's blocks, not the whole retention
 * (migration 000037; test/ts/audit-scale.test.ts).
 */
create view llm.calls with (security_invoker = true) as
select a.tenant_id, a.user_id, q.request_id, q.endpoint::text as endpoint, a.request_pk, a.attempt_no, a.purpose::text as purpose,
       a.job_attempt, a.decision::text as decision,
       case when a.reason = 'limit' then coalesce(m.name, 'cost_ceiling') else a.reason::text end as reason,
       a.state::text as state, pr.provider || ':' || pr.model as model_ref, a.answered_model, a.input_tokens_estimate, a.max_output_tokens,
       a.held_micros, a.cost_micros, a.charged_micros, greatest(coalesce(a.cost_micros, 0) - a.held_micros, 0) as overrun_micros,
       a.usage_unknown, a.late, a.input_tokens, a.cached_input_tokens, a.output_tokens, a.latency_ms, a.provider_status::text as provider_status,
       a.limit_id, a.limit_cap, a.limit_used, lx.unit as limit_unit,
       -- What it held, or asked to hold: at least 1 of the unit (the least charge a hard limit keeps room for, which the hold
       -- takes: llm_private.held_amount; a refusal of an attempt reserved before the hold took it asked 1 as well). Not on a
       -- limit without a meter's hold, per request or the payload's cost ceiling: the reserve compared the worst case itself
       -- there, and a call of a worst case of 0 admitted under a ceiling of 0 read 0 + 1 > 0 (review r110).
       case when lx.unit <> 'elapsed_ms'
            then greatest(llm_private.held_amount(lx.unit::llm_private.limit_unit, wc.worst_case_micros, a.input_tokens_estimate,
                                                  a.max_output_tokens, a.purpose,
                                                  a.holds_least_charge and coalesce(m."window" <> 'request', false)),
                          case when a.state = 'refused' then 1 else 0 end) end as limit_asked,
       wc.worst_case_micros, a.cache_source_pk, a.similarity, a.semantic_candidates, a.semantic_bound_hit,
       a.distillation_eligible,
       a.distillation_reason::text as distillation_reason, a.reserved_at, a.expires_at, a.ended_at as settled_at, a.trace_id,
       q.budget_scope,
       (select array_agg(mm.name order by mm.id) from llm_private.meters mm where mm.id = any (a.meter_ids)) as meters
  from llm_private.attempts a
  join llm_private.requests q on q.tenant_id = a.tenant_id and q.id = a.request_pk
  left join llm_private.model_prices pr on pr.id = a.price_id
  left join llm_private.limits li on li.id = a.limit_id
  left join llm_private.meters m on m.id = li.meter_id
  -- The worst case: what was held, or for a call refused with a model chosen, what it would have held (its max output asked).
  cross join lateral (select case when a.state = 'refused' and pr.id is not null
                                  then llm_private.worst_case_micros(pr, a.input_tokens_estimate, a.max_output_tokens)
                                  else a.held_micros end as worst_case_micros) wc
  -- The unit of the limit recorded (the payload's cost ceiling, a cap without a limit row: micros).
  cross join lateral (select coalesce(m.unit::text, case when a.limit_id is null and a.limit_cap is not null then 'micros' end) as unit) lx;
comment on view llm.calls is 'Every attempt (reserve): its decision and the figures compared, the hold, and what it was charged (overrun = cost above the hold; usage_unknown = the cost is not known: charged the full hold, or, for another model''s answer without a price here, its tokens at model_ref''s price when that is more; late = corrected after expiry or release; answered_model = the name the provider answered with when it was not model_ref''s and it is another model, or a snapshot priced apart: charged at the dearest of the prices). purpose embedding = the semantic cache''s embedding call; a semantic hit has similarity and cache_source_pk; semantic_candidates and semantic_bound_hit say what the lookup compared (bound_hit: the scope held more entries than the bound). meters = the meters the call was held and charged on (its footprint, in meter id order: every applicable meter it can be charged on, those it held 0 on included; NULL when it held nothing: refused, cached), i.e. the limits it was checked against and fitted. max_output_tokens = the max output granted, or for a call refused by a limit the max output it asked (held_micros and charged_micros stay 0); worst_case_micros = what was held, or for that refusal what it would have held. held_micros is the worst case, which an expiry charges in full; on its meters the call holds at least 1 of each unit it can be charged in (the least charge a hard limit keeps room for: llm_private.held_amount), so a call of a worst case of 0 holds 1 micro-USD on each micro-USD meter of its footprint while it is open (llm.limit_usage), and one estimated at 0 input tokens 1 input token. limit_id, limit_cap, limit_used = the limit recorded and the figures compared: for a refusal by a limit, the limit that refused it; for cap or fallback, the limit that capped or moved the call; for a call allowed as asked (decision allow, reason ok), the tightest hard limit it was compared with and fitted: the least room left after its hold, counted in calls like this one (room / what it asked), so that units compare (limit_id NULL with a cap: the payload''s cost ceiling, reason cost_ceiling when it decided; all three NULL when no hard limit applied); limit_used = what that limit had used when compared (held + spent; on an escrow-sharded meter, the call''s shard''s held + spent, which the reserve compared with that shard''s share of limit_cap). limit_unit = the unit of that limit (micros, tokens, input_tokens, output_tokens, calls, elapsed_ms); limit_asked = what the call asked of it in that unit (the worst case in micros, input estimate + max output in tokens, the input estimate in input_tokens, the max output in output_tokens, 1 call; NULL for elapsed_ms; for a refusal at least 1, the room a hard limit keeps for the least charge above 0), the amount compared: limit_used + limit_asked > limit_cap refused it; for an admitted call, what it held on that limit''s meter (the least charge included; per request or under the payload''s cost ceiling, which no meter holds, the worst case compared): limit_used + limit_asked <= limit_cap. A limit on an allowed call is why it was allowed, never a refusal: state and decision say which.';

create view llm.decision_log with (security_invoker = true) as
select c.reserved_at as decided_at, c.tenant_id, c.user_id, c.request_id, c.endpoint, c.attempt_no, c.purpose, c.decision, c.reason,
       c.model_ref, c.input_tokens_estimate, case when c.state = 'refused' then 0 else c.max_output_tokens end as granted_max_output_tokens,
       c.worst_case_micros,
       c.limit_id,
       coalesce(m.scope::text, case when c.limit_id is null and c.limit_cap is not null then 'request' end) as limit_scope,
       coalesce(m."window"::text, case when c.limit_id is null and c.limit_cap is not null then 'request' end) as limit_window,
       c.limit_cap, c.limit_used, c.meters, c.limit_unit, c.limit_asked,
       case when c.state = 'refused' then c.max_output_tokens end as asked_max_output_tokens,
       w.id as shutoff_window_id
  from llm.calls c
  left join llm_private.limits li on li.id = c.limit_id
  left join llm_private.meters m on m.id = li.meter_id
  -- A shutoff refusal's window: the one the reserve found (a window of everyone, the call's tenant or its user, started
  -- and not ended at that instant, nor cancelled before it: a cancel at the same instant came after the refusal, which
  -- found the window open); the earliest started when several were (adopter's review: the refusal named none, and a DBA
  -- matched windows by hand).
  left join lateral (select x.id from llm_private.shutoff_windows x
                      where c.reason = 'shutoff' and x.starts_at <= c.reserved_at and x.ends_at > c.reserved_at
                        and (x.cancelled_at is null or x.cancelled_at >= c.reserved_at)
                        and (x.tenant_id is null or (x.tenant_id = c.tenant_id and (x.user_id is null or x.user_id = c.user_id)))
                      order by x.starts_at, x.id limit 1) w on true;
comment on view llm.decision_log is 'Every reserve decision with the limit that decided (id, scope, window, unit; the payload''s cost ceiling is scope and window request, unit micros) and the figures it compared: limit_used + limit_asked against limit_cap, in limit_unit (a refusal: limit_asked is the worst case in micros, the input estimate + asked_max_output_tokens in tokens, the input estimate in input_tokens, asked_max_output_tokens in output_tokens, 1 call; over limit_cap). A call allowed as asked (allow / ok) names the tightest hard limit it fitted (least room left after its hold, in calls like it; llm.calls) with what it had used then and what the call asked of it: limit_used + limit_asked <= limit_cap, why it was allowed (on an escrow-sharded meter limit_used is the call''s shard''s, compared with that shard''s share of the cap); NULL when no hard limit applied. worst_case_micros = what the call held, or for a refusal what it would have held at asked_max_output_tokens (a refusal''s max output asked, 0 when no model was chosen; NULL for an admitted call, whose granted_max_output_tokens is what it held for; a refusal grants 0); meters = the meters an admitted call was held on (every limit it fitted; what the others had used at that moment is not recorded, llm.limit_usage has their figures now); shutoff_window_id = for a shutoff refusal, the window in force then (llm.shutoff_windows: kind, reason, who).';

/*
 * What share of a cap is used ((held + spent) / cap, in %), as the views and the metrics read it. A cap of 0 follows the
 * rule of the alerts (llm_private.usage_after_spend): usage above 0 is over it, infinitely ('Infinity', which numeric
 * orders above every number, and the metrics export as +Inf), and none is 0 %. It was NULL at a cap of 0 whatever was
 * used, so llm_limit_used_ratio_max read nothing there and LlmSpendAbove80PctOfCap never fired for it. NULL without a cap.
 * SQL without SET (every name schema-qualified), so that it is inlined into the views.
 */
create or replace function llm_private.used_pct(p_used bigint, p_cap bigint) returns numeric
  language sql immutable parallel safe
as $$
  select case when p_cap operator(pg_catalog.>) 0
              then pg_catalog.round(100.0 operator(pg_catalog.*) p_used operator(pg_catalog./) p_cap, 2)
              when p_cap operator(pg_catalog.=) 0
              then case when p_used operator(pg_catalog.>) 0 then 'Infinity'::pg_catalog.numeric else 0::pg_catalog.numeric end end
$$;
comment on function llm_private.used_pct(bigint, bigint) is
  'The share of a cap used, in % rounded to 0.01: 100 * used / cap; at a cap of 0, Infinity when used is above 0 (over the cap, as the alerts count it) and 0 otherwise; NULL without a cap. Inlined into llm.limit_usage and llm.limit_use_maxima.';
grant execute on function llm_private.used_pct(bigint, bigint) to llm_auditor, llm_viewer, llm_operator;

/*
 * current: the period contains now. A budget scope's period (no clock end) ends at its deadline, and a scope nobody
 * used for a day is no longer current either: old one-call scopes stayed current for ever and pushed the clock windows
 * (tenant_monthly, user_monthly) off the dashboard's list of limits.
 */
/*
 * llm.limit_usage's rows with their raw key too (k_tenant and k_scope: the nil uuid and '' where the public view shows
 * NULL; meter_id), for readers that look up one subject: a filter on the public view's NULLIF'd columns reaches no index,
 * so llm.budget_scopes, which reads it once per scope, read every usage row per scope (review of 2026-11-27: 2 012 scopes,
 * 1.45e5 usage rows, 78 s; 206 s once the rows came from three parts).
 */
create or replace view llm_private.limit_usage_rows with (security_invoker = true) as
-- The clock, read once (as a column, not a sub-select, it lets llm_private.limits_in_effect be inlined), and the budget
-- scopes with a request in the last 24 hours (current needs one), found once: as an EXISTS per row, each budget-scope row
-- read its tenant's requests of every month (6 000 scope rows: 5 s).
with clock as materialized (select llm_private.now() as now),
recent_scopes as (
  select distinct r.tenant_id, r.budget_scope from llm_private.requests r
   where r.budget_scope is not null and r.created_at > (select k.now - interval '24 hours' from clock k)
)
select lim.limit_id, m.name as meter_name, m.scope::text as scope, m."window"::text as "window", m.unit::text as unit,
       nullif(u.tenant_id, llm_private.nil_uuid()) as tenant_id, nullif(u.user_id, llm_private.nil_uuid()) as user_id,
       nullif(u.budget_scope, '') as budget_scope, u.period_start, pe.period_end,
       lim.cap, lim.kind::text as kind, u.held, u.spent,
       llm_private.used_pct(u.held + u.spent, lim.cap) as used_pct,
       (u.may_be_current and u.period_start <= c.now and pe.period_end > c.now
        and (m.scope <> 'budget_scope'
             or (u.tenant_id, u.budget_scope) in (select s.tenant_id, s.budget_scope from recent_scopes s))) as current,
       u.tenant_id as k_tenant, u.budget_scope as k_scope, u.meter_id,
       -- The meter's own period contains now (a budget scope's life: from its start, whatever its deadline): the row a
       -- reserve now counts on, if it is held again (llm.budget_scopes reads these).
       u.period_start <= c.now and llm_private.period_end(m."window", u.period_start) > c.now as period_open
  -- The subjects' usage, summed over shards, in three parts by what their key allows (review at scale, 2026-11-27): a filter
  -- on current (the metrics at every scrape, the dashboard) read and judged every usage row of the retention, 29 s at 10^5
  -- users over 13 months. A period that contains now starts at the latest week or quarter start, or is a lifetime
  -- (-infinity), or is a budget scope with a request in the last 24 hours (as current says); those groups may be current
  -- (current still checks each), the others are not, and `current` makes the planner drop their part.
  from clock c
  cross join (select x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start, max(x.limit_id) as limit_id, max(x.cap) as cap,
               sum(x.held)::bigint as held, sum(x.spent)::bigint as spent, true as may_be_current
          from llm_private.usage x
         where x.period_start >= (select least(date_trunc('week', k.now, 'UTC'), date_trunc('quarter', k.now, 'UTC')) from clock k)
            or x.period_start = '-infinity'
         group by x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start
        union all
        select x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start, max(x.limit_id), max(x.cap),
               sum(x.held)::bigint, sum(x.spent)::bigint, true
          from llm_private.usage x
         where x.period_start < (select least(date_trunc('week', k.now, 'UTC'), date_trunc('quarter', k.now, 'UTC')) from clock k)
           and x.period_start <> '-infinity'
           and x.budget_scope <> ''
           and (x.tenant_id, x.budget_scope) in (select r.tenant_id, r.budget_scope from recent_scopes r)
         group by x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start
        union all
        select x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start, max(x.limit_id), max(x.cap),
               sum(x.held)::bigint, sum(x.spent)::bigint, false
          from llm_private.usage x
         where x.period_start < (select least(date_trunc('week', k.now, 'UTC'), date_trunc('quarter', k.now, 'UTC')) from clock k)
           and x.period_start <> '-infinity'
           and not (x.budget_scope <> '' and (x.tenant_id, x.budget_scope) in (select r.tenant_id, r.budget_scope from recent_scopes r))
         group by x.tenant_id, x.meter_id, x.user_id, x.budget_scope, x.period_start) u
  join llm_private.meters m on m.id = u.meter_id
  left join llm_private.limits l on l.id = u.limit_id
  left join llm_private.budget_scopes b on m.scope = 'budget_scope' and b.tenant_id = u.tenant_id and b.scope_key = u.budget_scope
  -- A scope's span by its first request's tenant, user and endpoint (kept on the scope's row), which a Memoize node computes
  -- once per distinct three: called per scope (llm_private.budget_scope_deadline), each metrics scrape took ~0.15 ms per
  -- budget scope of the last 24 hours, past Prometheus's scrape timeout at ~10^5 a day (soak review 85). The three through a
  -- one-row subquery (as when they were read from the first request): named on the scope's row, the planner chose no Memoize.
  left join lateral (select b.tenant_id, b.first_user_id, b.first_endpoint limit 1) q0 on true
  left join lateral (select llm_private.budget_scope_span(q0.tenant_id, q0.first_user_id, q0.first_endpoint) as span offset 0) dl
    on m.scope = 'budget_scope'
  -- A budget scope's period ends at its deadline: its life's (window budget_scope) there, a clock period's there at the
  -- latest (llm_private.usage_period_end). Any other meter's, and a scope's without a deadline, at the clock period's end
  -- (infinity for a life).
  cross join lateral (select llm_private.usage_period_end(m."window", u.period_start, b.started_at + dl.span) as period_end) pe
  -- The limit: in a period that contains now, the one in effect now (usage.cap follows a limit set, ended or expired only at
  -- the subject's next reserve, and showed the old cap meanwhile); in a past period, the one its rows were last held under.
  cross join lateral (select e.id as limit_id, e.cap, e.kind
                        from (select) one
                        left join llm_private.limits_in_effect(u.meter_id, u.tenant_id, u.user_id, c.now) e on true
                       where u.period_start <= c.now and llm_private.period_end(m."window", u.period_start) > c.now
                      union all
                      select u.limit_id, u.cap, l.kind
                       where not (u.period_start <= c.now and llm_private.period_end(m."window", u.period_start) > c.now)) lim;
comment on view llm_private.limit_usage_rows is
  'llm.limit_usage with the raw key of each row (k_tenant, k_scope, meter_id), for lookups of one subject (llm.budget_scopes).';

create view llm.limit_usage with (security_invoker = true) as
select r.limit_id, r.meter_name, r.scope, r."window", r.unit, r.tenant_id, r.user_id, r.budget_scope, r.period_start, r.period_end,
       r.cap, r.kind, r.held, r.spent, r.used_pct, r.current
  from llm_private.limit_usage_rows r;
comment on view llm.limit_usage is 'Usage against each limit, per subject (tenant, user, budget scope) and period, summed over escrow shards. used_pct = 100 * (held + spent) / cap, rounded to 0.01; at a cap of 0, Infinity when anything is held or spent (over the cap, as the alerts count a cap of 0) and 0 when nothing is. limit_id, cap, kind and used_pct: in a period that contains now, the limit in effect now for the subject (llm_private.limit_in_effect: user over tenant over everyone, temporary over permanent, newest; NULL when none applies any more), which the next reserve applies; in a past period, the limit its usage was last held under. period_end of a budget scope = its deadline (llm.budget_scopes.deadline_at; infinity without one) for its life (window budget_scope), and for a clock window (a budget-scope meter per day, per hour, ...) the period''s end or the deadline, whichever comes first. current = the period contains now; a budget scope''s only until its deadline and while a request of it was enqueued in the last 24 hours (an idle or finished scope is not current).';

/*
 * The metrics' highest used/cap per limit scope (llm_limit_used_ratio_max{scope}), at a cost that does not grow with the
 * budget scopes. Read from llm.limit_usage where current, every budget scope with a request in the last 24 hours computed
 * its usage, limit and deadline at each scrape (about 0.11 ms each when each has its own user): past the read's 5 s timeout
 * at ~45 000 a day, and every metric of the read NaN. Global, tenant and user periods are read as before, without the
 * budget-scope rows (k_scope = '': the planner leaves the scopes' deadlines and first requests out). Budget scopes: only
 * those near or over their caps, i.e. whose usage crossed one of their alert thresholds in the last 24 hours (a row of
 * alerts), the newest p_budget_scopes crossings through alerts_budget_scope_fired_idx, each read by its key; the crossings
 * left out are counted (up to 10 000), so that a reader knows the maximum is over part of them. Budget scopes are never
 * paged on (ops/prometheus/alerts.yml: the cap doing its job); the dashboard lists them (llm.budget_scopes_page).
 */
create or replace function llm.limit_use_maxima(p_budget_scopes integer default 200)
  returns table (scope text, used_ratio_max numeric, crossings_unread bigint)
  language plpgsql stable
  set search_path = pg_catalog
as $$
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
comment on function llm.limit_use_maxima(integer) is
  'For the metrics scrape (llm_limit_used_ratio_max{scope}): the highest (spent + held) / cap among current limit periods, per limit scope, as llm.limit_usage computes used_pct (/ 100; Infinity for a cap of 0 with anything held or spent, which the metrics export as +Inf). Global, tenant and user: every current period. Budget scopes: only those whose usage crossed one of their alert thresholds in the last 24 hours (rows of llm.alerts) and whose period has not ended, the newest p_budget_scopes crossings (1..10 000); crossings_unread = the crossings of the last 24 hours left out (counted up to 10 000; 0 for the other scopes). The budget_scope row is always there, used_ratio_max NULL when no such scope qualifies. Its cost does not grow with the budget scopes.';
grant execute on function llm.limit_use_maxima(integer) to llm_auditor, llm_viewer, llm_operator;

/*
 * Spend is what the monthly and hourly meters count: the ledger's charges (by the reserve's month or hour) plus the
 * operators' adjustments (by effective_at; llm.adjust_usage moves the subject's micro-USD meters of that period). With
 * charges alone the views disagreed with what reserve enforces after a credit or a debit, and a tenant whose only spend
 * was an adjustment had no row.
 */
create view llm.monthly_spend with (security_invoker = true) as
-- (review at scale, 2026-11-26) Plain GROUP BYs (no GROUPING SETS) over an inlined ledger, so that a filter on tenant_id reaches
-- the attempts' primary key (GROUPING SETS kept it above a sort of the whole ledger: 2.9 s at 2 M attempts); the cap read
-- once per row from its limit or its usage rows (through llm.limit_usage it aggregated every usage row once per output row:
-- 21 s with 10 000 users).
with clock as materialized (select llm_private.now() as now),
ledger as not materialized (
  select (date_trunc('month', a.reserved_at at time zone 'UTC') at time zone 'UTC') as month_start, a.tenant_id, a.user_id, a.charged_micros,
         case when a.state = 'held' then a.held_micros else 0 end as held_micros, 0::bigint as adjusted_micros
    from llm_private.attempts a
  union all
  select (date_trunc('month', x.effective_at at time zone 'UTC') at time zone 'UTC'), x.tenant_id, x.user_id, 0, 0, x.amount_micros
    from llm_private.adjustments x
), by_user as not materialized (
  -- (review at scale, 2026-11-27) The ledger read once: one group per month, tenant and user (user NULL: the tenant's own
  -- adjustments), and each tenant's total summed from its groups, a second aggregate over ~1 row per user. The tenant's
  -- total had a GROUP BY of its own over the ledger, which read and hashed every row of the month a second time (a month
  -- of 5x10^6 calls: 5.9-7.3 s -> 3.3-3.8 s; bench/PROFILE.md §13). Filters on month_start and tenant_id still reach
  -- the scan (BRIN, primary key); one on user_id alone does not (the tenants' totals need every group): give the tenant.
  select l.month_start, l.tenant_id, l.user_id,
         sum(l.charged_micros + l.adjusted_micros) as spent_micros, sum(l.held_micros) as held_micros,
         sum(l.adjusted_micros) as adjusted_micros
    from ledger l
   group by l.month_start, l.tenant_id, l.user_id
), spend as (
  -- Each group counts in its user's row and in its tenant's total; a tenant's own adjustments (user NULL) in its total only.
  select g.month_start, g.tenant_id, v.user_id,
         sum(g.spent_micros)::bigint as spent_micros, sum(g.held_micros)::bigint as held_micros,
         sum(g.adjusted_micros)::bigint as adjusted_micros
    from by_user g
    cross join lateral (values (g.user_id, false), (null::uuid, true)) v(user_id, total)
   where v.total or v.user_id is not null
   group by g.month_start, g.tenant_id, v.user_id
)
select s.month_start, s.tenant_id, s.user_id, s.spent_micros, s.held_micros, c.cap_micros, s.adjusted_micros
  -- The clock, read once (review at scale, 2026-11-27: with a call of llm_private.limit_in_effect and three of the clock per
  -- row, this month's spend of 10^5 users took 5.5 s; llm_private.limits_in_effect on a clock column is inlined).
  from clock k
  cross join spend s
  left join llm_private.meters m on m.name = case when s.user_id is null then 'tenant_monthly' else 'user_monthly' end
                                and m.unit = 'micros' and m."window" = 'month'
  -- The cap as llm.limit_usage shows it: this month's, the limit in effect now; a past month's, the cap its usage rows were
  -- last held under (none without usage rows).
  cross join lateral (
    select case when s.month_start <= k.now and llm_private.period_end('month', s.month_start) > k.now
                then (select e.cap from llm_private.limits_in_effect(m.id, s.tenant_id, coalesce(s.user_id, llm_private.nil_uuid()),
                                                                      k.now) e
                       where exists (select 1 from llm_private.usage x
                                      where x.tenant_id = s.tenant_id and x.meter_id = m.id
                                        and x.user_id = coalesce(s.user_id, llm_private.nil_uuid()) and x.budget_scope = ''
                                        and x.period_start = s.month_start))
                else (select max(x.cap) from llm_private.usage x
                       where x.tenant_id = s.tenant_id and x.meter_id = m.id and x.user_id = coalesce(s.user_id, llm_private.nil_uuid())
                         and x.budget_scope = '' and x.period_start = s.month_start) end as cap_micros) c;
comment on view llm.monthly_spend is 'Spend and open holds per tenant (user_id NULL: the tenant''s total) and user per calendar month (UTC), from the ledger, with the monthly cap in effect (tenant_monthly, user_monthly). spent_micros = charges of the month''s calls + adjustments effective in the month (what the monthly meters count, and reserve compares with the cap); adjusted_micros = the adjustments'' part of it (a credit is negative; a tenant''s own adjustments count in its total only). held_micros = the worst cases of the month''s open holds (llm.open_holds; the monthly meters also hold 1 micro-USD for each open call whose worst case is 0, the least charge: llm.limit_usage).';

create view llm.hourly_spend with (security_invoker = true) as
with ledger as (
  select (date_trunc('hour', a.reserved_at at time zone 'UTC') at time zone 'UTC') as hour_start, a.tenant_id, a.charged_micros, 0::bigint as adjusted_micros,
         (a.state in ('settled', 'expired'))::int as call
    from llm_private.attempts a
  union all
  select (date_trunc('hour', x.effective_at at time zone 'UTC') at time zone 'UTC'), x.tenant_id, 0, x.amount_micros, 0
    from llm_private.adjustments x
)
select l.hour_start, l.tenant_id, sum(l.charged_micros + l.adjusted_micros)::bigint as spent_micros, sum(l.call)::bigint as calls,
       sum(l.adjusted_micros)::bigint as adjusted_micros
  from ledger l
 group by 1, 2;
comment on view llm.hourly_spend is 'Spend and provider calls per tenant per clock hour (UTC). spent_micros = charges of the calls reserved in the hour + adjustments effective in it (what an hourly meter counts); adjusted_micros = the adjustments'' part; calls = attempts settled or expired.';

create view llm.refusals_by_reason with (security_invoker = true) as
select (date_trunc('month', c.reserved_at at time zone 'UTC') at time zone 'UTC') as month_start, c.tenant_id, c.reason, count(*)::bigint as refusals
  from llm.calls c where c.state = 'refused'
 group by 1, 2, 3;
comment on view llm.refusals_by_reason is 'Refused reserves per tenant, month and reason (a limit''s meter name, shutoff, attempts_exhausted, unknown_model, breaker_open, request_stale).';

create view llm.open_holds with (security_invoker = true) as
select c.tenant_id, c.user_id, c.request_id, c.endpoint, c.attempt_no, c.model_ref, c.held_micros, c.reserved_at, c.expires_at,
       c.expires_at <= llm_private.now() as overdue
  from llm.calls c where c.state = 'held';
comment on view llm.open_holds is 'Holds not yet settled, released or expired; overdue = past their expiry (the sweep charges them). held_micros = the worst case held, which the sweep charges; on its meters a hold is at least 1 of each unit the call can be charged in (llm_private.held_amount: a worst case of 0 holds 1 micro-USD on each micro-USD meter of its footprint, given back at its end, never charged as such).';

-- The metrics scrape counts the open holds every 15 s or so. llm.open_holds finds them by reading every attempt of the
-- retention (state is in no index: an index on it would make every settle a non-HOT update on PostgreSQL 15), 0.25 s per
-- 10^6 attempts. The count reads the holds the minute's expiry sweep watches instead: those expiring after its watermark
-- less an hour (llm_private.watched_holds_from, the range llm.expire_holds reads), through the expires_at BRIN: no block
-- of an ended month, and of this month's the ranges the recent rows widened (settles move row versions into earlier ranges: a review read 208k of
-- 300k rows 15 hours into a month). A hold outside the range is one whose reserve committed after the sweep had passed its
-- expiry (a money transaction kept open for an hour), or reserved after the clock moved back more than that; the daily
-- full pass charges the first, and llm.open_holds lists every one.
-- The bounds are parameters of a one-shot plan (EXECUTE ... USING): planned with their values, so the BRIN is chosen,
-- and never text (a literal was written in the session's DateStyle and read back in another zone, or failed: review).
create or replace function llm.open_hold_counts()
  returns table (open_holds bigint, holds_overdue bigint, watched_from timestamptz)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  v_from timestamptz := llm_private.watched_holds_from();
  v_now timestamptz := llm_private.now();
begin
  return query execute
    'select count(*), count(*) filter (where a.expires_at <= $1), $2
       from llm_private.attempts a where a.state = ''held'' and a.expires_at > $2' using v_now, v_from;
end
$$;
comment on function llm.open_hold_counts() is
  'For the metrics scrape: holds open now (and overdue, past their expiry) among those the expiry sweep watches, expiring after watched_from (its watermark less an hour), read through the expires_at BRIN instead of every attempt. llm.open_holds lists every one.';
grant execute on function llm.open_hold_counts() to llm_auditor, llm_viewer, llm_operator;

-- The product's clock for readers: "this month" of a dashboard or a report is the month every money rule is in, which a
-- demo, a test or a replay of a past month shifts or freezes (llm_private.clock); the server's now() is not.
create or replace function llm.product_time() returns timestamptz
  language sql stable
  set search_path = pg_catalog
as $$ select llm_private.now() $$;
comment on function llm.product_time() is
  'The time every money and window rule uses (llm_private.now(): the current time unless the owner froze or shifted the clock). Readers'' "this month" and "last 48 hours" (the dashboard) are taken from it.';
grant execute on function llm.product_time() to llm_auditor, llm_viewer, llm_operator;

-- The dashboard's holds page and Grafana's holds table listed llm.open_holds, which reads every attempt of the retention
-- (0.25 s per 10^6: ~30 s at 13 months of 10^7 calls, at every page and refresh). They list the holds the expiry sweep
-- watches instead, through the expires_at BRIN, as the metrics count them; llm.open_holds lists every one.
create or replace function llm.watched_open_holds(p_tenant_id uuid default null, p_limit integer default 200)
  returns setof llm.open_holds
  language plpgsql stable
  set search_path = pg_catalog
as $$
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
$$;
comment on function llm.watched_open_holds(uuid, integer) is
  'For the dashboard and Grafana: the rows of llm.open_holds (of one tenant, or all) that the expiry sweep watches, expiring after its watermark less an hour, soonest first, at most p_limit (1..10 000), read through the expires_at BRIN instead of every attempt. llm.open_holds lists every one (also a hold committed after the sweep had passed its expiry).';
grant execute on function llm.watched_open_holds(uuid, integer) to llm_auditor, llm_viewer, llm_operator;

create view llm.shutoff_windows with (security_invoker = true) as
select w.id, w.scope::text as scope, w.tenant_id, w.user_id, w.kind::text as kind, w.starts_at, w.ends_at, w.reason, w.limit_id,
       w.created_by, w.created_at, w.cancelled_at, w.cancelled_by, w.cancel_reason,
       (w.cancelled_at is null and w.starts_at <= llm_private.now() and w.ends_at > llm_private.now()) as active,
       (w.cancelled_at is null and w.starts_at > llm_private.now()) as upcoming
  from llm_private.shutoff_windows w;
comment on view llm.shutoff_windows is 'Shutoff windows (manual, scheduled, tripped) with whether they are active now or upcoming; a cancelled one with when, by whom and why (cancel_reason).';

create view llm.breaker_state with (security_invoker = true) as
select b.provider, b.model, b.provider || ':' || b.model as model_ref, b.state, b.consecutive_failures, b.open_until, b.probe_started_at,
       b.opened_count, b.last_failure_at, b.last_success_at, b.updated_at
  from llm_private.provider_breakers b;
comment on view llm.breaker_state is 'The shared circuit breaker of each provider+model.';

create view llm.breaker_transitions with (security_invoker = true) as
select t.id, t.provider, t.model, t.provider || ':' || t.model as model_ref, t.from_state, t.to_state, t.cause, t.changed_at,
       t.consecutive_failures, t.open_until, t.streak_tenant_id, t.streak_tenants_many, t.call_tenant_id, t.changed_by
  from llm_private.breaker_transitions t;
comment on view llm.breaker_transitions is
  'Every change of state of the shared circuit breakers: from_state -> to_state at changed_at, and why (cause: failures, probe_claimed, probe_ok, probe_failed, probe_failed_same_tenant, probe_given_back, by_hand, other). consecutive_failures and open_until are the breaker''s after the change; streak_tenant_id and streak_tenants_many its streak before it (for closed -> open, the tenant of the streak''s first failure, and whether a second tenant had failed); call_tenant_id the tenant whose call made the change (NULL by hand); changed_by the role (llm_operator for llm.reset_breaker). A healthy call writes none. Why a call was refused or fell back with breaker_open: the last row of its model_ref before the call''s reserved_at. Kept as long as the ledger (llm.purge_expired).';

create view llm.alerts with (security_invoker = true) as
select x.id, x.fired_at, nullif(x.tenant_id, llm_private.nil_uuid()) as tenant_id, nullif(x.user_id, llm_private.nil_uuid()) as user_id,
       nullif(x.budget_scope, '') as budget_scope, x.limit_id, m.name as meter_name, m.unit::text as unit, x.period_start, x.threshold_pct,
       x.used, x.cap
  from llm_private.alerts x join llm_private.meters m on m.id = x.meter_id;
comment on view llm.alerts is 'Alerts: a limit''s usage crossed one of its percentages (once per subject, period and threshold; also sent with pg_notify on llm_limit_alert).';

create view llm.adjustments with (security_invoker = true) as
select x.id, x.tenant_id, x.user_id, x.amount_micros, x.reason, x.effective_at, x.created_by, x.created_at,
       (select array_agg(m.name order by m.id) from llm_private.meters m where m.id = any (x.meter_ids)) as meters
  from llm_private.adjustments x;
comment on view llm.adjustments is 'Operator credits (negative) and debits (positive), append-only, and the meters they moved.';

/*
 * A budget scope against its caps: calls, spend and holds are those of the meters behind the caps (the scope's usage rows
 * on its calls and micro-USD meters, preferring its first request's endpoint's meters), i.e. what reserve compares. Summing
 * every attempt of every request naming the scope counted another endpoint's calls (a budget_optimization call with the
 * same budget_scope) against the investigation's caps: the view said exhausted while reserve still allowed. A scope with
 * no such meter shows the ledger of all its calls. A meter of a clock window (a scope's cap per day or per hour) shows its
 * period that contains now (period_open; a past day's row is history), so the state says exhausted while today's cap is
 * reached, open again the next day; with no call yet in the period, the scope has no such row and another meter (or the
 * ledger) shows.
 * Of several caps of a unit, the one with the least room left: the one the next call meets first (review r102). Picked by
 * the smallest cap, and the first endpoint's meter before a meter of every endpoint, a scope whose calls reserve refused
 * showed open: 2 calls of a cap of 8 this hour, while its 10 calls over its life were all made; 40 000 of 300 000 over its
 * life, while a cap of 40 000 a day for every scope was reached. Among the meters that count every call of the scope's
 * endpoint (its own or no endpoint, no model filter) first; then those of a model; then another endpoint's.
 */
create view llm.budget_scopes with (security_invoker = true) as
select b.tenant_id, b.scope_key as budget_scope, q0.endpoint::text as endpoint, b.started_at, b.last_reserve_month, dl.deadline_at,
       coalesce(cl.used, c.calls, 0) as calls, cl.cap as calls_cap, coalesce(bm.spent, c.spent, 0) as spent_micros,
       coalesce(bm.held, c.held, 0) as held_micros, bm.cap as cap_micros,
       case when dl.deadline_at < llm_private.now() then 'deadline_passed'
            when (bm.cap is not null and bm.spent + bm.held >= bm.cap) or (cl.cap is not null and cl.used >= cl.cap) then 'exhausted'
            else 'open' end as state
  from llm_private.budget_scopes b
  cross join (select llm_private.now() as now) ck
  -- The first request by its key, once per scope (LIMIT 1 keeps it a lookup): joined, the planner hashed every request of
  -- the retention (4 s of a scope listing's 11 s at 10^7 calls and 40 000 scopes; review at scale, helper 68). A scope still
  -- in use after its first request's month left the retention stays listed (endpoint NULL); it was left out.
  left join lateral (select q.endpoint from llm_private.requests q
                      where q.tenant_id = b.tenant_id and q.id = b.first_request_pk limit 1) q0 on true
  -- The span once per distinct tenant, user and endpoint (a Memoize node), not once per scope: as in llm_private.limit_usage_rows
  -- (the first request's user and endpoint are the scope's own columns, kept after the request leaves the retention).
  left join lateral (select b.tenant_id, b.first_user_id, b.first_endpoint limit 1) k on true
  left join lateral (select llm_private.budget_scope_span(k.tenant_id, k.first_user_id, k.first_endpoint) as span offset 0) sp on true
  cross join lateral (select b.started_at + sp.span as deadline_at) dl
  -- Each meter's row of the period that contains now, found by its key (the scope's start for its life, the clock period's
  -- start for a clock window): filtered on period_open alone, every period of the scope was aggregated first (a day of a
  -- per-minute cap is 1 440 rows a scope: 1.2 s for a page of 200 such scopes; review 102).
  left join lateral (select lu.cap, lu.spent, lu.held from llm_private.meters m
                      cross join lateral (select case when m."window" = 'budget_scope' then b.started_at
                                                      else llm_private.period_start(m."window", ck.now) end as start offset 0) ps
                      cross join lateral (select x.* from llm_private.limit_usage_rows x
                                           where x.k_tenant = b.tenant_id and x.k_scope = b.scope_key and x.meter_id = m.id
                                             and x.period_start = ps.start offset 0) lu
                      where m.scope = 'budget_scope' and m.unit = 'micros' and lu.period_open
                      order by case when m.endpoint is distinct from b.first_endpoint and m.endpoint is not null then 2 when m.provider is not null then 1 else 0 end,
                               lu.cap - (lu.spent + lu.held), lu.cap limit 1) bm on true
  left join lateral (select lu.cap, lu.spent + lu.held as used from llm_private.meters m
                      cross join lateral (select case when m."window" = 'budget_scope' then b.started_at
                                                      else llm_private.period_start(m."window", ck.now) end as start offset 0) ps
                      cross join lateral (select x.* from llm_private.limit_usage_rows x
                                           where x.k_tenant = b.tenant_id and x.k_scope = b.scope_key and x.meter_id = m.id
                                             and x.period_start = ps.start offset 0) lu
                      where m.scope = 'budget_scope' and m.unit = 'calls' and lu.period_open
                      order by case when m.endpoint is distinct from b.first_endpoint and m.endpoint is not null then 2 when m.provider is not null then 1 else 0 end,
                               lu.cap - (lu.spent + lu.held), lu.cap limit 1) cl on true
  left join lateral (
    select count(*) filter (where a.purpose = 'chat' and a.state in ('settled', 'expired', 'held'))::bigint as calls,
           sum(a.charged_micros)::bigint as spent, sum(case when a.state = 'held' then a.held_micros else 0 end)::bigint as held
      from llm_private.requests q join llm_private.attempts a on a.tenant_id = q.tenant_id and a.request_pk = q.id
     where q.tenant_id = b.tenant_id and q.budget_scope = b.scope_key and (bm.cap is null or cl.cap is null)
       and llm_private.reserved_in_scope(a.reserved_at, b.started_at)) c on true;   -- not a forgotten scope's of its name
comment on view llm.budget_scopes is 'Budget scopes (investigations): calls, spend and holds as counted on the meters behind their caps (calls_cap: the scope''s calls meter; cap_micros: its micro-USD meter; of several, the one with the least room left among those counting every call of the first request''s endpoint, i.e. the cap the next call meets first; a meter of a clock window, e.g. a cap per day, in its period that contains now), so another endpoint''s calls naming the same scope do not count against them; without such a meter, over all the scope''s calls and retries. deadline_at = the deadline reserve enforces now (llm_private.budget_scope_deadline: the limit applicable to the scope''s first request, user over tenant over everyone, temporary over permanent), counted from the first call. last_reserve_month = the UTC month of its latest reserve: a scope not reserved in any month the ledger retention keeps is forgotten with its usage and alerts (llm_maint.forget_unused_budget_scopes), and a request naming it again starts a new one. endpoint NULL: its first request has left the retention. A list of them: llm.budget_scopes_page (an ORDER BY on state or deadline_at computes every scope first).';

/*
 * Whether every budget scope of an endpoint (NULL: a scope whose first endpoint is not known) and tenant (NULL: of every
 * tenant) has a deadline, whoever started it: a meter of that endpoint and tenant (or of all), of every provider and model,
 * with a limit its every subject falls back to (everyone's, or the tenant's) and no limit of another kind than hard that could
 * be a subject's (llm_private.applicable_limits then gives each a hard elapsed_ms limit: llm_private.budget_scope_span is not
 * NULL). False when unsure: llm.budget_scopes_page reads the scopes it says false of among those that may have no deadline.
 */
create or replace function llm_private.scopes_all_have_deadline(p_endpoint llm_private.endpoint, p_tenant_id uuid, p_at timestamptz)
  returns boolean
  language sql stable
  set search_path = pg_catalog
as $$
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
comment on function llm_private.scopes_all_have_deadline(llm_private.endpoint, uuid, timestamptz) is
  'Whether every budget scope of this first endpoint (NULL: not known) and tenant (NULL: every tenant) has a deadline at p_at: a hard elapsed_ms limit applies to each, whoever its first user (everyone''s or the tenant''s, and no other kind that could apply). False when unsure. llm.budget_scopes_page reads the scopes without a deadline among the others only.';
grant execute on function llm_private.scopes_all_have_deadline(llm_private.endpoint, uuid, timestamptz) to llm_auditor, llm_viewer, llm_operator;

/*
 * A page of budget scopes at the cost of the page (the dashboard's /scopes, Grafana's scopes table), in the order an operator
 * looks for the scopes about to run out: open ones first (state open: not past the deadline, no cap reached), nearest
 * deadline first and those without one last; then the others (exhausted, deadline passed), newest first; ties newest first
 * (started_at, tenant_id, budget_scope, descending). llm.budget_scopes ordered so computed every scope of a tenant to show
 * 200 (4 s at 10^5 scopes); newest first in an index's order (migration 000059) cost the page but lost that order.
 * State and deadline are no columns (they follow the limits in effect now and the usage), so the page is read in three
 * parts, each from an index and computed for the rows it reads, until the page is full; the next page starts after the last
 * row's key (its state, deadline, started_at, tenant_id, budget_scope; no OFFSET):
 *   1. open with a deadline: a deadline not passed is less than the longest hard elapsed_ms limit in force from now, so only
 *      the scopes started since have their deadline computed (one span per distinct tenant, user and endpoint), then their
 *      figures in deadline order until the page is full;
 *   2. open without a deadline: only the scopes of an endpoint on which some subject may have no hard elapsed_ms limit, less
 *      those of the tenants whose own limits give every scope there a deadline (llm_private.scopes_all_have_deadline), one
 *      index range per such endpoint merged newest first (budget_scopes_(tenant_)endpoint_started_idx);
 *   3. the others, newest first (budget_scopes_(tenant_)started_idx), past the open ones.
 * A page costs its rows, plus the scopes started within the longest deadline (part 1), plus the rows it passes over: the
 * exhausted ones in parts 1 and 2, the open ones without a deadline in part 3.
 */
create or replace function llm.budget_scopes_page(p_tenant_id uuid default null, p_limit integer default 200,
  p_after_state text default null, p_after_deadline_at timestamptz default null, p_after_started_at timestamptz default null,
  p_after_tenant_id uuid default null, p_after_budget_scope text default null)
  -- llm.budget_scopes' columns, named rather than its row type (setof llm.budget_scopes made pg_dump move the view and all it
  -- reads ahead of the functions, a diff of 5 000 lines of sql/schema.sql for nothing).
  returns table (tenant_id uuid, budget_scope text, endpoint text, started_at timestamptz, last_reserve_month timestamptz,
                 deadline_at timestamptz, calls bigint, calls_cap bigint, spent_micros bigint, held_micros bigint, cap_micros bigint,
                 state text)
  language plpgsql stable
  set search_path = pg_catalog
as $$
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
$$;
comment on function llm.budget_scopes_page(uuid, integer, text, timestamptz, timestamptz, uuid, text) is
  'A page of llm.budget_scopes (of one tenant, or all) in the order that finds the scopes about to run out: open ones first, nearest deadline_at first (none last); then the exhausted and past their deadline, newest first; ties newest first (started_at, tenant_id, budget_scope, descending). At most p_limit rows (1..10 000, default 200). The next page: pass the last row''s state, deadline_at, started_at, tenant_id and budget_scope as p_after_* (state and deadline move with the clock, the limits and the spend: a scope that changed place between two pages may be listed twice or not at all). Costs the page''s rows, not the tenant''s scopes: plus the scopes started within the longest hard elapsed_ms limit in force, and the rows passed over (exhausted scopes before the page''s open ones; open scopes without a deadline before its others). The rows and columns of the view, under the same row-level security.';
grant execute on function llm.budget_scopes_page(uuid, integer, text, timestamptz, timestamptz, uuid, text) to llm_auditor, llm_viewer, llm_operator;

create view llm.cache_stats with (security_invoker = true) as
select a.tenant_id, (date_trunc('month', a.reserved_at at time zone 'UTC') at time zone 'UTC') as month_start, count(*)::bigint as hits,
       count(*) filter (where a.reason = 'semantic_hit')::bigint as semantic_hits,
       coalesce(sum((select c.charged_micros from llm_private.attempts c where c.tenant_id = a.tenant_id and c.request_pk = a.cache_source_pk
                      and c.state = 'settled' and c.purpose = 'chat' order by c.attempt_no desc limit 1)), 0)::bigint as saved_micros
  from llm_private.attempts a where a.state = 'cached'
 group by 1, 2;
comment on view llm.cache_stats is 'Cache hits (exact and semantic) per tenant and month, and the money they saved (what the source calls cost).';

/*
 * Reconciliation: every usage row must equal what its ledger rows say (held = live holds,
 * spent = charges + adjustments). Covers the periods that started in this or the previous
 * calendar month (lifetime meters, window none, are not reconciled here). Empty = healthy.
 */
create view llm.reconciliation_drift with (security_invoker = true) as
-- The clock, read once: every bound below is the same instant (read in each, they could fall on both sides of a month's end).
-- last_month: its first instant in UTC. date_trunc(..., 'UTC') - interval '1 month' subtracted the month in the reader's
-- TimeZone, and after a clock change (Europe/Berlin, April) it gave 01:00Z: last month's rows left both sides, 0 rows.
with clock as materialized (select c.now, llm_private.month_start(llm_private.month_index(c.now) - 1) as last_month
                              from (select llm_private.now() as now) c),
-- Which meters need what of an attempt to find its usage key, read once: the user (a user meter, or a tenant or budget-scope
-- meter sharded by user), the request's budget scope (a meter of a budget scope), the minute (a meter per minute), the hour
-- (an hourly meter) or the day (a daily or weekly one; a day also divides a month and a quarter).
meter_needs as materialized (
  select coalesce(array_agg(m.id) filter (where m.scope = 'user' or (m.shards > 1 and m.scope <> 'global')), '{}') as user_ids,
         coalesce(array_agg(m.id) filter (where m.scope = 'budget_scope' or m."window" = 'budget_scope'), '{}') as scope_ids,
         coalesce(array_agg(m.id) filter (where m."window" = 'minute'), '{}') as minute_ids,
         coalesce(array_agg(m.id) filter (where m."window" = 'hour'), '{}') as hour_ids,
         coalesce(array_agg(m.id) filter (where m."window" in ('day', 'week')), '{}') as day_ids
    from llm_private.meters m
),
-- The attempts of the two months summed first, per what their usage keys depend on: the tenant, the user where a meter needs
-- it, the meters, the budget scope and its start where a meter of a budget scope needs them, and the reserve's minute, hour, day or month (the
-- coarsest that every window of the attempt's meters is a union of; clock periods are UTC). Every amount is a sum over
-- attempts, so summing a group's attempts per unit first gives each key the same total. Reading each attempt and meter
-- through the key and amount functions took ~2 us each (4.5 s at 10^6 calls in two months, 31 s at 10^7); this reads each
-- attempt once and finds the keys per group: 1.4-1.5 s and 13 s (bench/PROFILE.md §12).
attempt_groups as (
  select a.tenant_id,
         case when f.user_ then a.user_id end as user_id,
         a.meter_ids,
         s.budget_scope, s.started_at,
         -- UTC minutes, hours and days by arithmetic (date_bin from a UTC midnight), months by date_trunc in UTC.
         case when f.minute_ then date_bin('1 minute', a.reserved_at, '2000-01-01 00:00+00')
              when f.hour_ then date_bin('1 hour', a.reserved_at, '2000-01-01 00:00+00')
              when f.day_ then date_bin('1 day', a.reserved_at, '2000-01-01 00:00+00')
              else date_trunc('month', a.reserved_at, 'UTC') end as at,
         -- Each unit's hold on its own (llm_private.held_amount): with the least charge, the two token units' holds no longer add
         -- up to the tokens unit's (an estimate of 0 input tokens and 100 output tokens holds 1, 100 and 100).
         sum(case when a.state = 'held' then llm_private.held_amount('micros', a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge) else 0 end) as held_micros,
         sum(case when a.state = 'held' then llm_private.held_amount('tokens', a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge) else 0 end) as held_tokens,
         sum(case when a.state = 'held' then llm_private.held_amount('calls', a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge) else 0 end) as held_calls,
         sum(case when a.state = 'held' then llm_private.held_amount('input_tokens', a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge) else 0 end) as held_input_tokens,
         sum(case when a.state = 'held' then llm_private.held_amount('output_tokens', a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge) else 0 end) as held_output_tokens,
         sum(llm_private.charged_amount('micros', a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens,
               a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) as spent_micros,
         sum(llm_private.charged_amount('tokens', a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens,
               a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) as spent_tokens,
         sum(llm_private.charged_amount('calls', a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens,
               a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) as spent_calls,
         sum(llm_private.charged_amount('input_tokens', a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens,
               a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) as spent_input_tokens,
         sum(llm_private.charged_amount('output_tokens', a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens,
               a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) as spent_output_tokens
    from llm_private.attempts a
    -- What the attempt's meters need, found once per set of meters (a Memoize node keyed on meter_ids: an attempt's meters
    -- are one of a few sets), not five array comparisons per attempt (~0.45 us each at 10^6 rows).
    cross join lateral (select a.meter_ids operator(pg_catalog.&&) n.user_ids as user_, a.meter_ids operator(pg_catalog.&&) n.scope_ids as scope_,
                               a.meter_ids operator(pg_catalog.&&) n.minute_ids as minute_,
                               a.meter_ids operator(pg_catalog.&&) n.hour_ids as hour_, a.meter_ids operator(pg_catalog.&&) n.day_ids as day_
                          from meter_needs n offset 0) f
    -- The request's budget scope, and the scope's start, for an attempt with a meter of a budget scope only: one request by
    -- its key (the LIMIT keeps it a lookup the planner does not turn into a join; joined for every attempt, every request of
    -- the two months was hashed and spilled: 170 MB at 10^6 calls). Grouped by the scope, not the request: grouped by
    -- request, a ledger of 10^7 calls naming a scope had 10^7 groups and wrote 1.6 GB of temporary files (review of c8dcdec).
    -- Only the scope the attempt was reserved in (llm_private.reserved_in_scope): without a row (a forgotten scope's
    -- attempt) the key has no period and is left out, as the forgotten scope's usage was deleted.
    left join lateral (select q.budget_scope, b.started_at
                         from llm_private.requests q
                         left join llm_private.budget_scopes b on b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope
                                    and llm_private.reserved_in_scope(a.reserved_at, b.started_at)
                        where f.scope_ and q.tenant_id = a.tenant_id and q.id = a.request_pk
                        limit 1) s on true
   -- The bound a scalar subquery, computed once: written bare, llm_private.now() (PL/pgSQL) ran for every attempt and
   -- meter in the filters it was left in, about half of the view's time (review at scale, 2026-11-27).
   -- Every request a reserve in a checked period may have sent (claimed from the month before last; reserve refuses an
   -- older one: block / request_stale).
   where a.request_pk >= (select llm_private.oldest_reservable_request_pk(k.last_month) from clock k)
     and cardinality(a.meter_ids) > 0
   group by 1, 2, 3, 4, 5, 6
),
expected as (
  select k.k_tenant, m.id as meter_id, k.k_user, k.k_scope, k.k_period, k.k_shard,
         sum(case m.unit when 'micros' then g.held_micros when 'tokens' then g.held_tokens when 'calls' then g.held_calls
                         when 'input_tokens' then g.held_input_tokens when 'output_tokens' then g.held_output_tokens
                         else 0 end) as held,
         sum(case m.unit when 'micros' then g.spent_micros when 'tokens' then g.spent_tokens when 'calls' then g.spent_calls
                         when 'input_tokens' then g.spent_input_tokens when 'output_tokens' then g.spent_output_tokens else 0 end) as spent
    from attempt_groups g
    cross join lateral unnest(g.meter_ids) mid
    join llm_private.meters m on m.id = mid
    cross join lateral llm_private.usage_key(m.scope, m."window", m.shards, g.tenant_id, g.user_id, g.budget_scope, g.started_at, g.at) k
   group by 1, 2, 3, 4, 5, 6
  union all
  select k.k_tenant, m.id, k.k_user, k.k_scope, k.k_period, k.k_shard, 0, sum(x.amount_micros)
    from llm_private.adjustments x
    cross join lateral unnest(x.meter_ids) mid
    join llm_private.meters m on m.id = mid
    cross join lateral llm_private.usage_key(m.scope, m."window", m.shards, x.tenant_id, x.user_id, '', null, x.effective_at) k
   where x.effective_at >= (select k.last_month from clock k)
   group by 1, 2, 3, 4, 5, 6
), expected_total as (
  select e.k_tenant, e.meter_id, e.k_user, e.k_scope, e.k_period, e.k_shard, sum(e.held)::bigint as held, sum(e.spent)::bigint as spent
    from expected e group by 1, 2, 3, 4, 5, 6
), recent as (
  select u.* from llm_private.usage u
   where u.period_start >= (select k.last_month from clock k)
)
select case when u.meter_id is null then 'missing_usage_row' when u.held <> coalesce(e.held, 0) then 'held' else 'spent' end as kind,
       nullif(coalesce(u.tenant_id, e.k_tenant), llm_private.nil_uuid()) as tenant_id, m.name as meter_name,
       nullif(coalesce(u.user_id, e.k_user), llm_private.nil_uuid()) as user_id, nullif(coalesce(u.budget_scope, e.k_scope), '') as budget_scope,
       coalesce(u.period_start, e.k_period) as period_start, coalesce(u.shard, e.k_shard) as shard,
       case when u.held <> coalesce(e.held, 0) then u.held else u.spent end as usage_value,
       case when u.held <> coalesce(e.held, 0) then coalesce(e.held, 0) else coalesce(e.spent, 0) end as ledger_value,
       m.unit::text as unit
  from recent u
  full join (select * from expected_total where k_period >= (select k.last_month from clock k)) e
    on e.k_tenant = u.tenant_id and e.meter_id = u.meter_id and e.k_user = u.user_id and e.k_scope = u.budget_scope
   and e.k_period = u.period_start and e.k_shard = u.shard
  join llm_private.meters m on m.id = coalesce(u.meter_id, e.meter_id)
 where u.meter_id is null or u.held <> coalesce(e.held, 0) or u.spent <> coalesce(e.spent, 0);
comment on view llm.reconciliation_drift is
  'Usage rows that disagree with the ledger (held vs live holds, spent vs charges + adjustments), for periods starting this or last month. Must be empty. usage_value and ledger_value are in the meter''s unit (micros: micro-USD; tokens, input_tokens, output_tokens; calls).';

/*
 * The reconciliation on a schedule (migration 000040). The view above reads two months of the ledger: ~3 us per call and
 * meter, about 2 minutes at 10^7 calls a month. The metrics scrape of every worker counted it every 15 s or so, and past
 * the viewer's statement timeout the scrape failed with every metric it carries. The worker's cron now runs this every
 * 5 minutes (one run cluster-wide, with a statement timeout of its own) and the scrape reads llm.reconciliation_status.
 *
 * A check is derived, never taken as written: the worker's login is a member of llm_operator, and a row it wrote by hand
 * with 0 drift rows had silenced the alert (review of f9512fe). The trigger sets the time, counts the view itself, and
 * refuses what would make either lie: a snapshot older than the statement (REPEATABLE READ, where an imported snapshot
 * counted a ledger from before the drift) and an id not drawn from the identity (the newest check is the highest id,
 * whatever the clock does; an id of the writer's choosing failed the next checks at the primary key).
 */
create or replace function llm_private.tg_reconciliation_checks__derive() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
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
comment on function llm_private.tg_reconciliation_checks__derive() is
  'BEFORE INSERT on reconciliation_checks: the check''s time (the database clock when its read started), its count of llm.reconciliation_drift, the first 200 of those rows (drift_sample) and the time the read took, whatever the writer gave; refuses a transaction that is not READ COMMITTED (25000) and an id not drawn from the identity (42501).';
-- The read is a PL/pgSQL SELECT INTO, which PostgreSQL runs without parallel workers (it asks for at most two rows): as the
-- worker runs it, 1.4-1.5 s at 10^6 calls in its two months and ~13 s at 10^7, with no temporary files (bench/PROFILE.md
-- §12). A count passed in by the caller would be forgeable.
create or replace trigger _100_derive before insert on llm_private.reconciliation_checks
  for each row execute function llm_private.tg_reconciliation_checks__derive();

create or replace function llm.check_reconciliation()
  returns table (checked_at timestamptz, drift_rows bigint, duration_ms integer)
  language plpgsql
  set search_path = pg_catalog
as $$
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
comment on function llm.check_reconciliation() is
  'Operator (the worker''s cron, every 5 minutes), in a READ COMMITTED transaction: counts llm.reconciliation_drift and records the result in llm_private.reconciliation_checks, which llm.reconciliation_status and the metrics read. Returns what it recorded: when the count started, how many drift rows (must be 0), how long the count took.';

create view llm.reconciliation_status with (security_invoker = true) as
select c.checked_at, c.drift_rows, c.duration_ms,
       date_part('epoch', llm_private.now() - c.checked_at) as age_seconds,
       jsonb_array_length(c.drift_sample) as drift_rows_kept
  from llm_private.reconciliation_checks c
 order by c.id desc
 limit 1;
comment on view llm.reconciliation_status is
  'The newest reconciliation check (the highest id: llm.check_reconciliation, every 5 minutes): when its count started, how many rows llm.reconciliation_drift had (must be 0), how long the count took, its age in seconds on the database clock, and how many of its rows it kept (least(drift_rows, 200); null: it ran before migration 000041 and kept none). No row: no check has run yet. The metrics export drift_rows and age_seconds; the first 200 rows it found are in llm.reconciliation_checked_drift, all of them (read now) in llm.reconciliation_drift.';

-- The rows of the newest check, for the dashboard's drift section and Grafana: the view itself reads two months of the
-- ledger (minutes at 10^7 calls a month, past the viewer's statement timeout), the kept rows are one row's JSON.
create view llm.reconciliation_checked_drift with (security_invoker = true) as
select c.checked_at, r.n::integer as row_no, r.kind, r.tenant_id, r.meter_name, r.user_id, r.budget_scope, r.period_start, r.shard,
       r.usage_value, r.ledger_value, r.unit
  from (select x.checked_at, x.drift_sample from llm_private.reconciliation_checks x order by x.id desc limit 1) c
  cross join lateral jsonb_to_recordset(c.drift_sample)
       as r(n bigint, kind text, tenant_id uuid, meter_name text, user_id uuid, budget_scope text, period_start timestamptz,
            shard smallint, usage_value bigint, ledger_value bigint, unit text);
comment on view llm.reconciliation_checked_drift is
  'The rows of llm.reconciliation_drift the newest reconciliation check found (the first 200 in the order npm run audit -- drift lists them: kind, tenant, meter, user, scope, period, shard, nulls first; row_no 1..200; llm.reconciliation_status.drift_rows says how many there were), with the check''s time. Empty: the newest check found none, or none has run (llm.reconciliation_status has no row), or it ran before migration 000041 kept rows. unit: the meter''s unit of usage_value and ledger_value (null: the check ran before the drift view said it). Reads one row, never the ledger: what the dashboard and Grafana list.';

/*
 * Whether the ledger's months are created ahead (llm_maint.ensure_partitions, run by the owner from the host's scheduler:
 * npm run maintain-partitions). A scheduler that stopped showed nowhere: its months ran out silently, and from the month
 * after the last one every row went to the DEFAULT partitions (correct, but never dropped by retention, and
 * ensure_partitions skips a month whose rows are there, creating the later ones). So months_ahead counts the months
 * covered without a gap from the current one (a month skipped that way shows), each partition's months read from its
 * bounds (request ids carry their month above bit 40; the other tables are ranges of timestamps), from the catalog, not
 * the tables. The metrics export it per table (llm_partition_months_ahead) and alert well before it reaches -1.
 */
create view llm.partition_coverage with (security_invoker = true) as
with clock as materialized (select llm_private.month_index(llm_private.now()) as cur),
parts as (
  select p.relname::text collate "default" as table_name, c.oid is not null and b.lo is not null as is_month, b.lo, b.hi
    from pg_catalog.pg_partitioned_table pt
    join pg_catalog.pg_class p on p.oid = pt.partrelid and p.relnamespace = 'llm_private'::regnamespace
                               and p.relname operator(pg_catalog.=) any (llm_private.partitioned_tables())
    left join pg_catalog.pg_inherits i on i.inhparent = p.oid
    left join pg_catalog.pg_class c on c.oid = i.inhrelid
    -- FOR VALUES FROM ('<lower>') TO ('<upper>'), rendered (and read back) in this session's TimeZone and DateStyle;
    -- DEFAULT has no range. [lo, hi): the month indexes the range starts in and ends before.
    left join lateral (
      select case when r[1] operator(pg_catalog.~) '^-?[0-9]+$' then (r[1]::bigint >> 40)::integer
                  else llm_private.month_index(r[1]::timestamptz) end as lo,
             case when r[2] operator(pg_catalog.~) '^-?[0-9]+$' then (r[2]::bigint >> 40)::integer
                  else llm_private.month_index(r[2]::timestamptz) end as hi
        from pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                                     '^FOR VALUES FROM \(''([^'']*)''\) TO \(''([^'']*)''\)$') r) b on true
),
covered as (
  select distinct x.table_name, g.m from parts x cross join lateral pg_catalog.generate_series(x.lo, x.hi - 1) g(m)
)
select t.table_name,
       (select llm_private.month_start(max(c.m)) from covered c where c.table_name = t.table_name) as newest_month_start,
       -- The first month from the current one without a partition, less one (25: at least that many, the setting's maximum
       -- being 24).
       coalesce((select min(g.m) from pg_catalog.generate_series(k.cur, k.cur + 25) g(m)
                  where not exists (select 1 from covered c where c.table_name = t.table_name and c.m = g.m)) - k.cur - 1,
                25)::integer as months_ahead,
       (select s.partitions_ahead_months from llm_private.settings s)::integer as months_ahead_wanted,
       t.month_partitions::integer as month_partitions
  from (select x.table_name, count(*) filter (where x.is_month) as month_partitions from parts x group by x.table_name) t
  cross join clock k;
comment on view llm.partition_coverage is
  'Per partitioned ledger table (requests, request_inputs, attempts, usage, alerts, adjustments): the newest month it has a partition for (newest_month_start, UTC); how many months past the current one are covered without a gap (months_ahead: 0 = only this month, -1 = not even this month, whose rows then go to the DEFAULT partition; a month missing in between counts as the end); how many the maintenance keeps (months_ahead_wanted = settings.partitions_ahead_months); and how many range partitions it has. Below months_ahead_wanted for more than a day: npm run maintain-partitions (the owner''s, daily from the host''s scheduler) is not running. Read from the catalog (the partitions'' bounds).';

-- Tenant names, for a DBA to join to any view by tenant_id (adopter's review, 2026-11-27: no view named a tenant). The
-- auditor and the operator read the tenants table already; llm_viewer (the dashboard's, the metrics' and Grafana's login)
-- reads no tenant name, as before (sql/bootstrap/roles.sql: no table that holds a text).
create view llm.tenants with (security_invoker = true) as
select t.id as tenant_id, t.name, t.created_at, t.distillation_opt_in, t.traces_distillable,
       (select count(*) from llm_private.users u where u.tenant_id = t.id) as users
  from llm_private.tenants t;
comment on view llm.tenants is
  'Every tenant: its name (join on tenant_id to any audit view), when it was added, its distillation consent (distillation_opt_in, traces_distillable: set by an operator only), and how many users it has enrolled. For llm_auditor and llm_operator; llm_viewer reads no tenant name.';
grant select on llm.tenants to llm_auditor, llm_operator;

grant select on llm_private.limit_usage_rows to llm_auditor, llm_viewer, llm_operator;
grant select on llm.calls, llm.decision_log, llm.limit_usage, llm.monthly_spend, llm.hourly_spend, llm.refusals_by_reason, llm.open_holds,
  llm.shutoff_windows, llm.breaker_state, llm.breaker_transitions, llm.alerts, llm.adjustments, llm.budget_scopes, llm.cache_stats, llm.reconciliation_drift,
  llm.reconciliation_status, llm.reconciliation_checked_drift, llm.partition_coverage
  to llm_auditor, llm_viewer, llm_operator;
-- llm.partition_coverage's list of the ledger tables (the one the retention and the maintenance use).
grant execute on function llm_private.partitioned_tables() to llm_auditor, llm_viewer, llm_operator;
grant execute on function llm.check_reconciliation() to llm_operator;

/*
 * Repairing drift: each drifting usage counter moves by the ledger's difference (migration 000051). Drift moves only when
 * something went wrong (a bug, a write by hand under session_replication_role = replica); the calls that run meanwhile
 * move a counter and its ledger together, so the difference the view shows stays what it is while they run, and moving
 * the counter by it, relative to whatever the row holds when the repair reaches it, loses none of them. llm.adjust_usage is
 * not a repair: it moves the counters and the ledger together (drift stays, and the spend it credits is gone).
 */

/* The limit a missing usage row is created under: the one in effect at the period's start, else now; NULL when none applies. */
create or replace function llm_private.repair_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, p_period_start timestamptz)
  returns llm_private.limits
  language plpgsql stable
  set search_path = pg_catalog
as $$
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
comment on function llm_private.repair_limit(smallint, uuid, uuid, timestamptz) is
  'For llm.repair_usage_drift: the limit a missing usage row is created under (in effect at the period''s start, else now); NULL when none applies to the key.';
grant execute on function llm_private.repair_limit(smallint, uuid, uuid, timestamptz) to llm_operator;

/*
 * The drift as usage keys (the view shows them for reading: NULL for the nil tenant and user, NULL scope, the meter's name)
 * and the amount each counter must move by (0 for a missing row, which is created first). One definition for the repair
 * function, which inserts these rows, and for the insert trigger, which checks every row against them.
 */
create or replace function llm_private.drift_keys()
  returns table (tenant_id uuid, meter_id smallint, user_id uuid, budget_scope text, period_start timestamptz, shard smallint,
                 kind text, moved_by bigint)
  language sql stable
  set search_path = pg_catalog
as $$
  select coalesce(v.tenant_id, llm_private.nil_uuid()), m.id, coalesce(v.user_id, llm_private.nil_uuid()), coalesce(v.budget_scope, ''),
         v.period_start, v.shard, v.kind, case when v.kind = 'missing_usage_row' then 0 else v.ledger_value - v.usage_value end
    from llm.reconciliation_drift v join llm_private.meters m on m.name = v.meter_name
$$;
comment on function llm_private.drift_keys() is
  'llm.reconciliation_drift as usage keys (nil tenant and user, empty scope, the meter''s id) with the amount each counter moves by (moved_by; 0 for a missing row): what llm.repair_usage_drift inserts and what its insert trigger checks rows against.';
grant execute on function llm_private.drift_keys() to llm_operator;

create or replace function llm_private.tg_usage_repairs__stamp() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
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
comment on function llm_private.tg_usage_repairs__stamp() is
  'BEFORE INSERT on usage_repairs: when (the database clock) and who (the role, and the login behind it), whatever the writer gave; refuses an id not drawn from the identity (42501).';
create or replace trigger _050_stamp before insert on llm_private.usage_repairs
  for each row execute function llm_private.tg_usage_repairs__stamp();

create or replace function llm_private.tg_usage_repairs__apply() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
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
comment on function llm_private.tg_usage_repairs__apply() is
  'AFTER INSERT (per statement) on usage_repairs, READ COMMITTED only (25000), one repair at a time (the table in SHARE ROW EXCLUSIVE mode): refuses rows that do not name a key llm.reconciliation_drift shows now, of that kind and by that amount (moved_by), once (LG005); then moves each counter by it (held or spent), or creates a missing row (under llm_private.repair_limit), in the money path''s lock order.';
create or replace trigger _100_apply after insert on llm_private.usage_repairs
  referencing new table as new_rows for each statement execute function llm_private.tg_usage_repairs__apply();
create or replace trigger _100_no_update before update or delete on llm_private.usage_repairs
  for each row execute function llm_private.tg_ledger__no_delete();
create or replace trigger _100_no_truncate before truncate on llm_private.usage_repairs
  for each statement execute function llm_private.tg_ledger__no_delete();

create or replace function llm.repair_usage_drift(p_reason text)
  returns table (id bigint, tenant_id uuid, meter_name text, user_id uuid, budget_scope text, period_start timestamptz, shard smallint,
                 kind text, moved_by bigint)
  language plpgsql
  set search_path = pg_catalog
as $$
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
comment on function llm.repair_usage_drift(text) is
  'Operator, once the drift is explained: moves every usage counter llm.reconciliation_drift shows back to its ledger (held or spent by the difference; a missing row created under the limit in effect), recording each move in llm.usage_repairs with p_reason. Safe while calls run (they move counter and ledger together); one repair at a time. Reads the view up to six times (~13 s each at 10^7 calls in two months). Returns the moves it made; what is left (a missing row no limit applies to) stays in llm.reconciliation_drift. Never llm.adjust_usage for drift: it moves the ledger too.';
grant execute on function llm.repair_usage_drift(text) to llm_operator;

create view llm.usage_repairs with (security_invoker = true) as
select x.id, nullif(x.tenant_id, llm_private.nil_uuid()) as tenant_id, m.name as meter_name, nullif(x.user_id, llm_private.nil_uuid()) as user_id,
       nullif(x.budget_scope, '') as budget_scope, x.period_start, x.shard, x.kind, x.moved_by, x.reason, x.repaired_at, x.repaired_by
  from llm_private.usage_repairs x join llm_private.meters m on m.id = x.meter_id;
comment on view llm.usage_repairs is
  'Every move of a usage counter back to its ledger (llm.repair_usage_drift): the key, the kind of drift (held, spent, missing_usage_row: the row was created empty, its amounts moved by the next rows), the amount the counter moved by (checked against the drift when it moved), why, when and who (role and login).';
grant select on llm.usage_repairs to llm_auditor, llm_viewer, llm_operator;
