-- Reasoning traces live apart from final outputs: own RLS, not in the final-output view, shorter retention.
begin;
select plan(9);
select tests.seed();
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table r1 as select * from tests.reserve('t-1', p_model => 'small');
select llm.settle_call((select reservation_id from r1), 10, 0, 10, 5, 'ok', false, '[{"role":"user","content":"q"}]',
  'final answer', 'secret chain of thought', true, false);

select is((select trace from llm_private.reasoning_traces), 'secret chain of thought', 'the trace is stored, apart from the output');
select is((select output from llm_private.call_outputs), 'final answer', 'the final output is stored');

select tests.act_as(tests.tenant_a(), tests.user_a2());
select is_empty('select * from llm_private.reasoning_traces', 'another user of the tenant cannot read the trace');
select tests.act_as(tests.tenant_b(), tests.user_b1());
select is_empty('select * from llm_private.reasoning_traces', 'another tenant cannot read the trace');
select is_empty('select * from llm_private.call_outputs', 'nor the output');

reset role;
select tests.act_as_role('llm_auditor');
select hasnt_column('llm', 'final_outputs', 'reasoning_trace', 'the final-output view has no reasoning column');
select is((select count(*)::int from llm.final_outputs where output like '%chain of thought%'), 0, 'and never contains the trace');

-- Retention: traces default 7 days, outputs 90 days.
reset role;
select tests.freeze_clock('2026-03-23 00:00:00+00');
select tests.act_as_role('llm_operator');
select is((select (traces, outputs) from llm.purge_expired()), (1::bigint, 0::bigint), 'after 8 days the purge removes the trace, keeps the output');
reset role;
select tests.freeze_clock('2026-06-20 00:00:00+00');
select tests.act_as_role('llm_operator');
select is((select (traces, outputs) from llm.purge_expired()), (0::bigint, 1::bigint), 'after 97 days the output goes too');
select * from finish();
rollback;
