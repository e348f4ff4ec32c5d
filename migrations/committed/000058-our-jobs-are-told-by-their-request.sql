--! Previous: sha1:1dc1cb829b9510981f37644141fddd573b985262
--! Hash: sha1:f272718a323e4db42d24fe3dd928b5edc364350e
--! Message: our jobs are told by their request

-- Our jobs are told from another application's by their request, not by their task's name (llm_private.job_is_ours,
-- sql/api/120-workers.sql). The dead-lock release (llm.release_dead_worker_locks) and the job metrics (llm.jobs) run as
-- the worker's login (llm_worker, which owns graphile-worker's tables), which read requests only in an application's
-- context: the enqueue wrapper llm_queue.add_request_job (SECURITY DEFINER, owner llm_worker) reads them as llm_worker on
-- the application's behalf, and its policy keeps it to the application's tenant. This policy lets llm_worker read every
-- request only when the session's login is llm_worker itself (session_user, which only a superuser can change), never
-- inside the wrapper the application calls (session_user is then the application's login). It gives the worker's login
-- nothing new: that login acts as llm_operator, who reads every request (operator_select). Reads only, the columns the
-- role's grant has (select on the table), no write.
drop policy if exists worker_login_select on llm_private.requests;
create policy worker_login_select on llm_private.requests for select to llm_worker using (session_user = 'llm_worker');
