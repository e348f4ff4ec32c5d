-- The adversarial suite, generated from the catalog: for every table of llm_private (partitions included), every DML verb
-- (INSERT, UPDATE of each column, DELETE, TRUNCATE), as the application (llm_app) and as the money role (llm_money), in
-- tenant A user A1's valid context, aimed at A1's own rows, at user A2's and at tenant B's: each attempt is refused, or
-- leaves every invariant intact. A new table or column is covered without anyone remembering it. Each attempt runs in its
-- own subtransaction and is rolled back; what it tried and what happened is in test/README.md.
begin;
select no_plan();
select tests.seed();

/* A realistic ledger: every table has rows of A1, A2 and B1. */
select tests.act_as_role('llm_operator');
select llm.set_limit('user_monthly', 200000, tests.tenant_a(), tests.user_a1());
select llm.set_limit('tenant_hourly', 1000, tests.tenant_b(), null, 'soft', 'block', null, null, '{1,2}');
select llm.set_endpoint_cache(tests.tenant_b(), 'explanation', true);
select llm.schedule_shutoff('user', tests.tenant_b(), tests.user_b1(), '2026-03-16 00:00+00', '2026-03-16 01:00+00', 'planned');
select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 1000, 'debit');
select tests.as_admin();
create temp table seeded on commit drop as
select tests.enqueue(u.t, u.u, u.p || '-' || n, 'explanation', 'mock:small', 100, 'question ' || n,
         jsonb_build_object('source_watermark', 'w1', 'budget_scope', u.p || '-scope')) as pk, u.p, n
  from (values (tests.tenant_a(), tests.user_a1(), 'a1'), (tests.tenant_a(), tests.user_a2(), 'a2'), (tests.tenant_b(), tests.user_b1(), 'b1')) u(t, u, p)
  cross join generate_series(1, 3) n;
select count(*) from seeded s cross join lateral tests.reserve(s.pk) r where s.n <= 2;   -- n = 1, 2 held
select count(*) from seeded s cross join lateral tests.settle(s.pk, 1, 'ok', 10, 0, 20, 'answer ' || s.p, true, false, null, 'trace')
 where s.n = 1;                                                                         -- n = 1 settled (output, trace, cache entry)
insert into llm_private.provider_breakers (provider, model, consecutive_failures) values ('mock', 'tiny', 1);
insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until)   -- and its transition
values ('mock', 'large', 'open', 3, '2026-03-15 11:00+00');
select ok((select count(*) from llm_private.usage) > 0 and (select count(*) from llm_private.alerts) > 0
      and (select count(*) from llm_private.cache_entries) > 0 and (select count(*) from llm_private.reasoning_traces) > 0
      and (select count(*) from llm_private.cache_fills) > 0 and (select count(*) from llm_private.adjustments) > 0
      and (select count(*) from llm_private.breaker_transitions) > 0,
  'every table of the ledger has rows to attack');

/*
 * The invariants, as the superuser sees them. Empty = all hold.
 *   usage equals the ledger (held = live holds, spent = charges + adjustments); quotas sum to caps and are >= 0;
 *   derived columns agree with their facts; nobody else's rows and no shared row changed (checksums);
 *   consent and distillation eligibility agree; outputs, traces and cache entries belong to settled calls.
 */
create function pg_temp.checksum(p_sql text) returns text language plpgsql as $$
declare
  v text;
begin
  execute format('select md5(coalesce(string_agg(x::text, %L order by x::text), %L)) from (%s) x', '|', '', p_sql) into v;
  return v;
end $$;

create function pg_temp.protected() returns text[] language plpgsql as $$
declare
  r record;
  out text[] := '{}';
begin
  for r in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'llm_private' and c.relkind in ('r', 'p') and not c.relispartition order by 1 loop
    out := out || (r.relname || ':' || pg_temp.checksum(case
      when exists (select 1 from pg_attribute a where a.attrelid = ('llm_private.' || r.relname)::regclass and a.attname = 'user_id')
           and exists (select 1 from pg_attribute a where a.attrelid = ('llm_private.' || r.relname)::regclass and a.attname = 'tenant_id')
        then format('select * from llm_private.%I where tenant_id <> %L or user_id is distinct from %L', r.relname, tests.tenant_a(), tests.user_a1())
      when exists (select 1 from pg_attribute a where a.attrelid = ('llm_private.' || r.relname)::regclass and a.attname = 'tenant_id')
           and r.relname not in ('limits', 'meters', 'endpoint_settings', 'users')
        then format('select * from llm_private.%I where tenant_id <> %L', r.relname, tests.tenant_a())
      else format('select * from llm_private.%I', r.relname) end));
  end loop;
  return out;
end $$;

create function pg_temp.violations(p_baseline text[]) returns text[] language plpgsql as $$
declare
  v text[] := '{}';
  now_ text[] := pg_temp.protected();
begin
  if exists (select 1 from llm.reconciliation_drift) then v := v || 'usage drifted from the ledger'::text; end if;
  if exists (select 1 from (select tenant_id, meter_id, user_id, budget_scope, period_start, sum(quota) q, max(cap) c, min(cap) c0, min(quota) mq
                              from llm_private.usage group by 1, 2, 3, 4, 5) x where x.q <> x.c or x.c <> x.c0 or x.mq < 0) then
    v := v || 'escrow quotas do not sum to the cap'::text;
  end if;
  if exists (select 1 from llm_private.attempts a left join llm_private.model_prices p on p.id = a.price_id
              where a.charged_micros <> case a.state when 'settled' then a.cost_micros when 'expired' then a.held_micros else 0 end
                 or (a.state = 'settled' and not a.usage_unknown
                     and a.cost_micros <> llm_private.call_cost_micros(p, a.input_tokens, a.cached_input_tokens, a.output_tokens))
                 or (a.state = 'settled' and a.usage_unknown and a.cost_micros <> a.held_micros)
                 or (a.state = 'held' and a.held_micros <> llm_private.call_cost_micros(p, a.input_tokens_estimate, 0, a.max_output_tokens))) then
    v := v || 'an attempt''s money does not follow from its facts'::text;
  end if;
  if exists (select 1 from llm_private.attempts a join llm_private.tenants t on t.id = a.tenant_id
              where a.distillation_eligible and not t.distillation_opt_in) then
    v := v || 'a call of a tenant without consent is eligible for distillation'::text;
  end if;
  if exists (select 1 from llm_private.call_outputs o left join llm_private.attempts a using (tenant_id, request_pk, attempt_no)
              where a.state is null or a.user_id <> o.user_id or not (a.state = 'cached' or a.provider_status = 'ok')) then
    v := v || 'an output belongs to no settled call of its user'::text;
  end if;
  if exists (select 1 from llm_private.cache_entries e left join llm_private.request_inputs i on i.tenant_id = e.tenant_id and i.request_pk = e.source_request_pk
              where i.cache_key is distinct from e.cache_key) then
    v := v || 'a cache entry is filed under another question''s key'::text;
  end if;
  if exists (select 1 from llm_private.requests q where (q.state in ('queued', 'running')) <> (q.finished_at is null)) then
    v := v || 'a request''s state and finish disagree'::text;
  end if;
  select v || coalesce(array_agg('changed rows that are not A1''s own: ' || split_part(b, ':', 1)), '{}') into v
    from unnest(p_baseline) b where b <> all (now_);
  return v;
end $$;

create temp table baseline on commit drop as select pg_temp.protected() as b;
select is(pg_temp.violations((select b from baseline)), '{}'::text[], 'the seeded ledger satisfies every invariant');

/* One attack: run p_sql as p_role in A1's context, check the invariants, roll back. */
create function pg_temp.attack(p_role text, p_sql text) returns text language plpgsql as $$
declare
  v text[];
  n bigint;
begin
  begin
    if p_role = 'llm_app' then
      perform tests.act_as_app(tests.tenant_a(), tests.user_a1());
    else
      perform tests.act_as_money(tests.tenant_a(), tests.user_a1());
    end if;
    execute p_sql;
    get diagnostics n = row_count;
    perform tests.as_admin();
    v := pg_temp.violations((select b from baseline));
    raise exception using errcode = 'TSTRB', message = case when cardinality(v) > 0 then 'VIOLATION ' || array_to_string(v, '; ')
      else format('no invariant broken (%s rows)', n) end;
  exception when sqlstate 'TSTRB' then
    perform tests.as_admin();
    return sqlerrm;
  when others then
    perform tests.as_admin();
    return 'refused ' || sqlstate || ': ' || sqlerrm;
  end;
end $$;

/* A value that changes a column: the attacker's favourite for its type. */
create function pg_temp.perturb(p_type regtype, p_col text) returns text language sql immutable as $$
  select case
    when p_type in ('bigint'::regtype, 'integer'::regtype, 'smallint'::regtype, 'real'::regtype, 'numeric'::regtype)
      then case when p_col ~ '(held|spent|cost|charged|used|cap|count|quota)' then '0'
                when p_type = 'smallint'::regtype then quote_ident(p_col) || ' + 100' else quote_ident(p_col) || ' + 1000000' end
    when p_type = 'boolean'::regtype then 'not coalesce(' || quote_ident(p_col) || ', false)'
    when p_type = 'uuid'::regtype then quote_literal(tests.tenant_b())
    when p_type = 'timestamptz'::regtype then '''infinity'''
    when p_type = 'jsonb'::regtype then '''[]'''
    when p_type = 'bytea'::regtype then '''\x00'''
    when p_type::text like '%[]' then '''{}'''
    when exists (select 1 from pg_type t where t.oid = p_type and t.typtype = 'e')
      then quote_literal((select e.enumlabel from pg_enum e where e.enumtypid = p_type order by e.enumsortorder desc limit 1)) || '::' || p_type::text
    else '''x''' end
$$;

/* Targets: A1's own row, A2's, B's (where the table has them), else any row. */
create function pg_temp.targets(p_table regclass) returns table (who text, tableoid oid, ctid tid) language plpgsql as $$
declare
  has_t boolean := exists (select 1 from pg_attribute a where a.attrelid = p_table and a.attname = 'tenant_id');
  has_u boolean := exists (select 1 from pg_attribute a where a.attrelid = p_table and a.attname = 'user_id');
begin
  if has_t then
    return query execute format('select ''A1''::text, tableoid, ctid from %s where tenant_id = %L %s limit 1', p_table, tests.tenant_a(),
      case when has_u then format('and user_id = %L', tests.user_a1()) else '' end);
    if has_u then
      return query execute format('select ''A2''::text, tableoid, ctid from %s where tenant_id = %L and user_id = %L limit 1', p_table,
        tests.tenant_a(), tests.user_a2());
    end if;
    return query execute format('select ''B''::text, tableoid, ctid from %s where tenant_id = %L limit 1', p_table, tests.tenant_b());
    return query execute format('select ''shared''::text, tableoid, ctid from %s where tenant_id is null or tenant_id = %L limit 1', p_table,
      llm_private.nil_uuid());
  else
    return query execute format('select ''shared''::text, tableoid, ctid from %s limit 1', p_table);
  end if;
end $$;

create temp table results (role text, tbl text, verb text, detail text, outcome text) on commit drop;
grant all on results to public;

do $$
declare
  t record;
  c record;
  g record;
  r text;
  src jsonb;
  fresh jsonb;
  stmt text;
  cols text;
begin
  for r in select unnest(array['llm_app', 'llm_money']) loop
    for t in select k.oid::regclass as rel, k.relname, k.relispartition from pg_class k join pg_namespace ns on ns.oid = k.relnamespace
              where ns.nspname = 'llm_private' and k.relkind in ('r', 'p') order by k.relispartition, k.relname loop
      -- INSERT: a copy of a row of A1 (or any), with fresh keys, as A1's own and as tenant B's.
      for g in select * from pg_temp.targets(t.rel) x where x.who in ('A1', 'shared') limit 1 loop
        execute format('select to_jsonb(x) from %s x where tableoid = %s and ctid = %L', t.rel, g.tableoid, g.ctid) into src;
        -- Fresh keys: every column of a unique index moved out of the way (numbers + 10^9, smallints + 100, text 'evil-...').
        fresh := src || coalesce((select jsonb_object_agg(a.attname, case when jsonb_typeof(src -> a.attname) = 'number'
                                    then to_jsonb((src ->> a.attname)::numeric + case when a.atttypid = 'smallint'::regtype then 100 else 1000000000 end)
                                    when jsonb_typeof(src -> a.attname) = 'string'
                                    and a.atttypid in ('text'::regtype, 'varchar'::regtype) then to_jsonb('evil-' || (src ->> a.attname))
                                    else src -> a.attname end)
                              from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
                             where i.indrelid = t.rel and i.indisunique and a.attname not in ('tenant_id', 'user_id', 'owner_user_id')), '{}');
        -- Only the columns the role may insert (a column grant refuses the whole row otherwise), or every column when it may
        -- insert none: each attempt reaches the table's triggers and policies whenever privileges allow it at all.
        -- (never an identity or generated column, which no INSERT may name).
        cols := coalesce((select string_agg(quote_ident(a.attname), ', ' order by a.attnum) from pg_attribute a
                           where a.attrelid = t.rel and a.attnum > 0 and not a.attisdropped and a.attidentity <> 'a' and a.attgenerated = ''
                             and has_column_privilege(r, t.rel, a.attnum, 'INSERT')),
                         (select string_agg(quote_ident(a.attname), ', ' order by a.attnum) from pg_attribute a
                           where a.attrelid = t.rel and a.attnum > 0 and not a.attisdropped and a.attidentity <> 'a' and a.attgenerated = ''));
        for stmt in select format('insert into %s (%s) select %s from jsonb_populate_record(null::%s, %L)', t.rel, cols, cols, t.rel, v)
                      from (values (src), (fresh), (fresh || jsonb_build_object('tenant_id', tests.tenant_b(), 'user_id', tests.user_b1()))) s(v) loop
          insert into results values (r, t.relname, 'insert', stmt, pg_temp.attack(r, stmt));
        end loop;
      end loop;
      -- UPDATE of each column, DELETE, aimed at each target.
      for g in select * from pg_temp.targets(t.rel) loop
        for c in select a.attname, a.atttypid::regtype as typ from pg_attribute a
                  where a.attrelid = t.rel and a.attnum > 0 and not a.attisdropped order by a.attnum loop
          stmt := format('update %s set %I = %s where tableoid = %s and ctid = %L', t.rel, c.attname, pg_temp.perturb(c.typ, c.attname),
            g.tableoid, g.ctid);
          insert into results values (r, t.relname, 'update ' || c.attname || ' of ' || g.who, stmt, pg_temp.attack(r, stmt));
        end loop;
        stmt := format('delete from %s where tableoid = %s and ctid = %L', t.rel, g.tableoid, g.ctid);
        insert into results values (r, t.relname, 'delete of ' || g.who, stmt, pg_temp.attack(r, stmt));
      end loop;
      stmt := format('truncate %s', t.rel);
      insert into results values (r, t.relname, 'truncate', stmt, pg_temp.attack(r, stmt));
    end loop;
  end loop;
end
$$;

-- One assertion per role, table and verb; the diagnostics list any attempt that broke an invariant.
select ok(not bool_or(outcome like 'VIOLATION%'),
          format('as %s, %s on llm_private.%s (%s attempts: %s refused, %s without breaking an invariant)', role, split_part(verb, ' ', 1), tbl,
            count(*), count(*) filter (where outcome like 'refused%'), count(*) filter (where outcome like 'no invariant%')))
       || coalesce(e'\n' || string_agg(case when outcome like 'VIOLATION%' then '# ' || verb || ': ' || outcome || ' -- ' || detail end, e'\n'), '')
  from results group by role, tbl, split_part(verb, ' ', 1) order by role, tbl, split_part(verb, ' ', 1);
select cmp_ok((select count(*)::int from results), '>', 1500, 'the suite made over 1 500 attempts');
-- Refused by the product, never by the harness: an attempt that fails for a malformed statement proves nothing.
select is((select array_agg(distinct substr(outcome, 1, 120)) from results
            where outcome ~ '^refused (42601|42703|42883|42804|42P01|42P18|2202E|0A000|22003)'), null,
  'no attempt failed for a malformed statement (syntax, unknown column, type mismatch, out of range)');
select ok((select count(*) from results where verb = 'insert' and (outcome like 'no invariant%' or outcome ~ '^refused LG')) > 0,
  'some inserts get past privileges and policies to the tables'' triggers (accepted, or refused by a trigger''s LG code), so the INSERT family is exercised');
select is((select count(*)::int from results where outcome like 'VIOLATION%'), 0, 'not one broke an invariant');

/*
 * What the application reads. An SQL injection in it must not read another user's data (README: Roles): for every table
 * of llm_private (partitions included) that llm_app may read at all, in A1's valid context, not one row naming another
 * tenant (tenant_id; tenants.id) or another user (every column named *user_id: whose a row is, who started a budget scope;
 * users.id). Generated from the catalog as the attacks above: a new table, column or policy is covered without anyone
 * remembering it. A2 has a limit of its own here and a budget scope's deadline (an elapsed_ms limit) besides its requests
 * and scopes, so that the rows are there to be hidden (their number is in each message).
 */
select tests.act_as_role('llm_operator');
select llm.define_meter('adv_scope_deadline', 'budget_scope', 'budget_scope', 'elapsed_ms', p_endpoint => 'explanation');
select llm.set_limit('adv_scope_deadline', 3600000, tests.tenant_a(), tests.user_a2());
select llm.set_limit('user_monthly', 300000, tests.tenant_a(), tests.user_a2());
select tests.as_admin();
create temp table reads (tbl text, others bigint, outcome text) on commit drop;
grant all on reads to public;
do $$
declare
  t record;
  pred text;
  n bigint;
  seen bigint;
begin
  for t in select k.oid::regclass as rel, k.relname from pg_class k join pg_namespace ns on ns.oid = k.relnamespace
            where ns.nspname = 'llm_private' and k.relkind in ('r', 'p') and has_any_column_privilege('llm_app', k.oid, 'SELECT')
            order by k.relname loop
    select string_agg(format('(%1$I is not null and %1$I not in (%2$L, %3$L))', a.attname,
                             case when a.attname = 'tenant_id' or t.relname = 'tenants' then tests.tenant_a() else tests.user_a1() end,
                             llm_private.nil_uuid()), ' or ' order by a.attnum)
      into pred
      from pg_attribute a
     where a.attrelid = t.rel and a.attnum > 0 and not a.attisdropped and a.atttypid = 'uuid'::regtype
       and (a.attname = 'tenant_id' or a.attname ~ 'user_id$' or (a.attname = 'id' and t.relname in ('tenants', 'users')));
    continue when pred is null;   -- shared reference data (models, prices, settings, the clock): no tenant's, no user's
    execute format('select count(*) from %s where %s', t.rel, pred) into n;
    begin
      perform tests.act_as_app(tests.tenant_a(), tests.user_a1());
      execute format('select count(*) from %s where %s', t.rel, pred) into seen;
      perform tests.as_admin();
      insert into reads values (t.relname, n, format('%s read', seen));
    exception when others then
      perform tests.as_admin();
      insert into reads values (t.relname, n, 'refused ' || sqlstate || ': ' || sqlerrm);
    end;
  end loop;
end
$$;
select is(outcome, '0 read', format('as llm_app (A1), llm_private.%s shows none of its %s rows of another tenant or user', tbl, others))
  from reads order by tbl;
select ok(exists (select 1 from llm_private.budget_scopes where tenant_id = tests.tenant_a() and first_user_id = tests.user_a2())
          and exists (select 1 from llm_private.limits l join llm_private.meters m on m.id = l.meter_id
                       where l.user_id = tests.user_a2() and m.unit = 'elapsed_ms')
          and (select others from reads where tbl = 'requests') > 0,
  'there are rows of another user to hide (a scope A2 started, A2''s deadline, A2''s and B''s requests)');

select * from finish();
rollback;
