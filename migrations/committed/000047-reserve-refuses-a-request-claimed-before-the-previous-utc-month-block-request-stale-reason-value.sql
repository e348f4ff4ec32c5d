--! Previous: sha1:ddbb9f06216fd90f5017bb7ecb5e469b14892c07
--! Hash: sha1:2200a0941bc639773dfee9d681bbd752267696fb
--! Message: reserve refuses a request claimed before the previous UTC month: block / request_stale (reason value)

-- A request claimed before the previous UTC month is not sent any more: reserve refuses it, block / request_stale
-- (sql/api/080-reserve.sql). The reconciliation reads the attempts of the requests of the months a reserve may still
-- count in its checked periods; a retry of an older request (a job deferred behind an open breaker for a month) was
-- counted in usage and read by no check: drift every 5 minutes, and a provider call for an answer long given up.
alter type llm_private.reason add value if not exists 'request_stale';
