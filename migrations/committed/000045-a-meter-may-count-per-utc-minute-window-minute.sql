--! Previous: sha1:3c0bd37b3b2f51e1950182bf30713da3e30fac1f
--! Hash: sha1:a92e175d12cd98613566f578dcbd83bc43a4a05e
--! Message: A meter may count per UTC minute (window minute)

-- A meter may count per UTC minute (adopter's review, 2026-11-27: no window was shorter than an hour, so a provider's
-- requests or tokens per minute could not be capped). Its usage rows are one per subject and minute, written only for
-- meters an operator defines with this window; the period functions, the reconciliation's buckets and define_meter follow
-- in the API.
alter type llm_private.limit_window add value if not exists 'minute' before 'hour';
