-- Enter migration here

/*
 * A request-window meter counts micro-USD only: reserve checks per-request limits as shaping
 * (worst case against the request's headroom), and has no usage row per request to hold tokens or
 * calls on. Tokens per request are bounded by max_output_tokens and the models' limits, calls per
 * request by the setting max_attempts_per_request. (Accepted before, such a meter did nothing.)
 */
alter table llm_private.meters drop constraint if exists meters_request_window_micros;
alter table llm_private.meters add constraint meters_request_window_micros check ("window" <> 'request' or unit = 'micros');
comment on constraint meters_request_window_micros on llm_private.meters is
  'A per-request meter counts micro-USD only (tokens and calls per request are bounded by max_output_tokens and max_attempts_per_request).';
