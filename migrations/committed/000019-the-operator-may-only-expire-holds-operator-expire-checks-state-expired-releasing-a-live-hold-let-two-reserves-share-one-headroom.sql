--! Previous: sha1:f9ffdb09535024d79aa9a93f2383d6213d15b8c8
--! Hash: sha1:227f35fb4a71b35af9653cac8d5de6866d7c8239
--! Message: The operator may only expire holds (operator_expire checks state = expired): releasing a live hold let two reserves share one headroom

-- The operator (and so the worker's login, a member for the sweeps) may only expire holds: releasing another tenant's live
-- hold freed headroom that a second reserve took, and both settled over the cap (review of 2026-11-26).
alter policy operator_expire on llm_private.attempts with check (state = 'expired');
