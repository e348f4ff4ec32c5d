-- An operator's shutoff window names a subject it can stop, or is refused with what to pass instead (review 91): a window
-- for a tenant that does not exist, or for a user of another tenant, was accepted and stopped nobody, so an incident's
-- shutoff with a mistyped id looked done; a scope that is no scope failed as a bare 22P02, an end before the start as a
-- constraint's name.
begin;
select plan(12);
select tests.seed();


select tests.act_as_role('llm_operator');
select is(tests.err_of($$select llm.trip_shutoff('tenant', '00000000-0000-4000-8000-00000000dead', null, llm_private.now() + interval '1 hour', 'incident')$$),
  '23503 +hint', 'a tenant that does not exist: refused (it would stop nobody)');
select is(tests.err_of($$select llm.schedule_shutoff('user', tests.tenant_a(), tests.user_b1(), llm_private.now() + interval '1 hour',
                              llm_private.now() + interval '2 hours', 'maintenance')$$),
  '22023 +hint', 'a user of another tenant: refused');
select is(tests.err_of($$select llm.trip_shutoff('week', tests.tenant_a(), null, llm_private.now() + interval '1 hour', 'x')$$),
  '22023 +hint', 'a scope that is no scope: 22023 naming the three');
select is(tests.err_of($$select llm.schedule_shutoff('tenant', tests.tenant_a(), null, llm_private.now() + interval '2 hours',
                              llm_private.now() + interval '1 hour', 'x')$$),
  '22023 +hint', 'an end before the start: 22023');
select is(tests.err_of($$select llm.trip_shutoff('global', tests.tenant_a(), null, llm_private.now() + interval '1 hour', 'x')$$),
  '22023 +hint', 'a global window naming a tenant: 22023');
select is(tests.err_of($$select llm.trip_shutoff('user', tests.tenant_a(), null, llm_private.now() + interval '1 hour', 'x')$$),
  '22023 +hint', 'a user window naming no user: 22023');
select is(tests.err_of($$insert into llm_private.shutoff_windows (scope, tenant_id, kind, starts_at, ends_at, reason)
                             values ('tenant', '00000000-0000-4000-8000-00000000dead', 'manual', llm_private.now(), llm_private.now() + interval '1 hour', 'x')$$),
  '23503 +hint', 'the operator''s direct insert is held to the same rules');

-- What still works: each scope with a subject that exists, and a user not seen yet (a window ahead of its first call).
select isnt(llm.trip_shutoff('tenant', tests.tenant_b(), null, llm_private.now() + interval '1 hour', 'incident'), null, 'a tenant''s window');
select isnt(llm.trip_shutoff('user', tests.tenant_a(), tests.user_a2(), llm_private.now() + interval '1 hour', 'abuse'), null, 'a user''s window');
select isnt(llm.schedule_shutoff('user', tests.tenant_a(), 'a9000000-0000-4000-8000-000000000009', llm_private.now() + interval '1 hour',
              llm_private.now() + interval '2 hours', 'a user not seen yet'), null, 'a window ahead of a user''s first call');
select isnt(llm.schedule_shutoff('global', null, null, llm_private.now() + interval '1 day', llm_private.now() + interval '1 day 1 hour', 'maintenance'),
  null, 'everyone''s maintenance hour');
select tests.as_admin();
select results_eq($$select decision, reason from tests.call(tests.tenant_b(), tests.user_b1(), 'sd-1')$$,
  $$values ('block', 'shutoff')$$, 'the tenant''s window stops its calls');
select * from finish();
rollback;
