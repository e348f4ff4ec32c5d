/*
 * Usage counters: held and spent per meter, subject, period and shard.
 *
 * They move only inside the ledger's triggers (attempts, adjustments), together with the row that
 * justifies the move: tg_usage__guard refuses any write issued at trigger depth < 2, i.e. any
 * write that is not made by one of our triggers. No runtime role may create a table (no TEMP, no
 * CREATE), so no trigger but ours exists to make such a write. Hence, for every usage row:
 *   held  = the holds of its live attempts,  spent = their charges + adjustments,
 * whatever sequence of statements the money role runs (llm.reconciliation_drift shows any drift).
 */
create or replace function llm_private.tg_usage__guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if pg_trigger_depth() < 2 then
    raise exception using errcode = 'LG005', message = 'usage moves only together with the ledger row that justifies it',
      detail = format('%s on llm_private.usage', tg_op),
      hint = 'Usage follows the ledger: reserve, settle, release or expire an attempt (llm.reserve_call, llm.settle_call, ...), or record a credit or debit (llm.adjust_usage). A counter that drifted from its ledger: llm.repair_usage_drift(reason).';
  end if;
  if tg_op = 'INSERT' then
    if new.held <> 0 or new.spent <> 0 then
      raise exception using errcode = 'LG004', message = 'a usage row is born empty';
    end if;
  elsif (new.tenant_id, new.meter_id, new.user_id, new.budget_scope, new.period_start, new.shard)
        is distinct from (old.tenant_id, old.meter_id, old.user_id, old.budget_scope, old.period_start, old.shard) then
    raise exception using errcode = 'LG001', message = 'a usage row''s key is immutable';
  end if;
  -- The row's ranges, last, on the row as it will be written (they were the CHECK constraints usage_held_check and
  -- usage_shard_check, which PostgreSQL compiled again for every statement writing usage: 1.6 % of a pair's instructions,
  -- bench/PROFILE.md §19). Named as they were; no role of the product can turn this trigger off.
  if new.held < 0 or new.shard not between 0 and 63 then
    raise exception using errcode = '23514', table = 'usage', schema = 'llm_private',
      constraint = case when new.held < 0 then 'usage_held_check' else 'usage_shard_check' end,
      message = format('new row for relation "usage" violates check constraint "%s"',
                       case when new.held < 0 then 'usage_held_check' else 'usage_shard_check' end),
      detail = format('meter %s, period %s, shard %s: held %s', new.meter_id, new.period_start, new.shard, new.held),
      hint = 'A hold is never negative; a shard is 0 .. 63.';
  end if;
  return new;
end
$$;
comment on function llm_private.tg_usage__guard() is
  'Refuses every write to usage that is not made by one of the ledger''s triggers (pg_trigger_depth() < 2), rows born with held or spent, key changes, and a negative hold or a shard outside 0 .. 63 (23514, usage_held_check / usage_shard_check: the CHECK constraints it replaces).';
create or replace trigger _100_guard before insert or update on llm_private.usage
  for each row execute function llm_private.tg_usage__guard();

create or replace function llm_private.tg_ledger__no_delete() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  raise exception using errcode = 'LG006', message = format('rows of llm_private.%s are never deleted', tg_table_name),
    hint = 'Retention drops whole monthly partitions (llm_maint.drop_expired_partitions); corrections are adjustments.';
end
$$;
comment on function llm_private.tg_ledger__no_delete() is 'The ledger is append-only: DELETE and TRUNCATE raise (retention drops whole partitions).';
create or replace trigger _100_no_delete before delete on llm_private.usage
  for each row execute function llm_private.tg_ledger__no_delete();
create or replace trigger _100_no_truncate before truncate on llm_private.usage
  for each statement execute function llm_private.tg_ledger__no_delete();

/*
 * A new period (or a changed cap): create every shard of the subject's row in shard order with
 * quotas that sum to the cap. A cap that changed (a limit replaced, a temporary increase starting
 * or ending) is followed under locks on every shard, in shard order:
 *   raised:  the difference is spread over every shard (the remainder to shard 0);
 *   lowered: taken from free quota first (quota above held + spent), then from quotas down to 0.
 * Quotas never go negative and always sum to the cap, so no shard can lend headroom it does not
 * have. (Lowered below what is in use: no shard has free quota left; the meter admits nothing new
 * until use falls, and never more than what was in use when the cap was lowered.)
 */
create or replace function llm_private.usage_prepare(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text,
  k_period timestamptz, p_limit_id integer, p_cap bigint) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  r record;
  q bigint[];
  f bigint[];
  n integer;
  need bigint;
  take bigint;
  old_cap bigint;
begin
  insert into llm_private.usage as u (tenant_id, meter_id, user_id, budget_scope, period_start, shard, limit_id, cap, quota)
  select k_tenant, p_meter_id, k_user, k_scope, k_period, s, p_limit_id, p_cap,
         p_cap / p_shards + case when s = 0 then p_cap % p_shards else 0 end
    from generate_series(0, p_shards - 1) s
   order by s
  on conflict do nothing;
  if not exists (select 1 from llm_private.usage u
                  where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
                    and u.period_start = k_period and u.cap <> p_cap) then
    return;
  end if;
  q := '{}'; f := '{}';
  for r in select u.shard, u.quota, u.held + u.spent as used, u.cap from llm_private.usage u
            where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
              and u.period_start = k_period
            order by u.shard for update loop
    q := q || r.quota; f := f || r.used; old_cap := r.cap;
  end loop;
  n := cardinality(q);
  if old_cap = p_cap then
    return;                                            -- another transaction followed it while we waited
  end if;
  if p_cap > old_cap then
    need := p_cap - old_cap;
    -- First back to its use, every shard whose quota a lowered cap left below what it holds and spent: the raise is
    -- headroom only above the use. Spread evenly instead, it gave those shards' shortfall to the others as free quota
    -- that the cap did not have (cap 140 000 after 40 000, 80 000 in use: two holds of 40 000 went through; tenth review).
    for i in 1 .. n loop
      take := least(need, greatest(f[i] - q[i], 0));
      q[i] := q[i] + take; need := need - take;
    end loop;
    -- The rest over every shard (the remainder to shard 0), as a new period is: all on shard 0, a raise left the others
    -- at their old quotas, and a reserve on them could borrow the new headroom only while shard 0 was not locked (7 of
    -- 40 concurrent reserves were refused at 0.06 % of the raised cap; review of 2026-11-26).
    for i in 1 .. n loop
      q[i] := q[i] + need / n + case when i = 1 then need % n else 0 end;
    end loop;
  else
    need := old_cap - p_cap;
    for i in 1 .. n loop                               -- free quota first
      take := least(need, greatest(q[i] - f[i], 0));
      q[i] := q[i] - take; need := need - take;
    end loop;
    for i in 1 .. n loop                               -- then quota in use, down to 0
      exit when need <= 0;
      take := least(need, q[i]);
      q[i] := q[i] - take; need := need - take;
    end loop;
  end if;
  for i in 1 .. n loop
    update llm_private.usage u set quota = q[i], cap = p_cap, limit_id = p_limit_id, next_alert_at = 0
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = i - 1;
  end loop;
end
$$;
comment on function llm_private.usage_prepare(smallint, smallint, uuid, uuid, text, timestamptz, integer, bigint) is
  'Creates the shards of a usage row (quotas summing to the cap) and follows a changed cap (raised: spread over every shard; lowered: from free quota first, never below 0). Called by usage_hold and adjustments on their slow path.';

/*
 * The same cap under another limit (usage_prepare keeps the rows' limit when the cap is unchanged): the rows name the
 * limit in effect, with its alert percentages and shutoff rule, and their alerts are checked again (next_alert_at 0).
 * Every shard locked in shard order first. Nothing, and no lock, when the rows already name it.
 */
create or replace function llm_private.usage_name_limit(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text,
  k_period timestamptz, p_limit_id integer) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if not exists (select 1 from llm_private.usage u
                  where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
                    and u.period_start = k_period and u.limit_id <> p_limit_id) then
    return;
  end if;
  perform 1 from llm_private.usage u
   where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
     and u.period_start = k_period
   order by u.shard for update;
  update llm_private.usage u set limit_id = p_limit_id, next_alert_at = 0
   where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
     and u.period_start = k_period and u.limit_id <> p_limit_id;
end
$$;
comment on function llm_private.usage_name_limit(smallint, uuid, uuid, text, timestamptz, integer) is
  'Renames the limit a subject''s usage rows name (same cap, another limit in effect), its shards locked in shard order, and resets their next_alert_at so that the new limit''s alerts are checked; nothing when they already name it. Called by the re-cap (usage_recaps) and by adjustments.';

/*
 * Re-capping a subject whose limit changed (set, ended, or a temporary one expired) before its next reserve. usage.cap
 * follows the limit at the subject's next hold (usage_prepare); until then llm.evaluate_limits, which alerts and trips from
 * usage, had compared the spend with the old cap. Usage moves only inside our triggers (tg_usage__guard), so the re-cap is
 * a command: an INSERT into this view names a subject (its usage key), and the trigger below derives everything else from
 * the facts, as a reserve would: the limit in effect now (llm_private.limit_in_effect), for a current period of an existing
 * subject only. It creates nothing, and changes nothing when the cap is already the one in effect. Reading the view gives
 * no row. The caller locks in the usage order: subjects in (meter id, key) order, before any alert or window.
 */
create or replace view llm_private.usage_recaps as
select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start from llm_private.usage u where false;
comment on view llm_private.usage_recaps is
  'A command, not data (no row): INSERT (tenant_id, meter_id, user_id, budget_scope, period_start) re-caps that subject''s current usage rows to the limit in effect now, as its next reserve would (llm.evaluate_limits).';

create or replace function llm_private.tg_usage_recaps__recap() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  m llm_private.meters;
  e llm_private.limits;
  v_now timestamptz := llm_private.now();
  v_cap bigint;
begin
  select * into m from llm_private.meters x where x.id = new.meter_id;
  if m.id is null or new.period_start > v_now or llm_private.period_end(m."window", new.period_start) <= v_now then
    return null;                                       -- no such meter, or not a current period: its cap is history
  end if;
  e := llm_private.limit_in_effect(new.meter_id, new.tenant_id, new.user_id, v_now);
  if e.id is null then
    return null;                                       -- no limit applies now: the meter does not count for the subject
  end if;
  select max(u.cap) into v_cap
    from llm_private.usage u
   where u.tenant_id = new.tenant_id and u.meter_id = new.meter_id and u.user_id = new.user_id and u.budget_scope = new.budget_scope
     and u.period_start = new.period_start;
  if v_cap is null then
    return null;                                       -- no such subject: nothing is created
  end if;
  if e.cap <> v_cap then
    -- Locks every shard in shard order, spreads the new cap over the quotas (next_alert_at 0: the alerts are checked again).
    perform llm_private.usage_prepare(m.id, m.shards, new.tenant_id, new.user_id, new.budget_scope, new.period_start, e.id, e.cap);
  else
    -- The same cap under another limit (its alert percentages, its shutoff trip): the rows name the limit in effect.
    perform llm_private.usage_name_limit(m.id, new.tenant_id, new.user_id, new.budget_scope, new.period_start, e.id);
  end if;
  return null;
end
$$;
comment on function llm_private.tg_usage_recaps__recap() is
  'INSTEAD OF INSERT on llm_private.usage_recaps: re-caps an existing subject''s current usage rows to the limit in effect now (usage_prepare: every shard locked in shard order), or names that limit when its cap is the same; nothing for a past period, an unknown subject or a meter no limit applies to.';
create or replace trigger _100_recap instead of insert on llm_private.usage_recaps
  for each row execute function llm_private.tg_usage_recaps__recap();
grant insert on llm_private.usage_recaps to llm_operator;

/*
 * A shard whose spend has reached its next_alert_at is checked by its next settle or debit, which then moves it to its
 * next level. A re-cap sets it to 0 on every shard (the alerts are checked again), so a subject that spends nothing more
 * stayed due, and llm.evaluate_limits evaluated it every minute until the period ended: after a default limit changed,
 * every subject with spend this month. An INSERT into this view (a command, like usage_recaps) does for each due shard of
 * the subject what a settle of that shard does (usage_after_spend: the total's alerts and trip, then the shard's next
 * level), from the rows alone. The caller holds the subject's rows already (llm.evaluate_limits locks them in its first
 * phase, before any alert). The row counts as inserted when a shard was due.
 */
create or replace view llm_private.usage_alert_checks as
select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start from llm_private.usage u where false;
comment on view llm_private.usage_alert_checks is
  'A command, not data (no row): INSERT (tenant_id, meter_id, user_id, budget_scope, period_start) checks each shard of that subject whose spend reached its next_alert_at, as its next settle would (alerts, trip, next level) (llm.evaluate_limits).';

create or replace function llm_private.tg_usage_alert_checks__check() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  m llm_private.meters;
  r record;
  v_cap bigint;
  v_limit integer;
  v_due boolean := false;
begin
  select * into m from llm_private.meters x where x.id = new.meter_id;
  -- A current period, or one ended in the last 10 minutes (llm.evaluate_limits reads those for their alerts); an older
  -- one is history.
  if m.id is null or new.period_start > llm_private.now()
     or llm_private.period_end(m."window", new.period_start) <= llm_private.now() - interval '10 minutes' then
    return null;
  end if;
  select max(u.cap), max(u.limit_id) into v_cap, v_limit from llm_private.usage u
   where u.tenant_id = new.tenant_id and u.meter_id = new.meter_id and u.user_id = new.user_id and u.budget_scope = new.budget_scope
     and u.period_start = new.period_start;
  for r in select u.shard, u.spent, u.quota from llm_private.usage u
            where u.tenant_id = new.tenant_id and u.meter_id = new.meter_id and u.user_id = new.user_id
              and u.budget_scope = new.budget_scope and u.period_start = new.period_start
              and u.next_alert_at <= u.spent and u.spent > 0
            order by u.shard for update loop
    perform llm_private.usage_after_spend(m.id, new.tenant_id, new.user_id, new.budget_scope, new.period_start, r.shard, r.spent, r.quota,
      m.shards, 0, v_limit, v_cap);
    v_due := true;
  end loop;
  return case when v_due then new end;
end
$$;
comment on function llm_private.tg_usage_alert_checks__check() is
  'INSTEAD OF INSERT on llm_private.usage_alert_checks: for each shard of the subject whose spend reached its next_alert_at, what its settle does (llm_private.usage_after_spend: alerts and trip from the total, the shard''s next level); counts as inserted when one was due.';
create or replace trigger _100_check instead of insert on llm_private.usage_alert_checks
  for each row execute function llm_private.tg_usage_alert_checks__check();
grant insert on llm_private.usage_alert_checks to llm_operator;

/*
 * Escrow: the call's own shard is short; move free quota to it from other shards that nobody holds
 * right now (SKIP LOCKED: never waits, so never deadlocks). The total quota never changes, so
 * the cap stays strict; a shard that cannot borrow enough refuses (a refusal near the cap while
 * donors are busy, never an overshoot).
 */
create or replace function llm_private.usage_borrow(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text, k_period timestamptz,
  k_shard smallint, p_amount bigint) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  own record;
  need bigint;
  d record;
  take bigint;
begin
  select u.quota, u.held, u.spent into own from llm_private.usage u
   where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
     and u.period_start = k_period and u.shard = k_shard
   for update;
  need := own.held + own.spent + p_amount - own.quota;
  if need <= 0 then
    return true;
  end if;
  for d in select u.shard, u.quota - u.held - u.spent as free from llm_private.usage u
            where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
              and u.period_start = k_period and u.shard <> k_shard and u.quota > u.held + u.spent
            order by u.quota - u.held - u.spent desc
            for update skip locked loop
    take := least(d.free, need);
    update llm_private.usage u set quota = u.quota - take
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = d.shard;
    update llm_private.usage u set quota = u.quota + take
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = k_shard;
    need := need - take;
    exit when need <= 0;
  end loop;
  return need <= 0;
end
$$;
comment on function llm_private.usage_borrow(smallint, uuid, uuid, text, timestamptz, smallint, bigint) is
  'Escrow rebalance: moves free quota from shards nobody holds (SKIP LOCKED) to the call''s shard until the amount fits; true when it does.';

/*
 * Hold an amount on a meter for a call: the slow path, after the reserve's own conditional UPDATE
 * of the call's shard (the fast path) held nothing. Follows a new period or a changed cap
 * (usage_prepare), tries the shard again, then borrows (escrow). Returns whether it holds; if it
 * holds, what the call's shard had used (held + spent before this hold) and its quota when the hold
 * was compared (the reserve records an admitted call's tightest limit from them); if not, what the
 * subject has used (held + spent over all shards) for the refusal's figures (quota NULL).
 * Lock order: the caller holds no row of this meter (a sharded fast path rolls its subtransaction
 * back), usage_prepare locks every shard in shard order, and each try of the call's shard runs in a
 * subtransaction that lets go of the row when it holds nothing: a re-check that failed after a
 * wait keeps its row locked, and the next usage_prepare would then take the shards out of order.
 */
create or replace function llm_private.usage_hold(p_meter_id smallint, p_shards smallint, k_tenant uuid, k_user uuid, k_scope text,
  k_period timestamptz, k_shard smallint, p_limit_id integer, p_cap bigint, p_hard boolean, p_amount bigint,
  out ok boolean, out used bigint, out quota bigint)
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  -- The room a hard limit must have is the amount held, as on the reserve's fast path: the caller holds at least 1 of each
  -- unit the call can be charged in (llm_private.held_amount: the least charge), so that the room checked is the room
  -- taken. (It asked room for 1 for a hold of 0 and took 0: every concurrent reserve saw the same unit free.)
  ok := true;
  for pass in 1..2 loop
    perform llm_private.usage_prepare(p_meter_id, p_shards, k_tenant, k_user, k_scope, k_period, p_limit_id, p_cap);
    begin
      update llm_private.usage u set held = u.held + p_amount, limit_id = p_limit_id
       where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
         and u.period_start = k_period and u.shard = k_shard and u.cap = p_cap
         and (not p_hard or u.held + u.spent + p_amount <= u.quota)
      returning u.held + u.spent - p_amount, u.quota into used, quota;
      if found then
        return;
      end if;
      raise exception using errcode = 'LGX00', message = 'internal: let go of the re-checked shard';
    exception when sqlstate 'LGX00' then
      null;
    end;
    -- Another try only when the cap moved again meanwhile; a short shard borrows.
    exit when not exists (select 1 from llm_private.usage u
                           where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
                             and u.period_start = k_period and u.cap <> p_cap);
  end loop;
  if p_shards > 1 and llm_private.usage_borrow(p_meter_id, k_tenant, k_user, k_scope, k_period, k_shard, p_amount) then
    update llm_private.usage u set held = u.held + p_amount, limit_id = p_limit_id
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = k_shard and u.cap = p_cap
       and u.held + u.spent + p_amount <= u.quota
    returning u.held + u.spent - p_amount, u.quota into used, quota;
    if found then
      return;
    end if;
  end if;
  ok := false; quota := null;
  select coalesce(sum(u.held + u.spent), 0)::bigint into used from llm_private.usage u
   where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
     and u.period_start = k_period;
end
$$;
comment on function llm_private.usage_hold(smallint, smallint, uuid, uuid, text, timestamptz, smallint, integer, bigint, boolean, bigint) is
  'The reserve''s slow path: follows a new period or a changed cap, holds an amount on the call''s usage row if it fits (hard: held + spent + the amount within the quota: the caller''s hold, at least 1 of each unit the call can be charged in, llm_private.held_amount) or always (soft), borrowing quota from other shards. Held: used and quota are the shard''s held + spent before the hold and its quota, the figures compared; else used is what the subject used (all shards), quota NULL.';

/*
 * After spent grew on a usage row: record the alert percentages the subject crossed (once per
 * period: the alert's key is unique), announce them, and trip a shutoff window when the limit
 * says so. On a sharded meter the subject's total is summed only when this shard crossed the
 * lowest threshold of its own quota (if the total crossed p %, some shard did), and
 * llm.evaluate_limits() catches a crossing first seen on another shard.
 * A threshold (or the tripping cap) is crossed by spend above 0 that reaches its share of the cap:
 * spent > 0 and spent >= cap * pct / 100. For a cap above 0 the first half follows from the
 * second; for a cap of 0 ("tell me", or "stop", at the first charge) it is what makes the first
 * charge cross every threshold and a period with nothing spent cross none. A cap of 0 had been
 * skipped here (and refused by the alert guard): it never alerted and never tripped (review 91).
 */
create or replace function llm_private.usage_after_spend(p_meter_id smallint, k_tenant uuid, k_user uuid, k_scope text,
  k_period timestamptz, k_shard smallint, p_shard_spent bigint, p_shard_quota bigint, p_shards smallint, p_spent_delta bigint,
  p_limit_id integer, p_cap bigint) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  -- (p_spent_delta is no longer read: every threshold reached fires, not only those this spend crossed. It stays in the
  -- signature, which upgraded databases keep.)
  l llm_private.limits;
  total bigint := p_shard_spent;
  pct smallint;
  fired boolean;
  v_alert_id bigint;
  v_next bigint;
begin
  select * into l from llm_private.limits x where x.id = p_limit_id;
  if l.id is null then
    v_next := 9223372036854775807;
  else
    -- The next level of this shard at which a threshold may be crossed (on a sharded meter, some shard crosses its own share
    -- of a threshold whenever the total crosses it); at least 1, since spend of 0 crosses nothing (a quota of 0: its first charge).
    select min(greatest(ceil(p_shard_quota::numeric * t / 100), 1))::bigint into v_next
      from unnest(l.alert_pcts || case when l.trips_shutoff then array[100::smallint] else '{}' end) t
     where greatest(ceil(p_shard_quota::numeric * t / 100), 1) > p_shard_spent;
    if p_shards > 1 then
      select coalesce(sum(u.spent), 0)::bigint into total from llm_private.usage u
       where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
         and u.period_start = k_period;
    end if;
    foreach pct in array l.alert_pcts loop
      -- Every threshold the total has reached, not only those this spend crossed: a cap lowered below the spend crossed them
      -- without a spend (tenth review). The alert's key makes each one once per period.
      if total > 0 and total * 100 >= p_cap::numeric * pct then
        insert into llm_private.alerts (tenant_id, meter_id, user_id, budget_scope, period_start, threshold_pct, limit_id, used, cap, fired_at)
        values (k_tenant, p_meter_id, k_user, k_scope, k_period, pct, l.id, total, p_cap, llm_private.now())
        on conflict do nothing;
        get diagnostics fired = row_count;
        -- Its id (no RETURNING: the money role may insert alerts, not read them back).
        v_alert_id := case when fired then currval('llm_private.alert_id_seq') end;
        -- The notification carries the alert's id only: any role may LISTEN (and NOTIFY) on any channel, so a payload with
        -- the subject and its figures told every tenant's application the others' usage (review of 2026-11-26). A listener
        -- reads the row (llm.alerts, under its own policies), which is also what tells a real alert from a forged NOTIFY.
        if v_alert_id is not null then
          perform pg_notify('llm_limit_alert', json_build_object('alert_id', v_alert_id)::text);
        end if;
      end if;
    end loop;
    if l.trips_shutoff and total > 0 and total >= p_cap then
      perform llm_private.trip_shutoff(p_meter_id, l.id, k_tenant, k_user, k_period, total, p_cap);
    end if;
  end if;
  if k_shard is not null then
    update llm_private.usage u set next_alert_at = coalesce(v_next, 9223372036854775807)
     where u.tenant_id = k_tenant and u.meter_id = p_meter_id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = k_shard;
  end if;
end
$$;
comment on function llm_private.usage_after_spend(smallint, uuid, uuid, text, timestamptz, smallint, bigint, bigint, smallint, bigint, integer, bigint) is
  'After spent reached a shard''s next_alert_at: alerts at each crossed percentage of the cap (spent > 0 and spent >= cap * pct / 100, so a cap of 0 is crossed by the first charge; once per period, pg_notify of the alert''s id on llm_limit_alert), the shutoff trip of a limit with trips_shutoff (spent > 0 and spent >= cap), and the shard''s next level to check.';

/*
 * An alert row is a fact about usage, whoever inserts it: its limit's threshold, crossed by what the
 * subject spent this period (all shards). used, cap and fired_at are read, not taken as written. A
 * money role had inserted alerts ahead of time (used 0, cap 1): the real ones then met
 * `on conflict do nothing` and were never announced (review of 2026-11-26).
 */
create or replace function llm_private.tg_alerts__guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  l llm_private.limits;
  v_spent bigint;
  v_cap bigint;
begin
  select * into l from llm_private.limits x where x.id = new.limit_id and x.meter_id = new.meter_id;
  select sum(u.spent), max(u.cap) into v_spent, v_cap from llm_private.usage u
   where u.tenant_id = new.tenant_id and u.meter_id = new.meter_id and u.user_id = new.user_id and u.budget_scope = new.budget_scope
     and u.period_start = new.period_start;
  if l.id is null or v_spent is null or v_cap is null or not (new.threshold_pct = any (l.alert_pcts)) then
    raise exception using errcode = 'LG005', message = 'an alert is recorded only when usage has crossed its threshold',
      detail = format('limit %s, %s %%: spent %s of %s', new.limit_id, new.threshold_pct, coalesce(v_spent::text, 'nothing'), coalesce(v_cap::text, '?'));
  end if;
  -- Below the threshold now: not recorded, and no error. The writer summed the shards on an older snapshot, and a credit or a
  -- late settle on another shard brought the total back under meanwhile; raising here failed that settle (its answer lost)
  -- or the whole minute's evaluate_limits (twelfth review). A forged alert is no more recorded than before. Nothing spent
  -- crosses nothing, a cap of 0 included (whose first charge crosses every threshold; review 91).
  if v_spent <= 0 or v_spent * 100 < v_cap::numeric * new.threshold_pct then
    return null;
  end if;
  new.used := v_spent;
  new.cap := v_cap;
  new.fired_at := llm_private.now();
  return new;
end
$$;
comment on function llm_private.tg_alerts__guard() is
  'Alerts: inserted only when the subject''s spend this period (all shards) is above 0 and has crossed one of its limit''s alert percentages (an insert below it is skipped; one for a wrong limit or percentage raises LG005); used, cap and fired_at are derived.';
create or replace trigger _100_guard before insert on llm_private.alerts
  for each row execute function llm_private.tg_alerts__guard();
-- Alerts record thresholds crossed, once per subject, period and percentage: not truncated (review 82); retention drops
-- whole months.
create or replace trigger _100_no_truncate before truncate on llm_private.alerts
  for each statement execute function llm_private.tg_ledger__no_delete();

/*
 * Move an attempt's amounts on its footprint (meter ids in ascending order) by the change of
 * state from a to b: held -> settled | released | expired, expired | released -> settled.
 * What it gives back is what its reserve held (llm_private.held_amount of the same attempt: at least 1 of each unit it can
 * be charged in when it holds the least charge, its amounts as they were for an attempt reserved before that rule).
 */
create or replace function llm_private.usage_apply(a llm_private.attempts, b llm_private.attempts, p_budget_scope text,
  p_scope_started_at timestamptz) returns void
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
declare
  m record;
  held_delta bigint;
  spent_delta bigint;
  r record;
  k_tenant uuid;
  k_user uuid;
  k_scope text;
  k_period timestamptz;
  k_shard smallint;
  -- Phase 2's work, collected in phase 1: one entry per usage row whose alerts or escrow must be looked at.
  after_spend jsonb[] := '{}';
  x jsonb;
begin
  -- Phase 1: every usage row of the footprint, in meter order. No alert is inserted before all of them are held, so a
  -- settle never waits for a usage row while holding an alert that another transaction (the expiry sweep) may wait for.
  for m in select x.id, x.scope, x."window", x.unit, x.shards from llm_private.meters x where x.id = any (b.meter_ids) order by x.id loop
    held_delta := (case when b.state = 'held' then llm_private.held_amount(m.unit, b) else 0 end)
                - (case when a.state = 'held' then llm_private.held_amount(m.unit, a) else 0 end);
    spent_delta := llm_private.charged_amount(m.unit, b) - llm_private.charged_amount(m.unit, a);
    continue when held_delta = 0 and spent_delta = 0;
    k_tenant := case when m.scope = 'global' then llm_private.nil_uuid() else b.tenant_id end;
    k_user := case when m.scope = 'user' then b.user_id else llm_private.nil_uuid() end;
    k_scope := case when m.scope = 'budget_scope' then p_budget_scope else '' end;
    -- (llm_private.usage_key's rule: a budget-scope meter's row, of its life or of a clock window, only under the scope the
    -- attempt was reserved in. By key alone, a late settle of a forgotten scope's call would move its money onto a new scope
    -- of that name whose clock period, a quarter, began before the old one was forgotten.)
    k_period := case when m."window" = 'budget_scope' then p_scope_started_at
                     when m.scope = 'budget_scope' and p_scope_started_at is null then null
                     when m."window" = 'hour' then date_trunc('hour', b.reserved_at, 'UTC')
                     when m."window" = 'month' then date_trunc('month', b.reserved_at, 'UTC')
                     else llm_private.period_start(m."window", b.reserved_at) end;
    k_shard := llm_private.usage_shard(m.scope, m.shards, b.tenant_id, b.user_id);
    update llm_private.usage u set held = u.held + held_delta, spent = u.spent + spent_delta
     where u.tenant_id = k_tenant and u.meter_id = m.id and u.user_id = k_user and u.budget_scope = k_scope
       and u.period_start = k_period and u.shard = k_shard
    returning u.spent, u.quota, u.limit_id, u.cap, u.next_alert_at, u.held + u.spent > u.quota as over into r;
    if not found then
      raise exception using errcode = 'P0004', message = 'an attempt''s usage row is missing',
        detail = format('meter %s, attempt %s/%s', m.id, b.request_pk, b.attempt_no);
    end if;
    if (spent_delta > 0 and r.spent >= r.next_alert_at) or (r.over and m.shards > 1) then
      after_spend := after_spend || jsonb_build_object('m', m.id, 't', k_tenant, 'u', k_user, 's', k_scope, 'p', k_period, 'sh', k_shard,
        'spent', r.spent, 'quota', r.quota, 'shards', m.shards, 'delta', spent_delta, 'limit', r.limit_id, 'cap', r.cap,
        'alert', spent_delta > 0 and r.spent >= r.next_alert_at, 'over', r.over and m.shards > 1);
    end if;
  end loop;
  -- Phase 2: alerts and trips at each crossed threshold; a shard an overrun left over its quota borrows the excess from
  -- the other shards (SKIP LOCKED: never a wait), so that they cannot still admit what the cap has no room for.
  foreach x in array after_spend loop
    if (x->>'alert')::boolean then
      perform llm_private.usage_after_spend((x->>'m')::smallint, (x->>'t')::uuid, (x->>'u')::uuid, x->>'s', (x->>'p')::timestamptz,
        (x->>'sh')::smallint, (x->>'spent')::bigint, (x->>'quota')::bigint, (x->>'shards')::smallint, (x->>'delta')::bigint,
        (x->>'limit')::integer, (x->>'cap')::bigint);
    end if;
    if (x->>'over')::boolean then
      perform llm_private.usage_borrow((x->>'m')::smallint, (x->>'t')::uuid, (x->>'u')::uuid, x->>'s', (x->>'p')::timestamptz,
        (x->>'sh')::smallint, 0);
    end if;
  end loop;
end
$$;
comment on function llm_private.usage_apply(llm_private.attempts, llm_private.attempts, text, timestamptz) is
  'Moves held and spent on an attempt''s footprint by the difference between two states of the attempt (every usage row first, in meter order), then checks alerts and trips; a shard an overrun left over its quota borrows the excess from the other shards.';

grant execute on function llm_private.usage_prepare(smallint, smallint, uuid, uuid, text, timestamptz, integer, bigint),
  llm_private.usage_name_limit(smallint, uuid, uuid, text, timestamptz, integer),
  llm_private.usage_borrow(smallint, uuid, uuid, text, timestamptz, smallint, bigint),
  llm_private.usage_hold(smallint, smallint, uuid, uuid, text, timestamptz, smallint, integer, bigint, boolean, bigint),
  llm_private.usage_after_spend(smallint, uuid, uuid, text, timestamptz, smallint, bigint, bigint, smallint, bigint, integer, bigint),
  llm_private.usage_apply(llm_private.attempts, llm_private.attempts, text, timestamptz) to llm_money, llm_operator;
