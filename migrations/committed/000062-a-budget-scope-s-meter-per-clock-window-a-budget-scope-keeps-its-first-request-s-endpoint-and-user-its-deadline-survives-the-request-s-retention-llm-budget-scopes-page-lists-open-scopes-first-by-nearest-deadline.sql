--! Previous: sha1:892f4af43c8ebe3445c197af072b9322c6a0bc8f
--! Hash: sha1:e9898aa950dd7d2a4d6e9ffb5d3773c9cb35df54
--! Message: A budget scope's meter per clock window; a budget scope keeps its first request's endpoint and user (its deadline survives the request's retention); llm.budget_scopes_page lists open scopes first by nearest deadline

-- A budget scope's meter may count per clock window (an investigation may spend at most $5 per UTC day, make at most 20
-- calls per hour): scope budget_scope goes with window budget_scope (the scope's life) or a clock window (minute .. quarter),
-- and window budget_scope with scope budget_scope only. Not window none: a budget scope's lifetime is its own window
-- (budget_scope), which starts at its first call (none's period starts at -infinity, and a second name for the same counter
-- would only differ in which reader shows what). meters_check1 had tied scope and window budget_scope both ways, so a
-- limit per day of an investigation could not be defined (llm.define_meter refused it too, 22023).
alter table llm_private.meters drop constraint if exists meters_check1;
alter table llm_private.meters drop constraint if exists meters_budget_scope_window;
alter table llm_private.meters add constraint meters_budget_scope_window
  check (case when scope = 'budget_scope' then "window" not in ('request', 'none') else "window" <> 'budget_scope' end);
comment on constraint meters_budget_scope_window on llm_private.meters is
  'Window budget_scope (the scope''s life) belongs to scope budget_scope; a budget-scope meter counts over its life or a clock window (minute .. quarter, UTC), not none.';

-- A budget scope keeps its first request's endpoint and user (llm.budget_scopes_page lists open scopes first, by nearest
-- deadline). A scope's deadline depends on them (llm_private.budget_scope_span), and the views read them from the request,
-- which leaves with its month while the scope lives on: its deadline then fell back to the limits of no endpoint (an
-- investigation past retention had none, and showed open while reserve refused it). Set by the reserve trigger from the
-- request (llm_private.tg_budget_scopes__guard), never changed.
alter table llm_private.budget_scopes add column if not exists first_endpoint llm_private.endpoint;
alter table llm_private.budget_scopes add column if not exists first_user_id uuid;
comment on column llm_private.budget_scopes.first_endpoint is
  'The endpoint of the scope''s first request (set at its first reserve, never changed): its deadline (llm_private.budget_scope_span) and the meters it shows first. NULL only for a scope started before the column whose first request had left the retention.';
comment on column llm_private.budget_scopes.first_user_id is
  'The user of the scope''s first request (set at its first reserve, never changed): its deadline (llm_private.budget_scope_span). NULL only for a scope started before the column whose first request had left the retention.';
-- Scopes from before: from their first request while it is kept. The owner, which FORCE hides every row from, and the guard
-- (replayed with the API: absent from a new database), which refuses an UPDATE that is not the reserve's: both off for this
-- update only (the ALTERs hold the two tables until commit).
do $$
declare
  v_guard boolean := exists (select 1 from pg_trigger where tgrelid = 'llm_private.budget_scopes'::regclass and tgname = '_100_guard');
begin
  -- Always (not only when pg_class.reltuples says the table has rows: with autovacuum off it can read 0 for a table that has).
  if v_guard then
    alter table llm_private.budget_scopes disable trigger _100_guard;
  end if;
  alter table llm_private.budget_scopes no force row level security;
  alter table llm_private.requests no force row level security;
  update llm_private.budget_scopes b set first_endpoint = q.endpoint, first_user_id = q.user_id
    from llm_private.requests q
   where q.tenant_id = b.tenant_id and q.id = b.first_request_pk and b.first_endpoint is null;
  alter table llm_private.requests force row level security;
  alter table llm_private.budget_scopes force row level security;
  if v_guard then
    alter table llm_private.budget_scopes enable trigger _100_guard;
  end if;
end
$$;

-- The open scopes without a deadline (llm.budget_scopes_page): those of the endpoints some subject may have no hard
-- elapsed_ms limit on, newest first, one endpoint after another; of one tenant, and of every tenant.
create index if not exists budget_scopes_tenant_endpoint_started_idx
  on llm_private.budget_scopes (tenant_id, first_endpoint, started_at, scope_key);
comment on index llm_private.budget_scopes_tenant_endpoint_started_idx is
  'llm.budget_scopes_page of one tenant: its open scopes without a deadline, of the endpoints that may have none, newest first.';
create index if not exists budget_scopes_endpoint_started_idx
  on llm_private.budget_scopes (first_endpoint, started_at, tenant_id, scope_key);
comment on index llm_private.budget_scopes_endpoint_started_idx is
  'llm.budget_scopes_page of every tenant: the open scopes without a deadline, of the endpoints that may have none, newest first.';

-- The reserve trigger (the only writer of budget scopes: llm_private.tg_budget_scopes__guard) writes them from its request.
grant insert (first_endpoint, first_user_id) on llm_private.budget_scopes to llm_money;

-- llm.budget_scopes_page's cursor names the last row's state and deadline too (its order is open first, nearest deadline).
drop function if exists llm.budget_scopes_page(uuid, integer, timestamptz, uuid, text);
