--! Previous: sha1:2200a0941bc639773dfee9d681bbd752267696fb
--! Hash: sha1:b8d3f75da2938a4e5cdcf2aeef82fd1bab7c1fe0
--! Message: schema_state.api_generation: an order between releases, so that migrate refuses a database whose API a later release applied

-- The API's generation (sql/api-generation.json, bumped by npm run dump-schema whenever sql/api or the committed
-- migrations change): an order between releases that a hash does not give. npm run migrate refuses a database whose API
-- is of a later generation than its own; an older release's replay had put its API over a newer one whenever the newer
-- release changed sql/api only (review 75). NULL: replayed by a release from before this column.
alter table llm_private.schema_state add column if not exists api_generation integer;
comment on column llm_private.schema_state.api_generation is
  'The generation of the sql/api last applied (sql/api-generation.json of the release that applied it); NULL: applied by a release from before migration 000048.';
