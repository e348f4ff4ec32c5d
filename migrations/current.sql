-- A budget scope's meter may count per clock window (an investigation may spend at most $5 per UTC day, make at most 20
-- calls per hour): scope budget_scope goes with window budget_scope (the scope's life) or a clock window (minute .. quarter),
-- and window budget_scope with scope budget_scope only. Not window none: a budget scope's lifetime is its own window
-- (budget_scope), which starts at its first call (none's period starts at -infinity, and a second name for the same counter
-- would only differ in which reader shows what). meters_check1 had tied scope and window budget_scope both ways, so a
-- limit per day of an investigation could not be defined (llm.define_meter refused it too, 22023).
alter table llm_private.meters drop constraint if exists meters_check1;
alter table llm_private.meters drop constraint if exists meters_budget_scope_window;
alter table llm_private.meters add constraint meters_budget_scope_window
  check (case when scope = 'budget_scope' then "window" not in ('request', 'none') else "window" <> 'budget_scope' end);
comment on constraint meters_budget_scope_window on llm_private.meters is
  'Window budget_scope (the scope''s life) belongs to scope budget_scope; a budget-scope meter counts over its life or a clock window (minute .. quarter, UTC), not none.';
