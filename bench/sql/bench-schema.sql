/*
 * The bench's own helpers (schema llm_bench), installed by bench/db.ts as the superuser in each
 * bench database after migrating. Never part of the product. Everything that depends on the
 * product's table layout (pre-created requests, bulk history) is in this file and history.sql,
 * so a schema change means editing these two files only.
 *
 * Request ids: pk = (month_index(now) << 40) + offset, and the offset says whose request it is:
 *   offset = w * 10^11 + r * 10^8 + N * 10^6 + k
 *   w  workload: 1 distinct tenants, 2 one tenant of many users, 3 one hot user, 4 distinct tenants
 *      (run with a global limit), 9 bulk-loaded history (see history.sql)
 *   r  run number (each pgbench run gets fresh requests; 998 = warm-up, 999 = the latency probe of
 *      goal 5), N pgbench client id, k 1..t its k-th pair
 * Subjects (uuid_of(kind, n): kind 1 tenant, 2 user):
 *   distinct:  client N cycles over tenants N*PER .. N*PER+PER-1, one user each (same n)
 *   one tenant: tenant BIG, its users BIG + N*PER + (k mod PER)  (BIG = 1000; 1 000 users)
 *   hot:       tenant HOT, user HOT (HOT = 2000)
 * __PER__ is replaced by bench/db.ts with floor(1000 / the largest client count).
 */
create schema llm_bench;
comment on schema llm_bench is 'Benchmark helpers (bench/sql/bench-schema.sql); not part of the product.';
grant usage on schema llm_bench to public;

create function llm_bench.uuid_of(p_kind integer, p_n bigint) returns uuid
  language sql immutable parallel safe
as $$ select (lpad(to_hex(p_kind), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(p_n), 12, '0'))::uuid $$;

create function llm_bench.offset_of(p_pk bigint) returns bigint
  language sql immutable parallel safe
as $$ select p_pk & 1099511627775 $$;

/* The subject numbers of a request offset (see above). */
create function llm_bench.tenant_n(p_offset bigint) returns bigint
  language sql immutable parallel safe
as $$
  select case p_offset / 100000000000
    when 2 then 1000
    when 3 then 2000
    when 9 then case when (p_offset % 100000000000) % 20 = 0 then 2000 else 3000 + (p_offset % 100000000000) % 1000 end
    else ((p_offset / 1000000) % 100) * __PER__ + (p_offset % 1000000) % __PER__ end
$$;
create function llm_bench.user_n(p_offset bigint) returns bigint
  language sql immutable parallel safe
as $$
  select case p_offset / 100000000000
    when 2 then 1000 + ((p_offset / 1000000) % 100) * __PER__ + (p_offset % 1000000) % __PER__
    when 3 then 2000
    when 9 then case when (p_offset % 100000000000) % 20 = 0 then 2000 else 3000 + (p_offset % 100000000000) % 10000 end
    else ((p_offset / 1000000) % 100) * __PER__ + (p_offset % 1000000) % __PER__ end
$$;
create function llm_bench.tenant_of(p_pk bigint) returns uuid
  language sql immutable parallel safe
as $$ select llm_bench.uuid_of(1, llm_bench.tenant_n(p_pk & 1099511627775)) $$;
create function llm_bench.user_of(p_pk bigint) returns uuid
  language sql immutable parallel safe
as $$ select llm_bench.uuid_of(2, llm_bench.user_n(p_pk & 1099511627775)) $$;

/*
 * The same two for the pair script, which calls them on every statement: PL/pgSQL compiles once
 * per session and caches its plan, where a SQL function is inlined and its body (and the bodies
 * it calls) parsed again on every statement (~0.15 ms per pair, perf record). The SQL ones stay
 * for the bulk loads, where inlining is what makes them cheap.
 */
create function llm_bench.tenant_of_pk(p_pk bigint) returns uuid
  language plpgsql immutable parallel safe
as $$ begin return llm_bench.tenant_of(p_pk); end $$;
create function llm_bench.user_of_pk(p_pk bigint) returns uuid
  language plpgsql immutable parallel safe
as $$ begin return llm_bench.user_of(p_pk); end $$;

/* The first pk of this month's id space. */
create function llm_bench.month_base() returns bigint
  language sql stable
as $$ select llm_private.month_index(llm_private.now())::bigint << 40 $$;

/*
 * Pre-created requests, as the application would have claimed them at enqueue: one request and
 * its inputs per pk = p_base + N * 10^6 + k (N < p_clients, 1 <= k <= p_per_client). The guard
 * trigger makes them queued; the inputs trigger validates them against the claim's fingerprint
 * (computed here as llm.enqueue_call would) and recomputes system_hash. No job is attached
 * (the pair script calls reserve/settle directly).
 */
create function llm_bench.precreate(p_base bigint, p_clients integer, p_per_client integer, p_endpoint text default 'explanation')
  returns bigint
  language plpgsql
as $$
declare
  n bigint;
begin
  insert into llm_private.requests (tenant_id, id, user_id, request_id, endpoint, fingerprint, created_at)
  select llm_bench.tenant_of(pk), pk, llm_bench.user_of(pk), 'bench-' || pk, p_endpoint::llm_private.endpoint,
         llm_private.fingerprint(llm_bench.user_of(pk), jsonb_build_object('endpoint', p_endpoint, 'model', 'bench:chat',
           'messages', '[{"role": "user", "content": "Explain this anomaly."}]'::jsonb, 'max_output_tokens', 500)), now()
    from (select p_base + c * 1000000 + k as pk
            from generate_series(0, p_clients - 1) c, generate_series(1, p_per_client) k) x;
  get diagnostics n = row_count;
  insert into llm_private.request_inputs (tenant_id, request_pk, user_id, model_ref, messages, max_output_tokens, system_hash)
  select llm_bench.tenant_of(pk), pk, llm_bench.user_of(pk), 'bench:chat',
         '[{"role": "user", "content": "Explain this anomaly."}]'::jsonb, 500, repeat('0', 64)
    from (select p_base + c * 1000000 + k as pk
            from generate_series(0, p_clients - 1) c, generate_series(1, p_per_client) k) x;
  return n;
end
$$;

/*
 * Warm-up: one reserve + settle (as the superuser, in one transaction) on every pre-created request
 * of a range, so that every subject's usage rows of this period exist before anything is timed.
 */
create function llm_bench.warm(p_base bigint, p_clients integer, p_per_client integer) returns integer
  language plpgsql
as $$
declare
  pk bigint;
  a integer;
  n integer := 0;
begin
  for c in 0 .. p_clients - 1 loop
    for k in 1 .. p_per_client loop
      pk := p_base + c * 1000000 + k;
      perform set_config('app.current_tenant_id', llm_bench.tenant_of(pk)::text, true),
              set_config('app.current_user_id', llm_bench.user_of(pk)::text, true),
              set_config('app.context_tx', llm_private.tx_stamp()::text, true);
      select r.attempt_no into a from llm.reserve_call(pk, 1, 1000, 30000) r;
      perform llm.settle_call(pk, a, 'ok', 1000, 0, 500, 5);
      n := n + 1;
    end loop;
  end loop;
  return n;
end
$$;

/* Per-client counters for pgbench (pgbench 15 has no per-client variables that survive a transaction). */
create function llm_bench.reset_counters(p_clients integer) returns void
  language plpgsql
as $$
begin
  for c in 0 .. p_clients - 1 loop
    execute format('create sequence if not exists llm_bench.c%s minvalue 0', c);
    execute format('grant usage, select on sequence llm_bench.c%s to public', c);
    perform setval(format('llm_bench.c%s', c)::regclass, c * 1000000::bigint, true);
  end loop;
end
$$;

/* How the attempts and requests of a pk range ended: the check that a run was all allow + settled. */
create function llm_bench.outcomes(p_lo bigint, p_hi bigint)
  returns table (state text, decision text, attempts bigint, requests_done bigint)
  language sql stable
as $$
  select a.state::text, a.decision::text, count(*),
         count(*) filter (where exists (select 1 from llm_private.requests q
                                         where q.tenant_id = a.tenant_id and q.id = a.request_pk and q.state = 'done'))
    from llm_private.attempts a
   where a.request_pk >= p_lo and a.request_pk < p_hi
   group by 1, 2
$$;

/*
 * The partitions a ledger has once it has run as long as its retention: every month that
 * settings.ledger_retention_months keeps, before the previous one, created empty the way
 * llm_maint.ensure_partitions creates months (llm_private.create_month_partition). Goal 5's third
 * probe database: the same rows as the small one, as many partitions as in steady state.
 */
create function llm_bench.add_retained_partitions() returns integer
  language plpgsql
as $$
declare
  t text;
  n integer := 0;
  cur integer := llm_private.month_index(llm_private.now());
  keep integer := (select s.ledger_retention_months from llm_private.settings s);
begin
  foreach t in array llm_private.partitioned_tables() loop
    for m in cur - keep + 1 .. cur - 2 loop
      if llm_private.create_month_partition(t, m) then
        n := n + 1;
      end if;
    end loop;
  end loop;
  return n;
end
$$;

grant execute on all functions in schema llm_bench to public;
