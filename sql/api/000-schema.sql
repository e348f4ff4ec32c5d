/*
 * The public API schema. It holds only functions and views (security_invoker views); every
 * table lives in llm_private. This directory is replayed in file-name order after every migrate:
 * the schema is dropped and rebuilt in one transaction, so each file states its grants.
 */
comment on schema llm is 'pg-llm-governor public API: functions and views for the application, the worker, operators and auditors.';
revoke all on schema llm from public;
grant usage on schema llm to llm_app, llm_money, llm_operator, llm_auditor, llm_exporter, llm_worker, llm_viewer;
