--! Previous: sha1:f92a351f9a64758ee5513c057c4e62536ee57c99
--! Hash: sha1:e2d9562aedeb5c011aef36e1d4c7e56f28d5a27b
--! Message: A meter may count per UTC minute (window minute)

-- A meter may count per UTC minute (adopter's review, 2026-11-27: no window was shorter than an hour, so a provider's
-- requests or tokens per minute could not be capped). Its usage rows are one per subject and minute, written only for
-- meters an operator defines with this window; the period functions, the reconciliation's buckets and define_meter follow
-- in the API.
alter type llm_private.limit_window add value if not exists 'minute' before 'hour';
