--! Previous: sha1:386fe376595ec2531469abf862a7d3c2d82d0197
--! Hash: sha1:c0573ba8d34410738ca06aea410e73a094035832
--! Message: A semantic hit only from an entry written under a cap no larger than the request's

-- A semantic hit only from an entry written under a cap no larger than the request's (seventh review): the exact key
-- includes max_output_tokens, the semantic scope did not, so a request capped at 5 output tokens was served, free, an
-- answer written under a cap of 4,000. The entry keeps its source request's cap (set by tg_cache_entries__derive); the
-- reserve's claim of a semantic hit requires it to be at most the request's. Entries written before have none and are
-- never a semantic hit (they stay exact hits) until they expire.
alter table llm_private.cache_entries
  add column max_output_tokens integer check (max_output_tokens between 0 and 1000000);
comment on column llm_private.cache_entries.max_output_tokens is
  'The max_output_tokens of the request whose answer this is: a semantic hit is served only to a request with at least this cap.';
