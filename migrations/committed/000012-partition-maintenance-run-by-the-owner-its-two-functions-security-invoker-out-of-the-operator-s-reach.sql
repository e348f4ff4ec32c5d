--! Previous: sha1:4769c717183b038a0e0d21d233a98a0c043499d1
--! Hash: sha1:efb45613d9eb42058995098a3b2cd9c06f5dc3f4
--! Message: Partition maintenance run by the owner: its two functions SECURITY INVOKER, out of the operator's reach

-- Partition maintenance runs as the owner, so its two functions need no SECURITY DEFINER: the one
-- DEFINER left for graphile-worker's sake is the enqueue wrapper, and the context verifier keeps
-- its own (it reads the key no caller may read). The worker's cron no longer runs them (it could
-- only through DEFINER); `npm run migrate` and `npm run maintain-partitions` do, as llm_owner.
alter function llm_maint.ensure_partitions() security invoker;
alter function llm_maint.drop_expired_partitions() security invoker;
revoke execute on function llm_maint.ensure_partitions(), llm_maint.drop_expired_partitions() from llm_operator;
revoke usage on schema llm_maint from llm_operator;
comment on schema llm_maint is 'Partition maintenance of the ledger: two SECURITY INVOKER functions the owner runs (npm run migrate, npm run maintain-partitions).';
comment on function llm_maint.ensure_partitions() is
  'Owner only (SECURITY INVOKER; npm run migrate and npm run maintain-partitions run it as llm_owner): creates the ledger''s monthly partitions from this month to settings.partitions_ahead_months ahead; returns how many it created.';
comment on function llm_maint.drop_expired_partitions() is
  'Owner only (SECURITY INVOKER; npm run maintain-partitions runs it as llm_owner): retention by whole months: detaches and drops ledger partitions older than settings.ledger_retention_months (no DELETE sweeps). Returns how many it dropped.';
