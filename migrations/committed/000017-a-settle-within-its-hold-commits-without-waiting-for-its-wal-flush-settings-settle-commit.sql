--! Previous: sha1:3c6a4b9ac2b3b3f713208ac16e93d96b40f5afd1
--! Hash: sha1:5e07132a96d4e68b7ed8c723ba0ac7ff8793ae45
--! Message: A settle within its hold commits without waiting for its WAL flush (settings.settle_commit)

-- A settle's commit need not wait for its WAL flush when losing it cannot under-count (sql/api/090-settle.sql).
alter table llm_private.settings add column settle_commit text not null default 'deferred'
  constraint settings_settle_commit_check check (settle_commit in ('deferred', 'durable'));
comment on column llm_private.settings.settle_commit is
  'deferred (default): llm.settle_call commits without waiting for its WAL flush (synchronous_commit = off for its transaction) '
  'when the settle charges no more than the attempt held, in every unit. A crash can lose only such a settle, and only before any '
  'later synchronous commit (every one flushes the WAL before it, in order); the attempt is then still held, durable since its reserve, '
  'and the expiry charges the hold in full: more than the lost settle, never less. durable: every settle waits for its flush.';
