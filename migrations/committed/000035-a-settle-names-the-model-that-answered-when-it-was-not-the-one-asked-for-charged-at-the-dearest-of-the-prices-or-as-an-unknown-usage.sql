--! Previous: sha1:64b9b2a1f40244feaf7a87b68a3cf00fb6b018d9
--! Hash: sha1:27adf9f40963f41230fda138decc1e26915523f3
--! Message: A settle names the model that answered when it was not the one asked for: charged at the dearest of the prices, or as an unknown usage

-- The model the provider said answered, when it was not the model asked for (a gateway's routing or fallback), or a name
-- of the asked model that is priced apart (a dated snapshot). The settle prices such an answer at the dearest of the
-- prices in effect at its reserve (the asked model's, and the answering model's names for the same provider); when the
-- answering model has no price, its cost is unknown: charged the full hold, or its tokens at the asked price when that is
-- more. Until now the worker dropped the usage (the full hold) in every case, so a dearer model's cost above the hold was
-- never charged (review of the provider boundary, 2026-11-26).
-- No CHECK here: validating one scans the whole ledger under this ACCESS EXCLUSIVE lock (237 ms on 2 M rows, review of
-- the fixes). The settle trigger keeps the column a model name or ?, whoever writes it.
-- llm.settle_call gains p_answered_model; the old signature stays until the replay of sql/api drops schema llm, so that
-- settles keep working between this migration's commit and the replay (review of the fixes: 42883 on live settles).
alter table llm_private.attempts add column answered_model text;
comment on column llm_private.attempts.answered_model is
  'Set by the settle when the provider answered with another model than the one asked for, or with a name of it priced apart (its name as the answer gave it; ? when that was not a model name); NULL otherwise. Such a call is charged its tokens at the dearest price in effect at its reserve among the asked model and the answering model''s names for the same provider; when the answering model has no price there, its cost is unknown (usage_unknown): the full hold, or its tokens at the asked price when that is more. Another model''s answer fills no cache and is not eligible for distillation.';
grant update (answered_model) on llm_private.attempts to llm_money;
grant select (answered_model) on llm_private.attempts to llm_viewer;
alter type llm_private.distill_reason add value 'other_model_answered';
