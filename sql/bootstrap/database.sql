/*
 * Per-database preparation, run by an administrator before migrations (idempotent).
 * graphile-worker's schema is created here, owned by llm_worker, because graphile-worker's tables
 * admit only their owner and the worker process must not log in as the owner of our ledger.
 */
create schema if not exists graphile_worker authorization llm_worker;
revoke create on schema public from public;
revoke all on database __DATABASE__ from public;
grant connect on database __DATABASE__ to llm_owner, llm_worker, llm_app, llm_operator, llm_auditor, llm_exporter;
-- No runtime role may create anything, temporary tables included: a table of its own could carry a
-- trigger of its own, and the ledger's counters trust that only our triggers write them.
revoke temporary on database __DATABASE__ from llm_worker, llm_app, llm_money, llm_operator, llm_auditor, llm_exporter;
grant temporary on database __DATABASE__ to llm_owner;
grant create on database __DATABASE__ to llm_owner;
-- graphile-worker runs `create schema if not exists graphile_worker` at every start, and Postgres
-- checks CREATE on the database before it checks existence. llm_worker owns nothing of ours.
grant create on database __DATABASE__ to llm_worker;
