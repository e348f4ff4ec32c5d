--! Previous: sha1:64b9b2a1f40244feaf7a87b68a3cf00fb6b018d9
--! Hash: sha1:5131643ac69cceea311f706527d2ef87eb846f07
--! Message: A settle names the model that answered when it was not the one asked for: charged at the dearer of the two prices, or the full hold

-- The model the provider said answered, when it was not the model asked for (a gateway's routing or fallback). The settle
-- prices such an answer at the dearer of the two models when the one that answered has a price for the same provider, and
-- charges the full hold when it has none: until now the worker dropped the usage (full hold) in every case, so a dearer
-- model's cost above the hold was never charged (review of the provider boundary, 2026-11-26).
alter table llm_private.attempts add column answered_model text
  constraint attempts_answered_model_check check (answered_model = '?' or answered_model ~ '^[A-Za-z0-9._:/@-]{1,200}$');
comment on column llm_private.attempts.answered_model is
  'Set by the settle when the provider answered with another model than the one asked for (its name as the answer gave it; ? when that was not a model name); NULL otherwise. Such a call is charged its tokens at the dearer of the two prices in effect at its reserve when the answering model is priced for the same provider, the full hold (usage_unknown) when it is not; it fills no cache and is not eligible for distillation.';
grant update (answered_model) on llm_private.attempts to llm_money;
grant select (answered_model) on llm_private.attempts to llm_viewer;
alter type llm_private.distill_reason add value 'other_model_answered';

-- llm.settle_call takes p_answered_model (sql/api/090-settle.sql creates the new signature).
drop function if exists llm.settle_call(bigint, integer, text, integer, integer, integer, integer, text, text, boolean, boolean, text, real[]);
