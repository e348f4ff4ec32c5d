--! Previous: sha1:70ea3a0da40284b9fc57cf8374f02e1b168b4535
--! Hash: sha1:a9b1a857cd10e0d938f533e2594130cb668376f5
--! Message: The exporter's reach from consent and model terms, without indexes that stopped HOT settles

/*
 * The exporter's reach, without touching the hot path. Migration 000009 limited the exporter's
 * view of tenants and prices with EXISTS over eligible attempts, backed by two partial indexes
 * whose predicate (distillation_eligible) every settle changes: no settle could be a HOT update
 * any more. The same reach follows from the distillation gate's own facts, with no index on
 * attempts: a call is eligible only for a tenant that consented (distillation_opt_in) and a model
 * whose terms allow training (training_allowed). So the exporter sees the tenants that consented
 * and the models (and their prices) that allow training, and nothing else of either.
 */
drop index if exists llm_private.attempts_eligible_tenant_idx;
drop index if exists llm_private.attempts_eligible_price_idx;

drop policy if exists exporter_eligible on llm_private.tenants;
create policy exporter_consented on llm_private.tenants for select to llm_exporter using (distillation_opt_in);

grant select (provider, model, training_allowed) on llm_private.models to llm_exporter;
drop policy if exists exporter_trainable on llm_private.models;
create policy exporter_trainable on llm_private.models for select to llm_exporter using (training_allowed);

drop policy if exists exporter_eligible on llm_private.model_prices;
create policy exporter_trainable on llm_private.model_prices for select to llm_exporter
  using (exists (select 1 from llm_private.models m where m.provider = model_prices.provider and m.model = model_prices.model
                   and m.training_allowed));
