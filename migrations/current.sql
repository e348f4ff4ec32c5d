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
         and (cancel_reason is null or (length(cancel_reason) between 1 and 200 and btrim(cancel_reason) <> '')));
comment on constraint shutoff_windows_cancel_reason_check on llm_private.shutoff_windows is
  'A cancelled window has a reason (1..200 characters, not blank); a window not cancelled has none.';

grant update (cancel_reason) on llm_private.shutoff_windows to llm_operator;
