-- Ready to shard by tenant (Citus): tenant_id in every key of tenant data, no foreign key across tenants, and the shared
-- tables (reference tables) are read-only on the money path.
begin;
select plan(5);

create temp table reference_tables (name text) on commit drop;
insert into reference_tables values ('settings'), ('context_keys'), ('clock'), ('schema_state'), ('models'), ('model_prices'), ('reconciliation_checks'),
  ('model_fallbacks'), ('meters'), ('limits'), ('endpoint_settings'), ('provider_breakers'), ('shutoff_windows'),
  ('breaker_transitions'), ('month_closes'), ('worker_heartbeats');

select is_empty($$
  select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'llm_private' and c.relkind in ('r', 'p') and not c.relispartition
     and c.relname not in (select name from reference_tables) and c.relname <> 'tenants'
     and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
$$, 'every table that is not a reference table carries tenant_id (the distribution column)');
select is_empty($$
  select i.indexrelid::regclass::text from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'llm_private' and c.relkind in ('r', 'p') and not c.relispartition and i.indisunique
     and c.relname not in (select name from reference_tables) and c.relname <> 'tenants'
     and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnum = any (i.indkey))
$$, 'every primary and unique key of tenant data includes tenant_id (no tenant can squat another''s key)');
select is_empty($$
  select con.conname from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
   join pg_class f on f.oid = con.confrelid
   where n.nspname = 'llm_private' and con.contype = 'f'
     and c.relname not in (select name from reference_tables)
     and f.relname not in (select name from reference_tables)
     and not (f.relname = 'tenants' and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id'
                                                 and a.attnum = con.conkey[1]) and cardinality(con.conkey) = 1)
$$, 'no foreign key joins tenant data to other tenant data except on the tenant key itself');
select is_empty($$
  select r.name || ' ' || x.priv from reference_tables r cross join (values ('insert'), ('update'), ('delete')) x(priv)
   where r.name not in ('provider_breakers', 'shutoff_windows', 'breaker_transitions')
     and (has_table_privilege('llm_money', 'llm_private.' || r.name, x.priv)
          or (x.priv <> 'delete' and has_any_column_privilege('llm_money', 'llm_private.' || r.name, x.priv)))
$$, 'the money path writes no reference table (the breaker, its transitions and tripped windows are written only on a state change, by triggers)');
select is_empty($$
  select p.tablename || ' ' || p.policyname from pg_policies p
   where p.schemaname = 'llm_private' and p.qual ~* '\(\s*select' and 'llm_money' = any (p.roles)
$$, 'the money role''s policies use no subquery (Citus rejects them on distributed tables)');

select * from finish();
rollback;
