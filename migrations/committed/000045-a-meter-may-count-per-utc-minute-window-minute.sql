--! Previous: sha1:29612a7ab3ea3e1c96804076e25c271ce9d126dc
--! Hash: sha1:cdc0c1f965d51fbc84a51670297db07f167f8678
--! Message: A meter may count per UTC minute (window minute)

-- A meter may count per UTC minute (adopter's review, 2026-11-27: no window was shorter than an hour, so a provider's
-- requests or tokens per minute could not be capped). Its usage rows are one per subject and minute, written only for
-- meters an operator defines with this window; the period functions, the reconciliation's buckets and define_meter follow
-- in the API.
alter type llm_private.limit_window add value if not exists 'minute' before 'hour';
