--! Previous: sha1:ffef39f333cd96e9ea92f16b714c85f264e16123
--! Hash: sha1:3417fbbf57bbb3fc49205894dc3bdb6fbcfdcb78
--! Message: limits temporary

-- A limit says whether it is temporary (review 91). The precedence "temporary over permanent" read it from a finite
-- valid_until, which a permanent limit also gets when a later one is scheduled to replace it: set_limit ends the subject's
-- permanent limit at the start of the new one. So a permanent 100 000 replaced by a 50 000 scheduled for 11:00 ranked as
-- temporary until then, and a 20 000 set at 10:30 to apply at once did not apply before 11:00.
alter table llm_private.limits add column if not exists temporary boolean;
comment on column llm_private.limits.temporary is
  'Set with an end of its own (llm.set_limit''s p_valid_until): ranks before the subject''s permanent limits while it lasts. A permanent limit may end too, when a later one replaces it (valid_until = the next one''s valid_from). Derived at insert from valid_until when not given.';

-- Rows from before this migration: a limit with a finite end is permanent when set_limit gave it that end, which it did in
-- the transaction that inserted the limit replacing it: another limit of the same meter and subject starts at that end and
-- shares the row's xmin. A temporary limit's end is its own: a temporary 20 000 until 18:00 beside a permanent 50 000
-- scheduled from 18:00 stays temporary (review 92: without the xmin, it was read as permanent, and a permanent limit set at
-- 12:00 then ended it). After a dump and restore every row has the restore's xmin: such a pair is then both read as
-- permanent, as without it.
do $$
declare
  v_guard boolean := exists (select 1 from pg_trigger where tgrelid = 'llm_private.limits'::regclass and tgname = '_050_not_from_worker');
begin
  if exists (select 1 from llm_private.limits where temporary is null) then
    if v_guard then
      alter table llm_private.limits disable trigger _050_not_from_worker;
    end if;
    update llm_private.limits l
       set temporary = l.valid_until < 'infinity'
                       and not exists (select 1 from llm_private.limits n
                                        where n.meter_id = l.meter_id and n.tenant_id is not distinct from l.tenant_id
                                          and n.user_id is not distinct from l.user_id and n.id <> l.id and n.valid_from = l.valid_until
                                          and n.xmin = l.xmin)
     where l.temporary is null;
    if v_guard then
      alter table llm_private.limits enable trigger _050_not_from_worker;
    end if;
  end if;
end
$$;
alter table llm_private.limits alter column temporary set not null;
comment on table llm_private.limits is 'Caps on meters. For each meter, the most specific limit valid now applies to a call: a user''s over a tenant''s over everyone''s, and among those a temporary one (temporary: set with an end of its own) over a permanent one; then, among temporary ones the newest, among permanent ones the latest to start (a later one replaces it), then the newest. Rows are never updated in place except to end them (valid_until).';
