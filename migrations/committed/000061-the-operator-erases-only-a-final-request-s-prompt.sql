--! Previous: sha1:4cbbbb06c3ca1ae791f9f65ff91d71608d222fb8
--! Hash: sha1:892f4af43c8ebe3445c197af072b9322c6a0bc8f
--! Message: the operator erases only a final request's prompt

-- The operator deletes a prompt only of a final request (review r98). The policy operator_erase let any prompt be deleted:
-- a plain DELETE as llm_operator took the prompt of a queued or running request (the worker then has nothing to send),
-- and llm.erase_content's own DELETE, whose statement snapshot is newer than its in-flight check's, took the prompt of a
-- request the subject enqueued in between (shown with two sessions: the request stayed queued, without its input). The
-- policy's subquery reads the DELETE's own snapshot: a request it sees the input of, it sees the state of.
drop policy if exists operator_erase on llm_private.request_inputs;
create policy operator_erase on llm_private.request_inputs for delete to llm_operator
  using (exists (select 1 from llm_private.requests q
                  where q.tenant_id = request_inputs.tenant_id and q.id = request_inputs.request_pk
                    and q.state not in ('queued', 'running')));
