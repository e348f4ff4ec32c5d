--! Previous: sha1:6e43d56eecf562c708c90d2dd245a42870fc0ce9
--! Hash: sha1:707572fd1d2570a9a73a0b2a392d99eeed4486df
--! Message: outputs-traces-cache

/*
 * Outputs, reasoning traces, the Postgres cache and the distillation gate.
 *   call_outputs      the final output of a settled call (and its prompt), with the facts the
 *                     distillation gate needs; tenant+user RLS.
 *   reasoning_traces  provider reasoning kept apart: own table, own RLS, own (shorter) retention;
 *                     never cached, never in the export view unless the tenant allows it.
 *   cache_entries     exact cache per tenant, keyed on the normalized request plus the caller's
 *                     source revision watermark; a TTL bounds storage.
 */
drop table if exists llm_private.reasoning_traces, llm_private.call_outputs, llm_private.cache_entries, llm_private.cache_fills cascade;
drop index if exists llm_private.reservations_cache_fill_idx;
drop policy if exists exporter_eligible on llm_private.reservations;
drop policy if exists exporter_select on llm_private.tenants;

alter table llm_private.settings
  add column if not exists cache_ttl_ms bigint not null default 604800000 check (cache_ttl_ms between 1000 and 31536000000),
  add column if not exists output_retention_ms bigint not null default 7776000000 check (output_retention_ms between 60000 and 315360000000),
  add column if not exists trace_retention_ms bigint not null default 604800000 check (trace_retention_ms between 60000 and 315360000000);
comment on column llm_private.settings.cache_ttl_ms is 'How long a cache entry may be served (the watermark, not the TTL, is what invalidates it). Default 7 days.';
comment on column llm_private.settings.output_retention_ms is 'How long final outputs are kept. Default 90 days.';
comment on column llm_private.settings.trace_retention_ms is 'How long reasoning traces are kept; shorter than outputs. Default 7 days.';

alter table llm_private.reservations
  add column if not exists cache_key text check (length(cache_key) = 64),
  add column if not exists cached boolean not null default false,
  add column if not exists cache_saved_micros bigint check (cache_saved_micros >= 0),
  add column if not exists distillation_eligible boolean,
  add column if not exists distillation_reason text check (distillation_reason in ('eligible', 'tenant_not_opted_in', 'call_failed',
    'capped_output', 'from_cache', 'invalid_output', 'model_terms_forbid', 'pii_flagged', 'no_output'));
comment on column llm_private.reservations.cache_key is 'sha256 of the normalized request and watermark, when the caller asked for caching.';
comment on column llm_private.reservations.cached is 'Served from the cache: no provider call, no hold, zero cost.';
comment on column llm_private.reservations.cache_saved_micros is 'For a cache hit: what the call that filled the entry cost, i.e. the money this hit saved.';
comment on column llm_private.reservations.distillation_eligible is 'Decided at settle by llm_private.distillation_gate; never by a task.';
comment on column llm_private.reservations.distillation_reason is 'Why (not) eligible: the first failing rule, or eligible.';
grant update (distillation_eligible, distillation_reason, cached, cache_saved_micros) on llm_private.reservations to llm_app;

alter table llm_private.decisions drop constraint if exists decisions_decision_check;
alter table llm_private.decisions add constraint decisions_decision_check
  check (decision in ('allow', 'cap', 'fallback', 'block', 'replay', 'cached', 'wait'));
alter table llm_private.decisions drop constraint if exists decisions_reason_check;
alter table llm_private.decisions add constraint decisions_reason_check check (reason in ('ok', 'over_request_cap', 'per_request_cap',
  'user_monthly_cap', 'tenant_monthly_cap', 'hourly_shutoff', 'manual_shutoff', 'unknown_model', 'breaker_open', 'request_conflict',
  'attempts_exhausted', 'already_settled', 'in_flight', 'cache_hit', 'cache_fill_in_flight'));
alter table llm_private.reservations drop constraint if exists reservations_decision_check;
alter table llm_private.reservations add constraint reservations_decision_check check (decision in ('allow', 'cap', 'fallback', 'cached'));

create table llm_private.call_outputs (
  reservation_id bigint primary key references llm_private.reservations (id),
  tenant_id uuid not null,
  user_id uuid not null,
  endpoint llm_private.endpoint not null,
  provider text not null,
  model text not null,
  messages jsonb not null check (jsonb_typeof(messages) = 'array' and octet_length(messages::text) <= 1048576),
  output text not null check (octet_length(output) <= 1048576),
  output_valid boolean not null,
  pii_flagged boolean not null,
  created_at timestamptz not null,
  expires_at timestamptz not null
);
comment on table llm_private.call_outputs is 'Final outputs of settled calls with their prompts (never the reasoning), kept for output_retention_ms.';
comment on column llm_private.call_outputs.output_valid is 'The output passed the endpoint''s output validation (checked by the worker with the endpoint''s zod schema).';
comment on column llm_private.call_outputs.pii_flagged is 'The worker''s redaction/PII scan found personal data in the prompt or output.';

create table llm_private.reasoning_traces (
  reservation_id bigint primary key references llm_private.reservations (id),
  tenant_id uuid not null,
  user_id uuid not null,
  trace text not null check (octet_length(trace) <= 1048576),
  created_at timestamptz not null,
  expires_at timestamptz not null
);
comment on table llm_private.reasoning_traces is 'Provider reasoning (chain of thought, tool traces) kept apart from final output: own RLS, shorter retention, never cached, exported only where the tenant allows traces.';

create table llm_private.cache_entries (
  tenant_id uuid not null references llm_private.tenants (id),
  cache_key text not null check (length(cache_key) = 64),
  endpoint llm_private.endpoint not null,
  provider text not null,
  model text not null,
  output text not null check (octet_length(output) <= 1048576),
  source_reservation_id bigint not null references llm_private.reservations (id),
  source_cost_micros bigint not null check (source_cost_micros >= 0),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, cache_key)
);
comment on table llm_private.cache_entries is 'Exact cache per tenant: key = sha256(normalized request + source watermark). A new watermark is a new key, so stale answers are never served; expires_at bounds storage.';

create table llm_private.cache_fills (
  tenant_id uuid not null references llm_private.tenants (id),
  cache_key text not null check (length(cache_key) = 64),
  reservation_id bigint not null references llm_private.reservations (id),
  expires_at timestamptz not null,
  primary key (tenant_id, cache_key)
);
comment on table llm_private.cache_fills is 'Single flight: the reservation now calling the provider for a cache key. Identical requests wait for it instead of calling too; a fill ends with its settle or its hold''s expiry.';

create index call_outputs_tenant_idx on llm_private.call_outputs (tenant_id, user_id, created_at);
create index call_outputs_expiry_idx on llm_private.call_outputs (expires_at);
create index reasoning_traces_expiry_idx on llm_private.reasoning_traces (expires_at);
create index cache_entries_expiry_idx on llm_private.cache_entries (expires_at);
create index reservations_cache_fill_idx on llm_private.reservations (tenant_id, cache_key) where state = 'held' and cache_key is not null;

alter table llm_private.call_outputs enable row level security;
alter table llm_private.call_outputs force row level security;
alter table llm_private.reasoning_traces enable row level security;
alter table llm_private.reasoning_traces force row level security;
alter table llm_private.cache_entries enable row level security;
alter table llm_private.cache_entries force row level security;
alter table llm_private.cache_fills enable row level security;
alter table llm_private.cache_fills force row level security;

create policy own_rows on llm_private.call_outputs to llm_app
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id())
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
create policy own_rows on llm_private.reasoning_traces to llm_app
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id())
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
-- The cache is shared by the users of one tenant (same question, same data revision), never across tenants.
create policy own_tenant on llm_private.cache_entries to llm_app
  using (tenant_id = llm_private.current_tenant_id()) with check (tenant_id = llm_private.current_tenant_id());
create policy own_tenant on llm_private.cache_fills to llm_app
  using (tenant_id = llm_private.current_tenant_id()) with check (tenant_id = llm_private.current_tenant_id());
grant select, insert, delete, update (reservation_id, expires_at) on llm_private.cache_fills to llm_app;
grant select, insert on llm_private.call_outputs, llm_private.reasoning_traces to llm_app;
grant select, insert, update (output, source_reservation_id, source_cost_micros, created_at, expires_at, provider, model)
  on llm_private.cache_entries to llm_app;

create policy operator_all on llm_private.call_outputs to llm_operator using (true) with check (true);
create policy operator_all on llm_private.reasoning_traces to llm_operator using (true) with check (true);
create policy operator_all on llm_private.cache_entries to llm_operator using (true) with check (true);
create policy operator_all on llm_private.cache_fills to llm_operator using (true) with check (true);
grant select, delete on llm_private.cache_fills to llm_operator;
grant select, delete on llm_private.call_outputs, llm_private.reasoning_traces, llm_private.cache_entries to llm_operator;

create policy auditor_select on llm_private.call_outputs for select to llm_auditor using (true);
create policy auditor_select on llm_private.cache_entries for select to llm_auditor using (true);
grant select on llm_private.call_outputs, llm_private.cache_entries to llm_auditor;
-- The auditor sees that traces exist (the export view joins them), never reads other rows than eligible ones through views.
create policy auditor_select on llm_private.reasoning_traces for select to llm_auditor using (true);
grant select on llm_private.reasoning_traces to llm_auditor;

/* The exporter reads only what the distillation export view shows. */
grant usage on schema llm_private to llm_exporter;
create policy exporter_eligible on llm_private.reservations for select to llm_exporter using (distillation_eligible);
create policy exporter_eligible on llm_private.call_outputs for select to llm_exporter
  using (exists (select 1 from llm_private.reservations r where r.id = reservation_id and r.distillation_eligible));
create policy exporter_allowed on llm_private.reasoning_traces for select to llm_exporter
  using (exists (select 1 from llm_private.tenants t where t.id = tenant_id and t.traces_distillable)
     and exists (select 1 from llm_private.reservations r where r.id = reservation_id and r.distillation_eligible));
create policy exporter_select on llm_private.tenants for select to llm_exporter using (true);
grant select on llm_private.reservations, llm_private.call_outputs, llm_private.reasoning_traces, llm_private.tenants to llm_exporter;
