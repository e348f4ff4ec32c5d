--! Previous: sha1:543ad4ad6a832198818941757b92244d65f924bc
--! Hash: sha1:7a3d14a7307040b75dcff8eba61757e67e0767bc
--! Message: The scheduled reconciliation check's memory is a setting, reconciliation_work_mem_mb (64 MB by default)

-- The memory the scheduled reconciliation check may use for its aggregate, as a setting.
--
-- The check hashes every attempt and meter of two months into one row per usage key (subject, meter, period, shard). Its
-- memory grows with the keys: ~1 KB each (133 504 keys at 10^6 calls with an hourly meter: 121 MB). Past work_mem (the
-- server's, 4 MB by default) the aggregate spills its input rows to temporary files, ~90 B per attempt and meter (275 MB
-- there), and past the worker login's 2 GB temp_file_limit the check fails (53400) and LlmReconciliationUnchecked fires.
-- The check sets work_mem to this for its own read; raise it with the usage keys of two months.
alter table llm_private.settings add column if not exists reconciliation_work_mem_mb integer not null default 64;
alter table llm_private.settings drop constraint if exists settings_reconciliation_work_mem_mb_check;
alter table llm_private.settings add constraint settings_reconciliation_work_mem_mb_check
  check (reconciliation_work_mem_mb between 4 and 4096);
comment on column llm_private.settings.reconciliation_work_mem_mb is
  'work_mem (MB) of the scheduled reconciliation check''s read (llm.check_reconciliation): its aggregate needs ~1 KB per usage key of two months (hash_mem_multiplier times this stays in memory); past it the input spills to temporary files, ~90 B per attempt and meter, and past the worker login''s temp_file_limit (2 GB) the check fails. 4..4096, default 64.';
