/*
 * Enqueue from SQL: the application and DBAs add LLM jobs with plain SQL. The payload contract is
 * mirrored by src/payload.ts (zod); test/fixtures/payloads.json holds the cases both must agree on.
 */
create or replace function llm_private.payload_errors(p jsonb) returns text[]
  language plpgsql immutable
  set search_path = pg_catalog
as $$
declare
  errs text[] := '{}';
  m jsonb;
  uuid_re constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
  allowed constant text[] := array['tenant_id', 'user_id', 'request_id', 'endpoint', 'model', 'messages', 'max_output_tokens',
    'correlation_id', 'cost_ceiling_micros', 'source_watermark', 'response_format'];
begin
  if p is null or jsonb_typeof(p) <> 'object' then
    return array['payload: must be a JSON object'];
  end if;
  if octet_length(p::text) > 262144 then
    errs := errs || 'payload: larger than 256 KiB'::text;
  end if;
  errs := errs || coalesce((select array_agg(format('%s: unknown key', k) order by k) from jsonb_object_keys(p) k
                             where k <> all (allowed)), '{}');
  if jsonb_typeof(p->'tenant_id') is distinct from 'string' or (p->>'tenant_id') !~ uuid_re then errs := errs || 'tenant_id: must be a uuid'::text; end if;
  if jsonb_typeof(p->'user_id') is distinct from 'string' or (p->>'user_id') !~ uuid_re then errs := errs || 'user_id: must be a uuid'::text; end if;
  if jsonb_typeof(p->'request_id') is distinct from 'string' or length(p->>'request_id') not between 1 and 200 then
    errs := errs || 'request_id: must be a string of 1 to 200 characters'::text; end if;
  if jsonb_typeof(p->'endpoint') is distinct from 'string' or (p->>'endpoint') not in ('route', 'explanation', 'investigation', 'budget_optimization') then
    errs := errs || 'endpoint: must be one of route, explanation, investigation, budget_optimization'::text; end if;
  if jsonb_typeof(p->'model') is distinct from 'string' or (p->>'model') !~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$' then
    errs := errs || 'model: must be "provider:model"'::text; end if;
  if jsonb_typeof(p->'max_output_tokens') is distinct from 'number' or (p->>'max_output_tokens') !~ '^[0-9]+$'
     or (p->>'max_output_tokens')::numeric not between 1 and 100000 then
    errs := errs || 'max_output_tokens: must be an integer from 1 to 100000'::text; end if;
  if jsonb_typeof(p->'messages') is distinct from 'array' or jsonb_array_length(p->'messages') not between 1 and 50 then
    errs := errs || 'messages: must be an array of 1 to 50 messages'::text;
  else
    for m in select * from jsonb_array_elements(p->'messages') loop
      if jsonb_typeof(m) is distinct from 'object' or (select count(*) from jsonb_object_keys(m) k where k not in ('role', 'content')) > 0
         or jsonb_typeof(m->'role') is distinct from 'string' or (m->>'role') not in ('system', 'user', 'assistant')
         or jsonb_typeof(m->'content') is distinct from 'string' or length(m->>'content') > 100000 then
        errs := errs || 'messages: each must be {role: system|user|assistant, content: string of at most 100000 characters}'::text;
        exit;
      end if;
    end loop;
  end if;
  if p ? 'correlation_id' and (jsonb_typeof(p->'correlation_id') is distinct from 'string' or length(p->>'correlation_id') not between 1 and 200) then
    errs := errs || 'correlation_id: must be a string of 1 to 200 characters'::text; end if;
  if p ? 'source_watermark' and (jsonb_typeof(p->'source_watermark') is distinct from 'string' or length(p->>'source_watermark') not between 1 and 200) then
    errs := errs || 'source_watermark: must be a string of 1 to 200 characters'::text; end if;
  if p ? 'response_format' and (jsonb_typeof(p->'response_format') is distinct from 'string' or (p->>'response_format') not in ('text', 'json')) then
    errs := errs || 'response_format: must be text or json'::text; end if;
  if p ? 'cost_ceiling_micros' and (jsonb_typeof(p->'cost_ceiling_micros') not in ('number', 'string') or (p->>'cost_ceiling_micros') !~ '^[0-9]{1,13}$'
     or (p->>'cost_ceiling_micros')::numeric > 1000000000000) then
    errs := errs || 'cost_ceiling_micros: must be an integer from 0 to 1000000000000'::text; end if;
  return errs;
end
$$;
comment on function llm_private.payload_errors(jsonb) is
  'Validates an LLM job payload (shape and limits); returns the list of problems, empty when valid. Mirrors src/payload.ts.';

create or replace function llm.validate_payload(p_payload jsonb) returns text[]
  language sql immutable
  set search_path = pg_catalog
as $$ select llm_private.payload_errors(p_payload) $$;
comment on function llm.validate_payload(jsonb) is 'The problems with an LLM job payload, or an empty array when llm.enqueue_call would accept it.';

create or replace function llm.enqueue_call(p_payload jsonb) returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  errs text[] := llm_private.payload_errors(p_payload);
  key text;
begin
  if cardinality(errs) > 0 then
    raise exception using errcode = '22023', message = 'invalid LLM job payload',
      detail = array_to_string(errs, '; '), hint = 'See llm.validate_payload(payload) and src/payload.ts for the contract.';
  end if;
  perform llm_private.require_context((p_payload->>'tenant_id')::uuid, (p_payload->>'user_id')::uuid);
  -- One job per (tenant, request_id, endpoint): a duplicate enqueue replaces the pending job.
  key := 'llm:' || (p_payload->>'tenant_id') || ':' || (p_payload->>'endpoint') || ':' || md5(p_payload->>'request_id');
  return llm_queue.add_llm_job(p_payload->>'endpoint', p_payload, key,
    (select s.enqueue_max_attempts from llm_private.settings s));
end
$$;
comment on function llm.enqueue_call(jsonb) is
  'Adds a governed LLM job (graphile-worker task = the endpoint) for the tenant+user of the context; validates the payload (22023 with every problem in DETAIL), keys the job on (tenant, endpoint, request_id) so a duplicate enqueue is one job, and returns the job id.';

grant execute on function llm_private.payload_errors(jsonb), llm.validate_payload(jsonb), llm.enqueue_call(jsonb) to llm_app;
grant execute on function llm_private.payload_errors(jsonb), llm.validate_payload(jsonb) to llm_operator, llm_auditor;
