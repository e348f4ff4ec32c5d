--! Previous: sha1:13b2ccaa3a05eda955287f10da237581690fd13a
--! Hash: sha1:90111e3756fa57db783f9da814df5d0a5430d163
--! Message: The exporter reads the consent column llm.distillation_export now joins on

-- llm.distillation_export checks consent and the model's terms as they are now, whoever reads it (tenth review: read as
-- llm_auditor it showed a withdrawn tenant's calls and traces). The exporter reads the consent column it now joins on; its
-- policy on tenants already shows it only the consenting ones.
grant select (distillation_opt_in) on llm_private.tenants to llm_exporter;
