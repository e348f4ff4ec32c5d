--! Previous: sha1:4c294d91ca82d4546fdf0b864a875fb09cd4ef4f
--! Hash: sha1:7a69aa26f39b3ede9b680c103173ed8cd852e182
--! Message: schema_state.catalog: the guarded catalog facts as the last migrate left them, which migrate and the worker check; endpoint_settings gets replica identity full

-- What the money and access rules stand on in the catalog (policies, triggers on every partition, event triggers, forced
-- row security, owners: src/db/catalog-guard.ts), as the last migrate left it. Migrate and the worker refuse a database
-- that has lost any of it since: a `pg_restore --clean` that stopped halfway had dropped every trigger and policy while the
-- tables and schema_state stayed, and migrate found the database "at head" (review 79).
alter table llm_private.schema_state add column if not exists catalog text[];
comment on column llm_private.schema_state.catalog is
  'The guarded catalog facts as the last migrate left them (src/db/catalog-guard.ts CATALOG_SQL): migrate and the worker refuse a database where one of them is no longer true. NULL: last migrated before migration 000050.';

-- The only table of ours without a primary key (tenant_id NULL is the default row, so no key can be made of it): published
-- for logical replication, its updates need a replica identity, and llm.set_endpoint_cache failed with 55000 (review 79).
alter table llm_private.endpoint_settings replica identity full;
