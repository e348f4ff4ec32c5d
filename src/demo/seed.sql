-- The demo's tenants, limits and cache settings, run as llm_operator by `npm start` (the demo)
-- before it enqueues. Idempotent: a second demo run finds them in place (a limit is only set while
-- the tenant or user does not have it yet).
select llm.upsert_tenant('d0000000-0000-4000-8000-00000000ac3e', 'Acme');
select llm.upsert_tenant('d0000000-0000-4000-8000-0000000091be', 'Globex');

-- Acme's user cy: a monthly cap of 0.001 USD. A mock-chat call holds about 0.0026 USD (256 output
-- tokens at its worst), so cy's routing request is refused (reason user_monthly), every run.
select llm.set_limit('user_monthly', 1000, 'd0000000-0000-4000-8000-00000000ac3e', 'd1000000-0000-4000-8000-000000000003',
         p_note => 'demo: a small cap, so that the demo shows a refusal')
 where not exists (select from llm.limits l where l.meter_name = 'user_monthly' and l.in_effect and l.cap = 1000
                      and l.tenant_id = 'd0000000-0000-4000-8000-00000000ac3e' and l.user_id = 'd1000000-0000-4000-8000-000000000003');

-- Acme's investigations (budget scopes): at most 2 provider calls each (the default is 10). The
-- demo's investigation makes 3: two are answered, the second reaches 100 % (alerts at 80, 95 and
-- 100 %), the third is refused (reason investigation_calls).
select llm.set_limit('investigation_calls', 2, 'd0000000-0000-4000-8000-00000000ac3e',
         p_note => 'demo: two calls per investigation, so that the demo shows alerts and a refusal')
 where not exists (select from llm.limits l where l.meter_name = 'investigation_calls' and l.in_effect and l.cap = 2
                      and l.tenant_id = 'd0000000-0000-4000-8000-00000000ac3e' and l.user_id is null);

-- Globex's explanations: the semantic cache, per user, with the local provider's embedding model.
-- A reworded question on the same source watermark is answered from the cache.
select llm.set_endpoint_cache('d0000000-0000-4000-8000-0000000091be', 'explanation', false, 0.9, 'local:mock-embed');
