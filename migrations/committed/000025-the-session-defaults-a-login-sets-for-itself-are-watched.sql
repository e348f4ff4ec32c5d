--! Previous: sha1:386fe376595ec2531469abf862a7d3c2d82d0197
--! Hash: sha1:f0a293930c55576feea427e07d5af38a007a3b63
--! Message: The session defaults a login sets for itself are watched: migrate records them (schema_state.role_settings), llm.role_settings_drift shows the difference

-- What a login may change of itself, watched. PostgreSQL lets every role ALTER ROLE its own session defaults,
-- role-wide or in one database, and nothing can forbid it (event triggers do not see roles). One SQL injection in the
-- application can make every new llm_app session read-only (default_transaction_read_only = on) and so stop every
-- tenant's enqueue until a DBA resets it. Every migrate resets the runtime roles' defaults (sql/bootstrap) and then
-- records them here (llm_private.record_role_settings); llm.role_settings_drift shows any difference, the metrics
-- export it (llm_role_settings_drift) and Prometheus alerts on it (LlmRoleSettingsDrift).
alter table llm_private.schema_state
  add column role_settings jsonb not null default '[]' check (jsonb_typeof(role_settings) = 'array'),
  add column role_settings_at timestamptz;
comment on column llm_private.schema_state.role_settings is
  'The session defaults of our roles (role-wide, and in this database) as the last migrate left them: [{role, scope, parameter, value}], written by llm_private.record_role_settings; llm.role_settings_drift compares them with pg_db_role_setting.';
comment on column llm_private.schema_state.role_settings_at is 'When role_settings was recorded (the end of the last migrate).';
grant select on llm_private.schema_state to llm_viewer;
