--! Previous: sha1:a9b1a857cd10e0d938f533e2594130cb668376f5
--! Hash: sha1:4769c717183b038a0e0d21d233a98a0c043499d1
--! Message: Advisory lock keys seeded with a per-tenant secret salt

/*
 * Claim and single-flight locks that another tenant cannot compute. The advisory lock of a claim
 * (and of a cache fill) was a hash of (tenant, endpoint, request_id) with a constant seed, and
 * pg_advisory_xact_lock is PUBLIC: an application holding tenant A's context could take tenant
 * B's lock for a request id it guessed, and stall that enqueue for as long as its own
 * transaction lasted. The seed is now a random number per tenant, readable under RLS only in
 * that tenant's own context (and by the operator), so no other tenant can derive the key.
 */
alter table llm_private.tenants add column if not exists lock_salt bigint not null
  default ((random() * 9.0e18)::bigint);
comment on column llm_private.tenants.lock_salt is
  'The seed of this tenant''s advisory lock keys (claims, cache fills): random, visible only in the tenant''s own context, so another tenant cannot take them.';

-- The auditor and the money role read every column but the salt (the money role still reads it through its policy:
-- it seeds the single-flight lock; llm_app sees only its own tenant's row).
revoke select on llm_private.tenants from llm_auditor;
grant select (id, name, distillation_opt_in, traces_distillable, created_at) on llm_private.tenants to llm_auditor;
