--! Previous: sha1:96f711a442c9599e849268f6bf01e4c92ef132de
--! Hash: sha1:aef6140d58b2f00a77fb13eab918708753b0828e
--! Message: A request's input token floor is computed once, when its inputs are written (request_inputs.input_tokens_floor)

-- Idempotent, as every migration here: re-run, it changes nothing.

-- A request's input token floor is computed once, when its inputs are written (llm_private.input_tokens_floor, replayed
-- from sql/api): the reserve read the whole prompt as text on every chat reserve to decide whether to compute it
-- (1.1 ms at 254 kB, 44-62 ms for a crafted prompt, with the request row locked; review of cb75077).
-- NULL for inputs written before this migration: the reserve computes theirs.
-- No CHECK: it would read every row under ACCESS EXCLUSIVE (350 ms at 10^6 inputs, every enqueue and reserve waiting;
-- review of dabaf83), and the derive trigger is the column's only writer.
alter table llm_private.request_inputs add column if not exists input_tokens_floor integer;
comment on column llm_private.request_inputs.input_tokens_floor is
  'llm_private.input_tokens_floor(messages), set by the inputs'' derive trigger whatever the writer gives: the least input estimate a chat reserve of this request holds for. NULL for inputs written before migration 000039.';
