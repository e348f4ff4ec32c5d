--! Previous: sha1:5da2e383b5d0369e2233c278c7ceb07dcf309780
--! Hash: sha1:1dc1cb829b9510981f37644141fddd573b985262
--! Message: input and output tokens as meter units

-- Input and output tokens as units of their own. A meter counted micro-USD, tokens (input + output), calls or elapsed ms:
-- an operator could cap a tenant's tokens but not its output tokens alone (what a provider's rate card and most quotas
-- count apart), which took a code change where a new kind of limit is to be a row (DESIGN-NOTES 11). The amounts each unit
-- holds and charges are in llm_private.held_amount / charged_amount (sql/api/030-limits.sql).
alter type llm_private.limit_unit add value if not exists 'input_tokens' after 'tokens';
alter type llm_private.limit_unit add value if not exists 'output_tokens' after 'input_tokens';
comment on type llm_private.limit_unit is
  'What a meter counts: micro-USD, tokens (input, cached input included, + output), input tokens (cached included), output tokens, provider calls, or wall-clock ms since a budget scope started.';
