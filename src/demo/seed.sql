-- The demo's tenants, run as llm_operator by `npm start` (the demo) before it enqueues.
-- Idempotent: a second demo run finds them in place.
select llm.upsert_tenant('d0000000-0000-4000-8000-00000000ac3e', 'Acme');
select llm.upsert_tenant('d0000000-0000-4000-8000-0000000091be', 'Globex');
-- TODO(lead, SPEC "llm.set_limit(...)"): user cy's monthly cap of 50 micro-USD, so that the demo
-- shows a refusal. The signature is not in SPEC.md yet; the demo runs without it.
-- select llm.set_limit(...);
