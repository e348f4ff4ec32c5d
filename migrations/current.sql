/*
 * The hot path, leaner (issue "Reserve and settle near the commit floor"):
 *   - a request's attempt count is derived from its attempts (one index range scan that reserve
 *     does anyway for the per-request headroom), and a request is written only when it ends:
 *     reserve no longer writes the request row (its state reads 'running' in the views while it
 *     has attempts and no final state);
 *   - usage rows carry next_alert_at, the spent level at which the next alert or shutoff trip must
 *     be checked, so a settle reads the limit row only when a threshold may have been crossed;
 *   - an attempt says whether it fills the cache, so a settle touches cache_fills only then.
 */
alter table llm_private.requests drop column if exists attempt_count;

alter table llm_private.usage add column if not exists next_alert_at bigint not null default 0;
comment on column llm_private.usage.next_alert_at is
  'The spent level (on this shard) at which the next alert percentage or shutoff trip must be checked; below it a settle does not look at the limit.';
grant update (next_alert_at) on llm_private.usage to llm_money, llm_operator;

alter table llm_private.attempts add column if not exists fills_cache boolean not null default false;
comment on column llm_private.attempts.fills_cache is 'The attempt registered the cache fill of its request''s key (single flight): its end wakes the waiters.';
