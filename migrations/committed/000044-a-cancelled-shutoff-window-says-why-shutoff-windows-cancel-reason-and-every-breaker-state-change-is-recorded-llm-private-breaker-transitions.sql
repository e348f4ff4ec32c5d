--! Previous: sha1:fbc18f09c28b2fca47fbd51eb9720e34f4475319
--! Hash: sha1:f92a351f9a64758ee5513c057c4e62536ee57c99
--! Message: A cancelled shutoff window says why (shutoff_windows.cancel_reason) and every breaker state change is recorded (llm_private.breaker_transitions)

-- A cancelled shutoff window says why (DBA review of 2026-11-27): a DBA proving with SQL why calls were refused, or were
-- not, saw who cancelled a window and when, never why. llm.cancel_shutoff takes a reason (1..200 characters, not blank,
-- like the window's own), kept in cancel_reason: present exactly when the window is cancelled (a CHECK), set only by the
-- cancel (the guard, replayed with the API, refuses any later change and clears it on insert).
alter table llm_private.shutoff_windows add column if not exists cancel_reason text;
comment on column llm_private.shutoff_windows.cancel_reason is
  'Why an operator cancelled the window (llm.cancel_shutoff, 1..200 characters, not blank); NULL while it is not cancelled. Windows cancelled before 2026-11-27 say ''not recorded (cancelled before 2026-11-27)''.';

-- The windows cancelled so far get a reason that says it was not recorded. The guard (created by the API replay, so absent
-- from a new database), which allows only a cancel, and FORCE (no policy names the owner) are off for this update only:
-- the ALTER holds the table until commit.
do $$
declare
  v_guard boolean := exists (select 1 from pg_trigger where tgrelid = 'llm_private.shutoff_windows'::regclass and tgname = '_100_guard');
begin
  if v_guard then
    alter table llm_private.shutoff_windows disable trigger _100_guard;
  end if;
  alter table llm_private.shutoff_windows no force row level security;
  update llm_private.shutoff_windows set cancel_reason = 'not recorded (cancelled before 2026-11-27)'
   where cancelled_at is not null and cancel_reason is null;
  alter table llm_private.shutoff_windows force row level security;
  if v_guard then
    alter table llm_private.shutoff_windows enable trigger _100_guard;
  end if;
end
$$;

alter table llm_private.shutoff_windows drop constraint if exists shutoff_windows_cancel_reason_check;
alter table llm_private.shutoff_windows add constraint shutoff_windows_cancel_reason_check
  check ((cancelled_at is null) = (cancel_reason is null)
         and (cancel_reason is null or (length(cancel_reason) between 1 and 200
                                     and cancel_reason ~ '[^[:space:][:cntrl:]\u00a0\u200b\u2060\ufeff]')));
comment on constraint shutoff_windows_cancel_reason_check on llm_private.shutoff_windows is
  'A cancelled window has a reason (1..200 characters, not only white space or invisible characters); a window not cancelled has none.';

grant update (cancel_reason) on llm_private.shutoff_windows to llm_operator;

-- The breaker's transitions, for a DBA (review of 2026-11-27): provider_breakers holds only the current state, and the
-- transitions were only counted in the metrics, so nobody could prove with SQL why a model's calls were refused or fell
-- back at a given time. One row per change of state (closed -> open, open -> half_open, half_open -> closed | open, and
-- any change by hand such as llm.reset_breaker), written by provider_breakers' own AFTER trigger in the transaction that
-- changes the state: never on a healthy call (the breaker row itself is not written then), so no shared row on the hot
-- path (issue 11). Append-only: inserted only from that trigger (the guard, replayed with the API, refuses a plain INSERT
-- at trigger depth < 2, any UPDATE, a DELETE of a row within the ledger's retention, and TRUNCATE); deleted by
-- llm.purge_expired once older than settings.ledger_retention_months, as the ledger's months are dropped.
-- A reference table (no tenant_id: the breaker is shared by every tenant); the tenants it names are the ones whose calls
-- made the streak or the change, readable by the operator, the auditor and the viewer like llm.breaker_state.
create table if not exists llm_private.breaker_transitions (
  id bigint generated always as identity primary key,
  provider text not null,
  model text not null,
  from_state text not null check (from_state in ('closed', 'open', 'half_open')),
  to_state text not null check (to_state in ('closed', 'open', 'half_open')),
  cause text not null check (cause in ('failures', 'probe_claimed', 'probe_ok', 'probe_failed', 'probe_failed_same_tenant',
                                       'probe_given_back', 'by_hand', 'other')),
  changed_at timestamptz not null,
  consecutive_failures integer not null check (consecutive_failures between 0 and 1000000),
  open_until timestamptz,
  streak_tenant_id uuid,
  streak_tenants_many boolean not null,
  call_tenant_id uuid,
  changed_by text not null,
  check (from_state <> to_state),
  check ((to_state = 'open') = (open_until is not null))
);
comment on table llm_private.breaker_transitions is
  'Append-only history of the shared circuit breakers: one row per change of a provider+model breaker''s state, written by provider_breakers'' trigger in the same transaction (never on a healthy call). Kept as long as the ledger (settings.ledger_retention_months), purged by llm.purge_expired. Read through llm.breaker_transitions.';
comment on column llm_private.breaker_transitions.cause is
  'Why the state changed: failures (closed -> open: the streak reached the threshold), probe_claimed (-> half_open: a reserve claimed the probe), probe_ok (half_open -> closed), probe_failed (half_open -> open, for another cooldown), probe_failed_same_tenant (half_open -> closed: the tenant whose probe failed last failed again; a new streak), probe_given_back (half_open -> open with the cooldown over: the probe''s call made no call or ended without the provider''s word), by_hand (an operator: llm.reset_breaker or a plain UPDATE or INSERT), other (a change the breaker''s functions do not make).';
comment on column llm_private.breaker_transitions.changed_at is 'When the state changed (llm_private.now(), set by the guard).';
comment on column llm_private.breaker_transitions.consecutive_failures is 'The breaker''s consecutive failures after the change (0 after a success or a reset).';
comment on column llm_private.breaker_transitions.open_until is 'The end of the cooldown when the change opened the breaker; NULL otherwise.';
comment on column llm_private.breaker_transitions.streak_tenant_id is
  'The breaker''s streak before the change: for closed -> open, the tenant of the streak''s first failure; for a probe''s outcome, the tenant whose probe failed last before (NULL: opened by a streak of two tenants or more, or no streak).';
comment on column llm_private.breaker_transitions.streak_tenants_many is 'Whether a second tenant had failed in that streak before the change.';
comment on column llm_private.breaker_transitions.call_tenant_id is
  'The tenant whose call made the change (the failure that reached the threshold, the reserve that claimed the probe, the probe''s outcome); NULL for a change by hand.';
comment on column llm_private.breaker_transitions.changed_by is 'The role that made the change (current_user: llm_money for a call, llm_operator by hand), set by the guard.';
create index if not exists breaker_transitions_model_idx on llm_private.breaker_transitions (provider, model, changed_at);
create index if not exists breaker_transitions_changed_at_idx on llm_private.breaker_transitions (changed_at);
alter table llm_private.breaker_transitions enable row level security;
alter table llm_private.breaker_transitions force row level security;
-- The money role records a transition only in a money context (its settle's or reserve's), as it writes the breaker.
drop policy if exists money_record on llm_private.breaker_transitions;
create policy money_record on llm_private.breaker_transitions for insert to llm_money with check (llm_private.current_user_id() is not null);
drop policy if exists operator_record on llm_private.breaker_transitions;
create policy operator_record on llm_private.breaker_transitions for insert to llm_operator with check (true);
drop policy if exists operator_purge on llm_private.breaker_transitions;
create policy operator_purge on llm_private.breaker_transitions for delete to llm_operator using (true);
drop policy if exists readers_select on llm_private.breaker_transitions;
create policy readers_select on llm_private.breaker_transitions for select to llm_operator, llm_auditor, llm_viewer using (true);
grant insert (provider, model, from_state, to_state, cause, consecutive_failures, open_until, streak_tenant_id, streak_tenants_many,
  call_tenant_id) on llm_private.breaker_transitions to llm_money, llm_operator;
grant select, delete on llm_private.breaker_transitions to llm_operator;
grant select on llm_private.breaker_transitions to llm_auditor, llm_viewer;
