-- Request context that cannot leak or be forged: the application's context is a signed token honoured only in the
-- transaction that set it; the worker's context is honoured only in its transaction; both need a tenant and a user.
begin;
select plan(26);
select tests.seed();
select ok(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'ctx-a1') > 0, 'A1 has a request');
select ok(tests.enqueue(tests.tenant_b(), tests.user_b1(), 'ctx-b1') > 0, 'B1 has a request');

-- A valid token: the application sees its own requests only.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select results_eq($$select request_id from llm.request_results$$, $$values ('ctx-a1')$$, 'A1 sees its own request, no one else''s');

-- A forged context: plain settings, a token signed with another secret, a tampered token, an expired one.
select tests.as_admin();
select count(*) from (select set_config('role', 'llm_app', true), set_config('app.current_tenant_id', tests.tenant_b()::text, true),
  set_config('app.current_user_id', tests.user_b1()::text, true), set_config('app.context_tx', llm_private.tx_stamp()::text, true)) s;
select is_empty($$select * from llm.request_results$$, 'the worker''s plain settings give the application nothing');
select throws_ok($$select * from llm.enqueue_call(tests.payload('x'))$$, '42501', null, 'and cannot enqueue: no signed context');
select throws_ok($$select * from llm.use_context(llm.sign_context('another-secret-of-32-characters!', tests.tenant_b(), tests.user_b1()))$$,
  '42501', null, 'a token signed with another secret is refused');
select throws_ok(format($$select * from llm.use_context(%L)$$,
    replace(llm.sign_context(tests.secret(), tests.tenant_a(), tests.user_a1()), tests.user_a1()::text, tests.user_a2()::text)),
  '42501', null, 'a token whose user was changed is refused');
select throws_ok(format($$select * from llm.use_context(%L)$$,
    format('v1.%s.%s.%s.', tests.tenant_a(), tests.user_a1(), 1000) || encode((select llm_private.hmac_sha256(k.ipad, k.opad,
      convert_to(format('v1.%s.%s.%s', tests.tenant_a(), tests.user_a1(), 1000), 'UTF8')) from llm_private.hmac_pads(convert_to(tests.secret(), 'UTF8')) k), 'hex')),
  '42501', null, 'an expired token is refused, even correctly signed');
select throws_ok($$select * from llm.use_context('v1.x.y.z.w''; drop table llm_private.requests; --')$$, '42501', null,
  'a malformed token is refused, and is only data');
select tests.as_admin();
select is((select count(*)::int from llm_private.requests), 2, 'nothing was dropped');

-- The application cannot read the key, nor call the money path.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm_private.context_keys$$, '42501', null, 'the application cannot read the signing key');
select throws_ok($$select * from llm.reserve_call(tests.request_pk('ctx-a1'), 1, 1, 1000)$$, '42501', null,
  'nor reserve');
select throws_ok($$select * from llm.settle_call(1, 1, 'ok', 1, 1, 1, 1)$$, '42501', null, 'nor settle');

-- A context set at session level is ignored in the next transaction (a pooled connection).
select tests.as_admin();
select results_eq($$select count(*)::int from (select set_config('app.context', llm.sign_context(tests.secret(), tests.tenant_a(), tests.user_a1()), false),
                     set_config('app.context_tx', llm_private.tx_stamp()::text, false)) s$$, $$values (1)$$,
  'a context set for the whole session (set_config(..., false))');
select is(llm_private.app_tenant_id(), tests.tenant_a(), 'is honoured in the transaction that set it (the next one ignores it: ts/context.test.ts)');

-- The money role: a tenant without a user sees no user-owned row and writes nothing.
select tests.act_as_money(tests.tenant_a(), null);
select is_empty($$select * from llm_private.requests$$, 'a tenant without a user sees no request');
select is_empty($$select * from llm_private.usage$$, 'nor any usage, not even the tenant''s own rows');
select throws_ok($$select * from llm.reserve_call(tests.request_pk('ctx-a1'), 1, 1, 1000)$$, '42501', null, 'and cannot reserve');
select tests.act_as_money(tests.tenant_a(), tests.user_a2());
select throws_ok($$select * from llm.reserve_call(tests.request_pk('ctx-a1'), 1, 1, 1000)$$, 'P0002', null,
  'another user of the tenant cannot reserve A1''s request');
select tests.as_admin();
select count(*) from (select set_config('role', 'llm_money', true), set_config('app.current_tenant_id', tests.tenant_a()::text, true),
  set_config('app.current_user_id', tests.user_a1()::text, true), set_config('app.context_tx', '1', true)) s;
select is_empty($$select * from llm_private.requests$$, 'a worker context stamped for another transaction is ignored');

-- The money context is read without a regular expression: '' is no context, anything else must be a uuid.
select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select is(llm_private.current_tenant_id(), tests.tenant_a(), 'the worker''s tenant, as set');
select count(*) from (select set_config('app.current_user_id', '', true)) s;
select is_empty($$select * from llm_private.requests$$, 'an empty user is no user: no request is visible');
select count(*) from (select set_config('app.current_tenant_id', tests.tenant_b()::text || ''' or true --', true),
  set_config('app.current_user_id', tests.user_a1()::text, true)) s;
select throws_ok($$select * from llm_private.requests$$, '22P02', null,
  'a tenant that is not a uuid refuses the statement (never another tenant''s rows)');

-- The application's reads verify its token once per statement, not once per row it looks at.
select tests.as_admin();
select count(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'ctx-many-' || g)) from generate_series(1, 12) g;
create function tests.verifier_calls(p_sql text) returns bigint language plpgsql as $f$
declare
  before bigint := coalesce(pg_stat_get_xact_function_calls('llm_private.app_context()'::regprocedure), 0);
begin
  execute p_sql;
  return coalesce(pg_stat_get_xact_function_calls('llm_private.app_context()'::regprocedure), 0) - before;
end $f$;
grant execute on function tests.verifier_calls(text) to llm_app;
select count(*) from (select set_config('track_functions', 'pl', true)) s;
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select is((select count(*)::int from llm.request_results), 13, 'A1 reads its 13 requests');
select cmp_ok(tests.verifier_calls('select count(*) from llm.request_results'), '<=', 8::bigint,
  'reading them verifies the token a few times per statement (once per policy), not once per row');
select cmp_ok(tests.verifier_calls('select count(*) from llm_private.requests'), '<=', 2::bigint,
  'a plain read of the requests table verifies it at most twice (tenant, user)');

select * from finish();
rollback;
